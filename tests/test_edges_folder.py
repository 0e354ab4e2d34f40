"""The edges of a run folder a class finds (issue 29, items 2, 3, 5 and 8).

- Hostile values inside otherwise valid files (a pid of 10**20, "123", 1.5, [1], -1, true; epochs of 10**30;
  NaN; a state that is no string) make that one run "unreadable", nothing else: the CLI and every page
  keep working, and `pid_exists` never raises.
- No file of a run folder is followed through a symbolic link (one test per file), nor a linked run folder.
- Messages name a file by run id and file name, never by its path on the server.
- A refused Start (bad settings, too large for the memory, a full disk) leaves no run folder behind.
"""
import errno
import io
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from rnnkit.cli.main import main
from rnnkit.core import files
from rnnkit.core.files import LinkRefused, open_no_follow, pid_exists
from rnnkit.data.presets import build_config
from rnnkit.runs import groups
from rnnkit.runs import store as store_module
from rnnkit.runs.access import User
from rnnkit.runs.folder import Run
from rnnkit.runs.limits import Limits
from rnnkit.runs.store import RunError, RunStore
from rnnkit.training.checkpoint import CheckpointError, load_checkpoint
from rnnkit.worker.execute import execute
from tests.apptest import page
from tests.waits import patience

ROOT = Path(__file__).resolve().parent.parent
MARKER = "outside-SECRET-7f3a"  # in every file a link points to: no output may repeat it
GROUP = "g20261206-000000-edge"
TINY = {"task": {"sequence_length": 8, "num_samples": 100}, "train": {"epochs": 1, "batch_size": 16}}
HOSTILE_PIDS = {"huge": 10**20, "string": "123", "float": 1.5, "list": [1], "negative": -1, "true": True, "zero": 0,
                "above-pid-t": 2**31}
HERE = socket.gethostname()
HOSTILE_STATUS = {  # run id suffix -> status.json (each otherwise valid)
    **{f"pid-{name}": {"state": "running", "pid": pid, "host": HERE, "start_time": 1}
       for name, pid in HOSTILE_PIDS.items()},
    "epochs-huge": {"state": "completed", "epochs": 10**30, "epoch": 10**30},
    "epoch-negative": {"state": "completed", "epoch": -3},
    "steps-huge": {"state": "running", "step": 10**40, "steps_per_epoch": 10**40, "host": "elsewhere", "pid": 5},
    "eta-nan": {"state": "running", "eta_seconds": float("nan"), "host": "elsewhere", "pid": 5},
    "time-huge": {"state": "completed", "started_at": 1e300, "finished_at": -1e300, "updated_at": float("inf")},
    "start-time-huge": {"state": "running", "pid": os.getpid(), "host": HERE, "start_time": 10**30},
    "parameters-huge": {"state": "completed", "parameters": 10**40, "core_parameters": -5},
    "state-number": {"state": 5},
    "state-list": {"state": ["running"]},
    "state-object": {"state": {"running": True}},
}
HOSTILE_WORKER = {f"worker-pid-{name}": {"pid": pid, "host": HERE} for name, pid in HOSTILE_PIDS.items()}
HOSTILE_METRICS = [  # lines appended after the good ones: each must be skipped
    {"kind": "epoch", "epoch": 10**30, "epochs": 10**30, "train": {}, "validation": {}, "best_epoch": 10**30,
     "monitor": "accuracy", "epoch_seconds": 1.0, "samples_per_second": 1.0},
    {"kind": "epoch", "epoch": -1, "epochs": 1, "train": {}, "validation": {}, "best_epoch": -1,
     "monitor": "accuracy", "epoch_seconds": float("nan"), "samples_per_second": 1.0},
    {"kind": "step", "epoch": 10**12, "step": 10**40, "steps_per_epoch": -1, "loss": 0.5},
    {"kind": "test", "epoch": 10**30, "test": {"accuracy": 0.5}},
]


def tiny_config(**sections):
    return build_config("recall", None, {**TINY, **sections}, group=GROUP)


@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    """One finished run, to copy."""
    store = RunStore(tmp_path_factory.mktemp("edges-good") / "checkpoints")
    run = store.create(tiny_config(), run_id="good")
    assert execute(run, stream=io.StringIO(), install_signals=False) == "completed"
    return run


