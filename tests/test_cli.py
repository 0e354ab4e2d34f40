"""The command line: help everywhere, one-line errors that list valid values, dry runs, a group."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rnnkit.cli.main import main
from tests.waits import patience

SUBCOMMANDS = ["train", "runs", "stop", "resume", "eval", "predict", "presets"]


def rnnkit(*args, checkpoints=None):
    command = [sys.executable, "-m", "rnnkit", *args]
    if checkpoints is not None:
        command += ["--checkpoints-dir", str(checkpoints)]
    return subprocess.run(command, capture_output=True, text=True, timeout=patience(300))


@pytest.mark.parametrize("subcommand", SUBCOMMANDS)
def test_every_subcommand_has_help(subcommand, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([subcommand, "--help"])
    assert exit_info.value.code == 0
    assert "usage: python -m rnnkit" in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["--arch", "mamba"], "unknown architecture mamba; valid: rnn, lstm, gru, reslstm, mingru, minlstm, slstm, "
                          "transformer"),
    (["--arch", "lstm,lstm"], "listed twice"),
    (["--lr", "0"], "learning_rate must be > 0"),
    (["--lr", "-1"], "learning_rate must be > 0"),
    (["--hidden-size", "-4"], "hidden_size must be > 0"),
    (["--num-layers", "0"], "num_layers must be > 0"),
    (["--dropout", "1.5"], "dropout must be in [0, 1)"),
    (["--batch-size", "4096", "--num-samples", "100"], "larger than the training split"),
    (["--preset", "fastest"], "unknown preset 'fastest' for task 'recall'; valid: quick, best"),
    (["--impl", "fused", "--arch", "reslstm"], "exists only as impl='scratch'"),
])
def test_bad_train_options_fail_with_one_line(args, message, tmp_path, capsys):
    code = main(["train", *args, "--epochs", "1", "--checkpoints-dir", str(tmp_path)])
    error = capsys.readouterr().err
    assert code != 0, error  # 2: refused before a run was made; 1: the run failed on its data
    assert message in error
    assert "Traceback" not in error and error.count("\n") == 1


def test_unknown_task_lists_the_valid_tasks(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--task", "chess"])
    error_line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "invalid choice: 'chess'" in error_line
    assert "recall" in error_line and "adding" in error_line


@pytest.mark.parametrize("task", ["recall", "adding"])
def test_dry_run_per_synthetic_task(task, tmp_path):
    result = rnnkit("train", "--task", task, "--arch", "gru", "--dry-run", checkpoints=tmp_path)
    assert result.returncode == 0, result.stderr
    listing = json.loads(rnnkit("runs", "--json", checkpoints=tmp_path).stdout)
    assert listing[0]["state"] == "completed" and listing[0]["task"] == task


def test_several_architectures_make_one_group(tmp_path, capsys):
    code = main(["train", "--arch", "rnn,gru", "--group", "demo", "--dry-run", "--checkpoints-dir", str(tmp_path)])
    assert code == 0
    capsys.readouterr()
    main(["runs", "--group", "demo", "--json", "--checkpoints-dir", str(tmp_path)])
    rows = json.loads(capsys.readouterr().out)
    assert sorted(row["arch"] for row in rows) == ["gru", "rnn"]
    assert {row["group"] for row in rows} == {"demo"}


def test_eval_and_predict_a_finished_run(tmp_path, capsys):
    assert main(["train", "--dry-run", "--checkpoints-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    main(["runs", "--json", "--checkpoints-dir", str(tmp_path)])
    run_id = json.loads(capsys.readouterr().out)[0]["run_id"]
    assert main(["eval", run_id, "--json", "--checkpoints-dir", str(tmp_path)]) == 0
    assert "accuracy" in json.loads(capsys.readouterr().out)
    assert main(["predict", run_id, "--examples", "3", "--json", "--checkpoints-dir", str(tmp_path)]) == 0
    predictions = json.loads(capsys.readouterr().out)
    assert len(predictions) == 3 and {"label", "top", "target"} <= set(predictions[0])
    assert main(["predict", run_id, "hello", "--checkpoints-dir", str(tmp_path)]) == 2
    assert "takes no text input" in capsys.readouterr().err


def test_resume_refuses_a_completed_run_and_stop_an_unknown_one(tmp_path, capsys):
    assert main(["train", "--dry-run", "--checkpoints-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    main(["runs", "--json", "--checkpoints-dir", str(tmp_path)])
    run_id = json.loads(capsys.readouterr().out)[0]["run_id"]
    assert main(["resume", run_id, "--checkpoints-dir", str(tmp_path)]) == 2
    assert "already completed" in capsys.readouterr().err
    assert main(["stop", "../etc", "--checkpoints-dir", str(tmp_path)]) == 2
    assert "invalid run id" in capsys.readouterr().err


@pytest.mark.parametrize("command,archs", [
    ("train --task shopping --preset best", ["gru"]),  # the preset's own BiGRU, not the plain default
    ("train --task imdb --preset quick --seeds 2", ["gru", "gru"]),
    ("train --task recall --preset none", ["lstm"]),
    ("train --task shopping --preset best --arch lstm,rnn", ["lstm", "rnn"]),
])
def test_without_arch_a_preset_trains_its_own_architecture(command, archs):
    from rnnkit.cli.flags import configs_from_args
    from rnnkit.cli.parser import build_parser

    configs = configs_from_args(build_parser().parse_args(command.split()))
    assert [config.model.arch for config in configs] == archs
    if "best" in command:
        assert all(config.model.bidirectional and config.model.pooling == "max" for config in configs)


def test_a_sweep_without_arch_keeps_the_presets_architecture(tmp_path, monkeypatch):
    from rnnkit.runs.store import RunStore

    monkeypatch.setattr(RunStore, "start", lambda self, configs: started.extend(configs) or [])
    started = []
    assert main(["sweep", "--task", "imdb", "--preset", "quick", "--grid", "model.hidden_size=32,64", "--detach",
                 "--checkpoints-dir", str(tmp_path)]) == 0
    assert [config.model.arch for config in started] == ["gru", "gru"]


# ------------------------------------------------------------------------ a light start, one home per policy
def _imported_modules(*args):
    """The modules `python -X importtime -m rnnkit ARGS` imports (importtime writes one line each to stderr)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "rnnkit", *args], capture_output=True,
                            text=True, timeout=patience(300))
    assert result.returncode == 0, result.stderr[-2000:]
    return {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}


