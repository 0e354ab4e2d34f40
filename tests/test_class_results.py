"""The class as one experiment: the runs of an assignment aggregated over students (rnnkit.analysis.class_results),
drawn and worded (class_figures), exported (class_export), and the student's view keeping every other student
anonymous (rnnkit.ui.class_result). Runs are real run folders with hand-written metrics lines, so the numbers
are known exactly."""
from __future__ import annotations

import csv
import dataclasses
import io
from types import SimpleNamespace

import numpy as np
import pytest

from rnnkit.analysis import class_figures
from rnnkit.analysis.class_export import class_csv, class_html
from rnnkit.analysis.class_results import class_result
from rnnkit.analysis.html_report import verdict_sentence
from rnnkit.analysis.stats import compare_all, summarise
from rnnkit.data.presets import build_config
from rnnkit.runs.access import User
from rnnkit.runs.store import RunStore

ASSIGNMENT = SimpleNamespace(assignment_id="a-recall", title="Why LSTMs remember", task="recall", preset="quick",
                             architectures=["rnn", "lstm", "gru"], seeds=1)
EXAMPLES = 2000  # test examples each run records (the resolution floor: 1 / 2000)


def add_run(root, student: str, arch: str, score: float | None, state: str = "completed", seed: int = 0,
            assignment: str = ASSIGNMENT.assignment_id, probe: list[float] | None = None):
    """A run folder of `student` with one epoch, its test score (None: no test record) and `state`."""
    config = build_config("recall", "quick", {"model": {"arch": arch}, "train": {"seed": seed}}, group=f"g-{student}")
    run = RunStore(root, user=User(student, "student")).create(dataclasses.replace(config, assignment=assignment))
    run.append_metrics({"kind": "epoch", "epoch": 1, "epochs": 1, "train": {}, "validation": {"accuracy": score or 0.1},
                        "best_epoch": 1, "monitor": "accuracy", "epoch_seconds": 1.0, "samples_per_second": 10.0})
    if probe is not None:
        run.append_metrics({"kind": "probe", "epoch": 1, "measure": "per-sequence", "distance": [0, 1, 4],
                            "h": probe})
    if score is not None and state == "completed":
        run.append_metrics({"kind": "test", "epoch": 1, "test": {"accuracy": score,
                                                                 "per_class": {"support": [EXAMPLES // 2] * 2}}})
    run.write_status(state, **({"error": "out of memory"} if state == "failed" else {}))
    return run


def test_paired_verdict_is_stats_on_the_students_scores(tmp_path):
    scores = {"alice": (0.61, 0.95, 0.93), "bob": (0.55, 0.90, 0.92), "carol": (0.70, 0.99, 0.97),
              "dave": (0.58, 0.94, 0.90)}
    for student, values in scores.items():
        for arch, score in zip(ASSIGNMENT.architectures, values):
            add_run(tmp_path, student, arch, score)
    add_run(tmp_path, "erin", "lstm", 0.5, assignment="another")  # not of this assignment: not in it
    result = class_result(ASSIGNMENT, RunStore(tmp_path).runs())
    assert sorted(result.students) == ["alice", "bob", "carol", "dave"] and result.no_verdict is None
    by_position = {arch: {result.students.index(student): values[index] for student, values in scores.items()}
                   for index, arch in enumerate(ASSIGNMENT.architectures)}
    expected = compare_all(by_position, "accuracy", {arch: EXAMPLES for arch in ASSIGNMENT.architectures})
    assert len(result.verdicts) == 3
    for mine, theirs in zip(result.verdicts, expected):  # the very statistics Compare uses, paired by student
        assert (mine.a, mine.b, mine.seeds, mine.pairs) == (theirs.a, theirs.b, 4, 3)
        assert mine.difference == pytest.approx(theirs.difference) and mine.p_value == pytest.approx(theirs.p_value)
        assert (mine.low, mine.high) == pytest.approx((theirs.low, theirs.high))
    lstm_rnn = next(verdict for verdict in result.verdicts if {verdict.a, verdict.b} == {"lstm", "rnn"})
    differences = [values[1] - values[0] for values in scores.values()]  # own arithmetic: mean of lstm - rnn
    assert lstm_rnn.a == "lstm" and lstm_rnn.difference == pytest.approx(np.mean(differences)) and lstm_rnn.significant
    lines = class_figures.verdict_lines(result)
    assert lines[result.verdicts.index(lstm_rnn)] == verdict_sentence(lstm_rnn, "accuracy")
    assert "Holm-corrected over 3 pairs" in lines[0]
    summary = summarise([values[1] for values in scores.values()])
    assert result.summaries["lstm"].mean == pytest.approx(summary.mean)
    assert (result.summaries["lstm"].low, result.summaries["lstm"].high) == pytest.approx((summary.low, summary.high))


def test_missing_architectures_failed_and_stopped_runs_are_counted_apart(tmp_path):
    for student, values in {"alice": (0.6, 0.9, 0.9), "bob": (0.5, 0.92, 0.91), "carol": (0.55, 0.95, 0.9)}.items():
        for arch, score in zip(ASSIGNMENT.architectures, values):
            add_run(tmp_path, student, arch, score)
    add_run(tmp_path, "dave", "rnn", 0.6)
    add_run(tmp_path, "dave", "lstm", None, state="failed")  # dave: no lstm, a stopped gru
    add_run(tmp_path, "dave", "gru", 0.8, state="stopped")    # a stopped run gives no score, even with epochs
    result = class_result(ASSIGNMENT, RunStore(tmp_path).runs())
    assert result.missing == {"rnn": [], "lstm": ["dave"], "gru": ["dave"]}
    assert result.states["lstm"]["failed"] == 1 and result.states["gru"]["stopped"] == 1 and result.apart() == 2
    assert "dave" in result.scores["rnn"] and len(result.scores["rnn"]) == 4
    rnn_lstm = next(verdict for verdict in result.verdicts if {verdict.a, verdict.b} == {"lstm", "rnn"})
    lstm_gru = next(verdict for verdict in result.verdicts if {verdict.a, verdict.b} == {"lstm", "gru"})
    assert rnn_lstm.seeds == 3 and lstm_gru.seeds == 3  # dave is left out of the pairs that need his lstm
    assert result.pair_students(rnn_lstm) == [student for student in result.students if student != "dave"]
    text = " ".join(class_figures.notes(result))
    assert "lstm vs rnn: 1 student(s) left out, with rnn finished but no finished lstm run" in text
    assert "2 run(s) failed, were stopped or interrupted" in text
    table = class_figures.summary_frame(result)
    assert table.set_index("architecture").loc["lstm", "failed"] == 1
    assert table.set_index("architecture").loc["gru", "stopped"] == 1
    assert table.set_index("architecture").loc["rnn", "students"] == 4


def test_one_student_gives_no_verdict_and_says_why(tmp_path):
    for arch, score in zip(ASSIGNMENT.architectures, (0.5, 0.9, 0.8)):
        add_run(tmp_path, "alice", arch, score)
    add_run(tmp_path, "bob", "lstm", None, state="failed")
    result = class_result(ASSIGNMENT, RunStore(tmp_path).runs())
    assert result.verdicts == [] and result.no_verdict == "one_student"
    assert class_figures.notes(result)[0].startswith("Only one student has finished: a verdict compares")
    assert class_figures.verdict_lines(result) == []
    assert result.summaries["lstm"].count == 1
    empty = class_result(ASSIGNMENT, [])
    assert empty.no_verdict == "no_students" and empty.students == []


def test_ties_read_as_the_same_score_not_a_winner(tmp_path):
    for student, score in (("alice", 0.9), ("bob", 0.8), ("carol", 0.85)):
        add_run(tmp_path, student, "lstm", score, seed=int(score * 100))
        add_run(tmp_path, student, "gru", score, seed=int(score * 100))  # every student: gru = lstm exactly
    assignment = SimpleNamespace(id="a-recall", architectures=["lstm", "gru"])  # duck-typed: an `id` is enough
    result = class_result(assignment, RunStore(tmp_path).runs())
    verdict, = result.verdicts
    assert verdict.difference == 0 and verdict.p_value == pytest.approx(1.0) and not verdict.significant
    assert "scored the same accuracy on average; no significant difference at 3 seeds" in \
        class_figures.verdict_lines(result)[0]
    assert result.shared_seeds == ()  # each student trained their own seed


def test_a_student_with_several_seeds_counts_once_with_their_mean(tmp_path):
    for seed, (rnn, lstm) in enumerate(((0.5, 0.9), (0.7, 0.8))):
        add_run(tmp_path, "alice", "rnn", rnn, seed=seed)
        add_run(tmp_path, "alice", "lstm", lstm, seed=seed)
    for seed in (0, 1):
        add_run(tmp_path, "bob", "rnn", 0.4, seed=seed)
        add_run(tmp_path, "bob", "lstm", 0.6, seed=seed)
    result = class_result(ASSIGNMENT, RunStore(tmp_path).runs())
    assert result.scores["rnn"]["alice"] == pytest.approx(0.6)
    assert result.scores["lstm"]["alice"] == pytest.approx(0.85)
    verdict, = [verdict for verdict in result.verdicts if verdict.seeds == 2]
    assert verdict.difference == pytest.approx(np.mean([0.85 - 0.6, 0.6 - 0.4]))
    assert result.shared_seeds == (0, 1)  # both trained seeds 0 and 1: said, as fewer independent draws
    assert any("Every student trained seed(s) 0, 1" in line for line in class_figures.notes(result))
    assert "gru: no student has a finished run of it; it is not in the verdict." in class_figures.notes(result)
    add_run(tmp_path, "bob", "gru", 0.7)  # one student with a gru: that pair says so instead of a sentence
    lines = class_figures.verdict_lines(class_result(ASSIGNMENT, RunStore(tmp_path).runs()))
    assert "gru vs lstm: 1 student(s) finished both; a verdict needs 2 or more." in lines


def test_gradient_flow_median_and_quartiles_over_students(tmp_path):
    norms = {"alice": [1.0, 0.5, 0.1], "bob": [2.0, 0.7, 0.2], "carol": [3.0, 0.9, 0.3], "dave": [4.0, 1.1, 0.4]}
    for student, probe in norms.items():
        add_run(tmp_path, student, "lstm", 0.9, probe=probe)
    add_run(tmp_path, "erin", "lstm", None, state="failed", probe=[100.0, 100.0, 100.0])  # not in the band
    result = class_result(ASSIGNMENT, RunStore(tmp_path).runs())
    band = result.flow["lstm"]
    assert band.distance == [1, 2, 5] and band.students == [4, 4, 4]
    columns = np.array(list(norms.values()))
    assert band.median == pytest.approx(np.median(columns, axis=0).tolist())
    assert band.low == pytest.approx(np.percentile(columns, 25, axis=0).tolist())
    assert band.high == pytest.approx(np.percentile(columns, 75, axis=0).tolist())
    assert class_figures.flow_figure(result).data  # drawn: band edges and the median


def classroom(tmp_path):
    scores = {"zorawar": (0.6, 0.9, 0.88), "quillon": (0.5, 0.92, 0.91), "xandrine": (0.55, 0.95, 0.9)}
    for student, values in scores.items():
        for arch, score in zip(ASSIGNMENT.architectures, values):
            add_run(tmp_path, student, arch, score)
    add_run(tmp_path, "=cmd", "rnn", None, state="failed")
    return class_result(ASSIGNMENT, RunStore(tmp_path).runs())


def test_the_student_view_names_nobody_else(tmp_path):
    result = classroom(tmp_path)
    frame = class_figures.student_frame(result, "quillon", show_names=False)
    assert set(frame[frame["you"]]["student"]) == {"you"} and frame["you"].sum() == 3
    shown = " ".join(map(str, frame.to_numpy().ravel()))
    assert not any(name in shown for name in ("zorawar", "xandrine", "quillon"))
    figure = class_figures.strip_figure(frame, result)
    drawn = figure.to_json()
    assert "zorawar" not in drawn and "xandrine" not in drawn and "you" in drawn
    assert f"student {result.number('zorawar')}" in drawn
    teacher = class_figures.student_frame(result, None, show_names=True)
    assert {"zorawar", "quillon", "xandrine"} <= set(teacher["student"])


def test_the_csv_with_and_without_names(tmp_path):
    result = classroom(tmp_path)
    named = list(csv.DictReader(io.StringIO(class_csv(result, names=True))))
    assert len(named) == 10 and {row["student"] for row in named} == {"zorawar", "quillon", "xandrine", "'=cmd"}
    failed, = [row for row in named if row["state"] == "failed"]
    assert failed["test accuracy"] == "" and failed["architecture"] == "rnn"
    zorawar_lstm, = [row for row in named if row["student"] == "zorawar" and row["architecture"] == "lstm"]
    assert float(zorawar_lstm["test accuracy"]) == pytest.approx(0.9) and zorawar_lstm["model.arch"] == "lstm"
    assert "task.data_dir" not in zorawar_lstm and zorawar_lstm["task"] == "recall"
    anonymous = class_csv(result, names=False)
    assert not any(name in anonymous for name in ("zorawar", "quillon", "xandrine", "=cmd"))
    numbers = {row["student"] for row in csv.DictReader(io.StringIO(anonymous))}
    assert numbers == {f"student {number}" for number in range(1, 5)}


def test_the_html_report_opens_offline_with_or_without_names(tmp_path):
    result = classroom(tmp_path)
    anonymous = class_html(ASSIGNMENT, result, names=False)
    assert anonymous.startswith("<!doctype html>") and "Why LSTMs remember" in anonymous
    assert "zorawar" not in anonymous and "Verdict, paired by student" in anonymous
    assert "<script" in anonymous and "cdn.plot.ly" not in anonymous.split("<script", 2)[1][:200]
    named = class_html(ASSIGNMENT, result, names=True, language="zh")
    assert "zorawar" in named and "&#x27;=cmd" not in named and "=cmd" in named


def _view_script():
    from types import SimpleNamespace

    import streamlit as st

    from rnnkit.runs.store import RunStore
    from rnnkit.ui.class_result import class_result_view

    assignment = SimpleNamespace(assignment_id="a-recall", title="t", task="recall", preset="quick",
                                 architectures=["rnn", "lstm", "gru"], seeds=1)
    class_result_view(assignment, RunStore(st.session_state["root"]).runs(), st.session_state["viewer"],
                      st.session_state["teacher"], st.session_state["hide"])


def render(root, viewer, teacher: bool, hide: bool):
    """The view under AppTest: every text it shows, and the charts' specs (what the browser receives)."""
    from streamlit.testing.v1 import AppTest

    from tests.apptest import TIMEOUT

    app = AppTest.from_function(_view_script, default_timeout=TIMEOUT)
    for key, value in {"root": str(root), "viewer": viewer, "teacher": teacher, "hide": hide}.items():
        app.session_state[key] = value
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    shown = [element.value for kind in ("text", "caption", "markdown", "subheader") for element in app.get(kind)]
    shown += [chart.proto.spec for chart in app.get("plotly_chart")]
    shown += [frame.value.to_csv() for frame in app.dataframe]
    return app, "\n".join(map(str, shown))


def test_a_students_screen_shows_you_and_numbers_never_a_name(tmp_path):
    classroom(tmp_path)
    app, shown = render(tmp_path, "quillon", teacher=False, hide=False)
    assert not any(name in shown for name in ("zorawar", "xandrine", "=cmd"))
    assert '"you"' in shown and "student " in shown and "Verdict, paired by student" in shown
    assert not app.get("download_button") and not app.button  # the exports are the teacher's
    _app, projected = render(tmp_path, None, teacher=True, hide=True)  # a teacher on the projector: numbers
    assert not any(name in projected for name in ("zorawar", "quillon", "xandrine"))
    teacher, named = render(tmp_path, None, teacher=True, hide=False)
    assert all(name in named for name in ("zorawar", "quillon", "xandrine"))
    assert teacher.checkbox(key="class_result_leave_names_out").value is False
