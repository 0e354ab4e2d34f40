"""Plotly figures for the dashboard. Inputs are the frames of `rnnkit.analysis.reports`; colours are fixed per
architecture (declared by its cell class), so an LSTM is the same blue on every page.

Made to be read from the back of a classroom: every axis has a title, training lines are solid
enough to see, scores that are fractions (accuracy, macro-F1) are drawn as percentages on a fixed
0-100 % axis (so noise never looks like learning), classification charts carry the chance line, and
projector mode makes everything larger.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rnnkit.analysis.reports import arch_colour
from rnnkit.core.metrics import metric_title
from rnnkit.ui.i18n import _
from rnnkit.ui.safe import chart_text
from rnnkit.ui.style import projector

FRACTION_METRICS = ("accuracy", "macro_f1", "ece")  # shown as percentages (on a 0-100 % axis in charts)


def layout(height: int = 340, **extra) -> dict:
    """Shared layout; projector mode: taller, larger type."""
    big = projector()
    return {"margin": {"l": 10, "r": 10, "t": 48, "b": 10}, "height": height,
            "legend": {"orientation": "h", "yanchor": "top", "y": -0.3}, "font": {"size": 17 if big else 13},
            "uirevision": "keep", **extra}  # uirevision: live refreshes keep the user's zoom


def _width(base: float) -> float:
    return base * (1.8 if projector() else 1.0)


def loss_figure(steps: pd.DataFrame, epochs: pd.DataFrame) -> go.Figure:
    """Training loss at every logged step and validation loss per epoch (dotted, markers), per run."""
    figure = go.Figure()
    train, validation = _("train"), _("validation")
    for run, part in steps.groupby("run", sort=False):
        figure.add_scatter(x=part["epoch"], y=part["loss"], mode="lines", name=f"{part['label'].iloc[0]} {train}",
                           line={"color": arch_colour(part["arch"].iloc[0]), "width": _width(2)}, opacity=0.85,
                           legendgroup=run)
    if not epochs.empty and "val_loss" in epochs:
        for run, part in epochs.groupby("run", sort=False):
            figure.add_scatter(x=part["epoch"], y=part["val_loss"], mode="lines+markers", legendgroup=run,
                               name=f"{part['label'].iloc[0]} {validation}",
                               line={"color": arch_colour(part["arch"].iloc[0]), "width": _width(2.5), "dash": "dot"})
    # the axis starts at 0: a flat RNN loss of 2.30 ± 0.04 must look flat, not like learning
    figure.update_layout(title=_("loss"), xaxis_title=_("epoch"), yaxis_title=_("cross-entropy / MSE"),
                         yaxis_rangemode="tozero", **layout())
    return figure


def metric_figure(epochs: pd.DataFrame, metric: str, baselines: dict[str, dict[str, float]] | None = None,
                  chance: float | None = None) -> go.Figure:
    """Validation (solid) and training (dashed) `metric` per epoch, with baselines and chance as flat lines."""
    scale = 100.0 if metric in FRACTION_METRICS else 1.0
    train, validation = _("train"), _("validation")
    figure = go.Figure()
    for run, part in epochs.groupby("run", sort=False):
        colour, label = arch_colour(part["arch"].iloc[0]), part["label"].iloc[0]
        if f"val_{metric}" in part:
            figure.add_scatter(x=part["epoch"], y=part[f"val_{metric}"] * scale, mode="lines+markers", legendgroup=run,
                               name=f"{label} {validation}", line={"color": colour, "width": _width(3)})
        if f"train_{metric}" in part:
            figure.add_scatter(x=part["epoch"], y=part[f"train_{metric}"] * scale, mode="lines", legendgroup=run,
                               name=f"{label} {train}",
                               line={"color": colour, "width": _width(1.5), "dash": "dash"})
    lines = dict(baselines or {})
    if chance is not None and metric == "accuracy":
        lines[_("chance")] = {metric: chance}
    for name, values in lines.items():
        if metric in values:
            shown = f"{values[metric] * scale:.1f} %" if scale == 100 else f"{values[metric]:.2f}"
            figure.add_hline(y=values[metric] * scale, line_dash="dot", line_color="#888", line_width=_width(2),
                             annotation_text=f"{name}: {shown}", annotation_position="top left")
    title = metric_title(metric)
    axis = {"yaxis_range": [0, 101], "yaxis_ticksuffix": " %"} if scale == 100 else {}
    figure.update_layout(title=_("{metric} per epoch").format(metric=_(title)), xaxis_title=_("epoch"),
                         yaxis_title=_(title), xaxis_dtick=1, **layout(**axis))
    return figure


def confusion_figure(matrix: list[list[int]], class_names: list[str], normalise: bool, title: str) -> go.Figure:
    """Rows: true class, columns: predicted class; normalised rows show recall per class. Every class
    is labelled on both axes."""
    values = np.asarray(matrix, dtype=float)
    if normalise:
        values = values / np.maximum(values.sum(axis=1, keepdims=True), 1)
    text = [[f"{v:.2f}" if normalise else f"{int(v)}" for v in row] for row in values]
    class_names = [chart_text(name) for name in class_names]  # from a user's file: never markup
    figure = go.Figure(go.Heatmap(z=values, x=class_names, y=class_names, colorscale="Blues", text=text,
                                  texttemplate="%{text}" if len(class_names) <= 12 else None, showscale=False))
    ticks = {"tickmode": "array", "tickvals": class_names, "ticktext": class_names, "type": "category"}
    figure.update_layout(title=title, xaxis_title=_("predicted"), yaxis_title=_("true"), xaxis=ticks,
                         yaxis={**ticks, "autorange": "reversed"},
                         **layout(height=380 + 14 * max(0, len(class_names) - 10)))
    return figure


def per_class_frame(per_class: dict, class_names: list[str]) -> pd.DataFrame:
    return pd.DataFrame({_("class"): class_names, _("precision"): per_class["precision"],
                         _("recall"): per_class["recall"], "F1": per_class["f1"], _("support"): per_class["support"]})


def f1_bars(rows: list[tuple[str, str, list[str], list[float]]]) -> go.Figure:
    """Grouped bars of per-class F1; rows are (label, arch, class names, F1 values)."""
    figure = go.Figure()
    for label, arch, names, values in rows:
        figure.add_bar(x=[chart_text(name) for name in names], y=[value * 100 for value in values], name=label,
                       marker_color=arch_colour(arch))
    figure.update_layout(title=_("per-class F1 (best epoch, validation)"), barmode="group", yaxis_title="F1",
                         **layout(yaxis_range=[0, 101], yaxis_ticksuffix=" %", xaxis_type="category"))
    return figure


def forecast_figure(history: list[float], prediction: list[float], actual: list[float],
                    baselines: dict[str, list[float]], steps_per_hour: int, start: str) -> go.Figure:
    """5 days in, then the next 2 days: model vs actual vs the baselines, in hours from the window start."""
    hours_in = np.arange(len(history)) / steps_per_hour
    hours_out = (len(history) + np.arange(len(prediction))) / steps_per_hour
    figure = go.Figure()
    figure.add_scatter(x=hours_in, y=history, name=_("last 5 days (input)"), line={"color": "#7f7f7f"})
    figure.add_scatter(x=hours_out, y=actual, name=_("actual"), line={"color": "#000000", "width": 2})
    figure.add_scatter(x=hours_out, y=prediction, name=_("model forecast"), line={"color": "#1f77b4", "width": 3})
    for (name, values), colour in zip(baselines.items(), ("#ff7f0e", "#2ca02c")):
        figure.add_scatter(x=hours_out, y=values, name=name, line={"color": colour, "dash": "dot"})
    figure.update_layout(title=_("temperature from {start}").format(start=start),
                         xaxis_title=_("hours from the window start"), yaxis_title="°C", **layout(height=380))
    return figure


def probability_figure(top: list[dict]) -> go.Figure:
    labels = [chart_text(row["label"]) for row in top][::-1]
    figure = go.Figure(go.Bar(x=[row["probability"] * 100 for row in top][::-1], y=labels,
                              orientation="h", marker_color="#1f77b4",
                              text=[f"{row['probability']:.1%}" for row in top][::-1]))
    figure.update_layout(xaxis_range=[0, 101], xaxis_ticksuffix=" %", xaxis_title=_("probability"),
                         **layout(height=90 + 40 * len(top)))
    return figure


def reliability_figure(rows: list[tuple[str, str, dict]]) -> go.Figure:
    """Reliability diagram: per run (label, arch, its test calibration) the accuracy of the predictions
    in each confidence bin against their mean confidence; on the diagonal a model is as sure as it is
    right, below it over-confident. The legend gives each run's expected calibration error."""
    figure = go.Figure()
    figure.add_scatter(x=[0, 100], y=[0, 100], mode="lines", name=_("perfectly calibrated"),
                       line={"color": "#888", "dash": "dot", "width": _width(1.5)})
    for label, arch, calibration in rows:
        filled = [index for index, count in enumerate(calibration["count"]) if count]
        figure.add_scatter(
            x=[calibration["confidence"][index] * 100 for index in filled],
            y=[calibration["accuracy"][index] * 100 for index in filled], mode="lines+markers",
            name=chart_text(_("{model}: ECE {ece}").format(model=label, ece=f"{calibration['ece'] * 100:.1f} %")),
            marker={"size": [max(5.0, min(18.0, 4 + calibration["count"][index] ** 0.5)) for index in filled]},
            line={"color": arch_colour(arch), "width": _width(2), "dash": "dash" if calibration.get("calibrated") else
                  "solid"})
    figure.update_layout(title=_("reliability on the test split"), xaxis_title=_("confidence (%)"),
                         yaxis_title=_("accuracy (%)"), **layout(xaxis_range=[0, 101], yaxis_range=[0, 101]))
    return figure


def gradient_reach_figure(rows: list[tuple[str, str, dict]]) -> go.Figure:
    """Per run (label, arch, its latest probe record): ||dL/dh_t|| against the distance from the last
    step, both axes logarithmic. A line that falls off a cliff is a gradient that vanishes."""
    figure = go.Figure()
    for label, arch, probe in rows:
        pairs = [(distance + 1, norm) for distance, norm in zip(probe["distance"], probe["h"]) if norm > 0]
        if not pairs:
            continue
        figure.add_scatter(x=[pair[0] for pair in pairs], y=[pair[1] for pair in pairs], mode="lines+markers",
                           name=chart_text(_("{model}, epoch {epoch}").format(model=label, epoch=probe["epoch"])),
                           line={"color": arch_colour(arch), "width": _width(2.5)})
    figure.update_layout(title=_("how far back the gradient reaches: ||dL/dh|| per step back"),
                         xaxis_title=_("steps back from the last step (1 = the last)"), xaxis_type="log",
                         yaxis_title="||dL/dh||", yaxis_type="log", yaxis_exponentformat="power", **layout())
    return figure
