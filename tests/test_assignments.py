"""Class assignments: kept as checked files, handed out and closed by teachers only, and enforced by the run
store (not only by the form): a changed locked setting, other architectures or seeds, an unknown, closed or
late assignment, and a second Start are refused with a message that names what and the teacher's value. The
teacher's pause holds the queue; the teacher's Stop ends a student's runs or the class's."""
import json
import os

import pytest

from rnnkit.runs.assignment_check import AssignmentRefused
from rnnkit.runs.assignment_settings import assignment_configs, lockable_settings, locked_settings
from rnnkit.runs.assignments import FOLDER, AssignmentError, Assignments, Unreadable, student_seed
from rnnkit.runs.class_runs import NOT_STARTED, grid_rows, stop_runs
from rnnkit.runs.folder import RunError
from rnnkit.runs.limits import Limits
from rnnkit.runs.store import RunStore
from tests.apptest import page
from tests.test_access import ALICE, BOB, TEACHER, classroom_page
from tests.test_queue import RecordingLauncher

TINY = {"task": {"sequence_length": 8, "num_samples": 100}, "train": {"epochs": 1, "batch_size": 16}}
STUDENT = Limits.for_student({})


def hand_out(root, open_settings=("train.learning_rate",), deadline=None, seeds=1):
    locked = locked_settings("recall", "quick", TINY, list(open_settings))
    return Assignments(root, TEACHER).create("Memory over 8 steps", "Train all three; compare.", "recall", "quick",
                                             ["rnn", "lstm", "gru"], seeds, locked, list(open_settings), deadline)


def store_of(root, user, launcher=None):
    return RunStore(root, launcher or RecordingLauncher(), user=user,
                    limits=STUDENT if user and not user.is_teacher else Limits())


# ------------------------------------------------------------------------------------ the files
def test_an_assignment_is_a_file_that_a_new_process_reads_back(tmp_path):
    assignment = hand_out(tmp_path)
    path = tmp_path / FOLDER / f"{assignment.assignment_id}.json"
    assert path.is_file() and not [name for name in os.listdir(path.parent) if name.endswith(".tmp")]
    again = Assignments(tmp_path).get(assignment.assignment_id)  # a restarted server: only the file
    assert again == assignment and again.created_by == "ms-zhang" and again.open == ("train.learning_rate",)
    assert again.locked["train"]["epochs"] == 1 and again.locked["task"]["sequence_length"] == 8
    assert "learning_rate" not in again.locked["train"] and "seed" not in again.locked["train"]
    assert again.locked["train"]["dry_run"] is False
    assert [item.assignment_id for item in Assignments(tmp_path, ALICE).list()] == [assignment.assignment_id]


def test_a_write_cut_short_leaves_no_assignment_and_no_half_file(tmp_path, monkeypatch):
    good = hand_out(tmp_path)

    def crash(*_args):
        raise OSError("the machine went down mid-write")

    monkeypatch.setattr("rnnkit.core.files.os.replace", crash)
    with pytest.raises(OSError):
        hand_out(tmp_path)
    with pytest.raises(OSError):
        Assignments(tmp_path, TEACHER).close(good.assignment_id)
    assert Assignments(tmp_path).list() == [good] and not good.closed  # the old file, whole
    assert sorted(path.name for path in (tmp_path / FOLDER).iterdir()) == [f"{good.assignment_id}.json"]


def test_a_linked_assignments_folder_is_neither_written_nor_read(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / FOLDER).symlink_to(elsewhere)
    with pytest.raises(AssignmentError, match="symbolic link"):
        hand_out(tmp_path / "runs")
    assert list(elsewhere.iterdir()) == []


def test_only_teachers_hand_out_and_close(tmp_path):
    locked = locked_settings("recall", "quick", TINY, [])
    with pytest.raises(AssignmentError, match="only a teacher can hand out an assignment"):
        Assignments(tmp_path, ALICE).create("x", "", "recall", "quick", ["lstm"], 1, locked)
    assignment = hand_out(tmp_path)
    with pytest.raises(AssignmentError, match="only a teacher can close"):
        Assignments(tmp_path, BOB).close(assignment.assignment_id)
    assert Assignments(tmp_path, TEACHER).close(assignment.assignment_id).closed
    assert Assignments(tmp_path).get(assignment.assignment_id).closed


def test_bad_fields_are_refused_when_handing_out(tmp_path):
    locked = locked_settings("recall", "quick", TINY, [])
    teacher = Assignments(tmp_path, TEACHER)
    for title, seeds, archs, problem in (("", 1, ["lstm"], "needs a title"), ("x" * 500, 1, ["lstm"], "title"),
                                         ("ok", 0, ["lstm"], "seeds"), ("ok", 1, [], "architectures"),
                                         ("ok", 1, ["lstm", "lstm"], "architectures")):
        with pytest.raises(AssignmentError, match=problem):
            teacher.create(title, "", "recall", "quick", archs, seeds, locked)
    with pytest.raises(ValueError, match="students cannot be given these settings: train.seed"):
        locked_settings("recall", "quick", TINY, ["train.seed"])
    assert not (tmp_path / FOLDER).exists() or not list((tmp_path / FOLDER).glob("*.json"))


