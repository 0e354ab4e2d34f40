"""The run store: ids, folder contents, status liveness, metrics lines, config files."""
import json
import subprocess
import sys

import pytest

from rnnkit.config.run import RunConfig
from rnnkit.data.presets import build_config
from rnnkit.model.catalog import check_model_config
from rnnkit.runs.store import RunError, RunStore, validate_run_id
from tests.waits import patience


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/b", "..", "a..b", "", ".hidden", "x" * 200, "a b", "a\\b"])
def test_bad_run_ids_are_refused(bad, store):
    with pytest.raises(RunError, match="invalid run id"):
        validate_run_id(bad)
    with pytest.raises(RunError):
        store.get(bad)


def test_two_runs_created_in_the_same_second_get_different_ids(store):
    config = build_config("recall", "quick")
    ids = {store.create(config).run_id for _ in range(20)}
    assert len(ids) == 20
    assert len(store.runs()) == 20


def test_a_new_run_has_its_config_and_queued_status(store):
    config = build_config("recall", "quick", {"model": {"arch": "gru"}}, group="demo")
    run = store.create(config)
    assert run.config() == config
    assert run.status()["state"] == "queued"
    assert run.info()["run_id"] == run.run_id
    assert [r.run_id for r in store.runs(group="demo")] == [run.run_id]
    assert store.latest_group() == "demo"


def test_missing_and_corrupt_config_json_give_actionable_errors(store):
    run = store.create(build_config("recall", "quick"))
    run.config_path.write_text("{not json", encoding="utf-8")
    with pytest.raises(RunError, match="config.json is unreadable"):
        run.config()
    run.config_path.write_text(json.dumps({"model": {"arch": "transformerx"}}), encoding="utf-8")
    # the run store knows no cell (it imports no torch): an architecture it does not know is listed as it is,
    # and the model layer names the valid ones when the run is used
    with pytest.raises(ValueError, match="valid: rnn, lstm, gru, reslstm"):
        check_model_config(run.config().model)
    run.config_path.unlink()
    with pytest.raises(RunError, match="no config.json"):
        run.config()
    assert store.runs() == []  # an incomplete folder is not listed as a run


def test_unknown_run_is_a_clear_error(store):
    with pytest.raises(RunError, match="no run 'nope'"):
        store.get("nope")


def of_kind(run, kind):
    """The reader's records of one kind, whatever fields they have (these tests write minimal lines)."""
    return [record for record in run.metrics() if record.get("kind") == kind]


def test_metrics_reader_skips_a_line_still_being_written(store):
    run = store.create(build_config("recall", "quick"))
    run.append_metrics({"kind": "epoch", "epoch": 1})
    with open(run.metrics_path, "a", encoding="utf-8") as handle:
        handle.write('{"kind": "epoch", "ep')  # a writer caught mid-line
    assert run.metrics() == [{"kind": "epoch", "epoch": 1}]
    size = len(json.dumps({"kind": "epoch", "epoch": 1}, separators=(",", ":"))) + 1
    run.truncate_metrics(size)
    run.append_metrics({"kind": "epoch", "epoch": 2})
    assert [record["epoch"] for record in of_kind(run, "epoch")] == [1, 2]


def test_metrics_reader_follows_appends_truncation_and_replacement(store):
    run = store.create(build_config("recall", "quick"))
    for step in range(3):
        run.append_metrics({"kind": "step", "step": step})
    assert [record["step"] for record in of_kind(run, "step")] == [0, 1, 2]
    size = run.metrics_size()
    run.append_metrics({"kind": "epoch", "epoch": 1, "note": "\u2028 is not a line break"})
    run.append_metrics({"kind": "step", "step": 3})
    assert [record["kind"] for record in run.metrics()] == ["step"] * 3 + ["epoch", "step"]
    # resume: the unfinished epoch's lines go, and new ones grow the file past the old end
    run.truncate_metrics(size)
    for step in range(3, 9):
        run.append_metrics({"kind": "step", "step": step, "resumed": True})
    assert [record["step"] for record in of_kind(run, "step")] == list(range(9))
    assert of_kind(run, "epoch") == []
    # a file replaced by another one (same size, new inode)
    text = run.metrics_path.read_text(encoding="utf-8").replace('"step"', '"STEP"')
    replacement = run.metrics_path.with_name("new.jsonl")
    replacement.write_text(text, encoding="utf-8")
    replacement.replace(run.metrics_path)
    assert of_kind(run, "step") == [] and len(of_kind(run, "STEP")) == 9
    run.metrics_path.unlink()
    assert run.metrics() == []


def test_records_missing_what_their_kind_needs_are_skipped(store):
    run = store.create(build_config("recall", "quick"))
    run.append_metrics({"kind": "step", "epoch": 1, "step": 1, "steps_per_epoch": 5, "loss": 2.3})
    run.append_metrics({"kind": "step", "epoch": 1, "step": "two"})  # damaged: no loss, a string step
    with open(run.metrics_path, "a", encoding="utf-8") as handle:
        handle.write('[1, 2]\n"text"\nnull\n')
    assert len(run.metrics("step")) == 1 and len(run.metrics()) == 2


def test_a_running_status_whose_process_is_gone_reads_interrupted(store):
    run = store.create(build_config("recall", "quick"))
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                              timeout=patience(60))
    import socket

    run.write_status("running", pid=int(finished.stdout), host=socket.gethostname(), start_time=None)
    assert run.raw_status()["state"] == "running"
    assert run.status()["state"] == "interrupted"
    run.write_status("running", pid=int(finished.stdout), host="another-machine")
    assert run.status()["state"] == "running"  # cannot check another host's processes


def test_stopping_a_finished_run_is_refused(store):
    run = store.create(build_config("recall", "quick"))
    run.write_status("completed")
    with pytest.raises(RunError, match="is completed"):
        store.stop(run.run_id)


def test_config_json_round_trip_and_unknown_keys():
    config = build_config("adding", "quick", {"model": {"arch": "gru", "bidirectional": True}})
    assert RunConfig.from_json(config.to_json()) == config
    with pytest.raises(ValueError, match="unknown model option"):
        RunConfig.from_dict({"model": {"hiden_size": 3}})


def test_store_lists_nothing_for_a_missing_root(tmp_path):
    assert RunStore(tmp_path / "nowhere").runs() == []


def test_long_runs_are_thinned_for_charts(store):
    from rnnkit.analysis.frames import MAX_STEP_POINTS, step_frame

    run = store.create(build_config("recall", "quick"))
    for step in range(1, 5001):
        run.append_metrics({"kind": "step", "epoch": 1, "step": step, "steps_per_epoch": 5000, "loss": 1.0 / step})
    frame = step_frame([run])
    assert len(frame) <= MAX_STEP_POINTS and frame["epoch"].iloc[-1] == 1.0  # the newest point is kept
