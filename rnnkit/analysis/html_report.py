"""A comparison as one HTML file: the runs table, the curves, and where they apply the seeds view
with its verdicts, the sweep view, calibration and confusion matrices. Plotly's JavaScript is
inlined once, so the file opens offline; every text from a run folder is HTML-escaped.

From Compare (*Prepare an HTML report*, in the session's language) and `python -m rnnkit report
GROUP_OR_RUN --html FILE` (English). No streamlit on this path: it works where streamlit is not installed.
The seeds' table and verdict sentences live here too; Compare's seeds view shows the same words.
"""
from __future__ import annotations

import html
import time

import pandas as pd
import plotly.graph_objects as go

from rnnkit.analysis import figures, matching, seeds
from rnnkit.analysis.figure_set import figure_set, job_of, monitor_of
from rnnkit.analysis.figures import FRACTION_METRICS, translator
from rnnkit.analysis.power import LIMIT
from rnnkit.analysis.robust_html import across_tasks_html, evp_html, robust_html
from rnnkit.analysis.run_text import format_score, result_line, runs_table_text
from rnnkit.analysis.stats import Verdict
from rnnkit.analysis.sweep import seed_mean_frame, sweep_frame
from rnnkit.analysis.vocabulary import perplexity_note, vocabularies
from rnnkit.core.metrics import higher_is_better, metric_title
from rnnkit.model.jobs import get_job
from rnnkit.runs.store import Run, RunError


# ------------------------------------------------------------------------------ which sections apply
def is_sweep(runs: list[Run]) -> bool:
    """Whether these runs hold a grid of settings (a group of kind sweep)."""
    kinds = set()
    for run in runs:
        try:
            kinds.add(run.config().kind)
        except RunError:
            continue
    return "sweep" in kinds


def has_seeds(runs: list[Run]) -> bool:
    """Whether some variant among these runs was trained with several seeds."""
    return any(len(members) > 1 for members in seeds.variants(runs).values())


# ------------------------------------------------------------------------------ the seeds, in words
def count_text(values) -> list[str]:
    """Counts as the tables show them: '20,362', or '–' for none (one type per column, as Arrow wants)."""
    return [f"{int(value):,}" if isinstance(value, (int, float)) and not pd.isna(value) else "–" for value in values]


def points(metric: str, value: float, language: str = "en") -> str:
    """A difference as the class reads it: '1.8 points' for fractions, '0.12' for errors."""
    _ = translator(language)
    if metric in FRACTION_METRICS:
        return _("{value} points").format(value=f"{abs(value) * 100:.1f}")
    return f"{abs(value):.3g}"


def verdict_sentence(verdict: Verdict, metric: str, language: str = "en") -> str:
    """One sentence per pair of variants, computed from the verdict, never written by hand. One wording for
    every spread (exact ties, equal and near-equal gaps go through the same floored t-test)."""
    _ = translator(language)
    if verdict.seeds < 2:
        return _("{a} vs {b}: one seed cannot tell; start the comparison with 3 or more seeds.").format(
            a=verdict.a, b=verdict.b)
    interval = _interval_of_difference(metric, verdict.low, verdict.high, language)
    if verdict.pairs > 1:
        test = _("paired t-test, Holm-corrected over {pairs} pairs: adjusted {p}; {level} % interval {interval}")
    else:
        test = _("paired t-test {p}; {level} % interval {interval}")
    test = test.format(pairs=verdict.pairs, p=p_text(verdict.adjusted_p), level=level_text(verdict.confidence),
                       interval=interval)
    difference = points(metric, verdict.difference, language)
    words = {"a": verdict.a, "b": verdict.b, "metric": _(metric_title(metric)), "difference": difference,
             "seeds": verdict.seeds, "test": test}  # the split and which one was ahead (`a`), then the test
    if verdict.significant:
        return _("On the test split, {a} beats {b} on {metric} by {difference} over {seeds} seeds ({test}).").format(
            **words)
    if difference == points(metric, 0.0, language):
        text = _("On the test split, {a} and {b} scored the same {metric} on average; no significant difference at "
                 "{seeds} seeds ({test}).").format(**words)
    else:
        text = _("On the test split, {a} was ahead of {b} on {metric} by {difference}; no significant difference at "
                 "{seeds} seeds ({test}).").format(**words)
    if verdict.seeds_needed_observed is not None:
        text += " " + _("Seeds needed to show the measured {observed}: {needed}.").format(
            observed=difference, needed=_seeds_range(verdict.seeds_needed_observed, language))
    if verdict.seeds_needed is not None:
        text += " " + _("To detect {size}: {needed}.").format(
            size=points(metric, verdict.detectable, language), needed=_seeds_range(verdict.seeds_needed, language))
    return text