@pytest.mark.parametrize("content", [b"", b"[1, 2]", b"{\"title\": 3}", b"\xff\xfe garbage", b"[" * 100_000,
                                     b"{" + b" " * 300_000 + b"}"])
def test_a_garbled_file_is_listed_as_unreadable_never_a_traceback(tmp_path, content):
    good = hand_out(tmp_path)
    (tmp_path / FOLDER / "a20260101-000000-beef.json").write_bytes(content)
    listed = Assignments(tmp_path, ALICE).list()
    assert good in listed
    bad = [item for item in listed if isinstance(item, Unreadable)]
    assert [item.assignment_id for item in bad] == ["a20260101-000000-beef"] and bad[0].problem
    with pytest.raises(AssignmentError, match="cannot be read"):
        Assignments(tmp_path).get("a20260101-000000-beef")


def test_hostile_fields_and_links_are_unreadable(tmp_path):
    good = hand_out(tmp_path)
    document = good.to_dict()
    folder = tmp_path / FOLDER
    for index, change in enumerate(({"seeds": 10**9}, {"closed": "no"}, {"locked": {"train": {"epochs": [1]}}},
                                    {"locked": {"evil": {}}}, {"deadline": float("nan")}, {"extra": 1},
                                    {"architectures": ["lstm"] * 2})):
        name = f"a20260101-00000{index}-beef"
        (folder / f"{name}.json").write_text(json.dumps({**document, **change, "assignment_id": name}))
    (folder / "a20260101-000009-beef.json").symlink_to(folder / f"{good.assignment_id}.json")
    (folder / "notes.json").write_text("{}")
    listed = Assignments(tmp_path).list()
    assert [item for item in listed if not isinstance(item, Unreadable)] == [good]
    assert len(listed) == 10
    with pytest.raises(AssignmentError):
        Assignments(tmp_path).get("../../etc/passwd")


# ----------------------------------------------------------------------------- the store's check
def test_a_student_starts_the_assignment_with_their_own_seeds(tmp_path):
    assignment = hand_out(tmp_path)
    runs = store_of(tmp_path, ALICE).start(assignment_configs(assignment, "alice", {"train": {"learning_rate": 0.01}}))
    configs = [run.config() for run in runs]
    assert sorted(config.model.arch for config in configs) == ["gru", "lstm", "rnn"]
    assert {config.assignment for config in configs} == {assignment.assignment_id}
    assert {config.train.seed for config in configs} == {student_seed(assignment.assignment_id, "alice")}
    assert student_seed(assignment.assignment_id, "alice") != student_seed(assignment.assignment_id, "bob")
    assert {config.train.learning_rate for config in configs} == {0.01}  # the open setting is the student's


@pytest.mark.parametrize("changes, setting", [({"model": {"hidden_size": 256}}, "model.hidden_size"),
                                               ({"train": {"epochs": 50}}, "train.epochs"),
                                               ({"task": {"sequence_length": 9}}, "task.sequence_length"),
                                               ({"train": {"dry_run": True}}, "train.dry_run")])
def test_a_changed_locked_setting_is_refused_by_the_store_naming_it_and_the_teachers_value(tmp_path, changes, setting):
    assignment = hand_out(tmp_path)
    with pytest.raises(AssignmentRefused, match=f"{setting} is locked by the teacher at") as refused:
        store_of(tmp_path, ALICE).start(assignment_configs(assignment, "alice", changes))
    assert refused.value.details["setting"] == setting
    assert refused.value.details["value"] == assignment.locked[setting.split(".")[0]][setting.split(".")[1]]
    assert RunStore(tmp_path).runs() == []  # nothing was created


def test_other_architectures_seeds_task_or_preset_are_refused(tmp_path):
    import dataclasses

    assignment = hand_out(tmp_path)
    configs = assignment_configs(assignment, "alice")
    alice = store_of(tmp_path, ALICE)
    with pytest.raises(AssignmentRefused, match="trains rnn, lstm, gru"):
        alice.start(configs[:2])
    with pytest.raises(AssignmentRefused, match="your seeds for this assignment are"):
        alice.start(assignment_configs(assignment, "bob"))  # bob's seeds, alice's name: not hers
    with pytest.raises(AssignmentRefused, match="uses the preset quick"):
        alice.start([dataclasses.replace(config, preset="best") for config in configs])
    with pytest.raises(AssignmentRefused, match="one assignment only"):
        alice.start([configs[0], dataclasses.replace(configs[1], assignment="a20260101-000000-beef")])
    assert RunStore(tmp_path).runs() == []