def test_help_builds_only_the_command_table(tmp_path):
    """`--help` lists every command without loading the tasks (nor torch); only the named command's flags are
    built. `runs` lists real run folders (the demos) without torch or pandas."""
    assert not _imported_modules("--help") & {"torch", "streamlit", "pandas", "rnnkit.data.tasks", "rnnkit.cli.flags"}
    shutil.copytree(Path(__file__).resolve().parent.parent / "checkpoints" / "demo", tmp_path / "store")
    assert not _imported_modules("runs", "--checkpoints-dir", str(tmp_path / "store")) & {
        "torch", "pandas", "streamlit", "rnnkit.data.tasks", "rnnkit.cli.flags", "rnnkit.worker.execute"}


def test_detached_runs_of_one_group_share_the_cores_and_explicit_threads_stay(tmp_path, monkeypatch):
    from rnnkit.runs.launcher import parallel_threads
    from rnnkit.runs.store import RunStore

    started = []

    def start(self, configs):  # the run folders, without launching them
        started.extend(configs)
        return [self.create(config) for config in configs]

    monkeypatch.setattr(RunStore, "start", start)
    command = ["train", "--arch", "rnn,gru", "--seeds", "2", "--detach", "--checkpoints-dir", str(tmp_path)]
    assert main(command) == 0
    assert len(started) == 4 and len({config.group for config in started}) == 1
    assert {config.train.num_threads for config in started} == {parallel_threads(4)}
    started.clear()
    assert main([*command, "--threads", "1"]) == 0
    assert {config.train.num_threads for config in started} == {1}


def test_a_full_queue_says_why_in_one_line(tmp_path, monkeypatch, capsys):
    from rnnkit.runs.limits import QueueFull
    from rnnkit.runs.store import RunStore

    def refuse(self, configs):
        raise QueueFull("group_size", 2, 1)

    monkeypatch.setattr(RunStore, "start", refuse)
    assert main(["train", "--arch", "rnn,gru", "--detach", "--checkpoints-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "error: A group may have at most 1 runs; this one has 2.\n"


def test_the_exit_status_of_a_command_from_its_runs_outcomes():
    from rnnkit.runs.folder import exit_status

    assert exit_status(["completed", "stopped"]) == 0  # a run stopped on request ended as asked
    assert exit_status(["completed", "failed"]) == exit_status(["interrupted"]) == 1
    assert exit_status([]) == 1
    assert exit_status(["completed", "stopped"], accepted=("completed",)) == 1  # a search cut short


HIDE_STREAMLIT = """
import importlib.abc, sys
class Hidden(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "streamlit":
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, Hidden())
from rnnkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_report_writes_html_where_streamlit_is_not_installed(tmp_path, capsys):
    assert main(["train", "--dry-run", "--checkpoints-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    main(["runs", "--json", "--checkpoints-dir", str(tmp_path)])
    run_id = json.loads(capsys.readouterr().out)[0]["run_id"]
    result = subprocess.run([sys.executable, "-c", HIDE_STREAMLIT, "report", run_id, "--html", str(tmp_path / "r.html"),
                             "--checkpoints-dir", str(tmp_path)], capture_output=True, text=True, timeout=patience(300))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "<html" in (tmp_path / "r.html").read_text(encoding="utf-8").lower()
