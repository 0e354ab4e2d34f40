"""Background runs as real OS processes: launch, stop, kill -9 and resume; a stop signals only a process
that proves it is our worker (pid, start time and the launcher's token), whatever its path says."""
import io
import json
import os
import secrets
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnnkit.data.presets import build_config
from rnnkit.runs.launcher import process_start_time
from rnnkit.worker.execute import execute
from tests.waits import patience, wait_until

# small but slow enough that a run is still mid-epoch when the test acts on it
SLOW = {"task": {"sequence_length": 60, "num_samples": 3000}, "model": {"hidden_size": 32},
        "train": {"epochs": 3, "batch_size": 16, "log_every_steps": 5, "num_threads": 1}}


def wait_for(condition, seconds=120.0, what="condition"):
    """`condition()` once true; `seconds` is for an idle machine (scaled by RNNKIT_TEST_TIME_FACTOR)."""
    return wait_until(condition, seconds, what)


def test_launch_returns_at_once_and_the_process_completes_the_run(store, tmp_path, monkeypatch):
    """launch() returns while the worker is still held at its first line (a sitecustomize that waits
    for a gate file the test opens only after launch() returned), so it cannot have waited for it."""
    gate, hold = tmp_path / "gate", tmp_path / "hold"
    hold.mkdir()
    (hold / "sitecustomize.py").write_text(  # bounded: a launch() that waited would end, then fail below
        f"import os, time\ndeadline = time.monotonic() + {patience(120)}\n"
        f"while not os.path.exists({str(gate)!r}) and time.monotonic() < deadline:\n    time.sleep(0.05)\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(hold), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("RNNKIT_WARM_WORKER", "off")  # the cold path: a new Python, held by its sitecustomize
    config = build_config("recall", None, {"task": {"sequence_length": 10, "num_samples": 200},
                                           "train": {"epochs": 2, "batch_size": 32}})
    run = store.create(config)
    store.launcher.launch([run])
    held = run.worker()["pid"]
    assert os.path.exists(f"/proc/{held}") and run.status()["state"] != "completed"  # returned, worker held
    gate.write_text("go")
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
    store.stop(run.run_id)
    steps_before = len(run.metrics("step"))  # counted after the request: a busy test process may lag the worker
    wait_for(lambda: run.status()["state"] == "stopped", seconds=60, what="stopped")
    assert len(run.metrics("step")) <= steps_before + 1  # at most the log point of the current batch
    assert run.best_path.exists() and run.last_path.exists()
    assert run.metrics("test") == []  # a user stop skips the test pass


def test_kill_minus_9_is_reported_interrupted_and_resume_finishes_without_duplicates(store):
    run = store.create(build_config("recall", None, SLOW))
    store.launcher.launch([run])
    wait_for(lambda: any(r["epoch"] == 2 for r in run.metrics("step")), what="epoch 2 to start")
    pid = run.raw_status()["pid"]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: run.status()["state"] == "interrupted", seconds=30, what="interrupted")
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
    wait_for(lambda: run.status()["state"] == "stopped", seconds=60, what="stopped")


def _status_of(run, process, **identity):
    """Write a `running` status that names `process` as this host's worker."""
    import socket

    from rnnkit.runs.launcher import process_start_time

    run.write_status("running", host=socket.gethostname(), pid=process.pid,
                     start_time=process_start_time(process.pid), **identity)


def _sleeper(tmp_path, token=None, folder="plain"):
    """A Python that sleeps, started from `folder` (a virtual environment's python inside it)."""
    python = tmp_path / folder / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True, exist_ok=True)
    if not python.exists():
        python.symlink_to(sys.executable)
    environment = {name: value for name, value in os.environ.items() if name != "RNNKIT_WORKER_TOKEN"}
    if token:
        environment["RNNKIT_WORKER_TOKEN"] = token
    process = subprocess.Popen([str(python), "-c", f"import time; time.sleep({patience(600)})"], env=environment,
                               cwd=python.parent)
    # until it runs its own program: between fork and exec its command line and environment are still ours
    # (a busy machine showed an empty command line there)
    wait_for(lambda: process_start_time(process.pid) is not None and b"time.sleep" in _command_line(process.pid),
             seconds=30, what="the sleeper to start")
    return process