def test_unknown_closed_and_late_assignments_are_refused(tmp_path):
    import dataclasses

    assignment = hand_out(tmp_path)
    configs = assignment_configs(assignment, "alice")
    alice = store_of(tmp_path, ALICE)
    with pytest.raises(AssignmentRefused, match="no assignment"):
        alice.start([dataclasses.replace(config, assignment="a20260101-000000-dead") for config in configs])
    late = hand_out(tmp_path, deadline=1_000_000.0)  # 1970
    with pytest.raises(AssignmentRefused, match="deadline .* has passed"):
        alice.start(assignment_configs(late, "alice"))
    Assignments(tmp_path, TEACHER).close(assignment.assignment_id)
    with pytest.raises(AssignmentRefused, match="is closed") as refused:
        alice.start(configs)
    assert refused.value.reason == "closed" and RunStore(tmp_path).runs() == []


def test_one_start_per_student_unless_their_runs_failed_or_were_stopped_teachers_preview_freely(tmp_path):
    assignment = hand_out(tmp_path)
    alice, teacher = store_of(tmp_path, ALICE), store_of(tmp_path, TEACHER)
    first = alice.start(assignment_configs(assignment, "alice"))
    with pytest.raises(AssignmentRefused, match="started this assignment already") as refused:
        alice.start(assignment_configs(assignment, "alice"))
    assert refused.value.reason == "started"
    store_of(tmp_path, BOB).start(assignment_configs(assignment, "bob"))  # others are not held back
    for run in first:
        run.write_status("failed" if run is first[0] else "stopped")
    alice.start(assignment_configs(assignment, "alice"))  # everything of hers ended badly: again
    teacher.start(assignment_configs(assignment, "ms-zhang"))
    teacher.start(assignment_configs(assignment, "ms-zhang"))  # a teacher's preview, twice


def test_configs_without_an_assignment_pass_as_before(tmp_path):
    from rnnkit.data.presets import build_config

    assert len(store_of(tmp_path, ALICE).start([build_config("recall", None, TINY)])) == 1
    assert not (tmp_path / FOLDER).exists()


def test_lockable_settings_are_the_forms_less_the_seed():
    lockable = lockable_settings("recall")
    assert ("model", "hidden_size") in lockable and ("train", "epochs") in lockable
    assert ("task", "sequence_length") in lockable and ("train", "seed") not in lockable
    assert ("model", "arch") not in lockable and ("task", "data_dir") not in lockable
    assert ("train", "dry_run") in lockable


# ------------------------------------------------------------------------- the teacher's controls
def test_pause_holds_the_queue_until_a_teacher_resumes_it(tmp_path):
    launcher = RecordingLauncher()
    teacher, alice = store_of(tmp_path, TEACHER, launcher), store_of(tmp_path, ALICE, launcher)
    with pytest.raises(RunError, match="only a teacher can pause the queue"):
        alice.queue.pause(ALICE)
    teacher.queue.pause(TEACHER)
    assert teacher.queue.paused()["by"] == "ms-zhang"
    from rnnkit.data.presets import build_config

    waiting = alice.start([build_config("recall", None, TINY)])
    assert launcher.launched == [] and alice.queue.dispatch() == 0
    assert waiting[0].status()["state"] == "queued" and alice.queue.positions() == {waiting[0].run_id: 1}
    with pytest.raises(RunError, match="only a teacher can resume the queue"):
        alice.queue.resume_dispatch(ALICE)
    assert teacher.queue.resume_dispatch(TEACHER) == 1 and launcher.launched == [[waiting[0].run_id]]
    assert teacher.queue.paused() is None


def test_the_teacher_stops_one_students_runs_or_all_students_may_not(tmp_path):
    assignment = hand_out(tmp_path)
    launcher = RecordingLauncher()
    alice_runs = store_of(tmp_path, ALICE, launcher).start(assignment_configs(assignment, "alice"))
    bob_runs = store_of(tmp_path, BOB, launcher).start(assignment_configs(assignment, "bob"))
    with pytest.raises(AssignmentError, match="only a teacher"):
        stop_runs(store_of(tmp_path, ALICE, launcher), assignment.assignment_id)
    teacher = store_of(tmp_path, TEACHER, launcher)
    assert stop_runs(teacher, assignment.assignment_id, "alice") == 3
    assert all(run.stop_requested() for run in alice_runs) and not any(run.stop_requested() for run in bob_runs)
    assert stop_runs(teacher, assignment.assignment_id) == 3 and all(run.stop_requested() for run in bob_runs)


