"""The why in words (rnnkit.analysis.why) on the shipped lesson group, and silence where the numbers do not
support it; the weather demo's windows (rnnkit.data.tasks.weather, rnnkit.ui.forecast_window)."""
import json
import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rnnkit.analysis.inference import Predictor
from rnnkit.analysis.why import explain
from rnnkit.data.tasks.weather import BASELINES, MODEL, default_window, window_errors, winning_baseline
from rnnkit.runs.store import RunStore
from rnnkit.ui.forecast_window import hard_window_note
from tests.apptest import TIMEOUT, page

DEMO_ROOT = Path(__file__).resolve().parent.parent / "checkpoints" / "demo"
LESSON = ("recall-rnn", "recall-lstm", "recall-gru")


class AliveLauncher:
    """A launcher whose processes are all still there: a queued or running run stays active."""

    def launch(self, runs, resume=False):
        pass

    def is_alive(self, run):
        return True

    def stop(self, run):
        pass


@pytest.fixture
def lesson(tmp_path):
    for name in LESSON:
        shutil.copytree(DEMO_ROOT / name, tmp_path / name)
    return tmp_path


def runs_of(root: Path):
    return RunStore(root, AliveLauncher()).runs(group="demo-recall")


def rewrite(path: Path, kind: str, change) -> None:
    """Change every metrics line of `kind` in place with `change(record)`."""
    lines = []
    for line in path.read_text().splitlines():
        record = json.loads(line)
        if record.get("kind") == kind:
            change(record)
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n")


def test_the_lesson_group_is_explained_from_its_own_numbers():
    runs = RunStore(DEMO_ROOT).runs(group="demo-recall")
    text = explain(runs, "en")
    rnn_probe = RunStore(DEMO_ROOT).get("recall-rnn").metrics("probe")[-1]
    reach = rnn_probe["h"][-1] / rnn_probe["h"][0]
    assert f"The RNN's gradient {rnn_probe['distance'][-1]} steps back is {reach:.2g} of the last step's" in text
    assert "For the LSTM and GRU it stays above" in text
    assert "cell state c" in text  # the LSTM's memory path is its cell state
    assert "test accuracy 8.7 %" in text and "99.8 % and 100.0 %" in text
    assert explain(runs, "zh") != text and "准确率" in explain(runs, "zh")


def test_nothing_is_said_when_the_scores_do_not_agree(lesson):
    rewrite(lesson / "recall-rnn" / "metrics.jsonl", "test", lambda record: record["test"].update(accuracy=0.99))
    assert explain(runs_of(lesson), "en") == ""


def test_nothing_is_said_when_the_reach_differs_by_less_than_orders_of_magnitude(lesson):
    def level(record):
        record["h"] = [0.5] * len(record["h"])

    rewrite(lesson / "recall-rnn" / "metrics.jsonl", "probe", level)
    assert explain(runs_of(lesson), "en") == ""


def test_nothing_is_said_on_old_probes_or_a_single_architecture(lesson):
    assert explain(runs_of(lesson)[:1], "en") == ""
    for name in LESSON:
        rewrite(lesson / name / "metrics.jsonl", "probe", lambda record: record.pop("measure"))
    assert explain(runs_of(lesson), "en") == ""


def test_nothing_is_said_while_a_run_is_still_training(lesson):
    RunStore(lesson).get("recall-gru").write_status("running")
    assert explain(runs_of(lesson), "en") == ""


def test_only_the_architectures_that_agree_are_named(lesson):
    rewrite(lesson / "recall-gru" / "metrics.jsonl", "test", lambda record: record["test"].update(accuracy=0.1))
    text = explain(runs_of(lesson), "en")
    assert "For the LSTM it stays above" in text and "GRU" not in text


def test_the_weather_demo_opens_on_a_window_the_model_wins_and_says_when_a_baseline_wins():
    predictor = Predictor.from_file(DEMO_ROOT / "weather-gru" / "best.pt")
    examples = predictor.artifacts["examples"]
    predictions = [row["prediction"] for row in predictor.predict_examples(len(examples["targets"]))]
    errors = window_errors(examples, predictions)
    start = errors[default_window(errors)]
    assert start[MODEL] < min(start[name] for name in BASELINES)
    assert hard_window_note(start, predictor.test_metrics, {}) == ""
    hard = next(row for row in errors if winning_baseline(row))
    note = hard_window_note(hard, predictor.test_metrics, predictor.artifacts.get("test_baselines", {}))
    assert "one of the hard ones" in note and f"{predictor.test_metrics['mae']:.2f} °C" in note
    assert f"{hard[winning_baseline(hard)]:.2f} °C" in note


