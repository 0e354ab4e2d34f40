"""The command line as a teacher meets it (issue 24, items 7 and 11): options anywhere among the inputs, examples
kept as lines in --help, `reproduce` as a command, and `report` that prints one line and writes a report that
reads like the dashboard (percent, the winner sentence, labels inside the figure)."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rnnkit.cli.main import main
from rnnkit.cli.parser import build_parser
from tests import fixtures
from tests.waits import patience

ROOT = Path(__file__).resolve().parent.parent
HIDE_STREAMLIT = "import sys\nsys.modules['streamlit'] = None\n"  # a sitecustomize: `import streamlit` fails


def run_rnnkit(*args: str, tmp_path: Path, environment: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m rnnkit ARGS` in a fresh process where streamlit cannot be imported."""
    hidden = tmp_path / "hide_streamlit"
    hidden.mkdir(exist_ok=True)
    (hidden / "sitecustomize.py").write_text(HIDE_STREAMLIT, encoding="utf-8")
    env = {**os.environ, **(environment or {}), "PYTHONPATH": os.pathsep.join([str(hidden), str(ROOT)])}
    return subprocess.run([sys.executable, "-m", "rnnkit", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=patience(600))


# ------------------------------------------------------------------------------------------- item 11
@pytest.mark.parametrize("words", [
    ["demo:names-lstm", "--decision", "balanced", "Dostoevsky", "Nakamura"],  # the option before the inputs
    ["demo:names-lstm", "Dostoevsky", "--decision", "balanced", "Nakamura"],  # between them
    ["demo:names-lstm", "Dostoevsky", "Nakamura", "--decision", "balanced"],  # after them (as before)
])
def test_predict_takes_its_options_anywhere_among_the_inputs(words, capsys):
    assert main(["predict", *words]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(" → ")[0] for line in lines] == ["Dostoevsky", "Nakamura"]


def test_predict_json_between_the_inputs_reads_as_the_flag(capsys):
    assert main(["predict", "demo:names-lstm", "Nakamura", "--json", "Dvořák"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["input"] for row in rows] == ["Nakamura", "Dvořák"]


def test_a_command_word_after_a_flag_still_gets_the_usage(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--nope", "predict"])
    assert exit_info.value.code == 2
    assert "usage: python -m rnnkit" in capsys.readouterr().err


def test_help_keeps_every_example_on_its_own_line(capsys):
    commands = build_parser()._subparsers._group_actions[0].choices  # every command with all its flags
    with_examples = [name for name, command in commands.items() if command.epilog]
    assert {"train", "predict", "inside", "eval", "report", "export", "sweep", "horizon", "reproduce"} <= set(
        with_examples)
    for name in with_examples:
        with pytest.raises(SystemExit):
            main([name, "--help"])
        shown = [line.strip() for line in capsys.readouterr().out.splitlines()]
        examples = [line.strip() for line in commands[name].epilog.splitlines()[1:]]
        assert examples and all(example in shown for example in examples), (name, examples)
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    shown = capsys.readouterr().out
    assert "\n  python -m rnnkit predict demo:names-lstm --decision balanced Nguyen  # rare classes" in shown


def test_reproduce_is_a_command_that_trains_the_lab_reports_comparison(tmp_path):
    """`python -m rnnkit reproduce` (was `python benchmarks/reproduce.py`): the report's number beside mean ± std
    over seeds, in a process where streamlit cannot even be imported, with nothing on standard error."""
    data = tmp_path / "data"
    fixtures.write_shopping(data, rows_per_category=40)
    result = run_rnnkit("reproduce", "--comparison", "004", "--seeds", "1", "--dry-run",
                        "--checkpoints-dir", str(tmp_path / "runs"), tmp_path=tmp_path,
                        environment={"RNNKIT_DATA_DIR": str(data)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert "report 004: shopping, test macro_f1, 1 seeds" in "\n".join(lines)
    table = {line.split()[0]: line.split()[1:] for line in lines[lines.index(next(
        line for line in lines if line.startswith("variant"))) + 1:] if line and not line.startswith(" ")}
    assert table["rnn"][0] == "0.7198" and table["lstm"][0] == "0.8308" and table["bilstm"][0] == "-"
    assert all(re.fullmatch(r"\d\.\d{4}", table[name][1]) for name in ("rnn", "gru", "lstm", "bilstm"))
    assert len(list((tmp_path / "runs").glob("*-shopping-*"))) == 4


def test_the_benchmark_script_is_a_thin_wrapper_of_the_command():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "reproduce.py"), "--help"],
                            capture_output=True, text=True, timeout=patience(120))
    assert result.returncode == 0 and "usage: python -m rnnkit reproduce" in result.stdout
