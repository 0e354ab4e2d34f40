"""Guided labs (issue 27): every shipped lab file validates and its run steps build their configs; malformed labs
give file/line errors; checks on crafted run folders (passed, not yet, cannot tell); progress kept across
instances; the student's report (HTML with answers escaped and figures, Markdown, PDF); the `lab` command."""
import json
import shutil
from pathlib import Path

import pytest

from rnnkit.analysis.labs import (
    LAB_FOLDER,
    LabError,
    check_lab_file,
    evaluate_check,
    lab_ids,
    lab_runs,
    load_lab,
    step_configs,
)
from rnnkit.cli.main import main
from rnnkit.runs.lab_progress import LabProgress, owner_folder
from rnnkit.runs.store import RunStore

FIXTURES = Path(__file__).parent / "lab_files"
SHIPPED = sorted(LAB_FOLDER.glob("*.yaml"))
HOSTILE_ANSWER = "<script>alert(1)</script> & [a link](http://x) **bold**"


# ------------------------------------------------------------------------------------------ crafted runs
def crafted(store, config, accuracy=None, probe=None, state="completed"):
    """A run folder as training leaves it: an epoch, a test record with `accuracy`, a gradient probe."""
    run = store.create(config)
    run.append_metrics({"kind": "step", "epoch": 1, "step": 1, "steps_per_epoch": 1, "loss": 1.2})
    if accuracy is not None:
        run.append_metrics({"kind": "epoch", "epoch": 1, "epochs": 1, "train": {"loss": 1.0, "accuracy": accuracy},
                            "validation": {"loss": 1.0, "accuracy": accuracy}, "best_epoch": 1, "monitor": "accuracy",
                            "epoch_seconds": 1.0, "samples_per_second": 100.0})
        run.append_metrics({"kind": "test", "epoch": 1, "test": {"accuracy": accuracy, "loss": 0.5}})
    if probe is not None:
        run.append_metrics({"kind": "probe", "epoch": 1, "distance": [0, 5, 19], "h": probe})
    run.write_status(state)
    return run


@pytest.fixture
def lab():
    return check_lab_file(FIXTURES / "tiny-recall.en.yaml")


def compare_runs(store, lab, rnn=0.5, lstm=0.95, state="completed"):
    """The compare step's group (rnn, lstm x 2 seeds) with these accuracies; the RNN's gradient fades."""
    configs = step_configs(lab, lab.run_step("compare"))
    probes = {"rnn": [1.0, 1e-3, 1e-6], "lstm": [1.0, 0.5, 0.2]}
    scores = {"rnn": rnn, "lstm": lstm}
    return [crafted(store, config, scores[config.model.arch], probes[config.model.arch], state) for config in configs]


# ------------------------------------------------------------------------------------------ the files
@pytest.mark.parametrize("path", SHIPPED or [pytest.param(None, marks=pytest.mark.skip(reason="no lab file yet"))],
                         ids=lambda path: path.name if path else "none")
def test_every_shipped_lab_file_validates_and_its_run_steps_build(path):
    lab = check_lab_file(path)  # with its other language's file: the same steps, runs and checks
    assert lab.id in lab_ids() and lab.title and lab.minutes > 0
    for step in lab.run_steps():
        configs = step_configs(lab, step)  # the dry run: what `lab run` would start
        assert configs and {config.lab for config in configs} == {f"{lab.id}/{step.name}"}
        assert len({config.group for config in configs}) == 1 and configs[0].group
        if step.full:
            assert step_configs(lab, step, full=True)


def test_both_languages_of_every_shipped_lab_exist():
    for lab_id in lab_ids():
        english, chinese = load_lab(lab_id, "en"), load_lab(lab_id, "zh")
        assert chinese.language == "zh" and english.language == "en"
        assert [step.kind for step in english.steps] == [step.kind for step in chinese.steps]


def test_the_fixture_lab_validates_in_both_languages(lab):
    chinese = check_lab_file(FIXTURES / "tiny-recall.zh.yaml")
    assert chinese.title != lab.title and len(chinese.steps) == len(lab.steps) == 11
    assert [step.index for step in lab.steps] == list(range(1, 12)) and lab.steps[1].line == 18
    assert load_lab("tiny-recall", "zh", FIXTURES).language == "zh" and lab_ids(FIXTURES) == ["tiny-recall"]


