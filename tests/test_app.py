"""Every dashboard page under streamlit.testing.v1.AppTest, against run folders these tests create.

The fixture trains tiny real runs (recall, names, poems, weather-from-a-Jena-file) once per session;
pages must render without exceptions, widgets must drive what they should, and bad input must show
an error message instead of a traceback.
"""
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rnnkit.runs.store import RunStore
from tests.apptest import TIMEOUT, page
from tests.waits import wait_until

ROOT = Path(__file__).resolve().parent.parent


def shown(markdown: str) -> str:
    """What a user reads of an alert whose text was escaped for markdown (rnnkit.ui.safe.plain)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def no_exceptions(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def test_app_entry_point_runs(app_env):
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    no_exceptions(app)
    assert app.title[0].value.endswith("rnnkit")


def test_home_shows_device_data_status_and_latest_runs(app_env):
    app = page("home").run()
    no_exceptions(app)
    assert "CPU" in app.markdown[-1].value or any("GPU" in m.value or "CPU" in m.value for m in app.markdown)
    data = app.dataframe[0].value
    assert set(data["task"]) >= {"recall", "names", "imdb", "poems"}
    assert (data.loc[data["task"] == "recall", "status"] == "ready").all()
    runs = app.dataframe[1].value
    assert len(runs) == 5


def test_train_defaults_to_the_classroom_comparison_and_shows_the_latest_group(app_env):
    app = page("train").run()
    no_exceptions(app)
    assert app.selectbox(key="train_task").value == "recall"
    assert app.multiselect(key="train_archs").value == ["rnn", "lstm", "gru"]
    assert app.number_input(key="train_task_sequence_length").value == 150  # the quick preset
    assert app.selectbox(key="train_watch").value  # a group is shown live
    texts = [element.proto.text for element in app.get("progress")]
    assert texts and all("completed · epoch 2/2" in text for text in texts)  # rnn and lstm of the fixture group


def test_train_task_change_applies_that_tasks_preset(app_env):
    app = page("train").run()
    app.selectbox(key="train_task").set_value("imdb").run()
    no_exceptions(app)
    assert app.selectbox(key="train_preset").value == "quick"
    assert app.number_input(key="train_task_max_length").value == 256
    assert app.selectbox(key="train_model_impl").value == "scratch"


@pytest.mark.parametrize("change,message", [
    (lambda app: app.multiselect(key="train_archs").set_value([]), "choose at least one architecture"),
    (lambda app: app.number_input(key="train_train_learning_rate").set_value(0.0), "learning_rate must be > 0"),
    (lambda app: app.number_input(key="train_model_dropout").set_value(1.0), "dropout must be in [0, 1)"),
])
def test_train_bad_settings_show_an_error_not_a_traceback(app_env, change, message):
    app = page("train").run()
    change(app)
    app.run()
    app.button(key="train_start").click().run()
    no_exceptions(app)
    assert any(message in shown(error.value) for error in app.error), [e.value for e in app.error]


def test_train_start_launches_background_runs_as_one_group(app_env):
    store = app_env
    before = {run.run_id for run in store.runs()}
    app = page("train").run()
    app.multiselect(key="train_archs").set_value(["gru", "lstm"]).run()
    app.number_input(key="train_task_sequence_length").set_value(8).run()
    app.number_input(key="train_task_num_samples").set_value(100).run()
    app.number_input(key="train_train_epochs").set_value(1).run()
    app.button(key="train_start").click().run()
    no_exceptions(app)
    new = [run for run in store.runs() if run.run_id not in before]
    assert sorted(run.config().model.arch for run in new) == ["gru", "lstm"]
    assert len({run.config().group for run in new}) == 1
    assert app.selectbox(key="train_watch").value == new[0].config().group
    wait_until(lambda: not any(run.is_active() for run in new), 180, "both background runs to end")
    assert all(run.status()["state"] == "completed" for run in new), [run.status() for run in new]


def test_compare_defaults_to_the_latest_group_and_offers_csv(app_env):
    app = page("compare").run()
    no_exceptions(app)
    selected = app.multiselect(key="compare_runs").value
    latest = app_env.latest_group()
    assert sorted(selected) == sorted(run.run_id for run in app_env.runs(group=latest))
    table = app.dataframe[0].value
    assert {"best epoch", "parameters", "s / epoch", "samples / s"} <= set(table.columns)
    app.toggle(key="compare_normalise").set_value(True).run()
    no_exceptions(app)


def test_compare_with_no_runs_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path / "empty"))
    app = page("compare").run()
    no_exceptions(app)
    assert "No runs of yours yet" in app.caption[0].value  # and it shows the shipped demo comparison


def choose_model(app: AppTest, task: str, store: RunStore) -> AppTest:
    run = next(run for run in store.runs() if run.config().task.name == task)
    app.selectbox(key="play_task").set_value(task).run()
    return app.selectbox(key="play_model").set_value(str(run.best_path)).run()


def test_playground_names_validates_input_and_predicts(app_env):
    app = page("playground").run()
    no_exceptions(app)
    app = choose_model(app, "names", app_env)
    app.text_input(key="play_text_names").set_value("   ").run()
    app.button(key="play_predict").click().run()
    assert "empty" in app.error[0].value
    app.text_input(key="play_text_names").set_value("Rossi").run()
    app.button(key="play_predict").click().run()
    no_exceptions(app)
    assert app.subheader[0].value in ("German", "Italian", "Japanese")


def test_playground_offers_the_balanced_decision(app_env):
    app = choose_model(page("playground").run(), "names", app_env)
    app.radio(key="play_decision").set_value("balanced").run()
    app.text_input(key="play_text_names").set_value("Nguyen").run()
    app.button(key="play_predict").click().run()
    no_exceptions(app)
    assert app.subheader and "temperature" in app.radio(key="play_decision").help


def test_playground_shows_which_letters_mattered(app_env):
    app = choose_model(page("playground").run(), "names", app_env)
    app.toggle(key="play_explain").set_value(True).run()
    app.text_input(key="play_text_names").set_value("Rossi").run()
    app.button(key="play_predict").click().run()
    no_exceptions(app)
    assert len(app.get("plotly_chart")) == 3  # probabilities, coloured letters, bars
    assert any("within" in caption.value for caption in app.caption)


def test_playground_forecast_shows_which_days_mattered(app_env):
    app = choose_model(page("playground").run(), "weather", app_env)
    app.toggle(key="play_explain_forecast").set_value(True).run()
    no_exceptions(app)
    assert len(app.get("plotly_chart")) >= 4  # forecast, step x feature map, per step, per feature


def test_playground_poems_writes_and_checks_form(app_env):
    app = choose_model(page("playground").run(), "poems", app_env)
    app.toggle(key="play_enforce").set_value(True).run()
    app.text_input(key="play_acrostic").set_value("春秋").run()
    app.button(key="play_write").click().run()
    no_exceptions(app)
    assert sum("well formed" in m.value for m in app.markdown) == 4
    app.text_input(key="play_acrostic").set_value("abc").run()
    app.button(key="play_write").click().run()
    assert "Chinese characters" in app.error[0].value


def test_playground_forecast_and_synthetic_sections(app_env):
    app = choose_model(page("playground").run(), "weather", app_env)
    no_exceptions(app)
    assert len(app.metric) == 3  # model, repeat, climatology MAE
    app = choose_model(page("playground").run(), "recall", app_env)
    no_exceptions(app)
    assert [metric.label for metric in app.metric] == ["prediction", "truth"]


def _epoch_slider_script():
    import streamlit as st

    from rnnkit.ui.curves import epoch_slider
    epochs = st.session_state.get("epochs", 2)
    st.markdown(f"shown: {epoch_slider(list(range(1, epochs + 1)), 'cm')}")


def test_confusion_epoch_slider_follows_training_until_moved_back():
    app = AppTest.from_function(_epoch_slider_script, default_timeout=TIMEOUT).run()
    assert app.markdown[0].value == "shown: 2"
    app.session_state["epochs"] = 3  # a new epoch arrives: follow it
    assert app.run().markdown[0].value == "shown: 3"
    app.select_slider(key="cm").set_value(1).run()  # the user looks back ...
    app.session_state["epochs"] = 4
    assert app.run().markdown[0].value == "shown: 1"  # ... and stays there
    app.select_slider(key="cm").set_value(4).run()  # back on the latest: follow again
    app.session_state["epochs"] = 5
    assert app.run().markdown[0].value == "shown: 5"
