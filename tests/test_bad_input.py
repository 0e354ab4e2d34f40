"""A classroom server meets bad input: files that are not CSVs, markdown in a user's file, a pid that
is not our worker, and run folders broken in every way. Each one becomes a message about that one
thing; nothing leaks and the rest keeps working."""
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnnkit.cli.main import main
from rnnkit.config.run import TaskConfig
from rnnkit.data.presets import build_config
from rnnkit.data.tasks import get_task
from rnnkit.runs.launcher import process_start_time
from rnnkit.runs.store import RunStore
from rnnkit.ui.safe import plain
from rnnkit.worker.execute import execute
from tests.apptest import page
from tests.waits import patience

ROOT = Path(__file__).resolve().parent.parent
SECRET = "root:*:20228:0:99999:7:::\nalice:$6$hunter2hash:20228:0:99999:7:::\n"


def test_a_csv_path_to_a_file_that_is_not_a_csv_leaks_nothing(tmp_path, capsys):
    shadow = tmp_path / "shadow"
    shadow.write_text(SECRET)
    with pytest.raises(ValueError) as caught:
        get_task("csv").load(TaskConfig(name="csv", options={"file": str(shadow)}), 0, lambda _: None)
    assert "root:" not in str(caught.value) and "hunter2" not in str(caught.value)
    code = main(["train", "--task", "csv", "--file", str(shadow), "--dry-run",
                 "--checkpoints-dir", str(tmp_path / "r")])
    output = capsys.readouterr()
    assert code != 0 and "hunter2" not in output.err + output.out and "root:" not in output.err + output.out
    status = next((tmp_path / "r").glob("*/status.json")).read_text()
    assert "hunter2" not in status and "root:" not in status


def test_cell_values_never_appear_in_errors(tmp_path):
    path = tmp_path / "credentials.csv"
    path.write_text("user,password\n" + "alice,hunter2\n" + "bob,swordfish\n" * 5)
    with pytest.raises(ValueError) as caught:
        get_task("csv").load(TaskConfig(name="csv", options={"file": str(path), "text_column": "user",
                                                             "label_column": "password"}), 0, lambda _: None)
    assert "hunter2" not in str(caught.value) and "swordfish" not in str(caught.value)


def test_markdown_in_a_users_file_is_shown_as_text():
    header = "[click](http://example.invalid) ![x](http://example.invalid/track.png)"
    shown = plain(f"cannot tell which column holds the text (columns: {header})")
    assert "](" not in shown and "![" not in shown and "\\[click\\]" in shown


def test_an_error_in_the_live_view_renders_markdown_as_text(app_env):
    run = app_env.runs(group="gtest")[0]
    status = json.loads(run.status_path.read_text())
    before = dict(status)
    status.update(state="failed", error="columns: [click](http://example.invalid) **bold**")
    run.status_path.write_text(json.dumps(status))
    try:
        app = page("train", train_watch=run.config().group).run()
        errors = [element.proto.body for element in app.error]
        assert errors and all("](http" not in body and "**bold**" not in body for body in errors)
        assert any("\\[click\\]" in body for body in errors)
    finally:
        run.status_path.write_text(json.dumps(before))


def test_stop_never_signals_a_process_that_is_not_our_worker(tmp_path):
    store = RunStore(tmp_path)
    run = store.create(build_config("recall", None, {"task": {"sequence_length": 8, "num_samples": 100}}))
    bystander = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({patience(600)})"])
    try:
        import socket

        for identity in ({"pid": bystander.pid},  # no start time: cannot be verified
                         {"pid": bystander.pid, "start_time": process_start_time(bystander.pid)}):  # not rnnkit
            run.write_status("running", host=socket.gethostname(), **identity)
            store.stop(run.run_id)
            time.sleep(patience(0.3))  # a signal, had one been sent, would have ended it by now
            assert bystander.poll() is None  # still alive: nothing was signalled
            assert run.stop_requested()  # the file asks the real worker, if any, to stop
            run.clear_stop_request()
    finally:
        bystander.kill()
        bystander.wait()


