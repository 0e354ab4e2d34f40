"""Background runs as real OS processes: launch, stop, kill -9 and resume."""
import io
import os
import signal
import time

import pytest

from rnnkit.data.presets import build_config
from rnnkit.worker.execute import execute

# small but slow enough that a run is still mid-epoch when the test acts on it
SLOW = {"task": {"sequence_length": 60, "num_samples": 3000}, "model": {"hidden_size": 32},
        "train": {"epochs": 3, "batch_size": 16, "log_every_steps": 5, "num_threads": 1}}


def wait_for(condition, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_launch_returns_at_once_and_the_process_completes_the_run(store):
    config = build_config("recall", None, {"task": {"sequence_length": 10, "num_samples": 200},
                                           "train": {"epochs": 2, "batch_size": 32}})
    run = store.create(config)
    started = time.monotonic()
    store.launcher.launch([run])
    assert time.monotonic() - started < 2.0
    wait_for(lambda: run.status()["state"] == "completed", what="completion")
    assert {path.name for path in run.path.iterdir()} >= {"config.json", "status.json", "metrics.jsonl",
                                                          "best.pt", "last.pt", "train.log"}
    assert [record["epoch"] for record in run.metrics("epoch")] == [1, 2]
    assert len(run.metrics("test")) == 1
    pid = run.worker()["pid"]
    wait_for(lambda: _gone_or_reaped(pid), what="the finished worker to be reaped (no zombie)")


def _gone_or_reaped(pid: int) -> bool:
    """True once the process has ended and its parent collected it (a zombie still has a /proc entry)."""
    return not os.path.exists(f"/proc/{pid}")


def test_stop_request_ends_the_run_within_a_batch_and_keeps_checkpoints(store):
    run = store.create(build_config("recall", None, SLOW))
    store.launcher.launch([run])
    wait_for(lambda: any(r["epoch"] == 2 for r in run.metrics("step")), what="epoch 2 to start")
    steps_before = len(run.metrics("step"))
    store.stop(run.run_id)
    wait_for(lambda: run.status()["state"] == "stopped", timeout=20, what="stopped")
    assert len(run.metrics("step")) <= steps_before + 1  # at most the log point of the current batch
    assert run.best_path.exists() and run.last_path.exists()
    assert run.metrics("test") == []  # a user stop skips the test pass


def test_kill_minus_9_is_reported_interrupted_and_resume_finishes_without_duplicates(store):
    run = store.create(build_config("recall", None, SLOW))
    store.launcher.launch([run])
    wait_for(lambda: any(r["epoch"] == 2 for r in run.metrics("step")), what="epoch 2 to start")
    pid = run.raw_status()["pid"]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: run.status()["state"] == "interrupted", timeout=10, what="interrupted")
    assert run.raw_status()["state"] == "running"  # the file still says running ...
    assert "gone" in run.status()["error"]  # ... the store knows better

    assert execute(run, resume=True, stream=io.StringIO(), install_signals=False) == "completed"
    epochs = [record["epoch"] for record in run.metrics("epoch")]
    assert epochs == [1, 2, 3]
    step_keys = [(r["epoch"], r["step"]) for r in run.metrics("step")]
    assert len(step_keys) == len(set(step_keys))  # the half-done epoch's step points were cut
    assert run.status()["state"] == "completed"


def test_stop_of_a_queued_run_whose_worker_never_started(store):
    run = store.create(build_config("recall", "quick"))
    store.stop(run.run_id)
    assert run.status()["state"] == "stopped"


@pytest.mark.parametrize("signal_name", ["SIGTERM"])
def test_sigterm_is_a_stop_request(store, signal_name):
    run = store.create(build_config("recall", None, SLOW))
    store.launcher.launch([run])
    wait_for(lambda: run.metrics("step"), what="first step")
    os.kill(run.raw_status()["pid"], getattr(signal, signal_name))
    wait_for(lambda: run.status()["state"] == "stopped", timeout=20, what="stopped")