def seeds_note(verdict: Verdict, language: str = "en") -> str | None:
    """Which seeds a verdict paired, when the table's means also count seeds it left out; else None."""
    if not verdict.unpaired:
        return None
    _ = translator(language)
    left_out = "; ".join((_("seed {seeds} of {name}") if len(seeds) == 1 else _("seeds {seeds} of {name}")).format(
        seeds=", ".join(map(str, seeds)), name=name) for name, seeds in verdict.unpaired)
    return _("{a} vs {b}: the verdict pairs seeds {used}; the table also counts {left_out} (no partner).").format(
        a=verdict.a, b=verdict.b, used=", ".join(map(str, verdict.seed_ids)) or "–", left_out=left_out)


def p_text(p_value: float | None) -> str:
    """'p = 0.012', or 'p < 0.001' below 0.001 (the floor keeps p honest, but not to 1e-29)."""
    if p_value is None:
        return "p = –"
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.2g}"


def level_text(confidence: float) -> str:
    """A confidence level as a percentage: '95', '98.33'."""
    return f"{confidence * 100:.2f}".rstrip("0").rstrip(".")


def _interval_of_difference(metric: str, low: float | None, high: float | None, language: str) -> str:
    _ = translator(language)
    if metric in FRACTION_METRICS:
        return _("{low} to {high} points").format(low=_signed(metric, low), high=_signed(metric, high))
    return _("{low} to {high}").format(low=_signed(metric, low), high=_signed(metric, high))


def _seeds_range(needed, language: str) -> str:
    """A seeds range as text, e.g. '4 to 40 seeds (95 % range)'; 'more than 10,000' where it runs out."""
    _ = translator(language)
    low, high = (_("more than {limit}").format(limit=f"{LIMIT:,}") if count is None else str(count)
                 for count in needed)
    if low == high:
        return _("about {low} seeds").format(low=low)
    return _("{low} to {high} seeds (95 % range)").format(low=low, high=high)


def seed_table(groups: dict[str, list[Run]], metric: str, language: str = "en") -> pd.DataFrame:
    """Per variant: seeds finished, sizes, mean ± std and the 95 % interval of the best validation and
    the test score, as text."""
    _ = translator(language)
    frame = seeds.seed_table(groups, metric)
    title = _(metric_title(metric))
    shown = pd.DataFrame({
        _("model"): frame["model"], _("seeds finished"): frame["seeds"],
        _("hidden size"): count_text(frame["hidden size"]),
        _("recurrent + head parameters"): count_text(frame["recurrent + head parameters"]),
        _("parameters"): count_text(frame["parameters"]),
    })
    for split, name in (("validation", _("best validation {metric}")), ("test", _("test {metric}"))):
        shown[name.format(metric=title)] = [_mean_std(metric, mean, std) for mean, std
                                            in zip(frame[f"{split} mean"], frame[f"{split} std"])]
        shown[_("{column}, 95 % interval").format(column=name.format(metric=title))] = [
            _interval(metric, low, high) for low, high in zip(frame[f"{split} 95% low"], frame[f"{split} 95% high"])]
    return shown.astype(object).where(shown.notna(), "–")


def _signed(metric: str, value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 100:+.1f}" if metric in FRACTION_METRICS else f"{value:+.3g}"


def _mean_std(metric: str, mean, std) -> str:
    if mean is None or pd.isna(mean):
        return "–"
    if metric in FRACTION_METRICS:
        return f"{mean * 100:.1f} ± {std * 100:.1f} %"
    return f"{mean:.3g} ± {std:.2g}"


def _interval(metric: str, low, high) -> str:
    if low is None or pd.isna(low):
        return "–"
    if metric in FRACTION_METRICS:
        return f"{low * 100:.1f} – {high * 100:.1f} %"
    return f"{low:.3g} – {high:.3g}"


# ------------------------------------------------------------------------------------------ the file
def _heading(text: str, level: int = 2) -> str:
    return f"<h{level}>{html.escape(text)}</h{level}>"


def _table(frame) -> str:
    return frame.astype(object).where(frame.notna(), "–").to_html(index=False, escape=True, border=0,
                                                                  classes="table")


