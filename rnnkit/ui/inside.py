"""Inside page widgets: one view at a time (only the chosen one computes), each with a two-line
explanation for students.

    gradients     ||dL/dh_t|| per step for several runs on the same input, and the logged probe per epoch
    gates         every gate and state per step x unit, the cell's equations, the mean memory gate, the
                  PCA path of h_t
    attributions  integrated gradients: which tokens (or input days and features) moved the output
    embeddings    nearest neighbours and a PCA map of the learned vectors, before and after training
    horizon       the memory-horizon experiment: one click, then accuracy against T

Models come from the Playground's picker (your runs, the demos); a student sees only their own runs.
Everything a user typed is shown as text or escaped chart labels, never as markdown.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from rnnkit.analysis import inside
from rnnkit.analysis.inference import Predictor
from rnnkit.data import inputs
from rnnkit.model.cells import get_cell
from rnnkit.ui import charts, safe
from rnnkit.ui import inside_charts as figures
from rnnkit.ui.i18n import _
from rnnkit.ui.live import unique_labels
from rnnkit.ui.playground import available_models, load_predictor

VIEWS = ("gradients", "gates", "attributions", "embeddings", "horizon")
MAX_UNITS = 128  # units drawn per heatmap (the sort decides which)
GRADIENT_EXAMPLES = 16  # examples in the shared gradient batch
REFRESH_SECONDS = 5  # the horizon results refresh while the group trains


def view_title(view: str) -> str:
    return {"gradients": _("Gradient flow"), "gates": _("Gates and states"), "attributions": _("Which inputs mattered"),
            "embeddings": _("Embeddings"), "horizon": _("Memory horizon")}[view]


def predictor_of(path: str) -> Predictor | None:
    try:
        return load_predictor(path, Path(path).stat().st_mtime)
    except (ValueError, OSError) as error:
        safe.error(_("This model cannot be loaded: {error}").format(error=error))
        return None


def default_text(predictor: Predictor) -> str:
    if predictor.spec.job == "language_model":
        return "床前明月光，疑是地上霜。"
    return predictor.task.example_input


def choose_input(predictor: Predictor, key: str) -> inputs.ModelInput | None:
    """The input widget the task takes (typed text, or an example number); None after a shown error."""
    try:
        if hasattr(predictor.task, "examples"):
            number = st.number_input(_("example number (fresh examples, not seen in training)"), 0,
                                     inputs.example_count(predictor) - 1, 0, key=f"{key}_example")
            model_input = inputs.read_example(predictor, int(number))
        else:
            text = st.text_input(_("Input"), value=default_text(predictor), max_chars=5000,
                                 key=f"{key}_text_{predictor.task.name}")
            model_input = inputs.read_text(predictor, text)
    except ValueError as error:
        safe.error(error)
        return None
    if model_input.unknown:
        st.caption(safe.plain(_("{count} token(s) are not in the model's vocabulary: they are read as <unk>").format(
            count=model_input.unknown)))
    if model_input.replaced:
        pairs = ", ".join(f"{source} → {target}" for source, target in model_input.replaced)
        st.caption(safe.plain(_("The model never saw some characters; they were read as: {pairs}").format(pairs=pairs)))
    return model_input


def explain(what: str, look_for: str) -> None:
    st.caption(_("What is plotted: {what}").format(what=what) + "  \n" + _("What to look for: {look}").format(
        look=look_for))


# ---------------------------------------------------------------------------------------- gradients
def gradients_view(path: str, predictor: Predictor, stores, key: str) -> None:
    explain(_("how strongly the loss at the end reacts to the hidden state at each step t (||dL/dh_t||, log "
              "scale), for each chosen model on the same input."),
            _("a line that falls by many powers of ten towards step 1 is a vanishing gradient: that model cannot "
              "learn from the early steps. The RNN's falls; the LSTM's (dashed: its cell state c) and GRU's stay up."))
    models = [model for model in available_models(stores) if model.task == predictor.task.name]
    labels = unique_labels({model.path: model.label for model in models})
    if st.session_state.get(f"{key}_models_of") != path:  # another model picked above: its group again
        st.session_state[f"{key}_models_of"] = path
        st.session_state[f"{key}_models"] = [model.path for model in models if _same_experiment(model.path, path)]
    st.session_state[f"{key}_models"] = [chosen for chosen in st.session_state[f"{key}_models"] if chosen in labels]
    chosen = st.multiselect(_("Models (default: the chosen model's group, same task settings)"), list(labels),
                            format_func=labels.get, key=f"{key}_models")
    every_layer = st.toggle(_("every layer (stacked models)"), key=f"{key}_layers")
    number, text = 0, default_text(predictor)
    if hasattr(predictor.task, "examples"):
        last = max(inputs.example_count(predictor) - 1, 0)
        number = int(st.number_input(_("first example of the batch"), 0, last, 0, key=f"{key}_example"))
    else:
        text = st.text_input(_("Input"), value=text, max_chars=5000, key=f"{key}_text_{predictor.task.name}")
    lines, probes = [], []
    for model_path in chosen:
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
    st.plotly_chart(figures.gradient_flow_figure(lines, _("gradient reaching each step: ||dL/dh_t||")),
                    key=f"{key}_flow")
    if probes:
        st.caption(_("Logged during training (the latest epoch of each run), on its own validation probe:"))
        st.plotly_chart(charts.gradient_reach_figure(probes), key=f"{key}_logged")


def _run_of(path: str):
    """The run whose best.pt `path` is (None if the folder is not a run any more)."""
    from rnnkit.runs.store import RunStore

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
    from rnnkit.analysis.reports import run_label

    run = _run_of(path)
    return f"{run_label(run)} · {run.run_id[-4:]}" if run else Path(path).parent.name


# -------------------------------------------------------------------------------- gates and states
def gates_view(predictor: Predictor, key: str) -> None:
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
    chosen = next(trace for trace in traces if trace.layer == layer and trace.direction == direction)
    reference = chosen.values.get("h")
    order = inside.sort_units(reference, sort, step)
    units = reference.shape[1]
    if units > MAX_UNITS:
        st.caption(_("{units} units: the first {shown} in this order are drawn.").format(units=units, shown=MAX_UNITS))
    cell = get_cell(model.arch)
    st.markdown(f"**{cell.title}**")
    st.latex(cell.latex)
    st.plotly_chart(figures.gates_figure(chosen.values, model_input.steps, order, MAX_UNITS), key=f"{key}_heatmap")
    if cell.memory_gate:
        st.plotly_chart(figures.memory_gate_figure([(cell.title, model.arch, cell.memory_gate,
                                                     chosen.values[cell.memory_gate])], model_input.steps),
                        key=f"{key}_memory")
    points, explained = inside.trajectory(reference)
    st.plotly_chart(figures.trajectory_figure(points, model_input.steps, explained, model.arch), key=f"{key}_path")


# ------------------------------------------------------------------------------------ attributions
def attributions_view(predictor: Predictor, key: str) -> None:
    if predictor.spec.job == "language_model":
        st.info(_("Attributions are shown for classifiers and forecasts; the poem model writes text."))
        return
    explain(_("integrated gradients: how much each input step (token) pushed the chosen output up (red) or "
              "down (blue), measured from an empty input; the scores add up to the output's change."),
            _("the few tokens that carry the decision, e.g. 'superb' for a positive review or the first step "
              "of a recall sequence."))
    model_input = choose_input(predictor, key)
    if model_input is None:
        return
    spec = predictor.spec
    target = hour = None
    if spec.job == "classify":
        with_prediction = predictor.describe(predictor.outputs(model_input.inputs[:1], model_input.lengths[:1]))[0]
        names = list(spec.class_names)
        target = st.selectbox(_("explain the score of class (default: the prediction)"), list(range(len(names))),
                              index=names.index(with_prediction["label"]), format_func=lambda i: names[i],
                              key=f"{key}_class")
    elif spec.output_size > 1:
        which = st.radio(_("explain"), ["mean", "hour"], horizontal=True, key=f"{key}_which",
                         format_func=lambda w: _("the mean forecast") if w == "mean" else _("one forecast step"))
        if which == "hour":
            hour = st.slider(_("forecast step"), 1, spec.output_size, 1, key=f"{key}_hour") - 1
    show_attributions(predictor, model_input, key, target=target, hour=hour)


def show_attributions(predictor: Predictor, model_input: inputs.ModelInput, key: str, target: int | None = None,
                      hour: int | None = None) -> None:
    """Integrated gradients of one output, drawn: coloured tokens and a bar per token, or for number
    inputs a step x feature map with bars per step (per day for weather) and per feature. Used by the
    Inside page and the Playground."""
    from rnnkit.analysis.attribution import attribute, per_group

    spec = predictor.spec
    with st.spinner(_("integrating gradients ...")):
        try:
            result = attribute(predictor, model_input, target=target, hour=hour)
        except ValueError as error:
            safe.error(error)
            return
    if spec.job == "classify":
        what = _("the score of class {name}").format(name=spec.class_names[target if target is not None else int(
            predictor.outputs(model_input.inputs[:1], model_input.lengths[:1]).argmax(-1)[0])])
    else:
        what = _("the mean forecast") if hour is None else _("forecast step {step}").format(step=hour + 1)
    st.caption(safe.plain(_("Explained: {what}; output {output:.3f}, for an empty input {baseline:.3f}; the scores "
                            "sum to the difference within {error:.1%}.").format(
        what=what, output=result.output, baseline=result.baseline_output, error=result.relative_error)))
    if spec.input_kind == "tokens":
        st.plotly_chart(figures.coloured_text_figure(model_input.steps, result.scores), key=f"{key}_text")
        st.plotly_chart(figures.attribution_bars(model_input.steps, result.scores, _("attribution per token"),
                                                 _("step (token)")), key=f"{key}_bars")
        return
    st.plotly_chart(figures.feature_attribution_figure(result.scores, model_input.steps, model_input.features),
                    key=f"{key}_features")
    st.plotly_chart(figures.attribution_bars(model_input.steps, result.per_step, _("attribution per input step"),
                                             _("input step")), key=f"{key}_steps")
    per_day = int(round(24 * float(predictor.artifacts.get("steps_per_hour", 0)))) or 0
    if per_day and len(model_input.steps) > per_day:
        days = per_group(result.scores, per_day)
        st.plotly_chart(figures.attribution_bars([_("day {day}").format(day=d + 1) for d in range(len(days))], days,
                                                 _("attribution per input day"), _("input day")), key=f"{key}_days")
    totals = result.scores.sum(axis=0)
    st.plotly_chart(figures.attribution_bars(model_input.features, totals, _("attribution per feature"),
                                             _("feature")), key=f"{key}_totals")


# -------------------------------------------------------------------------------------- embeddings
def embeddings_view(path: str, predictor: Predictor, key: str) -> None:
    from rnnkit.analysis.embeddings import MAP_TOKENS, Embedding, embedding_start
    from rnnkit.training.checkpoint import load_checkpoint

    if predictor.spec.input_kind != "tokens":
        st.info(_("This task reads numbers, not tokens: it has no embedding."))
        return
    explain(_("each word or character is a vector; the map shows them on their two main directions (PCA), "
              "the table the closest ones by cosine similarity, before and after training."),
            _("after training, words that play the same role (e.g. 'great' and 'excellent') move together; "
              "before training the neighbours are random."))
    tokens = list(predictor.artifacts["vocabulary"])
    after = Embedding.of_model(predictor.model, tokens)
    start = embedding_start(Path(path).parent, load_checkpoint(path))
    before = Embedding(tokens, start) if start is not None else None
    left, right = st.columns([2, 1])
    first = after.most_moved(before) if before is not None else _first_word(after)
    query = left.text_input(_("Look up a word or character (first: the one training moved most)"), value=first,
                            max_chars=50, key=f"{key}_query_{Path(path).parent.name}")
    most = min(1000, len(tokens))
    count = most
    if most > 20:  # a slider needs a range: tiny vocabularies are drawn whole
        count = right.slider(_("tokens on the map"), 20, most, min(MAP_TOKENS, most), key=f"{key}_count")
    try:
        found = after.neighbours(query, 10)
    except ValueError as error:
        safe.error(error)
        found = []
    columns = st.columns(2)
    for column, (title, embedding) in zip(columns, ((_("before training"), before), (_("after training"), after))):
        with column:
            st.markdown(f"**{title}**")
            if embedding is None:
                st.caption(_("This run started from word2vec vectors that were not stored with it."))
                continue
            if found:
                rows = embedding.neighbours(query, 10)
                st.dataframe({_("neighbour"): [token for token, _score in rows],
                              _("cosine"): [round(score, 3) for _token, score in rows]}, hide_index=True,
                             key=f"{key}_table_{title}")
            word = after.tokens[after.index_of(query)] if found else ""  # as the vocabulary spells it
            shown, points = embedding.map(count, include=(word,) if found else ())
            highlight = {word, *(token for token, _score in found)} if found else set()
            st.plotly_chart(figures.embedding_map_figure(shown, points, title, highlight), key=f"{key}_map_{title}")


def _first_word(embedding) -> str:
    from rnnkit.analysis.embeddings import is_special

    return next((token for token in embedding.tokens[20:] if not is_special(token)), "")


# -------------------------------------------------------------------------------------- horizon
def horizon_view(store, key: str) -> None:
    from rnnkit.analysis.horizon import ARCHITECTURES, LENGTHS, horizon_configs, horizon_groups, horizon_table
    from rnnkit.runs.queue import QueueFull
    from rnnkit.ui.launch import queue_full_message

    explain(_("recall accuracy on the test set against the sequence length T: the network sees a symbol at "
              "step 1 and must name it after T steps of noise."),
            _("where each line drops to chance (10 %) its memory ends: the RNN's within a few dozen steps, the "
              "LSTM's and GRU's beyond 150."))
    st.caption(_("One group: recall at T = {lengths} for {archs}; about 1-2 minutes on two cores.").format(
        lengths=", ".join(map(str, LENGTHS)), archs=", ".join(get_cell(arch).title for arch in ARCHITECTURES)))
    if st.button(_("Run the memory-horizon experiment"), type="primary", key=f"{key}_start"):
        try:
            store.start(horizon_configs())
        except QueueFull as error:
            safe.error(queue_full_message(error))
        except ValueError as error:
            safe.error(error)
    groups = horizon_groups(store)
    if store.user is not None:  # classroom mode: your own experiment first (Compare shows the class's)
        own = [group for group in groups if any(run.owner() == store.user.name for run in store.runs(group=group))]
        groups = own or groups
    if not groups:
        st.info(_("No memory-horizon experiment yet: start one with the button."))
        return
    running = any(run.is_active() for run in store.runs(group=groups[0]))

    @st.fragment(run_every=REFRESH_SECONDS if running else None)
    def results() -> None:
        runs = store.runs(group=groups[0])
        table = horizon_table(runs)
        finished = int(table["test_accuracy"].notna().sum())
        st.caption(_("Latest experiment: {done} of {total} runs tested.").format(done=finished, total=len(table)))
        st.plotly_chart(figures.horizon_figure(table), key=f"{key}_figure")
        pivot = table.pivot(index="sequence_length", columns="arch", values="test_accuracy") * 100
        pivot.index.name = _("sequence length T")
        pivot.columns = [get_cell(arch).title for arch in pivot.columns]
        st.dataframe(pivot.round(1), key=f"{key}_table")
        if running and not any(run.is_active() for run in runs):
            st.rerun()  # the group has ended (finished, stopped or failed): stop refreshing

    results()


def show(view: str, path: str | None, stores, store, key: str = "inside") -> None:
    if view == "horizon":
        horizon_view(store, f"{key}_horizon")
        return
    predictor = predictor_of(path)
    if predictor is None:
        return
    if view == "gradients":
        gradients_view(path, predictor, stores, f"{key}_gradients")
    elif view == "gates":
        gates_view(predictor, f"{key}_gates")
    elif view == "attributions":
        attributions_view(predictor, f"{key}_attributions")
    elif view == "embeddings":
        embeddings_view(path, predictor, f"{key}_embeddings")

