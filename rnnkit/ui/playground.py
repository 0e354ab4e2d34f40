"""Playground widgets: try a trained model on your own input, one section per kind of input.
A task says which kind it takes (`Task.playground`: text, name, forecast, poem, sequence), so a new
task appears here without a change to this file.

Pick a task first; the model defaults to your best finished run of that task (by its test score),
else the task's shipped demo. Every input goes through the task's own encoder (same tokeniser, same
vocabulary as in training); what it refuses (empty text, the wrong script, unknown characters, too
long) comes back as a ValueError whose message is shown as plain text, and what it had to replace
(ř -> r, 风 -> 風) is said. User text and generated text are shown as text, never as markdown.
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import streamlit as st
import torch

from rnnkit.analysis import reports
from rnnkit.analysis.inference import Predictor
from rnnkit.core.metrics import higher_is_better, metric_title
from rnnkit.data.tasks import get_task, task_names
from rnnkit.data.tasks.poems import DEFAULT_TEMPERATURE, as_lines, check_poem, line_lengths
from rnnkit.runs.access import may_change
from rnnkit.runs.store import RunStore
from rnnkit.ui import charts, safe
from rnnkit.ui.i18n import _
from rnnkit.ui.live import format_score, unique_labels


class Model(NamedTuple):
    path: str  # best.pt
    task: str
    label: str  # for the picker
    score: float | None  # test score of the task's selection metric (None: not tested yet)
    demo: bool


def available_models(stores: list[tuple[str, RunStore]]) -> list[Model]:
    """Every run with a best.pt (your runs first, then the shipped demos). In classroom mode a student
    tries only their own models (a model carries what it was trained on: vocabulary, class names)."""
    models = []
    for origin, store in stores:
        for run in store.runs():
            if not run.best_path.exists():
                continue
            if origin != "demo" and not may_change(store.user, run.owner()):
                continue
            try:
                summary = reports.run_summary(run)
            except ValueError:
                continue
            if "task" not in summary:
                continue
            score = summary["test"].get(summary["monitor"]) if summary["monitor"] else None
            where = _("demo") if origin == "demo" else _("your run")
            label = f"{where}: {reports.run_label(run)} · {run.run_id}"
            if score is not None:
                label += " · " + _("test {metric} {value}").format(metric=_(metric_title(summary["monitor"])),
                                                                   value=format_score(summary["monitor"], score))
            models.append(Model(str(run.best_path), summary["task"], label, score, origin == "demo"))
    return models


def default_model(models: list[Model]) -> Model:
    """The best finished run of the task by its test score, else the task's demo, else the first."""
    task = get_task(models[0].task)
    better = higher_is_better(task.selection_metric)
    tested = [model for model in models if model.score is not None and not model.demo]
    if tested:
        return sorted(tested, key=lambda model: model.score, reverse=better)[0]
    demos = [model for model in models if model.demo]
    return (demos or models)[0]


def pick_model(stores: list[tuple[str, RunStore]], prefix: str = "play") -> str | None:
    """Task, then model widgets (keys `<prefix>_task`, `<prefix>_model`); returns the chosen best.pt path
    (None when nothing is trained)."""
    models = available_models(stores)
    tasks = [name for name in task_names() if any(model.task == name for model in models)]
    if not tasks:
        return None
    task_key, model_key = f"{prefix}_task", f"{prefix}_model"
    if st.session_state.get(task_key) not in tasks:  # first visit: the task of your latest run, else the first
        st.session_state[task_key] = next((model.task for model in models if not model.demo), tasks[0])
    task = st.selectbox(_("Task"), tasks, format_func=lambda name: _(get_task(name).title), key=task_key)
    of_task = [model for model in models if model.task == task]
    paths = [model.path for model in of_task]
    if st.session_state.get(model_key) not in paths:
        st.session_state[model_key] = default_model(of_task).path
    labels = unique_labels({model.path: model.label for model in of_task})
    return st.selectbox(_("Model (default: your best finished run, else the demo)"), paths, format_func=labels.get,
                        key=model_key)