def test_window_errors_are_mean_absolute_errors():
    examples = {"targets": [[1.0, 3.0]], "repeat": [[1.0, 1.0]], "climatology": [[0.0, 0.0]]}
    errors = window_errors(examples, [[2.0, 3.0]])
    assert errors == [{MODEL: 0.5, BASELINES[0]: 1.0, BASELINES[1]: 2.0}]
    assert winning_baseline(errors[0]) is None and default_window(errors) == 0
    assert winning_baseline({MODEL: 1.5, BASELINES[0]: 1.0, BASELINES[1]: 2.0}) == BASELINES[0]
    note = hard_window_note({MODEL: 1.5, BASELINES[0]: 1.0, BASELINES[1]: 2.0}, {"mae": 2.2},
                            {BASELINES[0]: {"mae": 3.12}, BASELINES[1]: {"mae": 2.99}})
    assert "1.00 °C against the model's 1.50 °C" in note and "2.20 °C" in note and "3.12 °C" in note


def test_compare_on_a_first_start_shows_the_shipped_lesson_with_its_why(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path / "empty"))
    app = page("compare").run()
    assert not app.exception, [error.value for error in app.exception]
    assert sorted(app.multiselect(key="compare_runs").value) == sorted(LESSON)
    assert any("shipped demo comparison" in caption.value for caption in app.caption)
    assert any("For the LSTM and GRU it stays above" in unescaped(info.value) for info in app.info)
    assert not any(expander.label == "Delete runs" for expander in app.expander)  # the demos stay


def test_train_says_why_once_a_group_has_finished(tmp_path, monkeypatch):
    for name in LESSON:
        shutil.copytree(DEMO_ROOT / name, tmp_path / name)
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    app = page("train").run()
    assert not app.exception, [error.value for error in app.exception]
    assert any("could hardly learn from the early steps" in unescaped(info.value) for info in app.info)


def unescaped(markdown: str) -> str:
    """What a reader sees of text escaped for markdown (rnnkit.ui.safe.plain)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def test_inside_on_a_first_start_draws_the_three_lesson_models(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path / "empty"))
    app = page("inside", inside_task="recall").run()
    assert not app.exception, [error.value for error in app.exception]
    picked = app.multiselect(key="inside_gradients_models").value
    assert sorted(Path(path).parent.name for path in picked) == sorted(LESSON)


def test_the_window_picker_opens_on_a_window_the_model_wins():
    def script():
        from rnnkit.analysis.inference import Predictor
        from rnnkit.ui.forecast_window import window_picker
        from tests.test_demos_why import DEMO_ROOT

        window_picker(Predictor.from_file(DEMO_ROOT / "weather-gru" / "best.pt"))

    app = AppTest.from_function(script, default_timeout=TIMEOUT).run()
    assert not app.exception, [error.value for error in app.exception]
    assert app.select_slider(key="play_window").value == 1  # 2014-01-08: 1.07 °C against 2.29 and 2.00
    assert not app.caption
    app.select_slider(key="play_window").set_value(0).run()  # 2014-01-01: repeating the last 2 days wins
    assert "one of the hard ones" in unescaped(app.caption[0].value)
    assert "2.20 °C ('repeat last 2 days' 3.12 °C, 'hourly climatology' 2.99 °C)" in unescaped(app.caption[0].value)


def test_nothing_is_said_on_a_damaged_probe_line_or_a_sweep(lesson):
    rewrite(lesson / "recall-rnn" / "metrics.jsonl", "probe", lambda record: record.update(h=["x"] * len(record["h"])))
    assert explain(runs_of(lesson), "en") == ""  # the RNN's line reads as absent: LSTM and GRU alone say nothing
    for name in LESSON:
        config = json.loads((lesson / name / "config.json").read_text())
        (lesson / name / "config.json").write_text(json.dumps({**config, "kind": "sweep"}))
    assert explain(runs_of(lesson), "en") == ""
