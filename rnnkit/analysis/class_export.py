"""The class's result leaving the app: a CSV (one row per student × run, with its settings and scores) and the
offline HTML report (the assignment, the table over students, the verdict paired by student, every student's
dot and the class's gradient flow), both with or without the students' names.

    class_csv(result, names=False)                     -> str
    class_html(assignment, result, names=False, "zh")  -> str

Without names a student is "student N", the anonymous number the dashboard shows (`class_figures`). A setting
that holds a path (a data folder, an uploaded file) is left out of the CSV: it would show the server's folders.
The HTML is built as `rnnkit.analysis.html_report` builds a comparison's: every text from a run folder or the
teacher escaped, plotly's JavaScript inlined once (the file opens offline), plotly's own template.
"""
from __future__ import annotations

import csv
import html
import io
import time
from typing import Any

import plotly.graph_objects as go

from rnnkit.analysis import class_figures
from rnnkit.analysis.class_results import ClassResult
from rnnkit.analysis.figures import translator
from rnnkit.core.metrics import metric_title
from rnnkit.runs.folder import RunError

SETTING_SECTIONS = ("model", "train")
LEFT_OUT_SETTINGS = {"task.data_dir", "train.num_threads"}  # paths, and what the queue decides per machine


# ----------------------------------------------------------------------------------------------- CSV
def settings_of(run: Any) -> dict[str, Any]:
    """The run's settings as flat columns (task.NAME, model.NAME, train.NAME), leaving out paths."""
    try:
        document = run.config().to_dict()
    except RunError:
        return {}
    flat: dict[str, Any] = {"task": document["task"]["name"], "preset": document.get("preset") or ""}
    for name, value in (document["task"].get("options") or {}).items():
        flat[f"task.{name}"] = value
    for section in SETTING_SECTIONS:
        for name, value in document[section].items():
            flat[f"{section}.{name}"] = value
    return {key: value for key, value in flat.items()
            if key not in LEFT_OUT_SETTINGS and isinstance(value, (bool, int, float, str, type(None)))
            and not (isinstance(value, str) and ("/" in value or "\\" in value))}


def class_csv(result: ClassResult, names: bool = False) -> str:
    """One row per student × run: who (name, or "student N" without `names`), the architecture, seed,
    state, epochs, the best-epoch validation and the test score of the assignment's metric, the run id and
    every setting. Runs that failed or were stopped are rows too, with their state and no test score."""
    rows = []
    for row in sorted(result.rows, key=lambda row: (result.number(row.student), row.architecture, row.seed or 0)):
        who = row.student if names and row.student else f"student {result.number(row.student)}"
        rows.append({"student": who, "assignment": result.assignment_id, "architecture": row.architecture,
                     "seed": row.seed, "state": row.state, "epochs": row.epochs,
                     f"best validation {result.metric}": row.validation, f"test {result.metric}": row.test,
                     "run_id": row.run.run_id, **settings_of(row.run)})
    columns: list[str] = []
    for row in rows:
        columns += [column for column in row if column not in columns]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns or ["student"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return text.getvalue()


def _cell(value: Any) -> Any:
    """A cell a spreadsheet shows as written: text that starts like a formula gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


# ---------------------------------------------------------------------------------------------- HTML
def _table(frame) -> str:
    return frame.astype(object).where(frame.notna(), "–").to_html(index=False, escape=True, border=0,
                                                                  classes="table")


def class_html(assignment: Any, result: ClassResult, names: bool = False, language: str = "en") -> str:
    """The class's result as one HTML document that opens offline, in `language`; students numbered
    unless `names`."""
    _ = translator(language)
    title = str(getattr(assignment, "title", "") or result.assignment_id)
    made = _("rnnkit class report, {date}").format(date=time.strftime("%Y-%m-%d %H:%M"))
    facts = [(_("task"), getattr(assignment, "task", "")), (_("preset"), getattr(assignment, "preset", "")),
             (_("architectures"), ", ".join(result.architectures)),
             (_("seeds per student"), getattr(assignment, "seeds", "")),
             (_("students"), len(result.students)), (_("metric"), _(metric_title(result.metric)))]
    sections = [f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(made)}</p>", "<ul>" + "".join(
        f"<li>{html.escape(str(name))}: {html.escape(str(value))}</li>" for name, value in facts) + "</ul>",
        "<h2>" + html.escape(_("Over students")) + "</h2>", _table(class_figures.summary_frame(result, language))]
    sections.append("<h3>" + html.escape(_("Verdict, paired by student")) + "</h3>")
    sections.append(f"<p>{html.escape(pairing_text(language))}</p>")
    sections.append("<ul>" + "".join(f"<li>{html.escape(line)}</li>"
                                     for line in class_figures.verdict_lines(result, language)) + "</ul>")
    sections.extend(f"<p>{html.escape(line)}</p>" for line in class_figures.notes(result, language))
    frame = class_figures.student_frame(result, None, names, language)
    drawn: list[go.Figure] = [class_figures.strip_figure(frame, result, language=language)]
    sections.append("<!--figure 0-->")
    if result.flow:
        drawn.append(class_figures.flow_figure(result, language=language))
        sections.append("<!--figure 1-->")
    sections += ["<h2>" + html.escape(_("Every student")) + "</h2>",
                 _table(class_figures.student_table(result, None, names, language))]
    body = "\n".join(sections)
    for index, item in enumerate(drawn):
        item.update_layout(template="plotly")  # as html_report: not streamlit's template where a page imported it
        body = body.replace(f"<!--figure {index}-->", item.to_html(
            full_html=False, include_plotlyjs="inline" if index == 0 else False, default_height="420px"))
    return ("<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;margin:2em;max-width:1200px}}"
            ".table{border-collapse:collapse}.table td,.table th{padding:4px 10px;border-bottom:1px solid #ddd}"
            f"</style></head><body>{body}</body></html>")


def pairing_text(language: str = "en") -> str:
    """Why the verdict is paired by student, and how to read 'seeds' in its sentences."""
    _ = translator(language)
    return _("Each student trained every architecture with the same seed and data order, so each student is one "
             "pair, as a seed is on Compare: in the sentences below, \"seeds\" counts students. Several "
             "architectures are corrected together with Holm's method.")