def _command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_stop_never_signals_a_python_from_a_folder_named_rnnkit(store, tmp_path):
    """A clone in `rnnkit/`: every Python of its virtual environment has `rnnkit` in its command line."""
    run = store.create(build_config("recall", "quick"))
    bystander = _sleeper(tmp_path, folder="rnnkit/rnnkit")
    try:
        assert "rnnkit" in Path(f"/proc/{bystander.pid}/cmdline").read_text()
        for identity in ({}, {"token": "not-its-token"}):  # pid and start time right, no token / another's
            _status_of(run, bystander, **identity)
            store.stop(run.run_id)
            time.sleep(patience(0.3))  # a signal, had one been sent, would have ended it by now
            assert bystander.poll() is None  # still alive: nothing was signalled
            run.clear_stop_request()
    finally:
        bystander.kill()
        bystander.wait()


def test_stop_signals_the_process_that_proves_it_is_our_worker(store, tmp_path):
    run = store.create(build_config("recall", "quick"))
    token = secrets.token_hex(16)
    other = _sleeper(tmp_path, token="a-different-launch")
    worker = _sleeper(tmp_path, token=token)
    try:
        _status_of(run, other, token=token)  # the token is right, the process is not the one carrying it
        store.stop(run.run_id)
        time.sleep(patience(0.3))
        assert other.poll() is None
        run.clear_stop_request()
        _status_of(run, worker, token=token)
        store.stop(run.run_id)
        assert worker.wait(timeout=patience(60)) == -signal.SIGTERM
    finally:
        for process in (other, worker):
            process.kill()
            process.wait()


def test_a_running_status_without_start_time_is_alive_only_while_its_pid_carries_the_token(store, tmp_path):
    import socket

    run = store.create(build_config("recall", "quick"))
    token = secrets.token_hex(16)
    worker, bystander = _sleeper(tmp_path, token=token), _sleeper(tmp_path)
    try:
        for process, state in ((worker, "running"), (bystander, "interrupted")):  # a reused pid: not ours
            run.write_status("running", host=socket.gethostname(), pid=process.pid, token=token)
            assert run.status()["state"] == state, process
    finally:
        for process in (worker, bystander):
            process.kill()
            process.wait()
    run.write_status("running", host=socket.gethostname(), pid=worker.pid, token=token)
    assert run.status()["state"] == "interrupted"  # gone


def test_a_forked_group_child_records_its_own_identity_with_the_launchers_token(tmp_path):
    """The verified identity is the child's (pid + start time + token), never its launcher's."""
    from rnnkit.runs.launcher import is_our_process

    script = ("import json, os, sys, time\n"
              "from rnnkit.runs.launcher import process_identity\n"
              "parent = process_identity()\n"
              "if os.fork() == 0:\n"
              "    print(json.dumps({'parent': parent, 'child': process_identity()}), flush=True)\n"
              f"    time.sleep({patience(600)})\n"
              "    os._exit(0)\n"
              f"time.sleep({patience(600)})\n")
    token = secrets.token_hex(16)
    environment = {**os.environ, "RNNKIT_WORKER_TOKEN": token, "PYTHONPATH": str(Path(__file__).parent.parent)}
    launcher = subprocess.Popen([sys.executable, "-c", script], env=environment, stdout=subprocess.PIPE,
                                start_new_session=True, text=True)
    try:
        ready, _, _ = select.select([launcher.stdout], [], [], patience(60))  # bounded: never hang on it
        assert ready, "the forked child printed nothing"
        identities = json.loads(launcher.stdout.readline())
        parent, child = identities["parent"], identities["child"]
        assert child["token"] == parent["token"] == token and child["pid"] != parent["pid"]
        assert is_our_process(child) and is_our_process(parent)
        assert not is_our_process({**child, "start_time": parent["start_time"] - 1})  # the pid, another time
        assert not is_our_process({**child, "token": "forged"})
    finally:
        os.killpg(launcher.pid, signal.SIGKILL)
        launcher.wait()


def test_a_launched_worker_records_the_token_the_launcher_gave_it(store):
    config = build_config("recall", None, {"task": {"sequence_length": 10, "num_samples": 200},
                                           "train": {"epochs": 1, "batch_size": 32}})
    run = store.create(config)
    store.launcher.launch([run])
    token = run.worker()["token"]
    wait_for(lambda: run.status()["state"] == "completed", what="completion")
    assert len(token) == 32 and run.raw_status()["token"] == run.worker()["token"] == token
    assert run.raw_status()["pid"] == run.worker()["pid"]  # worker.json is the worker's own, not the launcher's
