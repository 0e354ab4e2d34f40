"""The student's lab report, in the lab's language: aim, background, method (the exact settings and the commands
that train the runs again), results (tables with mean ± std and 95 % intervals over seeds, the curves, confusion
matrices, the gradient reach and the horizon where the look steps showed them), the seed report's numbers beside
the student's, the checks and their outcomes, and the student's answers.

    report_html(lab, runs_by_name, answers, check_results, language)   one offline HTML file (plotly inlined once,
                                                                       as rnnkit.analysis.html_report does)
    report_pdf(html)                                                   the same, printed by WeasyPrint: the figures
                                                                       as static SVGs (report_figures.py)
    report_markdown(...)                                               text and tables (report_text.py)

Every text from the lab file, a run folder or the student is HTML-escaped; answers are shown as typed.
"""
from __future__ import annotations

import html
import time

import plotly.graph_objects as go

from rnnkit.analysis import seeds
from rnnkit.analysis.figure_set import figure_set, job_of, monitor_of
from rnnkit.analysis.figures import translator
from rnnkit.analysis.html_report import seed_table, verdict_sentence
from rnnkit.analysis.labs import report_parts
from rnnkit.analysis.labs.checks import CheckResult
from rnnkit.analysis.labs.report_figures import static_svg
from rnnkit.analysis.labs.report_text import report_markdown  # noqa: F401 - one import for the report's forms
from rnnkit.analysis.labs.schema import Lab, Step
from rnnkit.analysis.run_text import result_line, runs_table_text
from rnnkit.model.jobs import get_job
from rnnkit.runs.folder import Run

FONTS = {"en": "'DejaVu Sans', sans-serif",
         "zh": "'WenQuanYi Micro Hei', 'WenQuanYi Zen Hei', 'Noto Sans CJK SC', sans-serif"}
STYLE = (".table{border-collapse:collapse;margin:0.5em 0}.table td,.table th{padding:3px 8px;"
         "border-bottom:1px solid #ddd;text-align:left}pre{white-space:pre-wrap;font-family:inherit;margin:0.3em 0}"
         "pre.command{font-family:'DejaVu Sans Mono',monospace;font-size:0.85em;background:#f4f4f4;padding:6px}"
         ".answer{background:#f6f3ea;padding:8px 12px;border-left:3px solid #c9b26b}.passed{color:#1b7a2b}"
         ".not-yet{color:#a15c00}.unknown{color:#666}.figure{page-break-inside:avoid}.print{display:none}"
         "@media print{.screen{display:none}.print{display:block}}"
         "@page{size:A4;margin:16mm}")


def report_html(lab: Lab, runs_by_name: dict[str, list[Run]], answers: dict[str, str] | None = None,
                check_results: dict[int, CheckResult] | None = None, language: str | None = None) -> str:
    """The whole report as one HTML document (see the module docstring). `runs_by_name`: run step name -> its
    runs (`lab_runs`); `answers`: question id -> text; `check_results`: step index -> result (None: evaluated
    here from the runs)."""
    language = language or lab.language
    _ = translator(language)
    figures: list[go.Figure] = []
    parts = [f"<h1>{_escape(lab.title)}</h1>",
             "<p>" + _escape(_("Lab report, {date}").format(date=time.strftime("%Y-%m-%d %H:%M"))) + "</p>",
             _heading(_("Aim")), _text(lab.aim)]
    if lab.background:
        parts += [_heading(_("Background")), _text(lab.background)]
    parts.append(_heading(_("Method")))
    for step in lab.run_steps():
        runs = runs_by_name.get(step.name, [])
        parts.append(_heading(f"{step.name}" + (f": {step.text}" if step.text else ""), 3))
        parts.append(_rows(report_parts.method_rows(step, runs, language)))
        parts.append("<p>{}</p>".format(_escape(_("The commands that train these runs again:"))))
        parts.append("<pre class='command'>{}</pre>".format(_escape("\n".join(report_parts.commands(lab, step, runs)))))
    parts.append(_heading(_("Results")))
    for step in lab.run_steps():
        parts += _results(lab, step, runs_by_name.get(step.name, []), language, figures)
    source = report_parts.source_frame(lab, runs_by_name, language)
    if source is not None:
        parts.append(_heading(_("The seed report's numbers beside yours")))
        if lab.source.get("recipe"):
            parts.append("<p>{}</p>".format(_escape(_("The report trained: {recipe}").format(
                recipe=lab.source["recipe"]))))
        parts.append(_table(source))
    checks = report_parts.check_rows(lab, runs_by_name, check_results, language)
    if checks:
        parts.append(_heading(_("Checks")))
        parts.append("<ul>" + "".join(_check_item(row) for row in checks) + "</ul>")
    questions = report_parts.answer_rows(lab, answers, language)
    if questions:
        parts.append(_heading(_("Your answers")))
        for row in questions:
            parts.append(f"<h3>{_escape(row['question'])}</h3>")
            if row["choices"]:
                parts.append("<ul>" + "".join(f"<li>{_escape(choice)}</li>" for choice in row["choices"]) + "</ul>")
            answer = row["answer"] or _("(no answer)")
            parts.append(f"<pre class='answer'>{_escape(answer)}</pre>")
    body = "\n".join(parts)
    for index, figure in enumerate(figures):
        figure.update_layout(template="plotly")  # plotly's own template, wherever the report is made
        interactive = figure.to_html(full_html=False, include_plotlyjs="inline" if index == 0 else False,
                                     default_height="400px")
        body = body.replace(f"<!--figure {index}-->", f"<div class='figure'><div class='screen'>{interactive}</div>"
                                                      f"<div class='print'>{static_svg(figure, language)}</div></div>")
    return (f"<!doctype html><html lang='{language}'><head><meta charset='utf-8'><title>{_escape(lab.title)}"
            f"</title><style>body{{font-family:{FONTS.get(language, FONTS['en'])};margin:2em;max-width:1100px}}"
            f"{STYLE}</style></head><body>{body}</body></html>")