@pytest.fixture(scope="module")
def hostile_store(good_run, tmp_path_factory):
    """The good run, and one copy of it per hostile status.json, worker.json and metrics.jsonl."""
    root = tmp_path_factory.mktemp("edges-hostile") / "checkpoints"
    shutil.copytree(good_run.path.parent, root)
    for suffix, status in HOSTILE_STATUS.items():
        copy = root / f"hostile-{suffix}"
        shutil.copytree(good_run.path, copy)
        (copy / "status.json").write_text(json.dumps(status))  # NaN and Infinity as JSON readers accept them
    for suffix, worker in HOSTILE_WORKER.items():
        copy = root / f"hostile-{suffix}"
        shutil.copytree(good_run.path, copy)
        (copy / "status.json").write_text(json.dumps({"state": "queued"}))
        (copy / "worker.json").write_text(json.dumps(worker))
    copy = root / "hostile-metrics"
    shutil.copytree(good_run.path, copy)
    with open(copy / "metrics.jsonl", "a") as lines:
        lines.writelines(json.dumps(record) + "\n" for record in HOSTILE_METRICS)
    for name, eta in (("nan", float("nan")), ("infinite", float("inf")), ("negative", -5.0), ("huge", 1e300)):
        copy = root / f"hostile-step-eta-{name}"  # a run training elsewhere, its last step with this ETA
        shutil.copytree(good_run.path, copy)
        (copy / "status.json").write_text(json.dumps({"state": "running", "pid": 5, "host": "elsewhere"}))
        with open(copy / "metrics.jsonl", "a") as lines:
            lines.write(json.dumps({"kind": "step", "epoch": 2, "step": 1, "steps_per_epoch": 7, "loss": 0.5,
                                    "eta_seconds": eta}) + "\n")
    return RunStore(root)


# ------------------------------------------------------------------------------------------ hostile values
@pytest.mark.parametrize("pid", [*HOSTILE_PIDS.values(), None, "abc", 2**63, -(2**70), float("nan"), {"a": 1}])
def test_pid_exists_never_raises_and_says_no_for_what_is_no_pid(pid):
    assert pid_exists(pid) is False


def test_pid_exists_still_finds_a_process():
    assert pid_exists(os.getpid()) is True


@pytest.mark.parametrize("suffix", sorted(HOSTILE_STATUS))
def test_a_hostile_status_value_makes_that_run_unreadable(hostile_store, suffix):
    run = hostile_store.get(f"hostile-{suffix}")
    status = run.status()  # the liveness check reads the pid: no OverflowError, no TypeError
    assert status["state"] == "failed" and status["error"].startswith("status.json is unreadable"), status
    assert hostile_store.get("good").status()["state"] == "completed"


@pytest.mark.parametrize("suffix", sorted(HOSTILE_WORKER))
def test_a_hostile_worker_pid_is_no_worker(hostile_store, suffix):
    run = hostile_store.get(f"hostile-{suffix}")
    assert run.worker() == {}
    assert run.status()["state"] == "queued"  # never launched, as far as anyone can tell


def test_hostile_metrics_values_are_skipped(hostile_store, good_run):
    run = hostile_store.get("hostile-metrics")
    for kind in ("epoch", "step", "test"):
        assert run.metrics(kind) == good_run.metrics(kind), kind


def test_a_step_with_a_hostile_eta_is_skipped(hostile_store, good_run):
    for name in ("nan", "infinite", "negative", "huge"):
        run = hostile_store.get(f"hostile-step-eta-{name}")
        assert run.metrics("step") == good_run.metrics("step"), name


def test_python_m_rnnkit_runs_lists_every_hostile_run_without_a_traceback(hostile_store, capsys):
    assert main(["runs", "--json", "--checkpoints-dir", str(hostile_store.root)]) == 0
    rows = {row["run_id"]: row for row in json.loads(capsys.readouterr().out)}
    assert set(rows) == {run.run_id for run in hostile_store.runs()}
    for suffix in HOSTILE_STATUS:
        assert rows[f"hostile-{suffix}"]["state"] == "failed", suffix
    done = subprocess.run([sys.executable, "-m", "rnnkit", "runs", "--checkpoints-dir", str(hostile_store.root)],
                          capture_output=True, text=True, cwd=ROOT, timeout=patience(120))
    assert done.returncode == 0 and not done.stderr, done.stderr
    assert "hostile-pid-huge" in done.stdout and "Traceback" not in done.stdout


@pytest.mark.parametrize("name", ["home", "train", "compare", "playground", "inside"])
def test_hostile_values_break_no_page(hostile_store, monkeypatch, name):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(hostile_store.root))
    app = page(name).run()
    assert not app.exception, [exception.value for exception in app.exception]


# ------------------------------------------------------------------------------------------------ symlinks
@pytest.fixture
def linked(good_run, tmp_path):
    """A copy of the good run in a fresh store, and a folder outside that store to link to."""
    store = RunStore(tmp_path / "checkpoints")
    shutil.copytree(good_run.path, store.root / "linked")
    outside = tmp_path / "outside"
    outside.mkdir()
    return store, store.get("linked"), outside


