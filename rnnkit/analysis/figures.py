"""Plotly figures of a comparison: loss and metric curves, confusion matrices, per-class F1, calibration,
gradient reach, the seeds' bands and the sweep's parallel coordinates. Inputs are the frames of
`rnnkit.analysis.reports`; colours are fixed per architecture (declared by its cell class), so an LSTM is the
same blue on every page and in every report.

Made to be read from the back of a classroom: every axis has a title, training lines are solid enough to
see, scores that are fractions (accuracy, macro-F1) are drawn as percentages on a fixed 0-100 % axis (so noise
never looks like learning), classification charts carry the chance line (1/classes) and the majority-class
line (always answering the commonest class: on an imbalanced task far higher), and `projector=True` makes
everything larger. No streamlit here: the dashboard (through rnnkit/ui/charts.py, with the session's
language and projector mode), the HTML report and notebooks draw the same figures. Every name from a run
folder or a user's file goes through `chart_text` (plotly renders a few HTML tags in labels).
"""
from __future__ import annotations

import functools
import html
from typing import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rnnkit.analysis import frames, reports
from rnnkit.analysis.frames import arch_colour
from rnnkit.analysis.log_axes import log_ticks
from rnnkit.core.display import neutralise_bidi
from rnnkit.core.i18n import translate
from rnnkit.core.metrics import higher_is_better, metric_title

FRACTION_METRICS = ("accuracy", "macro_f1", "ece")  # shown as percentages (on a 0-100 % axis in charts)


def translator(language: str) -> Callable[[str], str]:
    """The `_()` of one language: `_ = translator(language)`, then `_("loss")` (the catalog's extractor
    finds the literal)."""
    return functools.partial(translate, language=language)


def chart_text(text: object) -> str:
    """A label for a plotly chart: <, > and & escaped (plotly would render <a>, <b>, <br> ...), quotes left as
    they are (plotly shows an escaped quote literally as &quot;: there are no attributes to break out of), and
    bidirectional controls shown as escapes (they would reorder the label)."""
    return html.escape(neutralise_bidi(text), quote=False)


def layout(height: int = 340, projector: bool = False, **extra) -> dict:
    """Shared layout; projector mode: larger type. The margins are small, and the axes make room for their tick
    labels and titles themselves (automargin; not every plotly template switches it on: streamlit's does not)."""
    return {"margin": {"l": 10, "r": 10, "t": 48, "b": 10}, "height": height,
            "legend": {"orientation": "h", "yanchor": "top", "y": -0.3}, "font": {"size": 17 if projector else 13},
            "xaxis_automargin": True, "yaxis_automargin": True,
            "uirevision": "keep", **extra}  # uirevision: live refreshes keep the user's zoom


def line_width(base: float, projector: bool = False) -> float:
    return base * (1.8 if projector else 1.0)


def loss_figure(steps: pd.DataFrame, epochs: pd.DataFrame, *, language: str = "en",
                projector: bool = False) -> go.Figure:
    """Training loss at every logged step and validation loss per epoch (dotted, markers), per run."""
    _ = translator(language)
    figure = go.Figure()
    train, validation = _("train"), _("validation")
    for run, part in steps.groupby("run", sort=False):
        figure.add_scatter(x=part["epoch"], y=part["loss"], mode="lines", name=f"{part['label'].iloc[0]} {train}",
                           line={"color": arch_colour(part["arch"].iloc[0]), "width": line_width(2, projector)},
                           opacity=0.85, legendgroup=run)
    if not epochs.empty and "val_loss" in epochs:
        for run, part in epochs.groupby("run", sort=False):
            figure.add_scatter(x=part["epoch"], y=part["val_loss"], mode="lines+markers", legendgroup=run,
                               name=f"{part['label'].iloc[0]} {validation}",
                               line={"color": arch_colour(part["arch"].iloc[0]), "width": line_width(2.5, projector),
                                     "dash": "dot"})
    # the axis starts at 0: a flat RNN loss of 2.30 ± 0.04 must look flat, not like learning
    figure.update_layout(title=_("loss"), xaxis_title=_("epoch"), yaxis_title=_("cross-entropy / MSE"),
                         yaxis_rangemode="tozero", **layout(projector=projector))
    return figure


