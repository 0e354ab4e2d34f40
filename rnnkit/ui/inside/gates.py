"""Inside view *Gates and states*: every gate and state per step x unit beside the cell's equations,
the mean memory gate per step, and the PCA path of h_t."""
from __future__ import annotations

import streamlit as st

from rnnkit.analysis import inside
from rnnkit.analysis.inside_figures import MAX_LABELS, gate_title
from rnnkit.model.cells import get_cell
from rnnkit.ui import charts
from rnnkit.ui.choices import relabel
from rnnkit.ui.i18n import _, language
from rnnkit.ui.inside.common import Chosen, choose_input, explain

NEEDS_MODEL = True
MAX_UNITS = 128  # units drawn per heatmap (the sort decides which)


def title() -> str:
    return _("Gates and states")


def show(chosen: Chosen, key: str) -> None:
    predictor = chosen.predictor
    if get_cell(predictor.config.model.arch).own_backbone:  # the Transformer
        st.info(_("A Transformer has no gates and no state carried from step to step: each position reads the "
                  "earlier ones directly. The attention view shows which."))
        return
    explain(_("every gate's activation and the states, one row per unit and one column per step (token); "
              "beside it the cell's equations."),
            _("a forget/update gate near 1 (yellow) keeps memory; units that switch at one token react to it; "
              "the path of h_t shows where the network's mind changes."))
    model_input = choose_input(predictor, key)
    if model_input is None:
        return
    traces = inside.trace(predictor.model, model_input.inputs, model_input.lengths)
    model = predictor.config.model
    columns = st.columns(4)
    relabel(f"{key}_direction", f"{key}_sort")  # after a language switch, their labels in the new language
    layer = columns[0].selectbox(_("layer"), list(range(1, model.num_layers + 1)), key=f"{key}_layer") - 1
    direction = 0
    if predictor.model.backbone.directions == 2:
        direction = columns[1].radio(_("direction"), [0, 1], horizontal=True, key=f"{key}_direction",
                                     format_func=lambda d: _("forward") if d == 0 else _("backward"))
    sort = columns[2].selectbox(_("sort units"), inside.SORTS, key=f"{key}_sort", format_func=lambda s: {
        "none": _("as they are"), "mean": _("by mean"), "variance": _("by variance"),
        "step": _("by correlation with a step")}[s])
    step = 0
    if sort == "step":
        step = columns[3].number_input(_("step"), 1, len(model_input.steps), 1, key=f"{key}_step") - 1
    traced = next(trace for trace in traces if trace.layer == layer and trace.direction == direction)
    reference = traced.values.get("h")
    order = inside.sort_units(reference, sort, step)
    units = reference.shape[1]
    if units > MAX_UNITS:
        st.caption(_("{units} units: the first {shown} in this order are drawn.").format(units=units, shown=MAX_UNITS))
    cell = get_cell(model.arch)
    st.markdown(f"**{cell.title}**")
    st.latex(cell.latex)
    if cell.memory_gate is None and cell.write_gate:  # minGRU: its update gate weighs the NEW value
        st.caption(_("In the {title} the {gate} weighs the new value: near 1 it overwrites the memory, near 0 it "
                     "keeps it.").format(title=cell.title, gate=gate_title(cell.write_gate, language())))
    st.plotly_chart(charts.gates_figure(traced.values, model_input.steps, order, MAX_UNITS, unbounded=cell.unbounded),
                    key=f"{key}_heatmap")
    if cell.memory_gate:
        st.plotly_chart(charts.memory_gate_figure([(cell.title, model.arch, cell.memory_gate,
                                                    traced.values[cell.memory_gate])], model_input.steps),
                        key=f"{key}_memory")
    points, explained = inside.trajectory(reference)
    st.plotly_chart(charts.trajectory_figure(points, model_input.steps, explained, model.arch), key=f"{key}_path")
    if len(model_input.steps) > MAX_LABELS:
        st.caption(_("Labelled: the first and the last token and those where h_t moved most; hover over a point "
                     "for the others."))
