"""Playground widgets: try a trained model on your own input, one section per kind of input.
A task says which kind it takes (`Task.playground`: text, name, forecast, poem, sequence), so a new
task appears here without a change to this file.

Every input goes through the task's own encoder (same tokeniser, same vocabulary as in training);
what it refuses (empty text, the wrong script, unknown characters, too long) comes back as a
ValueError whose message is shown as is.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st
import torch

from rnnkit import charts
from rnnkit.inference import Predictor
from rnnkit.metrics import metric_title
from rnnkit.runs import Run, RunStore
from rnnkit.tasks.poems import DEFAULT_TEMPERATURE, check_poem


def model_choices(stores: list[tuple[str, RunStore]]) -> dict[str, str]:
    """best.pt path -> label, for finished (or at least one-epoch) runs and the shipped demo models."""
    choices = {}
    for origin, store in stores:
        for run in store.runs():
            if run.best_path.exists():
                choices[str(run.best_path)] = f"{origin}: {_describe(run)}"
    return choices


def _describe(run: Run) -> str:
    from rnnkit.reports import run_label

    try:
        config = run.config()
        return f"{config.task.name} · {run_label(run)} · {run.run_id}"
    except ValueError:
        return run.run_id


@st.cache_resource(max_entries=6)
def load_predictor(path: str, modified: float) -> Predictor:
    """Cached per file and modification time, so a newer best.pt is picked up."""
    return Predictor.from_file(path)


def show(path: str) -> None:
    predictor = load_predictor(path, Path(path).stat().st_mtime)
    test = predictor.test_metrics
    if test:
        shown = " · ".join(f"{metric_title(k)} {v:.3f}" for k, v in test.items()
                           if isinstance(v, float) and k != "loss")
        st.caption(f"Measured on the test split: {shown}")
    section = SECTIONS.get(predictor.task.playground)
    if section is None:
        st.info(f"The {predictor.task.title} task has no playground; evaluate it with `python -m rnnkit eval`.")
        return
    section(predictor)


def classify_text(predictor: Predictor) -> None:
    name, is_name = predictor.task.name, predictor.task.playground == "name"
    prompt = "A surname" if is_name else "A text to classify"
    widget = st.text_input if is_name else st.text_area
    text = widget(prompt, value=predictor.task.example_input, key=f"play_text_{name}")
    if st.button("Predict", key="play_predict", type="primary"):
        try:
            result = predictor.predict([text])[0]
        except ValueError as error:
            st.error(str(error))
            return
        st.subheader(result["label"])
        st.plotly_chart(charts.probability_figure(result["top"]), key="play_probabilities")


def forecast(predictor: Predictor) -> None:
    examples = predictor.artifacts["examples"]
    starts = examples["start_times"]
    index = st.select_slider("Window from the test years (start of the 5 input days)", options=list(range(len(starts))),
                             format_func=lambda i: starts[i][:10], key="play_window")
    result = predictor.predict_examples(index + 1)[index]
    actual = examples["targets"][index]
    baselines = {"repeat last 2 days": examples["repeat"][index], "hourly climatology": examples["climatology"][index]}
    st.plotly_chart(charts.forecast_figure(examples["input_temperatures"][index], result["prediction"], actual,
                                           baselines, predictor.artifacts["steps_per_hour"], starts[index]),
                    key="play_forecast")
    errors = {"model": result["prediction"], **baselines}
    columns = st.columns(len(errors))
    for column, (label, values) in zip(columns, errors.items()):
        mae = sum(abs(p - a) for p, a in zip(values, actual)) / len(actual)
        column.metric(f"MAE {label}", f"{mae:.2f} °C")


def poems(predictor: Predictor) -> None:
    left, right = st.columns(2)
    start = left.text_input("Starting phrase (optional)", key="play_start")
    acrostic = right.text_input("Acrostic: first character of each line (藏头诗, optional)", key="play_acrostic")
    columns = st.columns(4)
    line_length = columns[0].radio("characters per line", (5, 7), horizontal=True, key="play_line_length")
    temperature = columns[1].slider("temperature", 0.2, 1.5, DEFAULT_TEMPERATURE, 0.1, key="play_temperature")
    top_k = columns[2].number_input("top-k (0 = all)", 0, 500, 0, key="play_top_k")
    count = columns[3].number_input("samples", 1, 10, 4, key="play_count")
    enforce = st.toggle("place the punctuation by rule (otherwise the model decides)", key="play_enforce")
    trained = predictor.artifacts.get("line_lengths", [])
    if trained and line_length not in trained:
        st.warning(f"This model learnt {' and '.join(map(str, trained))}-character lines only; "
                   f"{line_length}-character lines work best with 'place the punctuation by rule'.")
    if st.button("Write", key="play_write", type="primary"):
        generator = torch.Generator().manual_seed(int(st.session_state.get("play_seed", 0)))
        st.session_state["play_seed"] = int(st.session_state.get("play_seed", 0)) + 1
        for _ in range(int(count)):
            try:
                poem = predictor.generate(start=start, acrostic=acrostic, line_length=line_length,
                                          temperature=temperature, top_k=int(top_k), enforce_form=enforce,
                                          generator=generator)
            except ValueError as error:
                st.error(str(error))
                return
            good, why = check_poem(poem, line_length)
            st.markdown(f"{':material/check_circle:' if good else ':material/warning:'} **{poem}** · {why}")


def synthetic(predictor: Predictor) -> None:
    st.write("A fresh sequence from the task's generator (not seen in training):")
    number = st.number_input("example number", 0, 10_000, 0, key="play_example")
    dataset = predictor.task.examples(predictor.artifacts, int(number) + 1, seed=4242)
    result = predictor.predict_examples(int(number) + 1, seed=4242)[int(number)]
    import plotly.express as px

    figure = px.imshow(dataset.inputs[int(number)].T.numpy(), aspect="auto", color_continuous_scale="RdBu",
                       labels={"x": "time step", "y": "input channel"}, title="input sequence")
    st.plotly_chart(figure, key="play_sequence")
    left, right = st.columns(2)
    if predictor.spec.job == "classify":
        left.metric("prediction", result["label"])
        right.metric("truth", result["target"])
    else:
        left.metric("prediction", f"{result['prediction'][0]:.3f}")
        right.metric("truth", f"{result['target'][0]:.3f}")


SECTIONS = {"text": classify_text, "name": classify_text, "forecast": forecast, "poem": poems, "sequence": synthetic}
