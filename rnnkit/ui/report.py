"""A comparison as one HTML file: the runs table, the curves, and where they apply the seeds view
with its verdicts, the sweep view, calibration and confusion matrices. Plotly's JavaScript is
inlined once, so the file opens offline; every text from a run folder is HTML-escaped.

From Compare (*Prepare an HTML report*) and `python -m rnnkit report GROUP_OR_RUN --html FILE`.
"""
from __future__ import annotations

import html
import time

import plotly.graph_objects as go

from rnnkit.analysis import reports
from rnnkit.analysis.sweep import sweep_frame
from rnnkit.model.jobs import get_job
from rnnkit.runs.store import Run
from rnnkit.ui import charts
from rnnkit.ui.i18n import _


def _heading(text: str, level: int = 2) -> str:
    return f"<h{level}>{html.escape(text)}</h{level}>"


def _table(frame) -> str:
    return frame.astype(object).where(frame.notna(), "–").to_html(index=False, escape=True, border=0,
                                                                  classes="table")


def html_report(runs: list[Run], title: str) -> str:
    """The whole report as one HTML document."""
    from rnnkit.ui import seeds as seeds_view
    from rnnkit.ui import sweep as sweep_view

    figures: list[go.Figure] = []
    made = _("rnnkit report, {date}").format(date=time.strftime("%Y-%m-%d %H:%M"))
    runs_title = _("Runs")
    sections: list[str] = [f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(made)}</p>",
                           f"<h2>{html.escape(runs_title)}</h2>", _table(reports.comparison_table(runs))]

    def figure(item: go.Figure) -> None:
        figures.append(item)
        sections.append(f"<!--figure {len(figures) - 1}-->")

    epochs = reports.epoch_frame(runs)
    figure(charts.loss_figure(reports.step_frame(runs), epochs))
    starts = [run.metrics("start") for run in runs]
    job = next((records[-1]["spec"]["job"] for records in starts if records), "classify")
    if not epochs.empty:
        for metric in get_job(job).headline:
            figure(charts.metric_figure(epochs, metric, reports.baselines(runs[0]), reports.chance_accuracy(runs[0])))
    if sweep_view.is_sweep(runs):
        frame = sweep_frame(runs)
        axes = [column for column in frame.columns if "." in column]
        metric = next((name for name in frame["monitor"] if name), "accuracy")
        sections.append(_heading(_("Sweep")))
        if axes:
            figure(sweep_view.parallel_figure(frame, axes, metric))
        sections.append(_table(frame.drop(columns=["monitor"])))
    if seeds_view.has_seeds(runs):
        groups = reports.variants(runs)
        metric = seeds_view.monitor_of(runs)
        sections.append(_heading(_("Over seeds")))
        figure(seeds_view.band_figure(groups, metric, mean_only=True))
        sections.append(_table(seeds_view.seed_table(groups, metric)))
        sections.append(_heading(_("Verdict"), 3) + "<ul>" + "".join(
            f"<li>{html.escape(seeds_view.verdict_sentence(verdict, metric))}</li>"
            for verdict in reports.seed_verdicts(groups, metric)) + "</ul>")
    reliability = reports.reliability_rows(runs)
    if reliability:
        sections.append(_heading(_("Calibration")))
        figure(charts.reliability_figure(reliability))
    for run in runs:
        found = reports.confusion(run)
        if found:
            matrix, names, _per_class = found
            figure(charts.confusion_figure(matrix, names, True, _("{run}, best epoch, validation split").format(
                run=reports.run_label(run))))
    body = "\n".join(sections)
    for index, item in enumerate(figures):
        body = body.replace(f"<!--figure {index}-->", item.to_html(
            full_html=False, include_plotlyjs="inline" if index == 0 else False, default_height="420px"))
    return ("<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;margin:2em;max-width:1200px}}"
            ".table{border-collapse:collapse}.table td,.table th{padding:4px 10px;border-bottom:1px solid #ddd}"
            f"</style></head><body>{body}</body></html>")