def report_pdf(document: str) -> bytes:
    """The report HTML printed as PDF by WeasyPrint (its print styles show the static figures)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:  # OSError: WeasyPrint installed, its system libraries (pango) not
        raise ValueError("the PDF needs WeasyPrint and its system libraries (pip install weasyprint; Debian: "
                         f"libpango-1.0-0); the HTML report works without them ({type(error).__name__})") from None
    return HTML(string=_without_scripts(document)).write_pdf()


def _results(lab: Lab, step: Step, runs: list[Run], language: str, figures: list[go.Figure]) -> list[str]:
    _ = translator(language)
    parts = [_heading(step.name, 3)]
    if not runs:
        return parts + ["<p>{}</p>".format(_escape(_("No runs yet.")))]
    views = {look.view for look in lab.steps if look.kind == "look" and look.run == step.name}

    def figure(item: go.Figure) -> None:
        figures.append(item)
        parts.append(f"<!--figure {len(figures) - 1}-->")

    if step.experiment == "horizon":
        from rnnkit.analysis.horizon import horizon_cells, horizon_summary, horizon_table
        from rnnkit.analysis.horizon_figures import horizon_figure

        summary = horizon_summary(horizon_table(runs))
        parts.append("<p>{}</p>".format(_escape(_("Test accuracy (%) at each sequence length T: mean ± std over "
                                                   "the seeds (n = seeds tested)."))))
        cells = horizon_cells(summary).reset_index()
        cells.columns = [_("T")] + [str(name).upper() for name in cells.columns[1:]]
        parts.append(_table(cells))
        figure(horizon_figure(summary, language=language))
        return parts
    parts.append(_table(runs_table_text(runs, language)))
    line = result_line(runs, language)
    if line:
        parts.append(f"<p><strong>{_escape(line)}</strong></p>")
    drawn = figure_set(runs, language)
    if report_parts.seeds_of(runs) > 1:
        groups, metric = seeds.variants(runs), monitor_of(runs)
        parts.append("<p>{}</p>".format(_escape(_("Over seeds: mean ± std and the 95 % interval of the mean."))))
        parts.append(_table(seed_table(groups, metric, language)))
        parts.append("<ul>" + "".join(f"<li>{_escape(verdict_sentence(verdict, metric, language))}</li>"
                                      for verdict in seeds.seed_verdicts(groups, metric)) + "</ul>")
        if "over seeds" in drawn:
            figure(drawn["over seeds"])
    figure(drawn["loss"])
    for metric in get_job(job_of(runs)).headline:
        if metric in drawn:
            figure(drawn[metric])
    if "gradient_flow" in views and "gradient reach" in drawn:
        figure(drawn["gradient reach"])
    if views & {"confusion", "scores"}:
        for name, item in drawn.items():
            if name.startswith("confusion "):
                figure(item)
    if "gates" in views:
        from rnnkit.analysis.labs.report_inside import memory_gate_report

        gates = memory_gate_report(runs, language)  # loads each architecture's best.pt: only where a look showed it
        if gates is not None:
            figure(gates)
    inside = sorted(views & {"attributions", "embeddings"})
    if inside:
        parts.append("<p>{}</p>".format(_escape(_("The Inside views ({views}) are drawn from a loaded model on the "
                                                   "Lab page and the Inside page; they are not in this file.").format(
            views=", ".join(inside)))))
    return parts


def _check_item(row: dict[str, str]) -> str:
    css = {"yes": "passed", "no": "not-yet", "unknown": "unknown"}[row["passed"]]
    text = (f"<li><strong>{_escape(row['claim'])}</strong> — <span class='{css}'>{_escape(row['outcome'])}</span>"
            f"<br>{_escape(row['detail'])}")
    if row["hint"]:
        text += f"<br><em>{_escape(row['hint'])}</em>"
    return text + "</li>"


def _rows(rows: list[tuple[str, str]]) -> str:
    return "<table class='table'>" + "".join(f"<tr><th>{_escape(name)}</th><td>{_escape(value)}</td></tr>"
                                             for name, value in rows) + "</table>"


def _table(frame) -> str:
    return frame.astype(object).where(frame.notna(), "–").to_html(index=False, escape=True, border=0,
                                                                  classes="table")


def _heading(text: str, level: int = 2) -> str:
    return f"<h{level}>{_escape(text)}</h{level}>"


def _text(text: str) -> str:
    return f"<pre>{_escape(text.strip())}</pre>"


def _escape(text: object) -> str:
    return html.escape(str(text))


def _without_scripts(document: str) -> str:
    """The document without its <script> elements (plotly's JavaScript, which WeasyPrint does not run)."""
    import re

    return re.sub(r"<script\b.*?</script>", "", document, flags=re.DOTALL | re.IGNORECASE)
