"""Inside view *Gradient flow*: ||dL/dh_t|| per step for several models on the same input (a batch of
examples: each with its own loss, counted from its own last step), and the gradient probe each run logged
per epoch while it trained (old probes, from before the per-sequence measure, dotted and named so)."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from rnnkit.analysis import inside
from rnnkit.analysis.reports import run_label
from rnnkit.data import inputs
from rnnkit.runs.store import Run, RunStore
from rnnkit.ui import charts, safe
from rnnkit.ui.i18n import _, language
from rnnkit.ui.inside.common import Chosen, default_text, explain
from rnnkit.ui.labels import unique_labels
from rnnkit.ui.models import available_models, predictor_of

NEEDS_MODEL = True
GRADIENT_EXAMPLES = 16  # examples in the shared gradient batch


def title() -> str:
    return _("Gradient flow")


def show(chosen: Chosen, key: str) -> None:
    path, predictor = chosen.path, chosen.predictor
    explain(_("how strongly the loss at the end reacts to the hidden state at each step t (||dL/dh_t||, log "
              "scale), for each chosen model on the same input."),
            _("a line that falls by many powers of ten towards step 1 is a vanishing gradient: that model cannot "
              "learn from the early steps. The RNN's falls; the LSTM's (dashed: its cell state c) and GRU's stay up."))
    models = [model for model in available_models(chosen.stores) if model.task == predictor.task.name]
    labels = unique_labels({model.path: model.label for model in models})
    if st.session_state.get(f"{key}_models_of") != path:  # another model picked above: its group again
        st.session_state[f"{key}_models_of"] = path
        st.session_state[f"{key}_models"] = [model.path for model in models if _same_experiment(model.path, path)]
    st.session_state[f"{key}_models"] = [picked for picked in st.session_state[f"{key}_models"] if picked in labels]
    picked = st.multiselect(_("Models (default: the chosen model's group, same task settings)"), list(labels),
                            format_func=labels.get, key=f"{key}_models")
    every_layer = st.toggle(_("every layer (stacked models)"), key=f"{key}_layers")
    number, text = 0, default_text(predictor)
    if hasattr(predictor.task, "examples"):
        last = max(inputs.example_count(predictor) - 1, 0)
        number = int(st.number_input(_("first example of the batch"), 0, last, 0, key=f"{key}_example"))
    else:
        text = st.text_input(_("Input"), value=text, max_chars=5000, key=f"{key}_text_{predictor.task.name}")
    lines, probes, mixed, examples = [], [], False, 1
    for model_path in picked:
        other = predictor_of(model_path)
        if other is None:
            continue
        try:
            if hasattr(other.task, "examples"):
                model_input = inputs.read_example(other, number, min(GRADIENT_EXAMPLES, inputs.example_count(other)))
            else:
                model_input = inputs.read_text(other, text)
            flow = inside.input_gradient_flow(other.model, other.job, model_input.inputs, model_input.lengths,
                                              model_input.targets)
        except ValueError as error:  # this model cannot read the input: say so, draw the others
            safe.error(f"{_short_label(model_path)}: {error}")
            continue
        arch, directions = other.config.model.arch, other.model.backbone.directions
        examples = max(examples, len(model_input.lengths))
        mixed = mixed or int(model_input.lengths.min()) != int(model_input.lengths.max())
        label = _short_label(model_path)
        layers = range(0, len(flow), directions) if every_layer else [len(flow) - directions]
        for index in layers:
            suffix = _(" layer {layer}").format(layer=index // directions + 1) if every_layer else ""
            for name, norms in flow[index].items():
                lines.append((f"{label}{suffix} ({name})", arch, name, norms))
        run = _run_of(model_path)
        probes.extend((label, arch, probe) for probe in (run.metrics("probe")[-1:] if run else []))
    if not lines:
        return
    st.plotly_chart(charts.gradient_flow_figure(lines, _("gradient reaching each step: ||dL/dh_t||"), from_last=mixed),
                    key=f"{key}_flow")
    if examples > 1:
        st.caption(_("The mean over {count} examples, each with its own loss and counted from its own last step; "
                     "padding is never averaged in.").format(count=examples))
    if probes:
        st.caption(_("Logged during training (the latest epoch of each run), on its own validation probe:"))
        st.plotly_chart(charts.gradient_reach_figure(probes), key=f"{key}_logged")
        if any(probe.get("measure") is None for _label, _arch, probe in probes):
            st.caption(_("Dotted: an old probe, logged before gradients were measured per sequence. It mixed "
                         "padded rows into a batch mean (divided by the batch size): read only its shape, and "
                         "compare it only with other old probes."))


def _run_of(path: str) -> Run | None:
    """The run whose best.pt `path` is (None if the folder is not a run any more)."""
    folder = Path(path).parent
    try:
        return RunStore(folder.parent).get(folder.name)
    except ValueError:
        return None


def _same_experiment(path: str, chosen: str) -> bool:
    """Whether the model at `path` belongs with the chosen one by default: the same group and the same
    task settings (a horizon group holds six sequence lengths; one is compared at a time)."""
    if path == chosen:
        return True
    run, other = _run_of(path), _run_of(chosen)
    try:
        first, second = run.config(), other.config()
    except (AttributeError, ValueError):
        return False
    return bool(first.group) and first.group == second.group and first.task == second.task


def _short_label(path: str) -> str:
    """'lstm · 9ee8' (architecture and the end of the run id), for legends."""
    run = _run_of(path)
    return f"{run_label(run, language())} · {run.run_id[-4:]}" if run else Path(path).parent.name