@pytest.fixture
def broken_store(tmp_path):
    """One good run and one run folder broken in each way a disk or a hand can break it."""
    store = RunStore(tmp_path / "runs")
    good = store.create(build_config("recall", None, {"task": {"sequence_length": 8, "num_samples": 100},
                                                      "train": {"epochs": 1, "batch_size": 16}}, group="good"))
    assert execute(good, stream=io.StringIO(), install_signals=False) == "completed"
    for name, mutate in (
        ("config-list", lambda run: run.config_path.write_text("[1, 2]")),
        ("metrics-junk", lambda run: run.metrics_path.write_text('[1,2]\n"str"\nnull\n{"kind": "epoch"}\n')),
        ("best-random", lambda run: run.best_path.write_bytes(b"\x00\x01not a checkpoint" * 50)),
        ("best-text", lambda run: run.best_path.write_text("hello")),
    ):
        broken = store.create(build_config("recall", None, {"task": {"sequence_length": 8, "num_samples": 100},
                                                            "train": {"epochs": 1, "batch_size": 16}}),
                              run_id=f"bad-{name}")
        assert execute(broken, stream=io.StringIO(), install_signals=False) == "completed"
        mutate(broken)
    return store


def test_bad_run_folders_do_not_break_the_cli(broken_store, capsys):
    assert main(["runs", "--checkpoints-dir", str(broken_store.root)]) == 0
    table = capsys.readouterr().out
    assert "bad-config-list" in table and "config.json" in table  # one line saying what is wrong
    assert main(["runs", "--json", "--checkpoints-dir", str(broken_store.root)]) == 0
    rows = {row["run_id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["bad-config-list"]["state"] == "failed" and rows["bad-metrics-junk"]["epoch"] == 0
    assert main(["predict", "bad-best-text", "--examples", "1", "--checkpoints-dir", str(broken_store.root)]) == 2
    error = capsys.readouterr().err
    assert "is corrupt or truncated" in error and error.count("\n") == 1


@pytest.mark.parametrize("name", ["home", "train", "compare", "playground"])
def test_bad_run_folders_do_not_break_any_page(broken_store, monkeypatch, name):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(broken_store.root))
    app = page(name).run()
    assert not app.exception, [e.value for e in app.exception]


def test_a_broken_model_file_is_a_message_in_the_playground(broken_store, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(broken_store.root))
    for run_id in ("bad-best-random", "bad-best-text"):
        app = page("playground", play_task="recall", play_model=str(broken_store.root / run_id / "best.pt")).run()
        assert not app.exception, [e.value for e in app.exception]
        assert "cannot be loaded" in app.error[0].value


def test_an_absurd_data_folder_is_a_missing_folder_not_an_exception(app_env):
    app = page("home", app_data_dir="x" * 10_000).run()
    assert not app.exception, [e.value for e in app.exception]


def test_a_single_user_dashboard_listens_on_this_computer_only():
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert 'address = "localhost"' in config


def test_a_full_disk_fails_the_run_with_a_clear_message_and_keeps_earlier_checkpoints(tmp_path, monkeypatch):
    import shutil as shutil_module

    import torch

    from rnnkit.training import checkpoint as checkpoint_module
    from rnnkit.training.checkpoint import load_checkpoint

    store = RunStore(tmp_path)
    run = store.create(build_config("recall", None, {"task": {"sequence_length": 8, "num_samples": 100},
                                                     "train": {"epochs": 3, "batch_size": 16}}))
    real_save, saves = torch.save, []

    def save_until_full(payload, handle):  # the third checkpoint write finds the disk full
        saves.append(1)
        if len(saves) >= 3:
            monkeypatch.setattr(shutil_module, "disk_usage", lambda folder: shutil_module._ntuple_diskusage(1, 1, 0))
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 64 vs 0")
        real_save(payload, handle)

    monkeypatch.setattr(checkpoint_module.torch, "save", save_until_full)
    assert execute(run, stream=io.StringIO(), install_signals=False) == "failed"
    status = run.status()
    assert status["state"] == "failed" and status["error"].startswith("disk full (0 MB free in ")
    assert load_checkpoint(run.last_path)["epoch"] == 1  # the earlier checkpoint is intact
    assert not list(run.path.glob(".*.tmp"))  # no half-written file left behind


def test_half_written_files_of_a_killed_writer_are_removed_on_the_next_start(tmp_path):
    store = RunStore(tmp_path)
    run = store.create(build_config("recall", None, {"task": {"sequence_length": 8, "num_samples": 100},
                                                     "train": {"epochs": 1, "batch_size": 16}}))
    stale = run.path / ".last.pt.999999999.abcdef.tmp"  # no such process
    stale.write_bytes(b"x" * 1000)
    assert execute(run, stream=io.StringIO(), install_signals=False) == "completed"
    assert not stale.exists()


def test_uploads_do_not_pile_up(tmp_path, monkeypatch):
    import os
    import time as time_module

    from rnnkit.runs import uploads as upload

    monkeypatch.setenv("RNNKIT_CACHE_DIR", str(tmp_path))
    old = upload.save_upload("old.csv", b"text,label\na,b\n")
    long_ago = time_module.time() - 8 * 86_400
    os.utime(old, (long_ago, long_ago))
    new = upload.save_upload("new.csv", b"text,label\nc,d\n")
    assert new.exists() and not old.exists()


def test_an_enormous_config_file_is_refused_without_reading_it(tmp_path):
    store = RunStore(tmp_path)
    run = store.create(build_config("recall", None, {"task": {"sequence_length": 8, "num_samples": 100}}))
    run.config_path.write_text('{"pad": "' + "x" * 2_000_000 + '"}')
    with pytest.raises(Exception, match="far more than a run config holds"):
        run.config()
    assert main(["runs", "--checkpoints-dir", str(tmp_path)]) == 0


def test_a_write_into_a_deleted_folder_is_not_a_full_disk(tmp_path):
    import errno

    from rnnkit.core.files import is_disk_full

    assert not is_disk_full(OSError(errno.ENOENT, "gone"), tmp_path / "deleted-run")
    assert is_disk_full(OSError(errno.ENOSPC, "full"), tmp_path / "deleted-run")


@pytest.mark.parametrize("section,name,value", [("train", "epochs", 10**9), ("train", "learning_rate", float("nan")),
                                                ("train", "seed", 2**80), ("model", "hidden_size", 10**6)])
def test_a_hand_edited_config_with_an_absurd_value_is_never_trained(tmp_path, capsys, section, name, value):
    from rnnkit.runs.store import RunError

    store = RunStore(tmp_path)
    run = store.create(build_config("recall", None, {"task": {"sequence_length": 8, "num_samples": 100}}))
    document = json.loads(run.config_path.read_text())
    document[section][name] = value
    run.config_path.write_text(json.dumps(document))  # NaN is written as the bare word NaN, which json reads back
    with pytest.raises(ValueError, match=f"{name} must be "):  # first: were it read, 10**9 epochs would train
        run.config()
    with pytest.raises(RunError, match=f"config.json is unreadable \\({name} must be "):
        execute(run, stream=io.StringIO(), install_signals=False)
    assert not list(run.path.glob("*.pt"))
    assert main(["runs", "--checkpoints-dir", str(tmp_path)]) == 0
    assert f"{name} must be " in capsys.readouterr().out


def test_a_config_no_run_may_train_ends_the_run_as_failed(tmp_path):
    from rnnkit.runs.folder import RunError

    run = RunStore(tmp_path).create(build_config("recall", "quick"))
    document = json.loads(run.config_path.read_text(encoding="utf-8"))
    document["train"]["epochs"] = 10**9  # edited by hand after the store checked it
    run.config_path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(RunError, match="epochs"):
        execute(run, stream=io.StringIO(), install_signals=False)
    assert run.status()["state"] == "failed" and "epochs" in run.status()["error"]


def test_matched_parameters_stay_within_the_hidden_size_bound():
    from rnnkit.config.run import MAX_WIDTH, ModelConfig
    from rnnkit.config.spec import TaskSpec
    from rnnkit.model.budget import matched_hidden_size

    spec = TaskSpec(job="classify", input_kind="features", selection_metric="accuracy", input_size=4, output_size=3,
                    max_steps=10)
    hidden, _count, _target = matched_hidden_size(ModelConfig(arch="gru", hidden_size=1100, match_parameters="lstm"),
                                                  spec)
    assert 1100 < hidden <= MAX_WIDTH
    with pytest.raises(ValueError, match="hidden size above"):
        matched_hidden_size(ModelConfig(arch="rnn", hidden_size=4000, match_parameters="lstm"), spec)
