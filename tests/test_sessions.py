"""A roster login that survives a reload: signed session tokens, their records on the server, and the
dashboard's cookie (rnnkit/runs/session_tokens.py, rnnkit/runs/sessions.py, rnnkit/ui/login_cookie.py).

Tokens: a round trip, and refusals for another class's secret, tampering, expiry and malformed input.
Records: revocation (one, a person's, everyone's), a changed code, a name removed from the roster, a
shortened login time, hostile files in `.sessions/`, modes 0600/0700, a folder that cannot be written.
Settings: login_hours and session_secret fail closed. The dashboard (AppTest, with the browser's cookies
handed in): a cookie logs in without the form, a removed name or an ended login shows the form again, a
changed role applies, and a teacher's "Log everyone out" ends the others' logins. The real browser (a
reload keeps the login, logging out ends it) is tests/test_login_browser.py.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import os
import stat

import pytest

from rnnkit.runs import access
from rnnkit.runs.access import SettingsError, check_settings
from rnnkit.runs.session_tokens import MAX_TOKEN_LENGTH, read_token, sign
from rnnkit.runs.sessions import SessionStore, SessionsUnavailable, settings_problem
from rnnkit.ui import login_cookie
from tests.apptest import page
from tests.test_access import roster_settings
from tests.test_login import Clock

SECRET = b"a" * 16 + b"0123456789abcdef" * 3
OTHER = b"b" * 16 + b"0123456789abcdef" * 3
PAYLOAD = {"name": "alice", "issued": 1_000_000, "expires": 1_014_400, "id": "0123456789abcdef" * 2}
HOUR = 3600.0
ROSTER = roster_settings()  # one roster for the whole class: each call of roster_settings() hashes the codes anew


def roster() -> dict:
    return copy.deepcopy(ROSTER)


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_body(body: str, secret: bytes = SECRET) -> str:
    """A token with a right signature over any body (what a forger with the secret could make)."""
    signature = hmac.new(secret, f"v1.{body}".encode(), hashlib.sha256).digest()
    return f"v1.{body}.{_encode(signature)}"


# --- tokens -------------------------------------------------------------------------------------

def test_a_token_round_trips_and_carries_no_code():
    token = sign(PAYLOAD, SECRET)
    assert read_token(token, SECRET) == PAYLOAD
    assert "code" not in json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==")) and len(token) < 300


def test_a_token_of_another_class_is_refused():
    assert read_token(sign(PAYLOAD, OTHER), SECRET) is None


def test_a_tampered_token_is_refused():
    token = sign(PAYLOAD, SECRET)
    version, body, signature = token.split(".")
    teacher = _encode(json.dumps({**PAYLOAD, "name": "ms-zhang"}, separators=(",", ":")).encode())
    later = _encode(json.dumps({**PAYLOAD, "expires": 9_999_999_999}, separators=(",", ":")).encode())
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    for forged in (f"{version}.{teacher}.{signature}", f"{version}.{later}.{signature}", f"{version}.{body}.{flipped}",
                   f"{version}.{body[:-1]}.{signature}", f"v2.{body}.{signature}", f"{version}.{body}.{signature}.x"):
        assert read_token(forged, SECRET) is None, forged


BAD_TOKENS = {
    "none": None, "a number": 42, "empty": "", "dots only": "..", "two parts": "v1.abc",
    "too long": "v1." + "a" * MAX_TOKEN_LENGTH + ".b", "padding": "v1.YWJj=.YWJj", "not ascii": "v1.abç.def",
    "spaces": "v1. abc .def", "a list": ["v1", "a", "b"],
}


@pytest.mark.parametrize("token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_malformed_tokens_are_refused_without_an_exception(token):
    assert read_token(token, SECRET) is None


SIGNED_GARBAGE = {  # right signatures over bodies no server writes: refused all the same
    "not base64": "abcde",  # 5 characters decode to no whole number of bytes
    "not json": _encode(b"not json"),
    "not utf-8": _encode(b"\xff\xfe"),
    "a list": _encode(b"[1, 2]"),
    "deep nesting": _encode(b"[" * 1400),  # deeper than the parser's recursion limit, within the length cap
    "an extra key": _encode(json.dumps({**PAYLOAD, "role": "teacher"}).encode()),
    "a missing key": _encode(json.dumps({key: PAYLOAD[key] for key in ("name", "issued", "expires")}).encode()),
    "a boolean time": _encode(json.dumps({**PAYLOAD, "issued": True}).encode()),
    "a float time": _encode(json.dumps({**PAYLOAD, "expires": 1e15}).encode()),
    "expires before issued": _encode(json.dumps({**PAYLOAD, "expires": 5}).encode()),
    "an id that is a path": _encode(json.dumps({**PAYLOAD, "id": "../../etc/passwd"}).encode()),
    "an empty name": _encode(json.dumps({**PAYLOAD, "name": ""}).encode()),
}


@pytest.mark.parametrize("body", SIGNED_GARBAGE.values(), ids=SIGNED_GARBAGE.keys())
def test_signed_garbage_is_refused_without_an_exception(body):
    assert read_token(signed_body(body), SECRET) is None


# --- records ------------------------------------------------------------------------------------

def store(tmp_path, clock: Clock, hours: float = 4, secret: str | None = None) -> SessionStore:
    return SessionStore(tmp_path / ".sessions", secret, hours * HOUR, clock)


def roster_of(**names: str):
    return lambda name: names.get(name)


def test_a_login_is_valid_until_it_expires(tmp_path):
    clock = Clock()
    session, token = store(tmp_path, clock).start("alice", "hash-1")
    assert session.expires == session.issued + 4 * 3600 and session.name == "alice"
    assert store(tmp_path, clock).check(token, roster_of(alice="hash-1")) == session
    clock.now += 4 * HOUR - 1
    assert store(tmp_path, clock).check(token, roster_of(alice="hash-1")) == session
    clock.now += 1
    assert store(tmp_path, clock).check(token, roster_of(alice="hash-1")) is None  # expired
    assert store(tmp_path, Clock(clock.now - 4 * HOUR - 120)).check(token, roster_of(alice="hash-1")) is None


def test_a_shorter_login_time_shortens_the_logins_already_given(tmp_path):
    clock = Clock()
    _session, token = store(tmp_path, clock, hours=4).start("alice", "hash-1")
    clock.now += 2 * HOUR
    assert store(tmp_path, clock, hours=4).check(token, roster_of(alice="hash-1"))
    assert store(tmp_path, clock, hours=1).check(token, roster_of(alice="hash-1")) is None


def test_logging_out_one_person_or_everyone_ends_their_logins(tmp_path):
    clock = Clock()
    sessions = store(tmp_path, clock)
    alice, alice_token = sessions.start("alice", "hash-1")
    _alice_again, alice_tab = sessions.start("alice", "hash-1")  # another computer
    _bob, bob_token = sessions.start("bob", "hash-2")
    teacher, teacher_token = sessions.start("ms-zhang", "hash-3")
    everyone = roster_of(alice="hash-1", bob="hash-2", **{"ms-zhang": "hash-3"})
    assert sessions.count() == 4
    assert sessions.revoke(alice.id) and not sessions.revoke(alice.id) and not sessions.revoke("../secret")
    assert sessions.check(alice_token, everyone) is None and sessions.check(alice_tab, everyone)
    assert sessions.revoke_all(names=lambda name: name == "alice") == 1 and sessions.check(alice_tab, everyone) is None
    assert sessions.revoke_all(keep=teacher.id) == 1
    assert sessions.check(bob_token, everyone) is None and sessions.check(teacher_token, everyone) == teacher
    assert (tmp_path / ".sessions" / "secret").exists()  # the secret stays: new logins need no new cookie name


def test_a_new_code_or_a_name_off_the_roster_ends_a_login(tmp_path):
    clock = Clock()
    _session, token = store(tmp_path, clock).start("alice", "hash-1")
    assert store(tmp_path, clock).check(token, roster_of(alice="hash-2")) is None  # the teacher gave a new code
    assert store(tmp_path, clock).check(token, roster_of(bob="hash-1")) is None  # alice left the roster
    assert store(tmp_path, clock).check(token, roster_of(alice="hash-1"))


def test_another_classs_secret_or_folder_refuses_the_token(tmp_path):
    clock = Clock()
    _session, token = store(tmp_path / "a", clock).start("alice", "hash-1")
    assert store(tmp_path / "b", clock).check(token, roster_of(alice="hash-1")) is None  # another secret
    assert store(tmp_path / "a", clock, secret="x" * 8 + "0123456789abcdef" * 2).check(
        token, roster_of(alice="hash-1")) is None  # the teacher set a session_secret: old cookies end
    configured = "k" * 8 + "fedcba9876543210" * 2
    _session, token = store(tmp_path / "c", clock, secret=configured).start("alice", "hash-1")
    assert store(tmp_path / "c", clock, secret=configured).check(token, roster_of(alice="hash-1"))
    assert not (tmp_path / "c" / ".sessions" / "secret").exists()  # a configured secret is never written down


def test_records_and_the_secret_are_private_and_hostile_files_count_as_no_login(tmp_path):
    clock = Clock()
    sessions = store(tmp_path, clock)
    session, token = sessions.start("alice", "hash-1")
    folder = tmp_path / ".sessions"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in (folder / "secret", folder / f"{session.id}.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    record = folder / f"{session.id}.json"
    original = record.read_text()
    for hostile in ('{"name": "bob"' + original[original.index(","):], "[]", "garbage", "{" * 50_000,
                    json.dumps({**json.loads(original), "issued": True}), "x" * 10_000):
        record.write_text(hostile)
        assert sessions.check(token, roster_of(alice="hash-1")) is None, hostile[:40]
    record.unlink()
    (tmp_path / "elsewhere.json").write_text(original)
    record.symlink_to(tmp_path / "elsewhere.json")  # never read through a link
    assert sessions.check(token, roster_of(alice="hash-1")) is None
    record.unlink()
    os.mkfifo(record)  # nor block on a pipe
    assert sessions.check(token, roster_of(alice="hash-1")) is None


def test_expired_and_unreadable_records_go_at_the_next_login(tmp_path):
    clock = Clock()
    sessions = store(tmp_path, clock)
    old, _token = sessions.start("alice", "hash-1")
    (tmp_path / ".sessions" / ("f" * 32 + ".json")).write_text("garbage")
    clock.now += 5 * HOUR
    new, _token = sessions.start("bob", "hash-2")
    names = sorted(path.name for path in (tmp_path / ".sessions").glob("*.json"))
    assert names == [f"{new.id}.json"] and sessions.count() == 1


def test_a_damaged_secret_or_a_folder_that_cannot_be_written_refuses_new_logins(tmp_path):
    clock = Clock()
    _session, token = store(tmp_path, clock).start("alice", "hash-1")
    (tmp_path / ".sessions" / "secret").write_text("short")
    with pytest.raises(SessionsUnavailable, match="damaged"):
        store(tmp_path, clock).start("alice", "hash-1")
    assert store(tmp_path, clock).check(token, roster_of(alice="hash-1")) is None
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SessionsUnavailable):
        SessionStore(blocker / ".sessions", None, HOUR, clock).start("alice", "hash-1")


# --- settings -----------------------------------------------------------------------------------

@pytest.mark.parametrize("hours", [0, 0.1, 169, -4, float("nan"), float("inf"), True, "4", None, [4]])
def test_a_login_time_out_of_bounds_closes_the_dashboard(hours):
    problem = settings_problem({"login_hours": hours})
    assert problem and "login_hours must be a number of hours from 0.25 to 168" in problem
    with pytest.raises(SettingsError, match="secrets.toml: .*login_hours"):
        check_settings({"rnnkit": {**ROSTER, "login_hours": hours}}, "secrets.toml")


def test_a_weak_session_secret_closes_the_dashboard_without_quoting_it():
    assert check_settings({"rnnkit": {**ROSTER, "login_hours": 0.75}})["login_hours"] == 0.75
    strong = "0123456789abcdef" * 4
    assert check_settings({"rnnkit": {**ROSTER, "session_secret": strong}})
    for weak in ("tiny-secret", "a" * 64, 12345678901234567890123456789012345, "é" * 40, "\n" * 40):
        with pytest.raises(SettingsError) as refused:
            check_settings({"rnnkit": {**ROSTER, "session_secret": weak}}, "secrets.toml")
        assert "session_secret must be a random text of at least 32" in str(refused.value)
        assert str(weak) not in str(refused.value)


def test_logout_all_and_logout_name_from_the_terminal(tmp_path, capsys):
    sessions = SessionStore(tmp_path / ".sessions", None, HOUR)
    for name in ("alice", "alice", "bob"):
        sessions.start(name, "hash")
    assert access.main(["logout", "  ALICE ", "--checkpoints-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "2 login(s) ended\n" and sessions.count() == 1
    assert access.main(["logout-all", "--checkpoints-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "1 login(s) ended\n" and sessions.count() == 0


# --- the dashboard ------------------------------------------------------------------------------

def logged_in_by_form(tmp_path, monkeypatch, name: str = "alice", code: str = "alice-code"):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    monkeypatch.setattr(login_cookie, "browser_cookies", lambda: {})  # a browser that never logged in
    app = page("home")
    app.secrets["rnnkit"] = roster()
    app.run()
    app.text_input(key="auth_name").set_value(name)
    app.text_input(key="auth_code").set_value(code)
    app.button[0].click().run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def reload(monkeypatch, cookie: dict | None, settings: dict | None = None, name: str = "home"):
    """A new connection of the same browser: a fresh session that sends the cookie it was given."""
    cookies = {cookie["name"]: cookie["value"]} if cookie else {}
    monkeypatch.setattr(login_cookie, "browser_cookies", lambda: cookies)
    app = page(name)
    app.secrets["rnnkit"] = settings or roster()
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def test_a_cookie_logs_in_without_the_form_until_the_user_logs_out(tmp_path, monkeypatch):
    first = logged_in_by_form(tmp_path, monkeypatch)
    cookie = first.session_state["app_cookie"]
    assert cookie["name"].startswith("rnnkit_login_") and cookie["max_age"] == 4 * 3600
    assert "alice-code" not in json.dumps(cookie) and isinstance(first.session_state["app_session"], dict)
    again = reload(monkeypatch, cookie)
    assert again.title[0].value != "Log in" and again.session_state["app_user"] == {"name": "alice", "role": "student"}
    assert "home_logout_all" not in [button.key for button in again.button]  # a student has no such button
    assert reload(monkeypatch, {**cookie, "value": sign(PAYLOAD, SECRET)}).title[0].value == "Log in"  # forged
    shell = reload(monkeypatch, cookie, name="app")
    shell.button(key="app_logout").click().run()
    assert shell.title[0].value == "Log in" and shell.session_state["app_cookie"]["max_age"] == 0
    assert reload(monkeypatch, cookie).title[0].value == "Log in"  # a reload after logging out


def test_the_roster_is_asked_again_on_every_page_load(tmp_path, monkeypatch):
    cookie = logged_in_by_form(tmp_path, monkeypatch).session_state["app_cookie"]
    promoted = roster()
    promoted["users"]["alice"]["role"] = "teacher"
    app = reload(monkeypatch, cookie)
    assert app.session_state["app_user"]["role"] == "student"
    app.secrets["rnnkit"] = promoted  # the teacher edits the roster while alice works
    assert app.run().session_state["app_user"] == {"name": "alice", "role": "teacher"}
    removed = roster()
    removed["users"].pop("alice")
    app.secrets["rnnkit"] = removed
    assert app.run().title[0].value == "Log in" and "app_user" not in app.session_state
    assert reload(monkeypatch, cookie, removed).title[0].value == "Log in"


def test_a_teacher_logs_everyone_else_out_from_home(tmp_path, monkeypatch):
    student_cookie = logged_in_by_form(tmp_path, monkeypatch).session_state["app_cookie"]
    student = reload(monkeypatch, student_cookie)
    teacher = logged_in_by_form(tmp_path, monkeypatch, "ms-zhang", "teacher-code")
    assert teacher.button(key="home_logout_all").disabled  # not before the confirmation
    teacher.checkbox(key="home_logout_all_sure").check().run()
    teacher.button(key="home_logout_all").click().run()
    assert not teacher.exception and "Ended 1 login(s)" in teacher.success[0].value
    assert teacher.run().title[0].value != "Log in"  # the teacher stays
    assert student.run().title[0].value == "Log in"  # the student's open tab, at the next click
    assert reload(monkeypatch, student_cookie).title[0].value == "Log in"


def test_a_login_that_cannot_be_recorded_is_refused(tmp_path, monkeypatch):
    blocker = tmp_path / "checkpoints"
    blocker.mkdir()
    (blocker / ".sessions").write_text("not a folder")
    app = logged_in_by_form(blocker, monkeypatch)
    assert "cannot record logins" in app.error[0].value and "app_user" not in app.session_state
