"""No hostile run folder breaks anyone (issue 22, item 5).

Every file a run folder or the queue holds (config.json, status.json, metrics.jsonl lines, worker.json,
limits.json, queue entries) is written here in every hostile shape: brackets nested 200 KB deep, a list
instead of an object, binary garbage, an empty file, a huge file, a file that vanishes while it is read,
and wrong types inside an otherwise valid object. Each such run is listed with its id and what is wrong
(never the file's content); the good run beside it, the CLI, the queue and every page keep working.
"""
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rnnkit.cli.main import main
from rnnkit.core import jsonl
from rnnkit.core.jsonl import UnreadableJson, parse_json, read_json_file
from rnnkit.data.presets import build_config
from rnnkit.runs import folder
from rnnkit.runs.access import User
from rnnkit.runs.limits import Limits
from rnnkit.runs.store import RunError, RunStore
from rnnkit.worker.execute import execute
from tests.apptest import page
from tests.waits import patience

ROOT = Path(__file__).resolve().parent.parent
MARKER = "hunter2-MARKER"  # put inside hostile files: no message may repeat it
TINY = {"task": {"sequence_length": 8, "num_samples": 100}, "train": {"epochs": 1, "batch_size": 16}}
HOSTILE = {  # name -> bytes of a file
    "nested": b"[" * 200_000,
    "nested-object": b'{"a":' * 100_000,
    "list": b'[1, 2, "' + MARKER.encode() + b'"]',
    "binary": bytes(range(256)) * 40 + MARKER.encode(),
    "empty": b"",
    "huge": b'{"pad": "' + MARKER.encode() * 200_000 + b'"}',
    "deep-valid": ("[" * 500 + "]" * 500).encode(),  # parses, but too deep for anything that walks it
}
WRONG_TYPES = {  # file -> an object of the right shape whose fields have the wrong types
    "config.json": {"task": [MARKER], "model": {"hidden_size": MARKER}, "train": "x", "version": [[2]]},
    "status.json": {"state": "running", "pid": MARKER, "host": ["x"], "start_time": [1], "epochs": MARKER,
                    "eta_seconds": {"a": 1}, "error": {"nested": MARKER}, "steps_per_epoch": True},
    "worker.json": {"pid": "1", "host": 5, "start_time": "now", "token": ["t"]},
    "limits.json": {"time_limit_seconds": "forever", "other": [1]},
}
FILES = ("config.json", "status.json", "worker.json", "limits.json", "metrics.jsonl")


def tiny_config(**overrides):
    return build_config("recall", None, {**TINY, **overrides})


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory):
    """A finished good run, and one copy of it per (file, hostile content): `hostile-<file>-<kind>`."""
    root = tmp_path_factory.mktemp("hostile") / "checkpoints"
    store = RunStore(root)
    good = store.create(tiny_config(), run_id="good")
    assert execute(good, stream=io.StringIO(), install_signals=False) == "completed"
    for file in FILES:
        kinds = {**HOSTILE, "wrong-types": None}
        for kind, content in kinds.items():
            if file == "metrics.jsonl" and kind == "wrong-types":
                content = b'{"kind": "epoch", "epoch": true, "epochs": "1", "train": [], "best_value": "x"}'
            elif content is None:
                content = json.dumps(WRONG_TYPES[file]).encode()
            if file == "metrics.jsonl":  # a hostile line after the good ones
                content = good.metrics_path.read_bytes() + content + b"\n"
            copy = root / f"hostile-{file.split('.')[0]}-{kind}"
            shutil.copytree(good.path, copy)
            (copy / file).write_bytes(content)
    return store


def test_the_bounded_reader_refuses_every_hostile_shape_without_quoting_it(tmp_path):
    for kind, content in HOSTILE.items():
        path = tmp_path / kind
        path.write_bytes(content)
        if kind == "list":
            assert read_json_file(path, 1_000_000)[:2] == [1, 2]  # a list is JSON: the caller wants an object
            continue
        with pytest.raises(UnreadableJson) as refused:
            read_json_file(path, 1_000_000)
        assert MARKER not in str(refused.value) and len(str(refused.value)) < 200, kind
    with pytest.raises(FileNotFoundError):
        read_json_file(tmp_path / "missing", 1000)
    assert parse_json('{"a": [[1]]}') == {"a": [[1]]}
    with pytest.raises(UnreadableJson, match="nested more than 3"):
        parse_json("[[[[1]]]]", max_depth=3)


def test_every_reader_of_a_run_folder_tolerates_every_hostile_file(hostile_store):
    good_epochs = hostile_store.get("good").metrics("epoch")
    for run in hostile_store.runs():
        if run.run_id == "good":
            continue
        file = run.run_id.split("-")[1] + (".jsonl" if "metrics" in run.run_id else ".json")
        if file == "config.json":
            with pytest.raises(RunError) as refused:
                run.config()
            assert run.run_id in str(refused.value) and MARKER not in str(refused.value)
        else:
            assert run.config() == hostile_store.get("good").config()
        status = run.status()
        assert status["state"] in ("completed", "failed"), (run.run_id, status)
        assert MARKER not in json.dumps(status) or file != "status.json"
        if file == "status.json":
            assert status["state"] == "failed" and "status.json is unreadable" in status["error"]
        assert isinstance(run.worker(), dict) and isinstance(run.limits(), dict)
        if file == "metrics.jsonl":
            assert run.metrics("epoch") == good_epochs  # the hostile line is skipped, the good ones stay


