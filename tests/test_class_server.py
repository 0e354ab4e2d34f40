"""The classroom server's housekeeping: deleting runs and groups (owner or teacher, confirmed), uploads
kept per user and removed with their last run, a disk quota per student, school-account login, and a
metrics file of a million lines that does not stall the pages."""
import io
import json

import pytest

from rnnkit.cli.main import main
from rnnkit.core.jsonl import MAX_PARSED_LINES, read_records
from rnnkit.data.presets import build_config
from rnnkit.runs import uploads
from rnnkit.runs.access import User, user_from_identity
from rnnkit.runs.limits import Limits, QueueFull
from rnnkit.runs.store import RunStore
from rnnkit.worker.execute import execute
from tests.apptest import page
from tests.test_access import ALICE, BOB, TEACHER, TINY, classroom_page, roster_settings
from tests.test_queue import RecordingLauncher

QUIET = {"stream": io.StringIO(), "install_signals": False}


def finished_run(store: RunStore, group: str = "") -> "object":
    run = store.create(build_config("recall", None, TINY, group=group))
    run.write_status("completed")
    return run


# --------------------------------------------------------------------------------------- delete
def test_compare_deletes_only_your_own_ended_runs_after_a_confirmation(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    mine = finished_run(RunStore(tmp_path, user=ALICE), "g1")
    theirs = finished_run(RunStore(tmp_path, user=BOB), "g1")
    app = classroom_page("compare", ALICE, tmp_path)
    app.session_state["compare_runs"] = [mine.run_id, theirs.run_id]
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    offered = app.multiselect(key="compare_delete_runs")
    assert len(offered.options) == 1 and offered.value == [mine.run_id]  # bob's run is not offered to alice
    delete = app.button(key="compare_delete")
    assert delete.disabled  # not before the confirmation
    app.checkbox(key="compare_delete_sure").check().run()
    app.button(key="compare_delete").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert not mine.path.exists() and theirs.path.exists()
    assert "Deleted 1 run(s)." in [element.value for element in app.success]
    assert app.session_state["compare_runs"] == [theirs.run_id]


def test_a_teacher_may_delete_anyones_runs_but_never_a_training_one(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    ended = finished_run(RunStore(tmp_path, user=BOB), "g1")
    training = RunStore(tmp_path, user=BOB).create(build_config("recall", None, TINY, group="g1"))
    training.write_status("running", pid=None)  # another host's process: taken as alive
    app = classroom_page("compare", TEACHER, tmp_path)
    app.session_state["compare_runs"] = [ended.run_id, training.run_id]
    app.run()
    assert len(app.multiselect(key="compare_delete_runs").options) == 1  # the training run is not offered


def test_the_cli_deletes_a_whole_group_all_or_nothing(tmp_path, capsys):
    store = RunStore(tmp_path)
    first, second = finished_run(store, "g1"), finished_run(store, "g1")
    other = finished_run(store, "g2")
    second.write_status("running", pid=None)
    assert main(["delete", "--group", "g1", "--yes", "--checkpoints-dir", str(tmp_path)]) == 2
    assert "stop it before deleting it" in capsys.readouterr().err and first.path.exists()
    second.write_status("stopped")
    assert main(["delete", "--group", "g1", "--yes", "--checkpoints-dir", str(tmp_path)]) == 0
    assert not first.path.exists() and not second.path.exists() and other.path.exists()
    assert main(["delete", "--group", "nope", "--yes", "--checkpoints-dir", str(tmp_path)]) == 2
    assert main(["delete", "--checkpoints-dir", str(tmp_path)]) == 2
    assert "name the runs to delete" in capsys.readouterr().err


# -------------------------------------------------------------------------------------- uploads
def test_uploads_are_kept_per_user_and_leave_with_their_last_run(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CACHE_DIR", str(tmp_path / "cache"))
    data = "text,label\n" + "".join(f"good {n},pos\nbad {n},neg\n" for n in range(20))
    alice_file = uploads.save_upload("mine.csv", data.encode(), ALICE)
    bob_file = uploads.save_upload("mine.csv", data.encode(), BOB)
    assert alice_file.parent.name == "alice" and bob_file.parent.name == "bob" and alice_file != bob_file
    odd = uploads.user_folder(User("../../etc", "student"))
    assert odd.parent == uploads.upload_root() and odd.name.startswith("u-")
    store = RunStore(tmp_path / "runs", user=ALICE)
    config = build_config("csv", None, {"task": {"file": str(alice_file)}, "train": {"epochs": 1}})
    first, second = store.create(config), store.create(config)
    for run in (first, second):
        run.write_status("completed")
    assert uploads.uploaded_files(first) == [alice_file.resolve()]
    from rnnkit.runs.store import delete_run

    delete_run(store, first.run_id)
    assert alice_file.exists()  # the second run still trains on it
    delete_run(store, second.run_id)
    assert not alice_file.exists() and bob_file.exists()


def test_a_student_over_the_disk_quota_starts_and_uploads_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CACHE_DIR", str(tmp_path / "cache"))
    limits = Limits.for_student({"disk_quota_mb": 1})
    store = RunStore(tmp_path / "runs", RecordingLauncher(), user=ALICE, limits=limits)
    run = finished_run(store)
    (run.path / "last.pt").write_bytes(b"\0" * 1_200_000)
    with pytest.raises(QueueFull, match="You use 1 MB of your 1 MB of disk") as refused:
        store.start([build_config("recall", None, TINY)])
    assert refused.value.reason == "disk"
    RunStore(tmp_path / "runs", RecordingLauncher(), user=BOB, limits=limits).start(
        [build_config("recall", None, TINY)])  # another student's use is theirs
    teacher = RunStore(tmp_path / "runs", RecordingLauncher(), user=TEACHER, limits=Limits())
    teacher.start([build_config("recall", None, TINY)])  # no quota for teachers


# -------------------------------------------------------------------------------- school login
def test_school_accounts_map_to_roles_only_when_listed():
    settings = {"teachers": ["Zhang.Min@school.edu"], "students": ["li.wei@school.edu"],
                "student_domains": ["class3.school.edu"]}
    assert user_from_identity("zhang.min@school.edu", settings) == User("zhang.min@school.edu", "teacher")
    assert user_from_identity("li.wei@school.edu", settings).role == "student"
    assert user_from_identity("wang@class3.school.edu", settings).role == "student"
    for stranger in ("eve@gmail.com", "school.edu", None, 42, "li.wei@school.edu.evil.com"):
        assert user_from_identity(stranger, settings) is None


def test_with_an_identity_provider_the_login_offers_the_school_account(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    app = page("train")
    app.secrets["rnnkit"] = {"mode": "classroom", "teachers": ["t@school.edu"]}
    app.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                           "client_id": "rnnkit", "client_secret": "s",
                           "server_metadata_url": "https://login.school.edu/.well-known/openid-configuration"}
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.button(key="auth_school").label == "Log in with your school account"
    assert not app.text_input  # no roster: no code form
    with_roster = page("train")
    with_roster.secrets["rnnkit"] = roster_settings()
    with_roster.secrets["auth"] = dict(app.secrets["auth"])
    with_roster.run()
    assert with_roster.button(key="auth_school") and with_roster.text_input(key="auth_code")


def test_log_out_forgets_the_user(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    app = classroom_page("app", ALICE, tmp_path).run()
    app.button(key="app_logout").click().run()
    assert "app_user" not in app.session_state and app.title[0].value == "Log in"


# ------------------------------------------------------------------------- a million metrics lines
def test_a_million_line_metrics_file_renders_compare_reading_a_bounded_part(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    store = RunStore(tmp_path)
    run = store.create(build_config("recall", None, TINY, group="big"))
    assert execute(run, **QUIET) == "completed"
    real = run.metrics_path.read_bytes()
    step = json.dumps(run.metrics("step")[-1], separators=(",", ":")).encode() + b"\n"  # a real step line
    with open(run.metrics_path, "wb") as handle:  # the real records, then a million step lines
        handle.write(real)
        for _ in range(100):
            handle.write(step * 10_000)
    assert real.count(b"\n") + 1_000_000 == run.metrics_path.read_bytes().count(b"\n")
    app = page("compare", compare_runs=[run.run_id])
    app.run()  # how long it takes is benchmarks/bench_reader.py's business: a unit test is never timed
    assert not app.exception, [e.value for e in app.exception]
    records = read_records(run.metrics_path)
    assert len(records) <= MAX_PARSED_LINES + 100
    assert [record["epoch"] for record in run.metrics("epoch")] == [1]  # every epoch record is kept
    assert run.metrics("test")


def test_another_students_file_path_is_not_in_compares_command_or_csv(tmp_path, monkeypatch):
    from rnnkit.analysis import frames

    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    monkeypatch.setenv("RNNKIT_CACHE_DIR", str(tmp_path / "cache"))
    upload = uploads.save_upload("diary.csv", b"text,label\n" + b"good day,pos\nbad day,neg\n" * 10, BOB)
    run = RunStore(tmp_path, user=BOB).create(build_config("csv", None, {"task": {"file": str(upload)}}, group="g"))
    run.write_status("completed")
    assert "task.file" not in frames.run_settings(run)
    for user, sees in ((ALICE, False), (BOB, True), (TEACHER, True)):
        app = classroom_page("compare", user, tmp_path)
        app.session_state["compare_runs"] = [run.run_id]
        app.run()
        assert not app.exception, [e.value for e in app.exception]
        assert any("diary" in code.value for code in app.code) is sees, user