def metric_figure(epochs: pd.DataFrame, metric: str, baselines: dict[str, dict[str, float]] | None = None,
                  chance: float | None = None, *, language: str = "en", projector: bool = False) -> go.Figure:
    """Validation (solid) and training (dashed) `metric` per epoch, with the baselines (`reports.chart_baselines`:
    the forecasts' simple rules, a classifier's majority class on accuracy and macro-F1) and chance (accuracy)
    as flat dotted lines."""
    _ = translator(language)
    scale = 100.0 if metric in FRACTION_METRICS else 1.0
    train, validation = _("train"), _("validation")
    figure = go.Figure()
    for run, part in epochs.groupby("run", sort=False):
        colour, label = arch_colour(part["arch"].iloc[0]), part["label"].iloc[0]
        if f"val_{metric}" in part:
            figure.add_scatter(x=part["epoch"], y=part[f"val_{metric}"] * scale, mode="lines+markers", legendgroup=run,
                               name=f"{label} {validation}", line={"color": colour, "width": line_width(3, projector)})
        if f"train_{metric}" in part:
            figure.add_scatter(x=part["epoch"], y=part[f"train_{metric}"] * scale, mode="lines", legendgroup=run,
                               name=f"{label} {train}",
                               line={"color": colour, "width": line_width(1.5, projector), "dash": "dash"})
    lines = {baseline_name(name, language): values for name, values in (baselines or {}).items()}
    if chance is not None and metric == "accuracy":
        lines[_("chance (1/classes)")] = {metric: chance}
    drawn = [(name, values[metric]) for name, values in lines.items() if metric in values]
    # two lines close together (chance and a balanced task's majority class) get their labels on opposite sides
    for (name, value), position in zip(drawn, ("top left", "bottom right", "top right", "bottom left") * 4):
        shown = f"{value * scale:.1f} %" if scale == 100 else f"{value:.2f}"
        figure.add_hline(y=value * scale, line_dash="dot", line_color="#888", line_width=line_width(2, projector),
                         annotation_text=f"{chart_text(name)}: {shown}", annotation_position=position)
    title = metric_title(metric)
    axis = {"yaxis_range": [0, 101], "yaxis_ticksuffix": " %"} if scale == 100 else {}
    figure.update_layout(title=_("{metric} per epoch").format(metric=_(title)), xaxis_title=_("epoch"),
                         yaxis_title=_(title), xaxis_dtick=1, **layout(projector=projector, **axis))
    return figure


def baseline_name(name: str, language: str = "en") -> str:
    """A recorded baseline's name in `language` (the names are English keys of the start record)."""
    _ = translator(language)
    known = {reports.MAJORITY: _("majority class"), reports.MAJORITY_OF_TEST: _("majority class (test split)")}
    return known.get(name) or _(name)


def confusion_figure(matrix: list[list[int]], class_names: list[str], normalise: bool, title: str, *,
                     language: str = "en", projector: bool = False) -> go.Figure:
    """Rows: true class, columns: predicted class; normalised rows show recall per class. Every class
    is labelled on both axes; a colour bar gives the scale (with more than 12 classes the cells hold no numbers)."""
    _ = translator(language)
    values = np.asarray(matrix, dtype=float)
    if normalise:
        values = values / np.maximum(values.sum(axis=1, keepdims=True), 1)
    text = [[f"{v:.2f}" if normalise else f"{int(v)}" for v in row] for row in values]
    class_names = [chart_text(name) for name in class_names]  # from a user's file: never markup
    scale = {"title": {"text": _("recall") if normalise else _("examples")}, "thickness": 12}  # above 12 classes
    figure = go.Figure(go.Heatmap(z=values, x=class_names, y=class_names, colorscale="Blues", text=text,  # the bar
                                  texttemplate="%{text}" if len(class_names) <= 12 else None,  # is the only scale
                                  showscale=True, colorbar=scale))
    ticks = {"tickmode": "array", "tickvals": class_names, "ticktext": class_names, "type": "category"}
    figure.update_layout(title=title, xaxis_title=_("predicted"), yaxis_title=_("true"), xaxis=ticks,
                         yaxis={**ticks, "autorange": "reversed"},
                         **layout(height=380 + 14 * max(0, len(class_names) - 10), projector=projector))
    return figure