def test_the_shortest_lab_of_the_docs_validates(tmp_path):
    import re

    document = (Path(__file__).parent.parent / "docs" / "writing-labs.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(lab: lstm-vs-rnn\n.*?)```", document, re.DOTALL).group(1)
    lab = check_lab_file(write(tmp_path, example, "lstm-vs-rnn.en.yaml"))
    assert [step.kind for step in lab.steps] == ["run", "check", "question"]
    assert len(step_configs(lab, lab.steps[0])) == 2


def write(tmp_path, text, name="broken.en.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path) -> list[str]:
    with pytest.raises(LabError) as caught:
        check_lab_file(path)
    return caught.value.errors


def test_malformed_labs_give_every_error_with_file_and_line(tmp_path):
    text = (FIXTURES / "tiny-recall.en.yaml").read_text(encoding="utf-8").replace("lab: tiny-recall", "lab: broken")
    text = (text.replace("better: {arch: lstm", "beter: {arch: lstm").replace("view: curves", "view: curvez")
            .replace("minutes: 2", "minutes: two").replace("epochs: 2}", "epochz: 2}")
            .replace("id: notes", "id: why")
            .replace("task: recall\n      preset: horizon", "task: recal\n      preset: horizon")
            .replace("      run: compare\n      view", "      run: nowhere\n      view"))
    errors = errors_of(write(tmp_path, text))
    expected = {4: "minutes must be a whole number", 27: "unknown train setting 'epochz'",
                33: "run must name a run step before it", 34: "view: unknown 'curvez'",
                40: "unknown key 'beter'", 55: "task: unknown 'recal'", 69: "another question already has the id 'why'"}
    for line, words in expected.items():
        assert any(error.startswith(f"broken.en.yaml, line {line}: ") and words in error for error in errors), \
            (line, errors)
    assert len(errors) >= len(expected)
    assert [int(error.split("line ")[1].split(":")[0]) for error in errors] == \
        sorted(int(error.split("line ")[1].split(":")[0]) for error in errors)  # in line order


@pytest.mark.parametrize("text,line,words", [
    ("lab: x\nsteps: [\n  - read: a\n", 3, "not valid YAML"),
    ("", 1, "the file is empty"),
    ("- a list\n", 1, "the lab must be a mapping"),
    ("lab: broken\nlanguage: en\ntitle: t\nminutes: 1\naim: a\naim: b\nsteps:\n  - read: r\n", 6,
     "'aim' appears twice"),
    ("lab: broken\nlanguage: fr\ntitle: t\nminutes: 1\naim: a\nsteps:\n  - read: r\n", 2, "language: unknown 'fr'"),
    ("lab: broken\nlanguage: en\ntitle: t\nminutes: 1\naim: a\nsteps:\n  - read: r\n  - quiz: q\n", 8,
     "unknown step kind 'quiz'"),
    ("lab: broken\nlanguage: en\ntitle: t\nminutes: 1\naim: a\nsteps:\n  - run:\n      name: a\n      task: recall\n"
     "      preset: quick\n      architectures: [lstm]\n      adjustable: [train.epochz]\n", 12,
     "adjustable 'train.epochz'"),
    ("lab: broken\nlanguage: en\ntitle: t\nminutes: 1\naim: a\nsteps:\n  - run:\n      name: a\n      task: recall\n"
     "      preset: quik\n      architectures: [lstm]\n", 8, "unknown preset 'quik'"),
    ("lab: broken\nlanguage: en\ntitle: t\nminutes: 1\naim: a\nsteps:\n  - run:\n      name: a\n      task: recall\n"
     "      architectures: [lstm]\n  - check:\n      run: a\n      text: c\n      horizon_longer: {arch: lstm, "
     "than: lstm, threshold: 0.9}\n", 14, "horizon_longer needs a run step with experiment: horizon"),
    ("lab: broken\nlanguage: en\ntitle: t\nminutes: 1\naim: a\nsteps:\n  - question:\n      id: q\n      text: t\n"
     "      choices: [only one]\n", 10, "two or more different texts"),
])
def test_one_mistake_one_error_on_its_line(tmp_path, text, line, words):
    errors = errors_of(write(tmp_path, text))
    assert any(error.startswith(f"broken.en.yaml, line {line}: ") and words in error for error in errors), errors


def test_the_languages_of_a_lab_must_agree(tmp_path):
    for language in ("en", "zh"):
        shutil.copy(FIXTURES / f"tiny-recall.{language}.yaml", tmp_path)
    chinese = tmp_path / "tiny-recall.zh.yaml"
    chinese.write_text(chinese.read_text(encoding="utf-8").replace("value: 0.9}", "value: 0.8}"), encoding="utf-8")
    errors = errors_of(chinese)
    assert errors == ["tiny-recall.zh.yaml, line 41: step 5 (check) differs from step 5 of tiny-recall.en.yaml in "
                      "more than its texts"]


# ------------------------------------------------------------------------------------------ configs and runs
def test_step_configs_full_recipe_and_adjustments(lab):
    step = lab.run_step("compare")
    quick = step_configs(lab, step)
    assert [config.model.arch for config in quick] == ["rnn", "lstm", "rnn", "lstm"]
    assert {config.train.epochs for config in quick} == {2} and quick[0].task.options.sequence_length == 20
    assert len(step_configs(lab, step, full=True)) == 6  # 3 seeds, the preset's own settings
    adjusted = step_configs(lab, step, adjust={"train.epochs": 5, "seeds": 1})
    assert len(adjusted) == 2 and adjusted[0].train.epochs == 5
    with pytest.raises(ValueError, match="'model.hidden_size' may not be changed in this step; adjustable: "
                                         "train.epochs, seeds"):
        step_configs(lab, step, adjust={"model.hidden_size": 8})
    horizon = step_configs(lab, lab.run_step("horizon"))
    assert {config.kind for config in horizon} == {"horizon"} and len(horizon) == 4
    with pytest.raises(ValueError, match="not a run step"):
        step_configs(lab, lab.step(1))


def test_lab_runs_finds_the_latest_group_of_that_owner(tmp_path, lab):
    alice, bob = (RunStore(tmp_path, user=_user(name)) for name in ("alice", "bob"))
    old = compare_runs(alice, lab)
    assert {run.run_id for run in lab_runs(alice, lab, "compare", "alice")} == {run.run_id for run in old}
    new = compare_runs(alice, lab)
    compare_runs(bob, lab)
    assert [run.run_id for run in lab_runs(alice, lab, "compare", "alice")] == [run.run_id for run in new]  # in order
    assert lab_runs(alice, lab, "horizon", "alice") == [] and lab_runs(alice, "tiny-recall", "compare", "carol") == []


def _user(name):
    from rnnkit.runs.access import User

    return User(name=name, role="student")


# ------------------------------------------------------------------------------------------ checks
def test_checks_pass_on_good_runs(store, lab):
    runs = compare_runs(store, lab, rnn=0.5, lstm=0.95)
    results = {step.index: evaluate_check(lab, step, runs) for step in lab.steps if step.run == "compare"
               and step.kind == "check"}
    assert [result.passed for result in results.values()] == [True, True, True, True], results
    assert results[4].detail == "LSTM 95.0 % vs RNN 50.0 %"
    assert results[6].detail.startswith("at distance 10: RNN ")  # log-interpolated between distances 5 and 19
    assert evaluate_check(lab, lab.step(7), runs, "zh").detail == "4 of 4 runs finished" or "4" in \
        evaluate_check(lab, lab.step(7), runs, "zh").detail


def test_checks_not_yet_and_cannot_tell(store, lab):
    runs = compare_runs(store, lab, rnn=0.9, lstm=0.85)
    assert evaluate_check(lab, lab.step(4), runs).passed is False  # the LSTM does not beat the RNN
    assert evaluate_check(lab, lab.step(5), runs).passed is False  # 85 % < 90 %
    assert evaluate_check(lab, lab.step(4), []).passed is None  # no runs yet
    training = compare_runs(store, lab, state="running")
    assert evaluate_check(lab, lab.step(4), training).passed is None
    assert evaluate_check(lab, lab.step(7), training).passed is None
    failed = compare_runs(store, lab, state="failed")
    assert evaluate_check(lab, lab.step(7), failed).passed is False


def test_horizon_longer_on_a_crafted_horizon_group(store, lab):
    configs = step_configs(lab, lab.run_step("horizon"))
    accuracy = {("rnn", 5): 1.0, ("rnn", 50): 0.1, ("lstm", 5): 1.0, ("lstm", 50): 0.97}
    runs = [crafted(store, config, accuracy[(config.model.arch, config.task.options.sequence_length)])
            for config in configs]
    result = evaluate_check(lab, lab.step(9), runs)
    assert result.passed is True and "LSTM 50" in result.detail and "RNN 5" in result.detail
    worse = [crafted(store, config, 0.1) for config in configs]
    assert evaluate_check(lab, lab.step(9), worse).passed is False


# ------------------------------------------------------------------------------------------ progress
def test_progress_survives_a_new_instance_and_refuses_tricks(tmp_path):
    LabProgress(tmp_path, "王 伟").save("tiny-recall", {"step": 3, "answers": {"why": HOSTILE_ANSWER},
                                                        "groups": {"compare": "g1"}})
    again = LabProgress(tmp_path, "王 伟").get("tiny-recall")
    assert again == {"step": 3, "answers": {"why": HOSTILE_ANSWER}, "groups": {"compare": "g1"}}
    assert LabProgress(tmp_path, "someone-else").get("tiny-recall")["step"] == 1
    assert owner_folder("../../etc").startswith("h-") and owner_folder("alice") == "alice"
    for bad in ("", " ", "x" * 300):
        with pytest.raises(ValueError):
            LabProgress(tmp_path, bad)
    with pytest.raises(ValueError):
        LabProgress(tmp_path, "alice").get("../secret")
    with pytest.raises(ValueError):
        LabProgress(tmp_path, "alice").save("tiny-recall", {"step": 0})
    path = LabProgress(tmp_path, "alice").path("tiny-recall")
    path.parent.mkdir(parents=True)
    for garbled in ("{not json", "[1, 2]", '{"step": "three"}', "[" * 100_000):
        path.write_text(garbled)
        progress = LabProgress(tmp_path, "alice").get("tiny-recall")
        assert progress["step"] == 1 and progress["answers"] == {} and "could not be read" in progress["warning"]


# ------------------------------------------------------------------------------------------ the report
def test_the_report_has_the_answers_escaped_figures_checks_and_the_source(store, lab):
    from rnnkit.analysis.labs import report_html, report_markdown

    runs = {"compare": compare_runs(store, lab), "horizon": []}
    answers = {"why": HOSTILE_ANSWER, "notes": "第二行\nsecond line"}
    document = report_html(lab, runs, answers)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; [a link](http://x) **bold**" in document
    assert "<script>alert(1)" not in document
    assert document.count("class='figure'") >= 2 and "<svg" in document  # interactive and print figures
    assert "LSTM 95.0 % vs RNN 50.0 %" in document and "python -m rnnkit lab run tiny-recall --step 2" in document
    assert "python -m rnnkit train --task recall --arch lstm" in document
    assert "82.6 %" in document and "95.0 ± 0.0 % (n=2)" in document  # the report's number beside the student's
    assert "No runs yet." in document  # the horizon step
    markdown = report_markdown(lab, runs, answers)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; \\[a link\\](http\\://x) \\*\\*bold\\*\\*" in markdown
    assert "> 第二行" in markdown and "## Your answers" in markdown
    chinese = report_html(check_lab_file(FIXTURES / "tiny-recall.zh.yaml"), runs, answers)
    assert "lang='zh'" in chinese and "LSTM 比 RNN 记得更久吗？" in chinese


def test_the_report_draws_the_memory_gate_of_a_trained_run_where_a_look_showed_the_gates(tmp_path, store):
    import io

    from rnnkit.analysis.labs import report_html
    from rnnkit.analysis.labs.report_inside import memory_gate_report
    from rnnkit.worker.execute import execute

    for language in ("en", "zh"):
        source = (FIXTURES / f"tiny-recall.{language}.yaml").read_text(encoding="utf-8")
        write(tmp_path, source.replace("view: curves", "view: gates"), f"tiny-recall.{language}.yaml")
    lab = check_lab_file(tmp_path / "tiny-recall.en.yaml")
    lstm = next(config for config in step_configs(lab, lab.run_step("compare")) if config.model.arch == "lstm")
    run = store.create(lstm)
    assert execute(run, stream=io.StringIO(), install_signals=False) == "completed"
    figure = memory_gate_report([run])
    assert [trace.name for trace in figure.data] == ["LSTM: forget gate f"] and len(figure.data[0].y) == 20
    document = report_html(lab, {"compare": [run]})
    assert "mean memory gate per step" in document and document.count("class='figure'") >= 3


@pytest.mark.parametrize("lab_id", lab_ids() or [pytest.param("none", marks=pytest.mark.skip(reason="no labs yet"))])
def test_every_shipped_labs_report_is_written_with_and_without_runs(store, lab_id):
    from rnnkit.analysis.labs import report_html, report_markdown

    lab = load_lab(lab_id)
    assert "No runs yet." in report_html(lab, {}, {})
    runs = {step.name: [crafted(store, config, 0.7, [1.0, 0.1, 0.01]) for config in step_configs(lab, step)]
            for step in lab.run_steps()}
    document = report_html(lab, runs, {})
    assert "No runs yet." not in document and "class='figure'" in document
    assert all(f"--step {step.index}" in document for step in lab.run_steps())
    assert report_markdown(lab, runs, {}).startswith(f"# {lab.title[:10]}") or lab.title[:1] in "#*_[\\"


def test_the_pdf_report_renders_in_english_and_chinese(store, lab):
    pytest.importorskip("weasyprint", reason="the PDF needs WeasyPrint (requirements.txt; CI installs it)")
    from rnnkit.analysis.labs import report_html, report_pdf

    runs = {"compare": compare_runs(store, lab)}
    for chosen in (lab, check_lab_file(FIXTURES / "tiny-recall.zh.yaml")):
        pdf = report_pdf(report_html(chosen, runs, {"why": "因为细胞状态"}))
        assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


# ------------------------------------------------------------------------------------------ the command
def test_lab_command_list_check_run_dry_and_report(tmp_path, capsys, lab):
    assert main(["lab", "list", "--labs-dir", str(FIXTURES)]) == 0
    assert capsys.readouterr().out == "tiny-recall               Does an LSTM remember better than an RNN?  (2 min)\n"
    broken = write(tmp_path, "lab: broken\nlanguage: en\n")
    assert main(["lab", "check", str(broken)]) == 1
    assert capsys.readouterr().out.splitlines()[0].startswith("broken.en.yaml, line 1: ")
    assert main(["lab", "check", str(FIXTURES / "tiny-recall.en.yaml")]) == 0
    assert ": ok, lab 'tiny-recall', 11 steps" in capsys.readouterr().out
    root = tmp_path / "checkpoints"
    assert main(["lab", "run", "tiny-recall", "--labs-dir", str(FIXTURES), "--dry-run", "--checkpoints-dir",
                 str(root)]) == 0
    out = capsys.readouterr().out
    assert "step 2 'compare': 4 runs of recall" in out and "step 8 'horizon': 4 runs of recall" in out
    assert not root.exists()  # a dry run creates nothing
    assert main(["lab", "run", "tiny-recall", "--step", "3", "--labs-dir", str(FIXTURES)]) == 2  # a look step
    compare_runs(RunStore(root), lab)
    answers = write(tmp_path, json.dumps({"why": HOSTILE_ANSWER}), "answers.json")
    html, markdown = tmp_path / "r.html", tmp_path / "r.md"
    assert main(["lab", "report", "tiny-recall", "--labs-dir", str(FIXTURES), "--checkpoints-dir", str(root),
                 "--html", str(html), "--markdown", str(markdown), "--answers", str(answers)]) == 0
    assert "4 runs of lab tiny-recall" in capsys.readouterr().out
    assert "&lt;script&gt;alert(1)" in html.read_text(encoding="utf-8") and markdown.read_text(encoding="utf-8")
    answers.write_text("[1]")
    assert main(["lab", "report", "tiny-recall", "--labs-dir", str(FIXTURES), "--html", str(html),
                 "--answers", str(answers), "--checkpoints-dir", str(root)]) == 2
