"""The warm worker (issue 25): runs start as forks of a process that has torch imported, and keep every
promise a cold start makes: their own process (a kill -9 of one touches neither the others nor the
worker), stop and resume bit for bit, the verified identity is the child's, no zombies, and a gone or
stale worker means a cold start that says so, never a failed run.

Each test module gets its own warm worker on a private socket (the temporary folder is this module's),
so the suite's shared one is left alone."""
import os
import signal
import socket
import tempfile

import pytest
import torch

from rnnkit.data.presets import build_config
from rnnkit.runs import warm_client
from rnnkit.runs.launcher import LocalLauncher, is_our_process
from rnnkit.runs.store import RunStore
from rnnkit.training.checkpoint import load_checkpoint
from tests.waits import wait_until

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or not hasattr(socket, "AF_UNIX"),
                                reason="the warm worker forks and listens on a Unix socket")

TINY = {"task": {"sequence_length": 10, "num_samples": 200}, "train": {"epochs": 2, "batch_size": 32,
                                                                      "num_threads": 1}}
SLOW = {"task": {"sequence_length": 60, "num_samples": 3000}, "model": {"hidden_size": 32},
        "train": {"epochs": 3, "batch_size": 16, "log_every_steps": 5, "num_threads": 1}}


@pytest.fixture(scope="module")
def private_temp(tmp_path_factory):
    """This module's temporary folder, so its warm worker listens on a socket of its own."""
    folder = tmp_path_factory.mktemp("warm-temp")
    saved = tempfile.tempdir
    tempfile.tempdir = str(folder)
    yield folder
    _end_worker()  # this module's worker, before the temporary folder is the suite's again
    tempfile.tempdir = saved


@pytest.fixture
def warm(private_temp, monkeypatch):
    """A warm worker that answers (started if none does)."""
    monkeypatch.setattr(tempfile, "tempdir", str(private_temp))
    monkeypatch.delenv("RNNKIT_WARM_WORKER", raising=False)
    warm_client.ensure_started()
    wait_until(warm_client.is_running, 120, "the warm worker to answer")
    return private_temp


def _worker_pid() -> int:
    return warm_client._ask({"ping": True}, 5.0)["pid"]


def _end_worker() -> None:
    try:
        os.kill(_worker_pid(), signal.SIGKILL)
    except (OSError, ValueError, KeyError):
        pass


# ------------------------------------------------------------------------------------------ the wire
@pytest.mark.parametrize("request_", [
    None, [], "x", {"fingerprint": 1}, {"fingerprint": "f"},
    {"fingerprint": "f", "run_ids": [], "root": "/", "environment": {}},
    {"fingerprint": "f", "run_ids": ["../etc"], "root": "/", "environment": {}},
    {"fingerprint": "f", "run_ids": ["a"] * 65, "root": "/", "environment": {}},
    {"fingerprint": "f", "run_ids": ["a"], "root": "relative", "environment": {}},
    {"fingerprint": "f", "run_ids": ["a"], "root": "/no/such/folder", "environment": {}},
    {"fingerprint": "f", "run_ids": ["a"], "root": "/", "environment": {"A": 1}},
    {"fingerprint": "f", "run_ids": ["a"], "root": "/", "environment": {"A": "x\0y"}},
])
def test_a_request_is_checked_field_by_field(request_):
    with pytest.raises(ValueError):
        warm_client.checked_request(request_)


def test_a_good_request_keeps_its_fields_and_resume_is_true_only_when_true(tmp_path):
    checked = warm_client.checked_request({"fingerprint": "f", "run_ids": ["r1"], "root": str(tmp_path),
                                           "environment": {"A": "b"}, "resume": "yes", "cwd": 3})
    assert checked == {"fingerprint": "f", "run_ids": ["r1"], "root": str(tmp_path), "environment": {"A": "b"},
                       "resume": False, "cwd": str(tmp_path)}


def test_the_socket_folder_must_be_private(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    folder = tmp_path / f"rnnkit-{os.getuid()}"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    with pytest.raises(ValueError, match="not a private folder"):
        warm_client.socket_path()
    folder.rmdir()
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    folder.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ValueError, match="not a private folder"):
        warm_client.socket_path()
    assert not warm_client.ensure_started()  # no private folder: no warm worker, runs start cold