def test_the_grid_has_a_row_per_run_and_one_per_student_not_started(tmp_path):
    assignment = hand_out(tmp_path)
    launcher = RecordingLauncher()
    runs = store_of(tmp_path, BOB, launcher).start(assignment_configs(assignment, "bob"))
    runs[0].append_metrics({"kind": "epoch", "epoch": 1, "epochs": 1, "train": {}, "validation": {"accuracy": 0.5},
                            "best_epoch": 1, "best_value": 0.5, "monitor": "accuracy", "epoch_seconds": 1.0,
                            "samples_per_second": 10.0})
    rows = grid_rows(store_of(tmp_path, TEACHER, launcher), assignment, ["alice", "bob", "carol"])
    assert [row["student"] for row in rows] == ["alice", "bob", "bob", "bob", "carol"]
    assert rows[0]["state"] == NOT_STARTED and rows[-1]["state"] == NOT_STARTED
    scored = [row for row in rows if row["run"] == runs[0].run_id][0]
    assert scored["best_validation"] == 0.5 and scored["epoch"] == 1 and scored["state"] == "running"


# ---------------------------------------------------------------------------------- the pages (AppTest)
@pytest.fixture
def classroom(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    launcher = RecordingLauncher()
    monkeypatch.setattr("rnnkit.runs.store.default_launcher", lambda: launcher)  # the pages' stores start nothing
    return tmp_path


def test_in_single_user_mode_the_class_page_says_what_classroom_mode_is(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    app = page("class").run()
    assert not app.exception, [e.value for e in app.exception]
    assert "single-user mode" in app.info[0].value and "docs/classroom.md" in app.markdown[0].value


def test_a_teacher_hands_out_an_assignment_on_the_class_page_and_pauses_the_queue(classroom):
    app = classroom_page("class", TEACHER, classroom).run()
    assert not app.exception, [e.value for e in app.exception]
    app.text_input(key="class_title").set_value("<b>Memory</b> [link](http://x)")
    app.text_area(key="class_instruction").set_value("Press **Start**.")
    app.number_input(key="class_set_train_epochs").set_value(1)
    app.multiselect(key="class_open").set_value(["train.learning_rate"]).run()
    app.button(key="class_handout").click().run()
    assert not app.exception, [e.value for e in app.exception]
    (assignment,) = Assignments(classroom).list()
    assert assignment.title == "<b>Memory</b> [link](http://x)" and assignment.locked["train"]["epochs"] == 1
    assert assignment.open == ("train.learning_rate",) and "learning_rate" not in assignment.locked["train"]
    assert "Press **Start**." in [text.value for text in app.text]  # user text as plain text, never markdown
    assert app.dataframe[0].value.shape[0] == 2  # alice and bob: not started
    app.button(key="class_queue_pause").click().run()
    assert RunStore(classroom).queue.paused() and app.button(key="class_queue_resume")
    app.button(key="class_queue_resume").click().run()
    assert RunStore(classroom).queue.paused() is None


def test_a_student_sees_no_hand_out_form_nor_anyone_elses_runs(classroom):
    assignment = hand_out(classroom)
    store_of(classroom, BOB).start(assignment_configs(assignment, "bob"))
    app = classroom_page("class", ALICE, classroom).run()
    assert not app.exception, [e.value for e in app.exception]
    assert not [button for button in app.button if button.key in ("class_handout", "class_queue_pause")]
    assert not app.dataframe and "Train all three; compare." in [text.value for text in app.text]


def test_the_train_page_shows_the_assignment_locked_and_starts_it(classroom):
    assignment = hand_out(classroom)
    app = classroom_page("train", ALICE, classroom)
    app.query_params["assignment"] = assignment.assignment_id
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.subheader[0].value == "Assignment\\: Memory over 8 steps"
    key = f"train_assignment_{assignment.assignment_id}"
    epochs = app.number_input(key=f"{key}_train_epochs")
    assert epochs.disabled and epochs.value == 1
    assert not app.number_input(key=f"{key}_train_learning_rate").disabled  # left open by the teacher
    app.button(key="train_assignment_start").click().run()
    assert not app.error, [e.value for e in app.error]
    runs = RunStore(classroom).runs()
    assert len(runs) == 3 and {run.owner() for run in runs} == {"alice"}
    assert app.session_state["train_watch"] == runs[0].config().group


def test_a_shared_link_that_changes_a_locked_setting_is_refused_by_the_store(classroom):
    assignment = hand_out(classroom)
    app = classroom_page("train", ALICE, classroom)
    app.query_params["assignment"] = assignment.assignment_id
    app.query_params["model.hidden_size"] = "256"
    app.run()
    assert "model\\.hidden\\_size" in app.warning[0].value  # said before Start (markdown-escaped)
    app.button(key="train_assignment_start").click().run()
    assert [error.value for error in app.error] == [
        "Refused\\: model\\.hidden\\_size is locked by your teacher at 64\\. Nothing was started\\."]
    assert RunStore(classroom).runs() == []
