"""The figures as the dashboard draws them: those of `rnnkit.analysis.figures` (a comparison) and
`rnnkit.analysis.inside_figures` (one model), in the session's language and, in projector mode, larger.

The builders themselves know no streamlit (the HTML report and notebooks draw the same figures); this
module only hands them the session's two settings, so a page calls `charts.loss_figure(steps, epochs)`.
"""
from __future__ import annotations

import functools
from typing import Callable

import plotly.graph_objects as go

from rnnkit.analysis import figures, inside_figures
from rnnkit.ui.i18n import language
from rnnkit.ui.style import projector


def _in_session(builder: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
    """`builder` with the session's language and projector mode filled in."""
    @functools.wraps(builder)
    def draw(*args, **kwargs) -> go.Figure:
        return builder(*args, language=language(), projector=projector(), **kwargs)

    return draw


# a comparison of runs
loss_figure = _in_session(figures.loss_figure)
metric_figure = _in_session(figures.metric_figure)
confusion_figure = _in_session(figures.confusion_figure)
f1_bars = _in_session(figures.f1_bars)
reliability_figure = _in_session(figures.reliability_figure)
gradient_reach_figure = _in_session(figures.gradient_reach_figure)
band_figure = _in_session(figures.band_figure)
parallel_figure = _in_session(figures.parallel_figure)

# one model on one input (Inside, Playground)
gradient_flow_figure = _in_session(inside_figures.gradient_flow_figure)
gates_figure = _in_session(inside_figures.gates_figure)
memory_gate_figure = _in_session(inside_figures.memory_gate_figure)
trajectory_figure = _in_session(inside_figures.trajectory_figure)
coloured_text_figure = _in_session(inside_figures.coloured_text_figure)
attribution_bars = _in_session(inside_figures.attribution_bars)
feature_attribution_figure = _in_session(inside_figures.feature_attribution_figure)
forecast_figure = _in_session(inside_figures.forecast_figure)
probability_figure = _in_session(inside_figures.probability_figure)


def embedding_map_figure(tokens: list[str], points, title: str, highlight: set[str]) -> go.Figure:
    return inside_figures.embedding_map_figure(tokens, points, title, highlight, projector=projector())


def per_class_frame(per_class: dict, class_names: list[str]):
    return figures.per_class_frame(per_class, class_names, language=language())