@st.cache_resource(max_entries=6)
def load_predictor(path: str, modified: float) -> Predictor:
    """Cached per file and modification time, so a newer best.pt is picked up."""
    return Predictor.from_file(path)


def show(path: str) -> None:
    try:
        predictor = load_predictor(path, Path(path).stat().st_mtime)
    except (ValueError, OSError) as error:  # a broken best.pt: say so, and keep the page working
        safe.error(_("This model cannot be loaded: {error}").format(error=error))
        return
    test = predictor.test_metrics
    if test:
        shown = " · ".join(_(metric_title(k)) + " " + format_score(k, v) for k, v in test.items()
                           if isinstance(v, float) and k != "loss")
        st.caption(_("Measured on the test split: {scores}").format(scores=shown))
    section = SECTIONS.get(predictor.task.playground)
    if section is None:
        st.info(_("This task has no playground; evaluate it with `python -m rnnkit eval`."))
        return
    section(predictor)


def _replaced_note(replaced: list) -> None:
    if replaced:
        pairs = ", ".join(f"{source} → {target}" for source, target in replaced)
        st.caption(safe.plain(_("The model never saw some characters; they were read as: {pairs}").format(pairs=pairs)))


def classify_text(predictor: Predictor) -> None:
    name, is_name = predictor.task.name, predictor.task.playground == "name"
    prompt = _("A surname") if is_name else _("A text to classify")
    widget = st.text_input if is_name else st.text_area
    text = widget(prompt, value=predictor.task.example_input, key=f"play_text_{name}")
    explain = st.toggle(_("show which characters or words mattered (integrated gradients)"), key="play_explain")
    decision = "likely"
    if predictor.posthoc:
        decision = st.radio(_("decision"), ["likely", "balanced"], horizontal=True, key="play_decision",
                            format_func=lambda d: _("most likely class") if d == "likely" else _(
                                "balanced (rare classes get a fair chance)"),
                            help=_("Probabilities are calibrated on the validation split (temperature {t:.2f}). "
                                   "Balanced subtracts {tau:g} x log(class frequency) from the scores, which "
                                   "raised validation macro-F1 most.").format(t=predictor.posthoc["temperature"],
                                                                               tau=predictor.posthoc["tau"]))
    if st.button(_("Predict"), key="play_predict", type="primary"):
        try:
            result = predictor.predict([text], decision=decision)[0]
        except ValueError as error:
            safe.error(error)
            return
        st.subheader(safe.plain(result["label"]))
        _replaced_note(result.get("replaced", []))
        st.plotly_chart(charts.probability_figure(result["top"]), key="play_probabilities")
        if explain:  # the class shown above (the balanced decision may differ from the raw argmax)
            from rnnkit.data.inputs import read_text
            from rnnkit.ui.inside import show_attributions

            try:
                model_input = read_text(predictor, text)
            except ValueError as error:
                safe.error(error)
                return
            show_attributions(predictor, model_input, "play_attributions",
                              target=list(predictor.spec.class_names).index(result["label"]))


def forecast(predictor: Predictor) -> None:
    examples = predictor.artifacts["examples"]
    starts = examples["start_times"]
    index = st.select_slider(_("Window from the test years (start of the 5 input days)"),
                             options=list(range(len(starts))), format_func=lambda i: starts[i][:10], key="play_window")
    result = predictor.predict_examples(index + 1)[index]
    actual = examples["targets"][index]
    baselines = {_("repeat last 2 days"): examples["repeat"][index],
                 _("hourly climatology"): examples["climatology"][index]}
    st.plotly_chart(charts.forecast_figure(examples["input_temperatures"][index], result["prediction"], actual,
                                           baselines, predictor.artifacts["steps_per_hour"], starts[index]),
                    key="play_forecast")
    errors = {_("model"): result["prediction"], **baselines}
    columns = st.columns(len(errors))
    for column, (label, values) in zip(columns, errors.items()):
        mae = sum(abs(p - a) for p, a in zip(values, actual)) / len(actual)
        column.metric(_("MAE {what}").format(what=label), f"{mae:.2f} °C")
    if st.toggle(_("show which input days and features mattered (integrated gradients)"), key="play_explain_forecast"):
        from rnnkit.data.inputs import read_example
        from rnnkit.ui.inside import show_attributions

        show_attributions(predictor, read_example(predictor, index), "play_attributions")


