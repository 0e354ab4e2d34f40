"""Plotly figures of the robust comparisons (`rnnkit.analysis.robust`, `robust_tasks`, `robust_evp`): P(X > Y)
with intervals, IQM bars with intervals, performance profiles, the critical-difference diagram and the
expected-validation curve of a sweep. As `rnnkit.analysis.figures`: a `language` argument, every name from
a run folder through `chart_text`, architectures in their own colours, fractions drawn as percentages.
No streamlit: the dashboard (rnnkit/ui/robust.py) and the HTML report draw the same figures.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from rnnkit.analysis.figures import FRACTION_METRICS, chart_text, layout, line_width, translator
from rnnkit.analysis.frames import arch_colour
from rnnkit.analysis.robust import Improvement
from rnnkit.analysis.robust_evp import ExpectedValidation
from rnnkit.analysis.robust_tasks import CriticalDifference
from rnnkit.core.metrics import metric_title


def improvement_figure(found: list[Improvement], *, language: str = "en", projector: bool = False) -> go.Figure:
    """One row per pair: P(a > b) as a dot with its 95 % interval; the line at 0.5 is "no difference"."""
    _ = translator(language)
    labels = [chart_text(f"P({item.a} > {item.b})") for item in found]
    figure = go.Figure(go.Scatter(
        x=[item.probability for item in found], y=labels, mode="markers",
        marker={"size": 14 if projector else 10, "color": "#1f77b4"},
        error_x={"type": "data", "symmetric": False, "array": [item.high - item.probability for item in found],
                 "arrayminus": [item.probability - item.low for item in found], "thickness": line_width(2, projector)},
        hovertemplate="%{y}: %{x:.2f}<extra></extra>", showlegend=False))
    figure.add_vline(x=0.5, line_dash="dot", line_color="#888", annotation_text=_("no difference"),
                     annotation_position="bottom left")
    figure.update_layout(title=_("Probability of improvement, with 95 % intervals"), xaxis_range=[0, 1.02],
                         xaxis_title=_("P(X > Y) over seeds"), yaxis_autorange="reversed",
                         **layout(height=max(220, 90 + 45 * len(found)), projector=projector))
    return figure


def iqm_figure(intervals: dict[str, tuple[float, float, float]], arches: dict[str, str], tasks: int, *,
               language: str = "en", projector: bool = False) -> go.Figure:
    """Per architecture: the IQM of its normalised test scores over all tasks, with its 95 % interval."""
    _ = translator(language)
    figure = go.Figure()
    for label, (value, low, high) in intervals.items():
        figure.add_bar(x=[value * 100], y=[chart_text(label)], orientation="h", name=chart_text(label),
                       marker_color=arch_colour(arches.get(label, "")), showlegend=False,
                       error_x={"type": "data", "symmetric": False, "array": [(high - value) * 100],
                                "arrayminus": [(value - low) * 100], "thickness": line_width(2, projector)},
                       hovertemplate="%{y}: %{x:.1f} %<extra></extra>")
    figure.update_layout(title=_("IQM over {tasks} tasks, with 95 % stratified bootstrap intervals").format(
                             tasks=tasks),
                         xaxis_title=_("interquartile mean of the test scores"), xaxis_range=[0, 101],
                         xaxis_ticksuffix=" %", **layout(height=max(220, 90 + 50 * len(intervals)),
                                                         projector=projector))
    return figure


def profile_figure(taus: np.ndarray, profiles: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
                   arches: dict[str, str], *, language: str = "en", projector: bool = False) -> go.Figure:
    """Per architecture: the share of its runs (over all tasks) scoring above each threshold, with its band."""
    _ = translator(language)
    figure = go.Figure()
    x = list(taus * 100)
    for label, (profile, low, high) in profiles.items():
        colour = arch_colour(arches.get(label, ""))
        figure.add_scatter(x=x + x[::-1], y=list(high) + list(low)[::-1], fill="toself", fillcolor=colour,
                           opacity=0.2, line={"width": 0}, hoverinfo="skip", showlegend=False, legendgroup=label)
        figure.add_scatter(x=x, y=list(profile), mode="lines", name=chart_text(label), legendgroup=label,
                           line={"color": colour, "width": line_width(3, projector)})
    figure.update_layout(title=_("Performance profiles: share of runs scoring above a threshold"),
                         xaxis_title=_("threshold τ on the test score"), xaxis_ticksuffix=" %",
                         yaxis_title=_("share of runs above τ"), yaxis_range=[0, 1.02],
                         **layout(projector=projector))
    return figure


def cd_figure(result: CriticalDifference, arches: dict[str, str], *, language: str = "en",
              projector: bool = False) -> go.Figure:
    """Demšar's critical-difference diagram: the mean-rank axis (1 = best, on the right), each architecture
    hanging from its mean rank, and a thick bar over each group whose mean ranks differ by less than the CD."""
    _ = translator(language)
    count = len(result.names)
    figure = go.Figure()
    for index, (label, rank) in enumerate(zip(result.names, result.mean_ranks)):
        depth = -(index + 1)
        colour = arch_colour(arches.get(label, ""))
        figure.add_scatter(x=[rank, rank], y=[0, depth], mode="lines", line={"color": colour, "width": 1.5},
                           hoverinfo="skip", showlegend=False)
        figure.add_scatter(x=[rank], y=[depth], mode="markers+text", text=[chart_text(f"{label} ({rank:.2f})")],
                           textposition="middle left" if rank <= (count + 1) / 2 else "middle right",
                           marker={"color": colour, "size": 12 if projector else 9}, showlegend=False,
                           hovertemplate=chart_text(label) + ": %{x:.3f}<extra></extra>")
    for number, group in enumerate(result.groups):  # the bars: no significant difference inside
        ranks = [result.mean_ranks[result.names.index(label)] for label in group]
        figure.add_scatter(x=[min(ranks) - 0.03, max(ranks) + 0.03], y=[-0.35 - 0.2 * number] * 2, mode="lines",
                           line={"color": "#222", "width": line_width(5, projector)}, hoverinfo="skip",
                           showlegend=False)
    top = 0.6
    figure.add_scatter(x=[1, 1 + result.critical_difference], y=[top, top], mode="lines+markers",
                       line={"color": "#d62728", "width": line_width(3, projector)}, marker={"symbol": "line-ns-open"},
                       hoverinfo="skip", showlegend=False)
    figure.add_annotation(x=1 + result.critical_difference / 2, y=top, yshift=14, showarrow=False,
                          text=chart_text(f"CD = {result.critical_difference:.2f}"))
    figure.update_layout(
        title=_("Critical difference diagram: mean rank over {tasks} tasks (Nemenyi, α = {alpha})").format(
            tasks=result.tasks, alpha=result.alpha),
        xaxis={"range": [max(count, 1 + result.critical_difference) + 0.5, 0.5], "dtick": 1, "side": "top",
               "title": _("mean rank (1 = best)"), "zeroline": False},
        yaxis={"visible": False, "range": [-(count + 0.8), top + 0.5]},
        **{**layout(height=max(300, 180 + 45 * count), projector=projector),
           "margin": {"l": 10, "r": 10, "t": 110, "b": 10}})  # room for the title above the rank axis
    return figure


def evp_figure(curve: ExpectedValidation, *, language: str = "en", projector: bool = False) -> go.Figure:
    """The expected best validation score after n trials with a ± 1 std band, the band clipped to the
    measured scores (the best of n trials can be neither better than the best one nor worse than the worst)."""
    _ = translator(language)
    scale = 100.0 if curve.metric in FRACTION_METRICS else 1.0
    mean, std = np.asarray(curve.mean) * scale, np.asarray(curve.std) * scale
    lowest, highest = min(curve.scores) * scale, max(curve.scores) * scale
    trials = list(curve.trials)
    figure = go.Figure()
    upper, lower = np.clip(mean + std, lowest, highest), np.clip(mean - std, lowest, highest)
    figure.add_scatter(x=trials + trials[::-1], y=list(upper) + list(lower)[::-1], fill="toself",
                       fillcolor="#1f77b4", opacity=0.2, line={"width": 0}, hoverinfo="skip", name=_("± 1 std"))
    figure.add_scatter(x=trials, y=list(mean), mode="lines+markers", name=_("expected best"),
                       line={"color": "#1f77b4", "width": line_width(3, projector)})
    title = _(metric_title(curve.metric))
    axis = {"yaxis_ticksuffix": " %"} if scale == 100 else {}
    figure.update_layout(title=_("Expected validation performance: best {metric} after n trials").format(
                             metric=title),
                         xaxis_title=_("trials n (runs of the sweep)"),
                         yaxis_title=_("expected best validation {metric}").format(metric=title),
                         xaxis_dtick=1 if len(trials) <= 20 else None, **layout(projector=projector, **axis))
    return figure
