"""Playground widgets: try a trained model on your own input, one section per kind of input.
A task says which kind it takes (`Task.playground`: text, name, forecast, poem, sequence), so a new
task appears here without a change to this file. The model comes from `rnnkit.ui.models`' picker.

Every input goes through the task's own encoder (same tokeniser, same vocabulary as in training); what
it refuses (empty text, the wrong script, unknown characters, too long) comes back as a ValueError whose
message is shown as plain text, and what it had to replace (ř -> r, 风 -> 風) is said. User text and
generated text are shown as text, never as markdown.
"""
from __future__ import annotations

import plotly.express as px
import streamlit as st
import torch

from rnnkit.analysis.inference import Predictor
from rnnkit.config.counts import bounds
from rnnkit.core.metrics import metric_title
from rnnkit.data.inputs import read_example, read_text
from rnnkit.data.tasks.poems import DEFAULT_TEMPERATURE, as_lines, poem_problem
from rnnkit.ui import charts, safe, work
from rnnkit.ui.forecast_window import window_picker
from rnnkit.ui.i18n import _
from rnnkit.ui.inside.attributions import show_attributions
from rnnkit.ui.labels import format_score
from rnnkit.ui.models import predictor_of


def show(path: str) -> None:
    predictor = predictor_of(path)
    if predictor is None:  # a broken best.pt: said, and the page keeps working
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
    index = window_picker(predictor, key="play_window")  # opens on a window the model wins; says when it loses
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
        show_attributions(predictor, read_example(predictor, index), "play_attributions")


def poem_verdict(poem: str, line_length: int) -> tuple[bool, str]:
    """(well formed?, why not, in the session's language): 4 lines of n Chinese characters, ， 。 ， 。"""
    problem = poem_problem(poem, line_length)
    if problem is None:
        return True, _("well formed")
    what, details = problem
    return False, {
        "characters": _("characters that are not Chinese: {characters}"),
        "lines": _("{count} lines instead of 4"),
        "lengths": _("line lengths {lengths}, expected {n} each"),
        "punctuation": _("punctuation is not ， 。 ， 。"),
    }[what].format(n=line_length, **details)


def poems(predictor: Predictor) -> None:
    trained = predictor.artifacts.get("line_lengths") or [5, 7]
    left, right = st.columns(2)
    left.text_input(_("Starting phrase (optional)"), key="play_start")
    right.text_input(_("Acrostic: first character of each line (藏头诗, optional)"), key="play_acrostic")
    columns = st.columns(4)
    columns[0].radio(_("characters per line (what this model learnt)"), trained, horizontal=True,
                     key="play_line_length")
    columns[1].slider(_("temperature"), *bounds("temperature"), DEFAULT_TEMPERATURE, 0.1, key="play_temperature")
    columns[2].number_input(_("top-k (0 = all)"), *bounds("top_k"), 0, key="play_top_k")  # as every face: config.counts
    columns[3].number_input(_("samples"), *bounds("samples"), 4, key="play_count")
    st.toggle(_("place the punctuation by rule (otherwise the model decides)"), key="play_enforce")
    writing = work.running(POEMS_JOB)
    st.button(_("Write"), key="play_write", type="primary", on_click=_start_writing, args=(predictor,),
              disabled=writing, help=_("the poems are being written; they appear below") if writing else None)
    job = st.session_state.get(POEMS_JOB)
    if job is None or job.inputs[0] != id(predictor):  # nothing written yet, or by another model
        return
    try:
        written, replaced, line_length = work.follow(job, _("Writing poems"), _writing_words)
    except ValueError as error:
        safe.error(error)
        return
    _replaced_note(replaced)
    for poem in written:
        good, why = poem_verdict(poem, line_length)
        st.markdown(f"{':material/check_circle:' if good else ':material/warning:'} {why}")
        st.text(as_lines(poem))


POEMS_JOB = "play_poems_job"  # the session's poem writing (rnnkit.ui.work): the last poems stay shown


def _start_writing(predictor: Predictor) -> None:
    """The Write button's callback: start writing with the settings on screen and the next sampling seed.
    A second click while the poems are written changes nothing (the button is disabled, and this says so
    again for a click that was already on its way)."""
    if work.running(POEMS_JOB):
        return
    state = st.session_state
    seed = int(state.get("play_seed", 0))
    state["play_seed"] = seed + 1
    options = {"start": state.get("play_start", ""), "acrostic": state.get("play_acrostic", ""),
               "line_length": int(state["play_line_length"]), "temperature": float(state["play_temperature"]),
               "top_k": int(state["play_top_k"]), "enforce_form": bool(state.get("play_enforce", False))}
    count = int(state["play_count"])
    inputs = (id(predictor), seed, tuple(sorted(options.items())), count)
    work.job(POEMS_JOB, inputs, write_poems, predictor, options, count, seed)


def write_poems(predictor: Predictor, options: dict, count: int, seed: int, progress) -> tuple[list, list, int]:
    """`count` poems sampled with one generator seeded `seed`: (poems, replaced input characters, line
    length); `progress` hears each poem begin."""
    generator = torch.Generator().manual_seed(seed)
    written: list[str] = []
    replaced: list = []
    for number in range(count):
        progress("write", number / count, {"number": number + 1, "count": count})
        written.append(predictor.generate(**options, generator=generator, replaced=replaced if number == 0 else None))
    progress("write", 1.0, {"number": count, "count": count})
    return written, replaced, options["line_length"]


def _writing_words(stage: str, details: dict) -> str:
    return _("writing poem {number} of {count}, one character at a time ...").format(**details)


def synthetic(predictor: Predictor) -> None:
    st.write(_("A fresh sequence from the task's generator (not seen in training):"))
    number = st.number_input(_("example number"), 0, 10_000, 0, key="play_example")
    dataset = predictor.task.examples(predictor.artifacts, int(number) + 1, seed=4242)
    result = predictor.predict_examples(int(number) + 1, seed=4242)[int(number)]
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