def test_switched_off_means_cold_and_no_worker(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("RNNKIT_WARM_WORKER", "off")
    assert not warm_client.enabled() and not warm_client.ensure_started()
    store = RunStore(tmp_path / "checkpoints", LocalLauncher())
    run = store.create(build_config("recall", None, TINY))
    store.launcher.launch([run])
    assert run.worker()["command"][:3] != "forked by the warm worker"
    wait_until(lambda: run.status()["state"] == "completed", 120, "the cold run to complete")


# ------------------------------------------------------------------------------------------ real runs
def test_a_warm_run_is_its_own_verified_process_and_leaves_no_zombie(warm, tmp_path):
    store = RunStore(tmp_path / "checkpoints", LocalLauncher())
    run = store.create(build_config("recall", None, TINY))
    store.launcher.launch([run])
    worker = run.worker()
    assert worker["command"] == "forked by the warm worker" and worker["pid"] != _worker_pid()
    assert is_our_process(worker)  # the child carries the worker's token and its own start time
    assert not is_our_process({**worker, "start_time": worker["start_time"] + 1})  # a recycled pid is not it
    wait_until(lambda: run.status()["state"] == "completed", 120, "the warm run to complete")
    assert [record["epoch"] for record in run.metrics("epoch")] == [1, 2]
    assert "starting cold" not in run.log_text()
    wait_until(lambda: not os.path.exists(f"/proc/{worker['pid']}"), 30, "the child to be reaped (no zombie)")


def test_a_warm_run_stopped_mid_epoch_resumes_bit_for_bit(warm, tmp_path):
    store = RunStore(tmp_path / "checkpoints", LocalLauncher())
    straight, stopped = (store.create(build_config("recall", None, SLOW)) for _ in range(2))
    store.launcher.launch([straight])
    store.launcher.launch([stopped])
    wait_until(lambda: any(r["epoch"] == 2 for r in stopped.metrics("step")), 240, "epoch 2 to start")
    store.stop(stopped.run_id)  # SIGTERM to the verified child, and stop.request
    wait_until(lambda: stopped.status()["state"] == "stopped", 120, "the warm run to stop")
    store.resume(stopped.run_id)
    assert stopped.worker()["command"] == "forked by the warm worker"
    for run in (straight, stopped):
        wait_until(lambda run=run: run.status()["state"] == "completed", 360, "both runs to complete")
    ours, theirs = load_checkpoint(stopped.last_path)["model"], load_checkpoint(straight.last_path)["model"]
    assert all(torch.equal(ours[key], theirs[key]) for key in theirs)


def test_kill_9_of_a_run_spares_the_others_and_the_worker(warm, tmp_path):
    store = RunStore(tmp_path / "checkpoints", LocalLauncher())
    victim, other = (store.create(build_config("recall", None, SLOW)) for _ in range(2))
    store.launcher.launch([victim, other])  # one request, two children
    wait_until(lambda: victim.metrics("step") and victim.raw_status().get("pid"), 240, "the victim to train")
    worker = _worker_pid()
    os.kill(victim.raw_status()["pid"], signal.SIGKILL)
    wait_until(lambda: victim.status()["state"] == "interrupted", 60, "the killed run to read interrupted")
    assert _worker_pid() == worker
    wait_until(lambda: other.status()["state"] == "completed", 360, "the other run to complete")


def test_kill_9_of_the_worker_leaves_runs_training_and_the_next_start_is_cold_then_warm(warm, tmp_path):
    store = RunStore(tmp_path / "checkpoints", LocalLauncher())
    running = store.create(build_config("recall", None, SLOW))
    store.launcher.launch([running])
    wait_until(lambda: running.metrics("step"), 240, "the run to train")
    os.kill(_worker_pid(), signal.SIGKILL)
    wait_until(lambda: not warm_client.is_running(), 30, "the worker to be gone")
    later = store.create(build_config("recall", None, TINY))
    store.launcher.launch([later])  # no worker: cold, saying so, and a new worker is started for next time
    assert "starting cold" in later.log_text()
    wait_until(lambda: later.status()["state"] == "completed", 240, "the cold run to complete")
    wait_until(lambda: running.status()["state"] == "completed", 360, "the orphaned run to complete")
    wait_until(warm_client.is_running, 120, "a new warm worker")
    again = store.create(build_config("recall", None, TINY))
    store.launcher.launch([again])
    assert again.worker()["command"] == "forked by the warm worker"
    wait_until(lambda: again.status()["state"] == "completed", 240, "the warm run to complete")


def test_a_worker_with_other_code_ends_and_the_run_starts_cold(warm, tmp_path, monkeypatch):
    monkeypatch.setattr(warm_client, "fingerprint", lambda: "other code")
    store = RunStore(tmp_path / "checkpoints", LocalLauncher())
    run = store.create(build_config("recall", None, TINY))
    store.launcher.launch([run])
    assert "older code" in run.log_text() and "starting cold" in run.log_text()
    monkeypatch.undo()  # the code is the code on disk again: the worker started in place of the stale one answers
    wait_until(warm_client.is_running, 120, "a new warm worker in place of the stale one")
    wait_until(lambda: run.status()["state"] == "completed", 240, "the cold run to complete")
