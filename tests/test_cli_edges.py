"""The command line at its edges (issues 29 and 30): every count bounded by one declaration, control
characters escaped, a named data folder that must hold the data, sampling options checked, `eval`'s summary,
`sweep` with `train`'s flags, the conversions and the demos said, and groups shown by name and id."""
import contextlib
import io
import json
import re

import pytest

from rnnkit.cli.main import main
from rnnkit.config.counts import check_counts, maximum
from rnnkit.data.sources import DataNotFound, DataSource, resolve
from rnnkit.runs.store import RunStore


def cli(capsys, *args):
    """(exit status, standard output, standard error) of `python -m rnnkit ARGS`, in this process."""
    try:
        code = main(list(args))
    except SystemExit as exit_info:  # argparse refuses: exit status 2 and its usage
        code = exit_info.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def recall_group(tmp_path_factory):
    """A finished recall group of two tiny runs (rnn, gru) and what `train` printed."""
    root = tmp_path_factory.mktemp("edges") / "checkpoints"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
        code = main(["train", "--task", "recall", "--arch", "rnn,gru", "--group", "gedge", "--dry-run",
                     "--sequence-length", "10", "--num-samples", "200", "--checkpoints-dir", str(root)])
    assert code == 0, printed.getvalue()
    return RunStore(root), printed.getvalue()


# ------------------------------------------------------------------------------ counts: one declaration, one line
@pytest.mark.parametrize("args,flag,bound", [
    (["train", "--seeds", "100000"], "--seeds", "in [1, 10], got 100000"),
    (["train", "--seeds", "0"], "--seeds", "in [1, 10], got 0"),
    (["sweep", "--seeds", "11", "--grid", "model.hidden_size=8"], "--seeds", "in [1, 10], got 11"),
    (["sweep", "--search", "random", "--trials", "65", "--grid", "model.hidden_size=8,16"], "--trials",
     "in [1, 64], got 65"),
    (["horizon", "--seeds", "11", "--detach"], "--seeds", "in [1, 10], got 11"),
    (["reproduce", "--seeds", "11", "--comparison", "004"], "--seeds", "in [1, 10], got 11"),
    (["predict", "demo:poems-lstm", "--samples", "11"], "--samples", "in [1, 10], got 11"),
    (["predict", "demo:poems-lstm", "--temperature", "nan"], "--temperature", "a finite number in [0.1, 2], got nan"),
    (["predict", "demo:poems-lstm", "--temperature=inf"], "--temperature", "a finite number in [0.1, 2], got inf"),
    (["predict", "demo:poems-lstm", "--temperature", "0"], "--temperature", "in [0.1, 2], got 0.0"),
    (["predict", "demo:poems-lstm", "--top-k=-5"], "--top-k", "in [0, 500], got -5"),
    (["predict", "demo:poems-lstm", "--line-length", "6"], "--line-length", "one of 0, 5, 7, got 6"),
    (["predict", "demo:poems-lstm", "--seed=-1"], "--seed", "in [0, 2147483647], got -1"),
    (["predict", "demo:recall-lstm", "--examples", "10000000000"], "--examples", "in [0, 1000], got 10000000000"),
    (["train", "--dropout", "nan"], "dropout", "a finite number in [0, 1), got nan"),
    (["train", "--weight-decay", "1e308"], "weight_decay", "in [0, 1], got 1e+308"),
], ids=lambda value: " ".join(value) if isinstance(value, list) else None)
def test_a_count_or_option_out_of_bounds_is_one_line_naming_the_bound(args, flag, bound, tmp_path, capsys):
    code, out, err = cli(capsys, *args, "--checkpoints-dir", str(tmp_path))
    assert code == 2 and err == f"error: {flag} must be {bound}\n", err
    assert "Traceback" not in err and not list(tmp_path.iterdir())  # refused before any run folder


def test_the_library_refuses_the_same_counts_whatever_face_asks():
    from rnnkit.runs.groups import group_configs

    with pytest.raises(ValueError, match=r"^seeds must be in \[1, 10\], got 11$"):
        group_configs("recall", "quick", ["lstm"], seeds=11)  # the API and the dashboard build groups here
    with pytest.raises(ValueError, match=r"^seeds must be a whole number, got 2.5$"):
        group_configs("recall", "quick", ["lstm"], seeds=2.5)
    with pytest.raises(ValueError, match=r"^runs must be in \[1, 64\], got 65$"):
        check_counts(runs=65)
    from rnnkit.analysis.sweep import MAX_SWEEP_RUNS

    assert MAX_SWEEP_RUNS == maximum("runs") == 64 and maximum("seeds") == 10


def test_the_default_temperature_is_the_poem_models(capsys):
    from rnnkit.config.counts import Counts
    from rnnkit.data.tasks.poems import DEFAULT_TEMPERATURE

    assert Counts().temperature == DEFAULT_TEMPERATURE


