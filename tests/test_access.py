"""Classroom mode: a roster with hashed codes, owners on runs, and checks in the run store that the
dashboard's buttons only mirror. Two AppTest users cannot stop each other's runs; a student sees no
server-path field (tests/test_login.py: failing closed, the roster's checks, the login throttle)."""
import io
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rnnkit.cli.main import main
from rnnkit.data.presets import build_config
from rnnkit.runs.access import Roster, User, hash_code, may_change, verify_code
from rnnkit.runs.store import RunError, RunStore, delete_run
from rnnkit.runs.throttle import LoginThrottle
from tests.apptest import TIMEOUT, page

ROOT = Path(__file__).resolve().parent.parent
ALICE, BOB, TEACHER = User("alice", "student"), User("bob", "student"), User("ms-zhang", "teacher")
TINY = {"task": {"sequence_length": 8, "num_samples": 100}, "train": {"epochs": 1, "batch_size": 16}}


def roster_settings() -> dict:
    return {"mode": "classroom", "users": {
        "alice": {"role": "student", "code_hash": hash_code("alice-code")},
        "bob": {"role": "student", "code_hash": hash_code("bob-code")},
        "ms-zhang": {"role": "teacher", "code_hash": hash_code("teacher-code")},
    }}


def test_codes_are_stored_as_hashes_and_checked():
    stored = hash_code("secret-1")
    assert "secret-1" not in stored and stored.startswith("scrypt$")
    assert verify_code("secret-1", stored) and not verify_code("secret-2", stored)
    assert not verify_code("secret-1", "not a hash")
    roster = Roster.from_settings(roster_settings())
    assert roster.authenticate("alice", "alice-code") == ALICE
    assert roster.authenticate("alice", "bob-code") is None and roster.authenticate("eve", "x") is None
    assert Roster.from_settings({}) is None  # no roster: single-user mode
    with pytest.raises(ValueError, match="role = student|teacher"):
        Roster({"carol": {"role": "admin", "code_hash": "x"}})


def test_the_run_store_lets_only_owners_and_teachers_change_a_run(tmp_path):
    alice_store, bob_store, teacher_store = (RunStore(tmp_path, user=user) for user in (ALICE, BOB, TEACHER))
    run = alice_store.create(build_config("recall", None, TINY))
    assert run.owner() == "alice"
    for action in (lambda: bob_store.stop(run.run_id), lambda: delete_run(bob_store, run.run_id)):
        with pytest.raises(RunError, match="only the owner of run .* or a teacher"):
            action()
    assert not run.stop_requested()
    teacher_store.stop(run.run_id)  # a teacher may
    with pytest.raises(RunError, match="only the owner"):
        bob_store.prepare_resume(run.run_id)
    alice_store.prepare_resume(run.run_id)
    assert may_change(None, "alice")  # single-user mode: no owners to check


def test_delete_from_the_cli_asks_for_confirmation(tmp_path, capsys):
    store = RunStore(tmp_path)
    run = store.create(build_config("recall", None, TINY))
    run.write_status("stopped")
    assert main(["delete", run.run_id, "--checkpoints-dir", str(tmp_path)]) == 2
    assert "add --yes" in capsys.readouterr().err and run.path.exists()
    assert main(["delete", run.run_id, "--yes", "--checkpoints-dir", str(tmp_path)]) == 0
    assert not run.path.exists()


def classroom_page(name: str, user: User | None, checkpoints: Path) -> AppTest:
    app = page(name, **({"app_user": {"name": user.name, "role": user.role}} if user else {}))
    app.secrets["rnnkit"] = roster_settings()
    return app


def test_two_students_cannot_stop_each_others_runs_in_the_dashboard(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    run = RunStore(tmp_path, user=ALICE).create(build_config("recall", None, TINY, group="g-alice"))
    run.write_status("running")  # shown as running: its owner gets a Stop button
    run.write_status("running", pid=None)
    for user, buttons in ((ALICE, 1), (BOB, 0), (TEACHER, 1)):
        app = classroom_page("train", user, tmp_path)
        app.session_state["train_watch"] = "g-alice"
        app.run()
        assert not app.exception, [e.value for e in app.exception]
        stops = [button for button in app.button if button.key and button.key.startswith("live_stop_")]
        assert len(stops) == buttons, user


def test_the_dashboard_asks_for_a_login_in_classroom_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    app = classroom_page("train", None, tmp_path).run()
    assert app.title[0].value == "Log in" and not app.selectbox
    app.text_input(key="auth_name").set_value("alice")
    app.text_input(key="auth_code").set_value("wrong")
    app.button[0].click().run()
    assert "wrong" in app.error[0].value
    app.text_input(key="auth_code").set_value("alice-code")
    app.button[0].click().run()
    assert "try again" in app.error[0].value and "app_user" not in app.session_state  # a wrong code costs a wait
    for key in ("name:alice", "client:local"):  # (tests/test_login.py lets the time pass instead)
        LoginThrottle(tmp_path / ".login").unlock(key)
    app.button[0].click().run()
    assert app.session_state["app_user"] == {"name": "alice", "role": "student"}


def test_a_student_sees_no_server_path_field(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    student = classroom_page("app", ALICE, tmp_path).run()
    assert "Data folder" not in [box.label for box in student.text_input]
    teacher = classroom_page("app", TEACHER, tmp_path).run()
    assert "Data folder" in [box.label for box in teacher.text_input]
    form = classroom_page("train", ALICE, tmp_path)
    form.session_state["train_task"] = "csv"
    form.session_state["train_preset"] = "quick"
    form.run()
    assert not form.exception
    assert "or a path on this machine" not in [box.label for box in form.text_input]


def test_single_user_mode_keeps_the_path_fields(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    form = AppTest.from_file(str(ROOT / "pages" / "train.py"), default_timeout=TIMEOUT)
    form.session_state["app_entry"] = True
    form.session_state["train_task"] = "csv"
    form.session_state["train_preset"] = "quick"
    form.run()
    assert "or a path on this machine" in [box.label for box in form.text_input]



def test_a_student_tries_only_their_own_models_and_the_demos(tmp_path, monkeypatch):
    from rnnkit.worker.execute import execute

    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    for user in (ALICE, BOB):
        run = RunStore(tmp_path, user=user).create(build_config("recall", None, TINY))
        assert execute(run, stream=io.StringIO(), install_signals=False) == "completed"
    app = classroom_page("playground", BOB, tmp_path)
    app.session_state["play_task"] = "recall"
    app.run()
    labels = app.selectbox(key="play_model").options
    assert any("-recall-" in label for label in labels)  # bob's own run
    assert len([label for label in labels if "demo" not in label]) == 1  # not alice's
