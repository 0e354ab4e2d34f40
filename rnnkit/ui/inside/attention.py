"""Inside view *Attention*: the Transformer's attention weights, which earlier tokens each position reads
(in place of a recurrent network's gate heatmaps)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from rnnkit.analysis.attention import attention_figure, attention_maps, has_attention
from rnnkit.model.cells import get_cell
from rnnkit.ui.i18n import _, language
from rnnkit.ui.inside.common import Chosen, choose_input, explain
from rnnkit.ui.style import projector

NEEDS_MODEL = True


def title() -> str:
    return _("Attention")


def show(chosen: Chosen, key: str) -> None:
    predictor = chosen.predictor
    if not has_attention(predictor.model):
        st.info(_("This model is a recurrent network: it has no attention weights. It carries what it read in "
                  "its state; the gate view shows it. Pick a Transformer run to see attention."))
        return
    explain(_("one row per position of the input: how much it reads each step (each row sums to 1); a "
              "language model reads only earlier steps, so the upper right stays empty."),
            _("bright cells far left of the diagonal: the model looks far back, in one step, where a recurrent "
              "network must carry the information through every step in between."))
    model_input = choose_input(predictor, key)
    if model_input is None:
        return
    maps = attention_maps(predictor.model, model_input.inputs, model_input.lengths)
    cell = get_cell(predictor.config.model.arch)
    st.latex(cell.latex)
    columns = st.columns(2)
    layer = columns[0].selectbox(_("layer"), list(range(1, len(maps) + 1)), key=f"{key}_layer") - 1
    heads = maps[layer].shape[0]
    head = columns[1].selectbox(_("head"), list(range(heads + 1)), key=f"{key}_head",
                                format_func=lambda h: _("mean of the heads") if h == 0 else str(h))
    weights = maps[layer].mean(axis=0) if head == 0 else maps[layer][head - 1]
    st.plotly_chart(attention_figure(weights, model_input.steps, language=language(), projector=projector()),
                    key=f"{key}_map")
    reach = np.abs(np.arange(len(weights))[:, None] - np.arange(len(weights))[None, :])
    st.caption(_("Mean distance between a position and the steps it reads: {distance:.1f} steps (weighted by "
                 "attention, over all positions).").format(distance=float((weights * reach).sum(axis=1).mean())))