# ------------------------------------------------------------------------------ control characters
def test_control_characters_are_escaped_in_echoed_inputs_and_error_lines(capsys):
    hostile = "\x1b[31mred\x07\x7f\u202e"
    code, out, err = cli(capsys, "predict", "demo:names-lstm", hostile, "Nakamura")
    assert code == 1  # the hostile input fails on its own line, Nakamura is still predicted
    assert "\\x1b[31mred\\x07\\x7f\\u202e → error: " in out and "Nakamura → " in out
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202e]", out + err), repr(out + err)
    code, out, err = cli(capsys, "runs", "\x1b]0;owned\x07")  # argparse echoes unknown words as typed
    assert code == 2 and "unrecognized arguments: \\x1b]0;owned\\x07" in err and "\x1b" not in err
    code, out, err = cli(capsys, "predict", "demo:\x1b[2Jx", "a")
    assert code == 2 and "no shipped demo '\\x1b[2Jx'" in err and "\x1b" not in err and err.count("\n") == 1


def test_shown_escapes_every_control_character_and_keeps_what_it_is_told():
    from rnnkit.cli.terminal import shown

    assert shown("plain 春风 Dvořák") == "plain 春风 Dvořák"
    assert shown("a\x1bb\x07c\x7fd\x9be\nf\tg") == "a\\x1bb\\x07c\\x7fd\\x9be\\nf\\tg"
    assert shown("line\nnext\tcell\rback", keep="\n\t") == "line\nnext\tcell\\rback"


def test_json_output_keeps_letters_and_escapes_control_characters(capsys):
    code, out, _err = cli(capsys, "predict", "demo:names-lstm", "Dvořák\x9b\x7f\u202e", "--json")
    assert code == 1 and json.loads(out)[0]["input"] == "Dvořák\x9b\x7f\u202e"
    assert "Dvořák\\u009b\\u007f\\u202e" in out and not re.search("[\x7f-\x9f\u202e]", out)


# ------------------------------------------------------------------------------ a named data folder
def test_a_named_data_folder_without_the_tasks_data_is_an_error_that_names_it(tmp_path, monkeypatch, capsys):
    from tests import fixtures

    elsewhere = fixtures.write_names(tmp_path / "elsewhere")  # where the search order would find it
    monkeypatch.setenv("RNNKIT_DATA_DIR", str(elsewhere))
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (empty, tmp_path / "missing"):
        code, out, err = cli(capsys, "train", "--task", "names", "--data-dir", str(folder), "--dry-run",
                             "--checkpoints-dir", str(tmp_path / "runs"))
        assert code == 2 and err.count("\n") == 1, err
        assert f"names data not found in the data folder you named, {folder}" in err
        assert "leave out --data-dir" in err
    assert not (tmp_path / "runs").exists()  # refused before any run folder
    source = DataSource(task="x", candidates=("x.txt",))
    (elsewhere / "x.txt").write_text("from the search order")
    with pytest.raises(DataNotFound, match="in the data folder you named"):
        resolve(source, str(empty))  # no silent fallback
    assert resolve(source, None).read_text() == "from the search order"  # no folder named: the search order
    from rnnkit.data.sources import cache_root

    cached = DataSource(task="z", candidates=("z.txt",))  # only in the download cache
    (cache_root() / "data").mkdir(parents=True, exist_ok=True)
    (cache_root() / "data" / "z.txt").write_text("cached")
    assert resolve(cached, str(elsewhere)).read_text() == "cached"  # naming $RNNKIT_DATA_DIR: the search order
    with pytest.raises(DataNotFound, match="in the data folder you named"):
        resolve(cached, str(empty))


# ------------------------------------------------------------------------------ eval: a summary, --json for all
def test_eval_prints_a_short_summary_and_every_number_with_json(recall_group, capsys):
    store, _printed = recall_group
    run = store.runs(group="gedge")[0]
    code, out, err = cli(capsys, "eval", run.run_id, "--checkpoints-dir", str(store.root))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"{run.run_id} · test split · best checkpoint"
    assert re.match(r"accuracy \d+\.\d % · macro-F1 \d+\.\d % · ECE \d+\.\d % · loss [\d.]+ \(chance 10\.0 %\)$",
                    lines[1]), lines[1]
    assert lines[2].split() == ["class", "precision", "recall", "F1", "support"]
    assert [line.split()[0] for line in lines[3:13]] == [str(digit) for digit in range(10)]  # recall's classes
    assert lines[13:] == ["every number (per class, confusion matrix, calibration): add --json"]
    code, out, _err = cli(capsys, "eval", run.run_id, "--json", "--checkpoints-dir", str(store.root))
    metrics = json.loads(out)
    assert code == 0 and len(metrics["confusion_matrix"]) == 10 and "calibration" in metrics


def test_more_than_twenty_classes_get_one_line_about_them():
    from rnnkit.cli.summary import eval_lines

    names = [f"class {index}" for index in range(25)]
    recall = [index / 25 for index in range(25)]
    per_class = {"precision": recall, "recall": recall, "f1": recall, "support": [4] * 25}
    lines = eval_lines("RUN", {"accuracy": 0.5, "loss": 1.0, "per_class": per_class}, "test", "best", "accuracy",
                       names, 1 / 25)
    assert lines[1] == "accuracy 50.0 % · loss 1 (chance 4.0 %)"
    assert lines[2] == "25 classes; lowest recall class 0 0.0 %, highest class 24 96.0 %" and len(lines) == 4


