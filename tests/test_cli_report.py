"""The command line as a teacher meets it (issue 24, items 7 and 11): options anywhere among the inputs, examples
kept as lines in --help, `reproduce` as a command, and `report` that prints one line and writes a report that
reads like the dashboard (percent, the winner sentence, labels inside the figure)."""
import json
import math
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


# -------------------------------------------------------------------------------------------- item 7
def _figures(document: str) -> list[tuple[list, dict]]:
    """(data, layout) of every `Plotly.newPlot("id", data, layout, config)` in an HTML report."""
    found, decoder = [], json.JSONDecoder()
    for match in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', document):
        data, end = decoder.raw_decode(document, match.end())
        layout, _end = decoder.raw_decode(document, end + document[end:].index("{"))
        found.append((data, layout))
    return found


def _runs_table(document: str) -> str:
    start = document.index("<h2>Runs</h2>")
    return document[start:document.index("</table>", start)]


def test_format_score_reads_fractions_as_percent():
    from rnnkit.analysis.run_text import format_score

    assert format_score("accuracy", 0.088333) == "8.8 %" and format_score("macro_f1", 1.0) == "100.0 %"
    assert format_score("ece", 0.01113) == "1.1 %"
    assert format_score("mae", 2.1937) == "2.19" and format_score("mae", 2.1937, fixed=True) == "2.194"
    assert format_score("accuracy", None) == "–" and format_score("accuracy", float("nan")) == "–"


def test_the_report_reads_like_the_dashboard(app_env):
    """Scores in percent as the dashboard's runs table (no 0.088333), and the dashboard's result line with its
    winner sentence for a group of one seed per model, in English and in Chinese."""
    from rnnkit.analysis.html_report import html_report
    from rnnkit.core.metrics import best_epoch_record

    runs = app_env.runs(group="gtest")
    document = html_report(runs, "rnnkit: gtest")
    table = _runs_table(document)
    assert not re.search(r"\b0\.\d{4,}", table), table  # no raw fractions
    best = {}
    for run in runs:  # recomputed from the metrics lines, not through rnnkit.analysis.run_text
        test = run.metrics("test")[-1]["test"]
        for metric in ("accuracy", "macro_f1", "ece"):
            assert f"<td>{test[metric] * 100:.1f} %</td>" in table
        validation = best_epoch_record(run.metrics("epoch"))["validation"]["accuracy"]
        best[run.config().model.arch] = validation, test["accuracy"]
    assert "<th>test accuracy</th>" in table and "<th>best validation accuracy</th>" in table
    (leader, (validation, test)), (_other, (other_validation, _test)) = sorted(best.items(), key=lambda i: -i[1][0])
    if validation != other_validation:
        assert (f"Best by validation accuracy: {leader} (validation {validation * 100:.1f} %, test "
                f"{test * 100:.1f} %). One seed: no interval yet, so this may be luck") in document
    else:
        assert "Tied on validation accuracy" in document
    chinese = html_report(runs, "rnnkit: gtest", language="zh")
    assert "只有一个种子" in chinese or "并列" in chinese
    assert "<th>测试集准确率</th>" in chinese


def test_the_report_figures_make_room_for_their_labels(app_env, monkeypatch):
    """Made from Compare, where streamlit has made its plotly template the default (no automargin: only the '%'
    of the y labels showed), every axis of the report still makes room for its labels."""
    import plotly.graph_objects as go
    import plotly.io as pio

    from rnnkit.analysis.html_report import html_report

    pio.templates["bare_for_the_test"] = go.layout.Template()  # like streamlit's: nothing about margins
    monkeypatch.setattr(pio.templates, "default", "bare_for_the_test")
    drawn = _figures(html_report(app_env.runs(group="gtest"), "rnnkit: gtest"))
    cartesian = [layout for _data, layout in drawn if "yaxis" in layout]
    assert len(cartesian) >= 4
    for layout in cartesian:
        assert layout["xaxis"].get("automargin") is True and layout["yaxis"].get("automargin") is True, layout
        assert layout["template"]["layout"]["xaxis"]["automargin"] is True  # plotly's own template


def test_the_gradient_reach_axes_are_labelled_1_10_100():
    from rnnkit.analysis.figures import gradient_reach_figure, log_ticks

    steps = list(range(150))
    rows = [("rnn", "rnn", {"epoch": 3, "measure": "per-sequence", "distance": steps,
                            "h": [10 ** (-step / 11.5) for step in steps]}),
            ("lstm", "lstm", {"epoch": 3, "measure": "per-sequence", "distance": steps, "h": [0.3] * 150})]
    layout = gradient_reach_figure(rows).layout
    shown_x = [text for value, text in zip(layout.xaxis.tickvals, layout.xaxis.ticktext) if 1 <= value <= 150]
    assert shown_x == ["1", "10", "100"]
    shown_y = [value for value in layout.yaxis.tickvals if 10 ** (-149 / 11.5) <= value <= 1]
    assert shown_y and all(abs(round(math.log10(value)) - math.log10(value)) < 1e-9 for value in shown_y)
    assert "10<sup>0</sup>" in layout.yaxis.ticktext and len(layout.yaxis.ticktext) <= 9
    assert log_ticks([1, 10])["ticktext"] == ["1", "2", "5", "10", "20", "50"]  # a decade: the 2s and 5s too


def test_the_report_command_prints_one_line_and_no_warning(app_env, tmp_path):
    """`python -m rnnkit report GROUP --html F` in a process where streamlit cannot be imported: one line
    ('wrote F (2 run(s), ...)'), nothing on standard error."""
    target = tmp_path / "report.html"
    result = run_rnnkit("report", "gtest", "--html", str(target), "--checkpoints-dir", str(app_env.root),
                        tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == ""
    assert result.stdout.splitlines() == [f"wrote {target} (2 run(s), {target.stat().st_size / 1e6:.1f} MB)"]


def test_the_report_shows_every_tick_label_in_chromium(app_env, tmp_path, monkeypatch):
    """In Debian's chromium at 1280 and 1920 wide: every y-axis tick label lies inside its figure."""
    from tests import browser

    if browser.missing_requirements():
        pytest.skip(browser.missing_requirements())
    import plotly.graph_objects as go
    import plotly.io as pio

    from rnnkit.analysis.html_report import html_report

    pio.templates["bare_for_the_test"] = go.layout.Template()
    monkeypatch.setattr(pio.templates, "default", "bare_for_the_test")
    target = tmp_path / "report.html"
    target.write_text(html_report(app_env.runs(group="gtest"), "rnnkit: gtest"), encoding="utf-8")
    outside = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(plot => {
        const box = plot.getBoundingClientRect();
        return [...plot.querySelectorAll('.ytick text, .xtick text')].map(label => label.getBoundingClientRect())
            .filter(label => label.width > 0 && (label.left < box.left - 0.5 || label.right > box.right + 0.5))
            .map(label => [label.left, label.right, box.left, box.right]);
    })"""
    for width in (1280, 1920):
        with browser.browser_page(width=width, height=900) as page:
            page.goto(target.as_uri())
            page.locator(".js-plotly-plot .ytick text").first.wait_for()
            assert page.locator(".js-plotly-plot .ytick text").count() > 10
            assert page.evaluate(outside) == [], width