def per_class_frame(per_class: dict, class_names: list[str], *, language: str = "en") -> pd.DataFrame:
    """Precision, recall, F1 and support per class, as the table beside a confusion matrix."""
    _ = translator(language)
    return pd.DataFrame({_("class"): class_names, _("precision"): per_class["precision"],
                         _("recall"): per_class["recall"], "F1": per_class["f1"], _("support"): per_class["support"]})


def f1_bars(rows: list[tuple[str, str, list[str], list[float]]], *, language: str = "en",
            projector: bool = False) -> go.Figure:
    """Grouped bars of per-class F1; rows are (label, arch, class names, F1 values)."""
    _ = translator(language)
    figure = go.Figure()
    for label, arch, names, values in rows:
        figure.add_bar(x=[chart_text(name) for name in names], y=[value * 100 for value in values], name=label,
                       marker_color=arch_colour(arch))
    figure.update_layout(title=_("per-class F1 (best epoch, validation)"), barmode="group", yaxis_title="F1",
                         **layout(projector=projector, yaxis_range=[0, 101], yaxis_ticksuffix=" %",
                                  xaxis_type="category"))
    return figure


def reliability_figure(rows: list[tuple[str, str, dict]], *, language: str = "en",
                       projector: bool = False) -> go.Figure:
    """Reliability diagram: per run (label, arch, its test calibration) the accuracy of the predictions
    in each confidence bin against their mean confidence; on the diagonal a model is as sure as it is
    right, below it over-confident. The legend gives each run's expected calibration error."""
    _ = translator(language)
    figure = go.Figure()
    figure.add_scatter(x=[0, 100], y=[0, 100], mode="lines", name=_("perfectly calibrated"),
                       line={"color": "#888", "dash": "dot", "width": line_width(1.5, projector)})
    for label, arch, calibration in rows:
        filled = [index for index, count in enumerate(calibration["count"]) if count]
        figure.add_scatter(
            x=[calibration["confidence"][index] * 100 for index in filled],
            y=[calibration["accuracy"][index] * 100 for index in filled], mode="lines+markers",
            name=chart_text(_("{model}: ECE {ece}").format(model=label, ece=f"{calibration['ece'] * 100:.1f} %")),
            marker={"size": [max(5.0, min(18.0, 4 + calibration["count"][index] ** 0.5)) for index in filled]},
            line={"color": arch_colour(arch), "width": line_width(2, projector),
                  "dash": "dash" if calibration.get("calibrated") else "solid"})
    figure.update_layout(title=_("reliability on the test split"), xaxis_title=_("confidence (%)"),
                         yaxis_title=_("accuracy (%)"),
                         **layout(projector=projector, xaxis_range=[0, 101], yaxis_range=[0, 101]))
    return figure


def gradient_reach_figure(rows: list[tuple[str, str, dict]], *, language: str = "en",
                          projector: bool = False) -> go.Figure:
    """Per run (label, arch, its latest probe record): ||dL_b/dh_t|| against the distance from each
    sequence's own last step, both axes logarithmic. A line that falls off a cliff is a gradient that
    vanishes. A probe line without `"measure"` is the old batch mean (padded rows mixed in, scaled by
    1/batch): drawn dotted and named "old probe (padded rows mixed in)". Anything not a number is skipped."""
    _ = translator(language)
    figure = go.Figure()
    steps, norms = [], []
    for label, arch, probe in rows:
        pairs = [(distance + 1, norm) for distance, norm in zip(probe["distance"], probe["h"])
                 if isinstance(distance, int) and isinstance(norm, (int, float)) and norm > 0]
        if not pairs:
            continue
        steps += [pair[0] for pair in pairs]
        norms += [pair[1] for pair in pairs]
        old = probe.get("measure") is None
        name = _("{model}, epoch {epoch}").format(model=label, epoch=probe["epoch"])
        figure.add_scatter(x=[pair[0] for pair in pairs], y=[pair[1] for pair in pairs], mode="lines+markers",
                           name=chart_text(name + (_(" — old probe (padded rows mixed in)") if old else "")),
                           line={"color": arch_colour(arch), "width": line_width(2.5, projector),
                                 "dash": "dot" if old else "solid"})
    figure.update_layout(title=_("how far back the gradient reaches: ||dL/dh|| per step back"),
                         xaxis_title=_("steps back from each sequence's own last step (1 = the last)"),
                         xaxis_type="log", xaxis=log_ticks(steps), yaxis_title="||dL/dh||", yaxis_type="log",
                         yaxis=log_ticks(norms), **layout(projector=projector))
    return figure


