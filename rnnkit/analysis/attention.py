"""The Transformer's attention weights for one input, and their heatmap (the Inside page's *Attention*
view, in place of a recurrent network's gate heatmaps).

    attention_maps(model, inputs, lengths)   per block, (heads, steps, steps) of the first sequence: row t
                                             is how much position t reads each step s (each row sums to 1)
    attention_figure(weights, steps)         one heatmap, reading position down, read step across

Like inside_figures, no streamlit here: the figure gets the language and projector mode as arguments,
and every token goes through `chart_text`.
"""
from __future__ import annotations

import copy

import numpy as np
import plotly.graph_objects as go
import torch
from torch import Tensor

from rnnkit.analysis.figures import chart_text, layout, translator
from rnnkit.model.heads import SequenceModel


def has_attention(model: SequenceModel) -> bool:
    return hasattr(model.backbone, "attention_log")


@torch.no_grad()
def attention_maps(model: SequenceModel, inputs: Tensor, lengths: Tensor) -> list[np.ndarray]:
    """Every block's attention weights over the first sequence's real steps, (heads, steps, steps), in eval
    mode on a copy of the backbone (the model itself, perhaps shared by a cache, is never changed)."""
    if not has_attention(model):
        raise ValueError("only the Transformer has attention weights; a recurrent network's inside is in the "
                         "gate view")
    backbone = copy.deepcopy(model.backbone).eval()
    backbone.attention_log = []
    steps = int(lengths[0])
    backbone(model.embed(inputs[:1]), lengths[:1])
    return [weights[0, :, :steps, :steps].double().cpu().numpy() for weights in backbone.attention_log]


def attention_figure(weights: np.ndarray, steps: list[str], *, language: str = "en",
                     projector: bool = False) -> go.Figure:
    """(steps, steps) weights: row t (the reading position, down) over the steps s it reads (across)."""
    _ = translator(language)
    labels = [chart_text(step) for step in steps]
    positions = list(range(1, len(steps) + 1))
    figure = go.Figure(go.Heatmap(
        z=np.round(weights, 3), x=positions, y=positions, zmin=0, zmax=float(max(weights.max(), 1e-9)),
        colorscale="Viridis", customdata=[[[labels[row], labels[column]] for column in range(len(steps))]
                                          for row in range(len(steps))],
        hovertemplate=_("step %{y} (%{customdata[0]}) reads step %{x} (%{customdata[1]}): %{z}") + "<extra></extra>",
        colorbar={"title": {"text": _("weight")}}))
    tick_every = max(1, len(steps) // 30)
    ticks = {"tickmode": "array", "tickvals": positions[::tick_every], "ticktext": labels[::tick_every]}
    figure.update_layout(title=_("attention: which earlier steps each position reads"),
                         xaxis={"title": _("step read"), **ticks},
                         yaxis={"title": _("reading position"), "autorange": "reversed", **ticks},
                         **layout(min(700, 260 + 14 * len(steps)), projector=projector))
    return figure
