"""The memory-horizon figure: recall test accuracy against the sequence length T, one line per architecture
through the mean over seeds, each point with its 95 % t interval of the mean as an error bar
(`rnnkit.analysis.horizon.horizon_summary`). No streamlit: the language and projector mode are arguments
(the Inside view passes the session's).

    accuracy %
      100 ┤ ●──●──●──●──●──●   gated cells          ┬  95 % t interval of the mean over the seeds
          │   ╲                                     ●  mean
       10 ┤····●──●──●·······  chance (10 %)        ┴  (a point with one seed has no bar)
          └─┬──┬──┬──┬──┬──┬─ T (log)

An interval is cut at 0 and 100 % where the t interval reaches past them (said on the axis); the table
beside the figure gives the mean ± std and the seed count of every point.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from rnnkit.analysis.figures import layout, line_width, translator
from rnnkit.analysis.frames import arch_colour
from rnnkit.model.cells import get_cell

CHANCE = 0.10  # recall names one of 10 symbols


def horizon_figure(summary: pd.DataFrame, *, language: str = "en", projector: bool = False) -> go.Figure:
    """Mean test accuracy (%) against T per architecture, with 95 % t intervals over seeds as error bars."""
    _ = translator(language)
    figure = go.Figure()
    tested = summary[[not pd.isna(value) for value in summary["mean"]]]
    for arch, part in tested.groupby("arch", sort=False):
        part = part.sort_values("sequence_length")
        means = [float(value) * 100 for value in part["mean"]]
        highs = [None if pd.isna(high) else min(float(high) * 100, 100.0) for high in part["high"]]
        lows = [None if pd.isna(low) else max(float(low) * 100, 0.0) for low in part["low"]]
        figure.add_scatter(
            x=part["sequence_length"], y=means, mode="lines+markers", name=get_cell(arch).title,
            line={"color": arch_colour(arch), "width": line_width(3, projector)}, marker={"size": 10},
            customdata=list(zip(part["seeds"], [_percent(value) for value in part["std"]])),
            hovertemplate=_("T = %{x}: %{y:.1f} % ± %{customdata[1]} (std), %{customdata[0]} seed(s)"),
            error_y={"type": "data", "symmetric": False, "thickness": line_width(1.5, projector), "width": 6,
                     "array": [0.0 if high is None else high - mean for high, mean in zip(highs, means)],
                     "arrayminus": [0.0 if low is None else mean - low for low, mean in zip(lows, means)]})
    figure.add_hline(y=CHANCE * 100, line_dash="dot", line_color="#7f7f7f", annotation_text=_("chance (10 %)"))
    figure.update_layout(title=_("where memory ends: recall accuracy against the sequence length T"),
                         xaxis_title=_("sequence length T (steps to remember over)"), xaxis_type="log",
                         yaxis_title=_("test accuracy (%): mean over seeds, bars: 95 % t interval (within 0-100)"),
                         yaxis_range=[0, 105], **layout(440, projector=projector))
    return figure


def _percent(value) -> str:
    return "–" if pd.isna(value) else f"{float(value) * 100:.1f}"