def plant_link(run, name, outside, content):
    """Replace `name` in the run folder with a link to a file outside holding `content` (+ the marker)."""
    target = outside / name
    target.write_bytes(content)
    (run.path / name).unlink(missing_ok=True)
    (run.path / name).symlink_to(target)
    return target


def assert_named(message, run, name, tmp_path):
    assert run.run_id in message and name in message and "symbolic link" in message, message
    assert MARKER not in message and str(tmp_path) not in message, message


def test_a_linked_config_json_is_refused(linked, tmp_path):
    store, run, outside = linked
    plant_link(run, "config.json", outside, run.config_path.read_bytes())
    with pytest.raises(RunError) as refused:
        run.config()
    assert_named(str(refused.value), run, "config.json", tmp_path)
    assert run.status() == {"state": "failed", "error": "config.json is a symbolic link, which rnnkit does not "
                                                        "follow; delete it"}


def test_a_linked_status_json_is_refused(linked, tmp_path):
    store, run, outside = linked
    plant_link(run, "status.json", outside, json.dumps({"state": "failed", "error": MARKER}).encode())
    status = run.status()
    assert status["state"] == "failed" and "status.json is a symbolic link" in status["error"]
    assert MARKER not in json.dumps(status)


def test_a_linked_metrics_jsonl_is_neither_read_nor_written(linked, tmp_path):
    store, run, outside = linked
    target = plant_link(run, "metrics.jsonl", outside, run.metrics_path.read_bytes())
    before = target.read_bytes()
    assert run.metrics("epoch") == [] and run.metrics() == []
    assert "metrics.jsonl is a symbolic link" in run.status()["error"]
    with pytest.raises(LinkRefused, match="metrics.jsonl is a symbolic link"):
        run.append_metrics({"kind": "note", "text": "appended"})
    with pytest.raises(LinkRefused):
        run.truncate_metrics(0)
    assert target.read_bytes() == before


def test_logs_does_not_print_a_linked_train_log(linked, tmp_path, capsys):
    store, run, outside = linked
    plant_link(run, "train.log", outside, f"root:x:0:0:{MARKER}:/root:/bin/bash\n".encode())
    assert main(["logs", run.run_id, "--checkpoints-dir", str(store.root)]) == 2
    printed = capsys.readouterr()
    assert MARKER not in printed.out + printed.err
    assert_named(printed.err, run, "train.log", tmp_path)
    done = subprocess.run([sys.executable, "-m", "rnnkit", "logs", run.run_id, "--checkpoints-dir", str(store.root)],
                          capture_output=True, text=True, cwd=ROOT, timeout=patience(120))
    assert done.returncode == 2 and MARKER not in done.stdout + done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("name", ["best.pt", "last.pt"])
def test_a_linked_checkpoint_is_refused(linked, tmp_path, name):
    store, run, outside = linked
    plant_link(run, name, outside, (run.path / name).read_bytes())
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(run.path / name)
    assert_named(str(refused.value), run, name, tmp_path)


def test_a_linked_worker_json_is_no_worker(linked, tmp_path):
    store, run, outside = linked
    plant_link(run, "worker.json", outside, json.dumps({"pid": os.getpid(), "host": HERE}).encode())
    assert run.worker() == {}


def test_a_linked_limits_json_sets_no_limit(linked, tmp_path):
    store, run, outside = linked
    plant_link(run, "limits.json", outside, json.dumps({"time_limit_seconds": 5}).encode())
    assert run.limits() == {}


def test_a_stop_request_replaces_a_link_instead_of_writing_through_it(linked, tmp_path):
    store, run, outside = linked
    target = plant_link(run, "stop.request", outside, MARKER.encode())
    run.request_stop()
    assert target.read_bytes() == MARKER.encode() and not run.stop_path.is_symlink()


def test_a_linked_run_folder_is_not_a_run(linked, tmp_path):
    store, run, outside = linked
    shutil.move(run.path, outside / "real")
    (store.root / "linked").symlink_to(outside / "real", target_is_directory=True)
    assert store.runs() == []
    with pytest.raises(RunError) as refused:
        store.get("linked")
    assert "run linked" in str(refused.value) and "symbolic link" in str(refused.value)
    assert str(tmp_path) not in str(refused.value)
    direct = Run("linked", store.root / "linked", store.launcher)  # a Run made by hand follows nothing either
    with pytest.raises(RunError, match="symbolic link"):
        direct.config()
    assert direct.status()["error"].startswith("the run folder is a symbolic link")


def test_open_no_follow_refuses_a_named_pipe(tmp_path):
    pipe = tmp_path / "status.json"
    os.mkfifo(pipe)
    with pytest.raises(LinkRefused, match="status.json is not a regular file"):
        open_no_follow(pipe)  # would block forever with a plain open()


