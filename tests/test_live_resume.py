"""The live view follows a resumed run whatever else its group holds (issue 30.1); the Watching box names
each group and its owner (issue 29.11).

A group whose only run has stopped is "finished": its view draws once and does not poll. Clicking Resume
there used to leave the row saying "stopped · epoch 0/8 · Resume continues at ..." with the Resume button,
for as long as the page stayed open: the rows were drawn before the click was handled, and nothing reran
them. The launcher is replaced by one that only records what it was asked to start, so no training
process runs here.
"""
from __future__ import annotations

import pytest

from rnnkit.core.files import write_json_atomic
from rnnkit.data.presets import build_config
from rnnkit.runs import launcher as launcher_module
from rnnkit.runs.access import User
from rnnkit.runs.store import RunStore
from rnnkit.ui import live
from tests.apptest import page

GROUP = "g20261205-083506-40fa"


@pytest.fixture
def stopped_group(tmp_path, monkeypatch):
    """A group of one LSTM run, stopped at step 22 of its first epoch (of 8); launches are recorded."""
    root = tmp_path / "checkpoints"
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(root))
    monkeypatch.delenv("RNNKIT_RAY_ADDRESS", raising=False)
    launched: list[tuple[str, bool]] = []
    monkeypatch.setattr(launcher_module.LocalLauncher, "launch",
                        lambda self, runs, resume=False: launched.extend((run.run_id, resume) for run in runs))
    store = RunStore(root)
    config = build_config("recall", None, {"model": {"arch": "lstm"}, "train": {"epochs": 8}}, group=GROUP)
    run = store.create(config)
    run.write_status("stopped", epoch=0, epochs=8, resume_step=22, stop_reason="stopped by the user")
    return run, launched


def _rows(app) -> list[str]:
    return [element.proto.text for element in app.get("progress")]


def _resume_buttons(app, run) -> list:
    return [button for button in app.button if button.key == f"live_resume_{run.run_id}"]


def test_resume_in_a_one_run_group_moves_the_row_in_the_same_refresh(stopped_group):
    run, launched = stopped_group
    app = page("train", train_watch=GROUP).run()
    assert not app.exception
    assert _rows(app) == ["stopped · epoch 0/8 · Resume continues at step 23 of epoch 1"]
    _resume_buttons(app, run)[0].click().run()  # one script run: what the browser gets after the click
    assert not app.exception
    assert launched == [(run.run_id, True)]
    assert run.status()["state"] == "queued"
    rows = _rows(app)
    assert len(rows) == 1 and not rows[0].startswith("stopped"), rows
    assert not _resume_buttons(app, run)  # the button is gone: nobody presses it a second time
    assert [button.key for button in app.button if button.key.startswith("live_stop_")] == [f"live_stop_{run.run_id}"]


def test_a_finished_group_with_a_resumable_run_watches_for_a_resume_from_elsewhere(stopped_group, monkeypatch):
    """Resumed from the command line or another tab: the view's light watcher reruns the page."""
    run, _launched = stopped_group
    watched = _recording_fragments(monkeypatch)
    assert live._refresh_mode([run]) == "finished"
    app = page("train", train_watch=GROUP).run()
    assert not app.exception
    assert live.QUEUED_REFRESH_SECONDS in watched  # the watcher polls while the run could be resumed
    run.write_status("completed")
    watched.clear()
    page("train", train_watch=GROUP).run()
    assert live.QUEUED_REFRESH_SECONDS not in watched  # all completed: no polling at all


def test_the_watching_box_names_each_group_and_its_owner(tmp_path, monkeypatch):
    """Issue 29.11: a teacher finds a student's group by its name and owner, not by `g20261205-083506-40fa`."""
    root = tmp_path / "checkpoints"
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(root))
    groups = {"alice": "g20261205-083506-40fa", "bob": "g20261205-090112-1b2c"}
    for name, group in groups.items():
        run = RunStore(root, user=User(name, "student")).create(
            build_config("recall", None, {"model": {"arch": "gru"}}, group=group))
        run.write_status("completed")
    labels = live.watching_labels(RunStore(root).runs(), root)
    assert set(labels) == set(groups.values())
    for name, group in groups.items():
        assert labels[group].startswith("recall · gru · ") and labels[group].endswith(f" · {name}")
        assert group not in labels[group]
    app = page("train", train_watch=groups["bob"]).run()
    assert not app.exception
    box = app.selectbox(key="train_watch")
    assert sorted(box.options) == sorted(labels.values()) and box.value == groups["bob"]