def html_report(runs: list[Run], title: str, language: str = "en") -> str:
    """The whole report as one HTML document, in `language`."""
    _ = translator(language)
    drawn: list[go.Figure] = []
    made = _("rnnkit report, {date}").format(date=time.strftime("%Y-%m-%d %H:%M"))
    runs_title = _("Runs")
    table = runs_table_text(runs, language)  # as the dashboard's runs table: percent, '–', states in words
    sizes = vocabularies(runs)
    if sizes and not table.empty:  # a perplexity is only read with its vocabulary
        table.insert(2, _("vocabulary"), [f"{sizes[run.run_id]:,}" if run.run_id in sizes else "–" for run in runs])
    sections: list[str] = [f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(made)}</p>",
                           f"<h2>{html.escape(runs_title)}</h2>", _table(table)]
    result = result_line(runs, language)  # the dashboard's line: the scores, then the winner or a tie
    if result:
        sections.append(f"<p class='result'>{html.escape(result)}</p>")

    def figure(item: go.Figure) -> None:
        drawn.append(item)
        sections.append(f"<!--figure {len(drawn) - 1}-->")

    drawn_by_name = figure_set(runs, language)  # the same figures as the dashboard and the Python API
    notes = matching.matching_notes(runs, language)
    if notes:
        sections.append(_heading(_("Equal parameter budgets"), 3) + "<ul>" + "".join(
            f"<li>{html.escape(note)}</li>" for note in notes) + "</ul>")
    vocabulary_note = perplexity_note(runs, language)  # perplexities over different vocabularies: no ranking
    if vocabulary_note:
        sections.append(f"<p><strong>{html.escape(vocabulary_note)}</strong></p>")
    figure(drawn_by_name["loss"])
    for metric in get_job(job_of(runs)).headline:
        if metric in drawn_by_name:
            figure(drawn_by_name[metric])
    if is_sweep(runs) and not vocabulary_note:
        frame = sweep_frame(runs)
        axes = [column for column in frame.columns if "." in column]
        metric = next((name for name in frame["monitor"] if name), "accuracy")
        sections.append(_heading(_("Sweep")))
        if axes:
            figure(figures.parallel_figure(frame, axes, metric, language=language))
        ranked, by_seeds = seed_mean_frame(frame)  # points with several seeds: ranked by their seed means
        if by_seeds:
            sections.append("<p>{}</p>".format(html.escape(_(
                "Several seeds per setting: each row is one setting, ranked by the mean of its seeds' best "
                "validation scores (not by its luckiest run); the test score is their mean, for the record."))))
        ranked = ranked.sort_values("best validation", ascending=not higher_is_better(metric), na_position="last")
        shown = ranked.drop(columns=["monitor"])
        for column in ("best validation", "validation std", "test"):  # as the dashboard's sweep table
            if column in shown:
                shown[column] = [format_score(metric, value) for value in shown[column]]
        sections.append(_table(shown))
        sections.append(evp_html(runs, language))
    if "over seeds" in drawn_by_name and not vocabulary_note:
        groups = seeds.variants(runs)
        metric = monitor_of(runs)
        sections.append(_heading(_("Over seeds")))
        figure(drawn_by_name["over seeds"])
        sections.append(_table(seed_table(groups, metric, language)))
        verdicts = seeds.seed_verdicts(groups, metric)
        sections.extend(f"<p>{html.escape(note)}</p>" for note in filter(None, (seeds_note(verdict, language)
                                                                               for verdict in verdicts)))
        sections.append(_heading(_("Verdict"), 3) + "<ul>" + "".join(
            f"<li>{html.escape(verdict_sentence(verdict, metric, language))}</li>" for verdict in verdicts) + "</ul>")
        sections.append(robust_html(runs, metric, language))
    if not vocabulary_note:
        sections.append(across_tasks_html(runs, language))
    if "gradient reach" in drawn_by_name:
        figure(drawn_by_name["gradient reach"])
    if "calibration" in drawn_by_name:
        sections.append(_heading(_("Calibration")))
        figure(drawn_by_name["calibration"])
    for name, item in drawn_by_name.items():
        if name.startswith("confusion "):
            figure(item)
    body = "\n".join(sections)
    for index, item in enumerate(drawn):
        # plotly's own template, wherever the report is made: a page of the dashboard has imported streamlit,
        # which makes its template (no automargin: the y-axis labels were cut off) plotly's default
        item.update_layout(template="plotly")
        body = body.replace(f"<!--figure {index}-->", item.to_html(
            full_html=False, include_plotlyjs="inline" if index == 0 else False, default_height="420px"))
    return ("<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;margin:2em;max-width:1200px}}"
            ".table{border-collapse:collapse}.table td,.table th{padding:4px 10px;border-bottom:1px solid #ddd}"
            ".result{background:#eef6ee;padding:8px 12px;border-radius:4px}"
            f"</style></head><body>{body}</body></html>")