def band_figure(groups: dict[str, list], metric: str, mean_only: bool, *, language: str = "en",
                projector: bool = False) -> go.Figure:
    """Validation `metric` per epoch over seeds: the mean with a ± 1 std band per variant (or, with
    `mean_only` off, every seed's curve thin beneath the mean). `groups`: variant -> its runs."""
    _ = translator(language)
    scale = 100.0 if metric in FRACTION_METRICS else 1.0
    figure = go.Figure()
    for name, members in groups.items():
        frame = frames.epoch_frame(members, language)
        column = f"val_{metric}"
        if frame.empty or column not in frame:
            continue
        colour = arch_colour(reports.arch_of(members[0]))
        by_epoch = frame.groupby("epoch")[column].agg(["mean", "std", "count"]).reset_index()
        by_epoch["std"] = by_epoch["std"].fillna(0.0)
        if mean_only:
            upper, lower = (by_epoch["mean"] + by_epoch["std"]) * scale, (by_epoch["mean"] - by_epoch["std"]) * scale
            figure.add_scatter(x=list(by_epoch["epoch"]) + list(by_epoch["epoch"])[::-1],
                               y=list(upper) + list(lower)[::-1], fill="toself", fillcolor=colour, opacity=0.2,
                               line={"width": 0}, hoverinfo="skip", showlegend=False, legendgroup=name)
        else:
            for _run_id, part in frame.groupby("run", sort=False):
                figure.add_scatter(x=part["epoch"], y=part[column] * scale, mode="lines", showlegend=False,
                                   line={"color": colour, "width": 1}, opacity=0.45, legendgroup=name,
                                   hoverinfo="skip")
        figure.add_scatter(x=by_epoch["epoch"], y=by_epoch["mean"] * scale, mode="lines+markers", legendgroup=name,
                           name=chart_text(_("{model}: mean of {count} seeds").format(
                               model=name, count=int(by_epoch["count"].max()))),
                           line={"color": colour, "width": line_width(3, projector)})
    title = _(metric_title(metric))
    axis = {"yaxis_range": [0, 101], "yaxis_ticksuffix": " %"} if scale == 100 else {}
    figure.update_layout(title=_("validation {metric} per epoch, mean ± std over seeds").format(metric=title),
                         xaxis_title=_("epoch"), yaxis_title=title, xaxis_dtick=1,
                         **layout(projector=projector, **axis))
    return figure


def parallel_figure(frame: pd.DataFrame, axes: list[str], metric: str, *, language: str = "en",
                    projector: bool = False) -> go.Figure:
    """A sweep as parallel coordinates: one line per run over the swept options (`axes`, columns of
    `rnnkit.analysis.sweep.sweep_frame`) and its best validation score."""
    _ = translator(language)
    scale = 100.0 if metric in FRACTION_METRICS else 1.0
    dimensions = []
    for axis in axes:
        values = frame[axis]
        if all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in values):
            dimensions.append({"label": axis, "values": list(values)})
        else:  # words and switches: one tick per value
            names = sorted({str(value) for value in values})
            dimensions.append({"label": axis, "values": [names.index(str(value)) for value in values],
                               "tickvals": list(range(len(names))), "ticktext": names})
    scores = [value * scale if value is not None and not pd.isna(value) else None for value in frame["best validation"]]
    dimensions.append({"label": _("best validation {metric}").format(metric=_(metric_title(metric))),
                       "values": [value if value is not None else 0 for value in scores]})
    figure = go.Figure(go.Parcoords(dimensions=dimensions, line={
        "color": [value if value is not None else 0 for value in scores], "colorscale": "Viridis",
        "showscale": True, "reversescale": not higher_is_better(metric)}))
    figure.update_layout(title=_("the sweep: drag along an axis to pick a range"),
                         **layout(height=460, projector=projector))
    figure.update_layout(margin={"l": 70, "r": 40, "t": 110, "b": 30}, title_y=0.97)  # axis names sit above
    return figure
