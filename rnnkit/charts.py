"""Plotly figures for the dashboard. Inputs are the frames of `rnnkit.reports`; colours are fixed per
architecture (declared by its cell class), so an LSTM is the same blue on every page."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rnnkit.metrics import metric_title
from rnnkit.reports import arch_colour

LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "height": 320, "legend": {"orientation": "h", "y": -0.2},
          "uirevision": "keep"}  # uirevision: live refreshes keep the user's zoom


def _colour(arch: str) -> str:
    return arch_colour(arch)


def loss_figure(steps: pd.DataFrame, epochs: pd.DataFrame) -> go.Figure:
    """Training loss at every logged step (thin) and validation loss per epoch (markers), per run."""
    figure = go.Figure()
    for run, part in steps.groupby("run", sort=False):
        figure.add_scatter(x=part["epoch"], y=part["loss"], mode="lines", name=f"{part['label'].iloc[0]} train",
                           line={"color": _colour(part["arch"].iloc[0]), "width": 1}, opacity=0.6, legendgroup=run)
    if not epochs.empty and "val_loss" in epochs:
        for run, part in epochs.groupby("run", sort=False):
            figure.add_scatter(x=part["epoch"], y=part["val_loss"], mode="lines+markers", legendgroup=run,
                               name=f"{part['label'].iloc[0]} validation",
                               line={"color": _colour(part["arch"].iloc[0]), "width": 2, "dash": "dot"})
    figure.update_layout(title="loss", xaxis_title="epoch", **LAYOUT)
    return figure


def metric_figure(epochs: pd.DataFrame, metric: str, baselines: dict[str, dict[str, float]] | None = None) -> go.Figure:
    """Validation (solid) and training (dashed) `metric` per epoch, with baselines as flat lines."""
    figure = go.Figure()
    for run, part in epochs.groupby("run", sort=False):
        colour, label = _colour(part["arch"].iloc[0]), part["label"].iloc[0]
        if f"val_{metric}" in part:
            figure.add_scatter(x=part["epoch"], y=part[f"val_{metric}"], mode="lines+markers", legendgroup=run,
                               name=f"{label} validation", line={"color": colour, "width": 2})
        if f"train_{metric}" in part:
            figure.add_scatter(x=part["epoch"], y=part[f"train_{metric}"], mode="lines", legendgroup=run,
                               name=f"{label} train", line={"color": colour, "width": 1, "dash": "dash"})
    for name, values in (baselines or {}).items():
        if metric in values:
            figure.add_hline(y=values[metric], line_dash="dot", line_color="#444",
                             annotation_text=f"{name}: {values[metric]:.2f}", annotation_position="top left")
    figure.update_layout(title=f"{metric_title(metric)} per epoch", xaxis_title="epoch", **LAYOUT)
    return figure


def confusion_figure(matrix: list[list[int]], class_names: list[str], normalise: bool, title: str = "") -> go.Figure:
    """Rows: true class, columns: predicted class; normalised rows show recall per class."""
    values = np.asarray(matrix, dtype=float)
    if normalise:
        values = values / np.maximum(values.sum(axis=1, keepdims=True), 1)
    text = [[f"{v:.2f}" if normalise else f"{int(v)}" for v in row] for row in values]
    figure = go.Figure(go.Heatmap(z=values, x=class_names, y=class_names, colorscale="Blues", text=text,
                                  texttemplate="%{text}" if len(class_names) <= 12 else None, showscale=False))
    figure.update_layout(title=title or "confusion matrix (validation)", xaxis_title="predicted", yaxis_title="true",
                         yaxis_autorange="reversed", **{**LAYOUT, "height": 360 + 12 * max(0, len(class_names) - 10)})
    return figure


def per_class_frame(per_class: dict, class_names: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"class": class_names, "precision": per_class["precision"], "recall": per_class["recall"],
                         "F1": per_class["f1"], "support": per_class["support"]})


def f1_bars(rows: list[tuple[str, str, list[str], list[float]]]) -> go.Figure:
    """Grouped bars of per-class F1; rows are (label, arch, class names, F1 values)."""
    figure = go.Figure()
    for label, arch, names, values in rows:
        figure.add_bar(x=names, y=values, name=label, marker_color=_colour(arch))
    figure.update_layout(title="per-class F1 (best epoch, validation)", barmode="group", yaxis_range=[0, 1], **LAYOUT)
    return figure


def forecast_figure(history: list[float], prediction: list[float], actual: list[float],
                    baselines: dict[str, list[float]], steps_per_hour: int, start: str) -> go.Figure:
    """5 days in, then the next 2 days: model vs actual vs the baselines, in hours from the window start."""
    hours_in = np.arange(len(history)) / steps_per_hour
    hours_out = (len(history) + np.arange(len(prediction))) / steps_per_hour
    figure = go.Figure()
    figure.add_scatter(x=hours_in, y=history, name="last 5 days (input)", line={"color": "#7f7f7f"})
    figure.add_scatter(x=hours_out, y=actual, name="actual", line={"color": "#000000", "width": 2})
    figure.add_scatter(x=hours_out, y=prediction, name="model forecast", line={"color": "#1f77b4", "width": 3})
    for (name, values), colour in zip(baselines.items(), ("#ff7f0e", "#2ca02c")):
        figure.add_scatter(x=hours_out, y=values, name=name, line={"color": colour, "dash": "dot"})
    figure.update_layout(title=f"temperature from {start}", xaxis_title="hours from the window start",
                         yaxis_title="°C", **{**LAYOUT, "height": 380})
    return figure


def probability_figure(top: list[dict]) -> go.Figure:
    figure = go.Figure(go.Bar(x=[row["probability"] for row in top][::-1], y=[row["label"] for row in top][::-1],
                              orientation="h", marker_color="#1f77b4",
                              text=[f"{row['probability']:.1%}" for row in top][::-1]))
    figure.update_layout(xaxis_range=[0, 1], **{**LAYOUT, "height": 60 + 40 * len(top)})
    return figure