# ------------------------------------------------------------------------------------- paths in messages
@pytest.fixture
def broken_best(good_run, tmp_path):
    store = RunStore(tmp_path / "checkpoints")
    shutil.copytree(good_run.path, store.root / "broken")
    (store.root / "broken" / "best.pt").write_bytes(b"\x00\x01not a checkpoint" * 50)
    return store


def test_the_playground_names_a_broken_model_by_run_and_file(broken_best, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(broken_best.root))
    app = page("playground", play_task="recall", play_model=str(broken_best.root / "broken" / "best.pt")).run()
    assert not app.exception, [exception.value for exception in app.exception]
    errors = " ".join(error.value for error in app.error)
    assert "run broken: best.pt is corrupt or truncated" in errors.replace("\\", ""), errors
    assert str(broken_best.root) not in errors and "/checkpoints" not in errors


def test_cli_messages_name_runs_never_the_servers_paths(broken_best, capsys):
    root = str(broken_best.root)
    assert main(["predict", "broken", "--examples", "1", "--checkpoints-dir", root]) == 2
    error = capsys.readouterr().err
    assert "run broken: best.pt is corrupt or truncated" in error and root not in error
    for command in (["logs", "nothing"], ["stop", "nothing"]):
        assert main([*command, "--checkpoints-dir", root]) == 2
        error = capsys.readouterr().err
        assert "no run 'nothing'" in error and root not in error, error
    (broken_best.root / "broken" / "config.json").unlink()
    with pytest.raises(RunError) as refused:
        broken_best.get("broken").config()
    assert "run broken has no config.json" in str(refused.value) and root not in str(refused.value)


# --------------------------------------------------------------------------------------- refused Start
def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_start_on_a_full_disk_leaves_no_folder_and_says_start_again(tmp_path, monkeypatch):
    store = RunStore(tmp_path / "checkpoints")
    monkeypatch.setattr(store_module, "write_json_atomic", full_disk)
    with pytest.raises(files.DiskFull) as refused:
        store.start([tiny_config(), tiny_config()])
    assert "free some space and start again" in str(refused.value) and "resume" not in str(refused.value)
    assert str(tmp_path) not in str(refused.value)
    assert list(store.root.iterdir()) == []


def test_a_full_disk_part_way_removes_the_runs_made_before_it(tmp_path, monkeypatch):
    store = RunStore(tmp_path / "checkpoints")
    real_write, writes = store_module.write_json_atomic, []

    def full_at_the_third(path, data):  # the second run's config.json
        writes.append(path)
        if len(writes) == 3:
            full_disk()
        real_write(path, data)

    monkeypatch.setattr(store_module, "write_json_atomic", full_at_the_third)
    with pytest.raises(files.DiskFull, match="free some space and start again"):
        store.start([tiny_config(), tiny_config(), tiny_config()])
    assert [path for path in store.root.iterdir() if not path.name.startswith(".")] == []


def test_a_full_disk_while_writing_a_students_limits_leaves_no_folder(tmp_path, monkeypatch):
    store = RunStore(tmp_path / "checkpoints", user=User("alice", "student"), limits=Limits.for_student())
    monkeypatch.setattr(Run, "write_limits", full_disk)
    with pytest.raises(files.DiskFull, match="free some space and start again"):
        store.start([tiny_config()])
    assert [path for path in store.root.iterdir() if not path.name.startswith(".")] == []


def test_a_start_refused_for_bad_settings_or_memory_leaves_no_folder(tmp_path, monkeypatch, capsys):
    root = tmp_path / "checkpoints"
    assert main(["train", "--task", "recall", "--dropout", "1.5", "--detach", "--checkpoints-dir", str(root)]) == 2
    monkeypatch.setattr(groups, "usable_memory", lambda memory=None: 1)  # one byte free: nothing fits
    assert main(["train", "--task", "recall", "--arch", "lstm,gru", "--detach", "--checkpoints-dir", str(root)]) == 2
    assert "bytes free" in capsys.readouterr().err
    assert not root.exists() or [path for path in root.iterdir() if not path.name.startswith(".")] == []


def test_the_train_page_says_start_again_on_a_full_disk_and_leaves_no_folder(tmp_path, monkeypatch):
    root = tmp_path / "checkpoints"
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(root))
    monkeypatch.setattr(store_module, "write_json_atomic", full_disk)
    app = page("train").run()
    app.multiselect(key="train_archs").set_value(["gru", "lstm"]).run()
    app.button(key="train_start").click().run()
    assert not app.exception, [exception.value for exception in app.exception]
    errors = " ".join(error.value for error in app.error).replace("\\", "")
    assert "free some space and start again" in errors and str(tmp_path) not in errors, errors
    assert not root.exists() or [path for path in root.iterdir() if not path.name.startswith(".")] == []