def test_wrong_types_inside_a_valid_object_make_it_unreadable(hostile_store):
    status = hostile_store.get("hostile-status-wrong-types").raw_status()
    assert status == {"state": "failed", "error": "status.json is unreadable: its field pid has the wrong type"}
    assert hostile_store.get("hostile-worker-wrong-types").worker() == {}
    assert hostile_store.get("hostile-limits-wrong-types").limits() == {}
    run = hostile_store.get("good")
    run_limits = {"time_limit_seconds": 1800, "nan": float("nan"), "flag": True, "negative": -1}
    run.write_limits(**run_limits)
    try:
        assert run.limits() == {"time_limit_seconds": 1800}
    finally:
        run.limits_path.unlink()


def test_a_file_that_vanishes_while_it_is_read(hostile_store, monkeypatch):
    """The folder was listed, then its files went (a delete from another terminal) before they were read."""
    real_open = open

    def vanishing(path, *args, **kwargs):
        if Path(path).name in ("config.json", "status.json", "worker.json") and "good" in str(path):
            raise FileNotFoundError(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(jsonl, "open", vanishing, raising=False)
    monkeypatch.setattr(folder, "_CONFIG_CACHE", {})  # the parsed config is cached per file version
    run = hostile_store.get("good")
    with pytest.raises(RunError, match="no config.json"):
        run.config()
    assert run.raw_status() == {"state": "queued"} and run.worker() == {}


def test_the_cli_lists_every_hostile_run_by_id_and_the_good_one(hostile_store, capsys):
    root = str(hostile_store.root)
    assert main(["runs", "--checkpoints-dir", root]) == 0
    table = capsys.readouterr().out
    assert MARKER not in table and "Traceback" not in table
    ids = [run.run_id for run in hostile_store.runs()]
    assert all(run_id in table for run_id in ids)
    assert main(["runs", "--json", "--checkpoints-dir", root]) == 0
    rows = {row["run_id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["good"]["state"] == "completed" and set(rows) == set(ids)
    for kind in HOSTILE:
        row = rows[f"hostile-config-{kind}"]
        assert row["state"] == "failed" and "config.json is unreadable" in row["error"], row
    assert rows["hostile-metrics-nested"]["epoch"] == 1  # the good lines still count
    assert main(["queue", "--checkpoints-dir", root]) == 0
    assert "Traceback" not in capsys.readouterr().out


def test_python_m_rnnkit_runs_prints_a_table_not_a_traceback(hostile_store):
    done = subprocess.run([sys.executable, "-m", "rnnkit", "runs", "--checkpoints-dir", str(hostile_store.root)],
                          capture_output=True, text=True, cwd=ROOT, timeout=patience(120))
    assert done.returncode == 0, done.stderr
    assert "hostile-config-nested" in done.stdout and "good" in done.stdout and not done.stderr


class RecordingLauncher:
    def __init__(self):
        self.launched = []

    def launch(self, runs, resume=False):
        self.launched.append([run.run_id for run in runs])
        for run in runs:
            run.worker_path.write_text(json.dumps({"pid": 1, "host": "elsewhere"}))
            run.write_status("running")

    def is_alive(self, run):
        return True

    def stop(self, run):
        pass


@pytest.mark.parametrize("content", [*HOSTILE.values(),
                                     json.dumps({"runs": [1, None, "../../etc", {"a": 1}, "x" * 500],
                                                 "limits": {"max_running": "x", "capacity": [1]},
                                                 "owner": ["alice"], "group": 5, "resume": "yes"}).encode(),
                                     json.dumps({"runs": "good"}).encode()],
                         ids=[*HOSTILE, "wrong-types", "runs-not-a-list"])
def test_a_hostile_queue_entry_never_stops_the_queue(tmp_path, content):
    launcher = RecordingLauncher()
    store = RunStore(tmp_path, launcher, user=User("alice", "student"), limits=Limits.for_student({"capacity": 2}))
    (tmp_path / ".queue").mkdir()
    (tmp_path / ".queue" / "00000000000000000000-hostile.json").write_bytes(content)  # first in line
    store.queue.positions()
    store.queue.summary()
    runs = store.start([tiny_config()])
    assert launcher.launched == [[runs[0].run_id]]  # started at once: not queued forever
    assert runs[0].status()["state"] == "running"
    assert [path.name for path in (tmp_path / ".queue").glob("*.json")] == []  # the junk entry is gone


@pytest.mark.parametrize("name", ["home", "train", "compare", "playground", "inside"])
def test_hostile_run_folders_break_no_page(hostile_store, monkeypatch, name):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(hostile_store.root))
    queue = hostile_store.root / ".queue"
    queue.mkdir(exist_ok=True)
    (queue / "00000000000000000000-hostile.json").write_bytes(HOSTILE["nested"])
    app = page(name).run()
    assert not app.exception, [e.value for e in app.exception]
    shown = json.dumps([str(element.value) for element in [*app.error, *app.markdown, *app.text]
                        if hasattr(element, "value")])
    assert MARKER not in shown