# ------------------------------------------------------------------------------ sweep: train's flags, its group
def test_sweep_takes_trains_flags_for_fixed_values_and_prints_its_group(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(RunStore, "start", lambda self, configs: [self.create(config) for config in configs])
    code, out, err = cli(capsys, "sweep", "--task", "recall", "--sequence-length", "30", "--num-samples", "1000",
                         "--epochs", "3", "--grid", "model.hidden_size=16,32", "--detach",
                         "--checkpoints-dir", str(tmp_path))
    assert code == 0, err
    configs = [run.config() for run in RunStore(tmp_path).runs()]
    assert sorted(config.model.hidden_size for config in configs) == [16, 32]
    assert {(config.task.options.sequence_length, config.task.options.num_samples, config.train.epochs)
            for config in configs} == {(30, 1000, 3)}
    group = configs[0].group
    assert re.match(rf"sweep recall · lstm · \d\d:\d\d \({group}\): 2 runs queued; watch with "
                    rf"`python -m rnnkit runs --group {group}`$", out.strip()), out
    code, out, err = cli(capsys, "sweep", "--hidden-size", "8", "--grid", "model.hidden_size=16,32",
                         "--checkpoints-dir", str(tmp_path))
    assert code == 2 and "model.hidden_size is both a fixed value" in err


def test_sweeps_option_flags_are_trains_generated_from_the_same_declarations():
    from rnnkit.cli.parser import _build

    _parser, commands = _build(["train", "sweep"])

    def option_flags(command):
        return {flag for action in commands[command]._actions for flag in action.option_strings
                if "." in action.dest}  # the generated ones: task., model., train. destinations

    assert option_flags("train") == option_flags("sweep") and len(option_flags("train")) > 40


# ------------------------------------------------------------------------------ conversions, demos, group names
def test_a_poem_start_says_which_characters_were_read_differently(capsys):
    pytest.importorskip("opencc")
    code, out, err = cli(capsys, "predict", "demo:poems-lstm", "--start", "春风")
    assert code == 0, err
    assert out.splitlines()[0] == "the model never saw some characters; they were read as: 风 → 風"
    assert out.splitlines()[1].startswith("春風")


def test_runs_demos_lists_the_shipped_demos_and_a_missing_demo_names_them(capsys):
    code, out, _err = cli(capsys, "runs", "--demos")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["demo", "task", "arch", "test"]
    shipped = [line.split()[0] for line in lines[1:-1]]
    assert {"demo:names-lstm", "demo:poems-lstm", "demo:recall-lstm"} <= set(shipped) and shipped == sorted(shipped)
    assert re.search(r"^demo:names-lstm +names +lstm +accuracy \d+\.\d %$", out, re.MULTILINE)
    code, _out, err = cli(capsys, "predict", "demo:waimai-gruu", "好吃")
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"error: no shipped demo 'waimai-gruu'; the demos: {', '.join(shipped)} ")


def test_groups_are_shown_by_name_and_id(recall_group, capsys):
    store, printed = recall_group
    name = r"recall · rnn/gru · \d\d:\d\d \(gedge\)"
    assert re.search(rf"^group {name}: `python -m rnnkit runs --group gedge` lists it", printed, re.MULTILINE), printed
    code, out, _err = cli(capsys, "runs", "--checkpoints-dir", str(store.root))
    rows = out.splitlines()[1:]
    assert code == 0 and len(rows) == 2 and all(re.search(rf"  {name}$", row) for row in rows), out


def test_logs_and_the_queue_escape_what_they_echo_and_name_the_group(recall_group, capsys, monkeypatch):
    store, _printed = recall_group
    run = store.runs(group="gedge")[0]
    original = run.log_path.read_bytes() if run.log_path.exists() else b""
    try:
        run.log_path.write_bytes(original + "epoch 9\x1b[2J\x1b]0;title\x07 done\tok\n".encode())
        code, out, _err = cli(capsys, "logs", run.run_id, "--tail", "1", "--checkpoints-dir", str(store.root))
        assert code == 0 and out == "epoch 9\\x1b[2J\\x1b]0;title\\x07 done\tok\n"
    finally:
        run.log_path.write_bytes(original)
    entries = [(None, {"group": "gedge", "owner": "ann\x1b[31m", "runs": ["a", "b"], "limits": {}})]
    monkeypatch.setattr(type(store.queue), "entries", lambda self: entries)
    monkeypatch.setattr(type(store.queue), "dispatch", lambda self: 0)
    code, out, _err = cli(capsys, "queue", "--checkpoints-dir", str(store.root))
    assert code == 0 and re.search(r"^  1\. group recall · rnn/gru · \d\d:\d\d \(gedge\) by ann\\x1b\[31m: 2 run\(s\)$",
                                   out, re.MULTILINE), out