def poem_verdict(poem: str, line_length: int) -> tuple[bool, str]:
    """(well formed?, why not, in the session's language): 4 lines of n characters, ， 。 ， 。"""
    if check_poem(poem, line_length)[0]:
        return True, _("well formed")
    lengths = line_lengths(poem)
    if len(lengths) != 4:
        return False, _("{count} lines instead of 4").format(count=len(lengths))
    if any(length != line_length for length in lengths):
        return False, _("line lengths {lengths}, expected {n} each").format(lengths=lengths, n=line_length)
    return False, _("punctuation is not ， 。 ， 。")


def poems(predictor: Predictor) -> None:
    trained = predictor.artifacts.get("line_lengths") or [5, 7]
    left, right = st.columns(2)
    start = left.text_input(_("Starting phrase (optional)"), key="play_start")
    acrostic = right.text_input(_("Acrostic: first character of each line (藏头诗, optional)"), key="play_acrostic")
    columns = st.columns(4)
    line_length = columns[0].radio(_("characters per line (what this model learnt)"), trained, horizontal=True,
                                   key="play_line_length")
    temperature = columns[1].slider(_("temperature"), 0.2, 1.5, DEFAULT_TEMPERATURE, 0.1, key="play_temperature")
    top_k = columns[2].number_input(_("top-k (0 = all)"), 0, 500, 0, key="play_top_k")
    count = columns[3].number_input(_("samples"), 1, 10, 4, key="play_count")
    enforce = st.toggle(_("place the punctuation by rule (otherwise the model decides)"), key="play_enforce")
    if st.button(_("Write"), key="play_write", type="primary"):
        generator = torch.Generator().manual_seed(int(st.session_state.get("play_seed", 0)))
        st.session_state["play_seed"] = int(st.session_state.get("play_seed", 0)) + 1
        replaced: list = []
        for number in range(int(count)):
            try:
                poem = predictor.generate(start=start, acrostic=acrostic, line_length=line_length,
                                          temperature=temperature, top_k=int(top_k), enforce_form=enforce,
                                          generator=generator, replaced=replaced if number == 0 else None)
            except ValueError as error:
                safe.error(error)
                return
            if number == 0:
                _replaced_note(replaced)
            good, why = poem_verdict(poem, line_length)
            st.markdown(f"{':material/check_circle:' if good else ':material/warning:'} {why}")
            st.text(as_lines(poem))


def synthetic(predictor: Predictor) -> None:
    st.write(_("A fresh sequence from the task's generator (not seen in training):"))
    number = st.number_input(_("example number"), 0, 10_000, 0, key="play_example")
    dataset = predictor.task.examples(predictor.artifacts, int(number) + 1, seed=4242)
    result = predictor.predict_examples(int(number) + 1, seed=4242)[int(number)]
    import plotly.express as px

    figure = px.imshow(dataset.inputs[int(number)].T.numpy(), aspect="auto", color_continuous_scale="RdBu",
                       labels={"x": _("time step"), "y": _("input channel")}, title=_("input sequence"))
    st.plotly_chart(figure, key="play_sequence")
    left, right = st.columns(2)
    if predictor.spec.job == "classify":
        left.metric(_("prediction"), result["label"])
        right.metric(_("truth"), result["target"])
    else:
        left.metric(_("prediction"), f"{result['prediction'][0]:.3f}")
        right.metric(_("truth"), f"{result['target'][0]:.3f}")


SECTIONS = {"text": classify_text, "name": classify_text, "forecast": forecast, "poem": poems, "sequence": synthetic}