def test_the_view_polls_fast_until_every_launched_run_has_its_first_loss_point(tmp_path, monkeypatch):
    """Issue 25: a run's start record comes before its first step; taking it for a point switched the view to
    the 2-second refresh, and the Start's last first point reached the screen up to 2 s after it was written."""
    monkeypatch.delenv("RNNKIT_RAY_ADDRESS", raising=False)
    store = RunStore(tmp_path / "checkpoints")
    run = store.create(build_config("recall", None, {"model": {"arch": "gru"}}, group=GROUP))
    assert live._refresh_mode([run]) == "waiting"  # queued, not launched
    write_json_atomic(run.worker_path, {"pid": 1, "host": "elsewhere", "command": "forked by the warm worker"})
    run.write_status("running", epoch=0, epochs=8)
    assert live._refresh_mode([run]) == "starting"
    run.append_metrics({"kind": "start", "spec": {}, "baselines": {}})
    assert live._refresh_mode([run]) == "starting"  # a start record is no point on a chart
    run.append_metrics({"kind": "step", "epoch": 1, "step": 1, "steps_per_epoch": 75, "loss": 2.3})
    assert live._refresh_mode([run]) == "training"
    assert live.REFRESH_SECONDS["starting"] < live.REFRESH_SECONDS["training"]


def _recording_fragments(monkeypatch) -> list[float | None]:
    """Every `st.fragment` the live view makes, by its refresh interval."""
    made: list[float | None] = []
    real_fragment = live.st.fragment

    def recording_fragment(function=None, *, run_every=None):
        made.append(run_every)
        return real_fragment(function, run_every=run_every) if function else real_fragment(run_every=run_every)

    monkeypatch.setattr(live.st, "fragment", recording_fragment)
    return made


def test_the_charts_follow_a_training_group_more_slowly_than_its_progress_rows(stopped_group, monkeypatch):
    """Issue 25: Streamlit draws a Plotly figure whose content changed as a new chart. Redrawn with the progress
    rows every 2 s, the charts cost the browser of a 2-core machine most of its CPU during the lesson
    (`benchmarks/bench_app.py` prints it), CPU the runs would use. The charts are a fragment of their own, at
    `CHART_REFRESH_SECONDS`; nothing is charted before the first loss point, and a finished group's charts do
    not poll."""
    run, _launched = stopped_group
    made = _recording_fragments(monkeypatch)
    write_json_atomic(run.worker_path, {"pid": 1, "host": "elsewhere", "command": "forked by the warm worker"})
    run.write_status("running", epoch=0, epochs=8)
    assert live._refresh_mode([run]) == "starting"
    app = page("train", train_watch=GROUP).run()
    assert not app.exception
    assert made == [live.STARTUP_REFRESH_SECONDS] and not app.get("plotly_chart")  # the rows only

    run.append_metrics({"kind": "step", "epoch": 1, "step": 1, "steps_per_epoch": 75, "loss": 2.3})
    made.clear()
    app = page("train", train_watch=GROUP).run()
    assert not app.exception
    assert made == [live.LIVE_REFRESH_SECONDS, live.CHART_REFRESH_SECONDS]
    assert live.CHART_REFRESH_SECONDS > live.LIVE_REFRESH_SECONDS
    assert app.get("plotly_chart")  # the loss curve, drawn in the charts' fragment

    run.write_status("completed")
    made.clear()
    app = page("train", train_watch=GROUP).run()
    assert not app.exception
    assert made == [None, None] and app.get("plotly_chart")  # drawn once, in their last state
