"""Classroom mode fails closed and logins are throttled on the server.

A secrets file that exists but cannot be read, parsed or validated stops every page with a message
naming the file and the parser's line, never its content, and never falls back to single-user mode;
roster entries are validated when they are read. Failed logins are recorded in the run store's
`.login/` folder: a scripted burst gets no more than the limit of verifications per window, a new
browser session starts no fresh count, the right code works again once the lockout has passed (an
injected clock: nothing sleeps), a garbage throttle file is read as empty, and a teacher can unlock.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import streamlit
from streamlit import config
from streamlit.runtime.secrets import Secrets

from rnnkit.runs import access
from rnnkit.runs.access import Roster, SettingsError, check_settings, code_strength_problem, hash_code
from rnnkit.runs.throttle import LoginThrottle, Policy, ThrottleUnavailable
from tests.apptest import page
from tests.test_access import roster_settings

HASH = hash_code("alice-code")
SECRET = "s3cret-VALUE-never-shown"


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# --- fail closed ---------------------------------------------------------------------------------

def use_secrets_file(monkeypatch, path: Path) -> None:
    """Make Streamlit (and rnnkit.ui.auth) read `path` as the only secrets file, freshly."""
    original = config.get_option
    monkeypatch.setattr(config, "get_option",
                        lambda name: [str(path)] if name == "secrets.files" else original(name))
    monkeypatch.setattr(streamlit, "secrets", Secrets())


BROKEN_FILES = {
    "syntax": (f'[rnnkit]\nmode = "classroom"\ncode = {SECRET}\n', "line 3"),
    "unterminated": (f'[rnnkit]\nmode = "classroom\n[auth]\ncookie_secret = "{SECRET}"\n', "line 2"),
    "not utf-8": (b'[rnnkit]\nmode = "classroom"\nx = "\xff' + SECRET.encode() + b'"\n', "line 3"),
    "typo in mode": (f'[rnnkit]\nmode = "clasroom"\n[rnnkit.users.alice]\nrole = "student"\ncode_hash = "{HASH}"\n',
                     "mode must be one of classroom, single-user"),
    "typo in a key": (f'[rnnkit]\nmdoe = "classroom"\n[auth]\ncookie_secret = "{SECRET}"\n', "unknown key"),
    "no rnnkit table": (f'[rnkit]\nmode = "classroom"\nsecret = "{SECRET}"\n', "no [rnnkit] table"),
    "plain code": (f'[rnnkit]\nmode = "classroom"\n[rnnkit.users.alice]\nrole = "student"\ncode = "{SECRET}"\n',
                   "entry 1 holds a plain code"),
}


@pytest.mark.parametrize("content, where", BROKEN_FILES.values(), ids=BROKEN_FILES.keys())
def test_a_broken_secrets_file_closes_the_dashboard_with_where_and_what(tmp_path, monkeypatch, content, where):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path / "checkpoints"))
    secrets_file = tmp_path / "secrets.toml"
    (secrets_file.write_bytes if isinstance(content, bytes) else secrets_file.write_text)(content)
    use_secrets_file(monkeypatch, secrets_file)
    for name in ("app", "home", "train"):
        app = page(name).run()
        assert not app.exception, [error.value for error in app.exception]
        message = " ".join(error.value for error in app.error).replace("\\", "")
        assert str(secrets_file) in message and where in message, message
        assert SECRET not in message and "s3cret" not in message  # never the file's content
        assert not app.text_input and not app.button  # no login form, no data folder, no page: closed
        assert not app.title or app.title[0].value != "Log in"


def test_a_secrets_file_that_cannot_be_read_closes_the_dashboard(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path / "checkpoints"))
    unreadable = tmp_path / "secrets.toml"
    unreadable.mkdir()  # exists, cannot be read as a file (chmod is no obstacle for root)
    use_secrets_file(monkeypatch, unreadable)
    app = page("home").run()
    assert not app.exception
    assert "cannot be loaded" in app.error[0].value and not app.text_input


def test_only_a_missing_secrets_file_means_single_user_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path / "checkpoints"))
    use_secrets_file(monkeypatch, tmp_path / "no-such-secrets.toml")
    app = page("app").run()
    assert not app.exception and not app.error
    assert "Data folder" in [box.label for box in app.text_input]  # single-user: the path field stays
    explicit = tmp_path / "single.toml"  # a secrets file kept for other reasons says so
    explicit.write_text('[rnnkit]\nmode = "single-user"\n')
    use_secrets_file(monkeypatch, explicit)
    app = page("app").run()
    assert not app.error and "Data folder" in [box.label for box in app.text_input]


def test_nobody_sees_a_server_path_before_logging_in(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    app = page("app")
    app.secrets["rnnkit"] = roster_settings()
    app.run()
    assert not app.exception
    assert app.title[0].value == "Log in"
    assert "Data folder" not in [box.label for box in app.text_input]
    assert str(tmp_path) not in " ".join(str(element.value) for element in app.sidebar if hasattr(element, "value"))


ENTRY = {"role": "student", "code_hash": HASH}
BAD_ROSTERS = {
    "same name, other case": ({"alice": ENTRY, "Alice": ENTRY}, "entry 2 has the same name as entry 1"),
    "same name, trailing space": ({"alice": ENTRY, "alice ": ENTRY}, "entry 2"),
    "same name, zero width": ({"alice": ENTRY, "alice\u200b": ENTRY}, "entry 2"),
    "unknown role": ({"carol": {"role": "admin", "code_hash": HASH}}, "role must be one of student, teacher"),
    "not a hash": ({"carol": {"role": "student", "code_hash": SECRET}}, "code_hash is not a hash"),
    "weak hash": ({"carol": {"role": "student", "code_hash": HASH.replace("$16384$", "$2$")}}, "cost"),
    "unknown key": ({"carol": {**ENTRY, "extra": SECRET}}, "unknown key"),
    "entry not a table": ({"carol": SECRET}, "must be a table"),
    "empty name": ({" ": ENTRY}, "visible characters"),
}


@pytest.mark.parametrize("users, message", BAD_ROSTERS.values(), ids=BAD_ROSTERS.keys())
def test_roster_entries_are_validated_on_load(users, message):
    with pytest.raises(SettingsError, match=message.replace("[", r"\[")) as error:
        check_settings({"rnnkit": {"mode": "classroom", "users": users}}, "secrets.toml")
    assert SECRET not in str(error.value) and "secrets.toml" in str(error.value)


def test_other_settings_are_validated_on_load():
    for rnnkit, message in (({"mode": "classroom", "users": {}}, "nobody could log in"),
                            ({"mode": "classroom", "teachers": "t@school.edu", "users": {"a": ENTRY}}, "list of texts"),
                            ({"mode": "classroom", "users": {"a": ENTRY}, "queue": {"max_group_runs": 0}},
                             "max_group_runs"),
                            ("classroom", "must be a table")):
        with pytest.raises(SettingsError, match=message):
            check_settings({"rnnkit": rnnkit})
    school = {"rnnkit": {"mode": "classroom", "teachers": ["t@school.edu"]}, "auth": {"client_id": "x"}}
    assert check_settings(school)["teachers"] == ["t@school.edu"]


def test_names_log_in_however_they_are_cased_and_codes_must_be_strong():
    roster = Roster.from_settings(roster_settings())
    assert roster.authenticate(" Alice\u200b ", "alice-code").name == "alice"
    assert roster.authenticate("ALICE", "bob-code") is None
    for weak in ("12345", "aaaaaaaa", "ababab", "123456", "Password"):
        assert code_strength_problem(weak), weak
    assert code_strength_problem("k7-river-moon") is None


def test_the_check_command_reports_a_broken_file_without_its_content(tmp_path, capsys):
    path = tmp_path / "secrets.toml"
    path.write_text(BROKEN_FILES["syntax"][0])
    assert access.main(["check", str(path)]) == 2
    error = capsys.readouterr().err
    assert "line 3" in error and SECRET not in error
    path.write_text('[rnnkit]\nmode = "classroom"\n[rnnkit.users.alice]\nrole = "student"\n'
                    f'code_hash = "{HASH}"\n')
    assert access.main(["check", str(path)]) == 0
    assert "classroom mode, 1 roster entries" in capsys.readouterr().out


# --- throttling ----------------------------------------------------------------------------------

def test_a_scripted_burst_gets_no_more_verifications_than_the_limit_per_window(tmp_path):
    clock, policy = Clock(), Policy()
    throttle = LoginThrottle(tmp_path, policy, clock)
    verified: list[float] = []
    for _ in range(400):  # an attacker who retries the moment it is allowed, for hours of simulated time
        retry_at = throttle.check_in("alice", "10.0.0.9")
        if retry_at:
            assert retry_at > clock.now
            clock.now = retry_at
            continue
        verified.append(clock.now)  # a wrong code: nothing to take back
    assert len(verified) > policy.max_failures_per_name  # it did get through more than one window
    for start in verified:
        within = [stamp for stamp in verified if start <= stamp < start + policy.window_seconds]
        assert len(within) <= policy.max_failures_per_name
    delays = [later - earlier for earlier, later in zip(verified, verified[1:policy.max_failures_per_name])]
    assert delays == [1.0, 2.0, 4.0, 8.0]  # exponential before the lockout


def test_the_limit_holds_across_names_per_client_and_across_clients_per_name(tmp_path):
    clock = Clock()
    throttle = LoginThrottle(tmp_path, Policy(first_delay_seconds=0.0), clock)
    granted = sum(not throttle.check_in("alice", f"10.0.0.{number}") for number in range(50))
    assert granted == Policy().max_failures_per_name  # a new address (or browser) per try does not help
    granted = sum(not throttle.check_in(f"student{number}", "10.0.0.99") for number in range(50))
    assert granted == Policy().max_failures_per_client  # a new name per try from one address does not either


def test_the_right_code_works_after_the_lockout_and_a_new_session_resets_nothing(tmp_path):
    clock = Clock()
    policy = Policy()
    for _ in range(policy.max_failures_per_name):
        throttle = LoginThrottle(tmp_path, policy, clock)  # a fresh object each time: the file is the record
        assert throttle.check_in("alice", "client") == 0.0
        clock.now += policy.max_delay_seconds
    locked_until = LoginThrottle(tmp_path, policy, clock).check_in("alice", "client")
    assert locked_until > clock.now + policy.window_seconds / 2
    assert [key for key, _ in LoginThrottle(tmp_path, policy, clock).locked()] == ["name:alice"]
    clock.now = locked_until
    throttle = LoginThrottle(tmp_path, policy, clock)
    assert throttle.check_in("alice", "client") == 0.0  # the lockout has passed: this try is verified
    throttle.succeeded("alice", "client")
    assert throttle.locked() == []


def test_a_teacher_unlocks_a_name_from_the_command_line(tmp_path, capsys):
    throttle = LoginThrottle(tmp_path / ".login", Policy(first_delay_seconds=0.0))
    while not throttle.check_in("alice", "client"):
        pass
    assert throttle.check_in("alice", "client") > 0
    assert access.main(["locks", "--checkpoints-dir", str(tmp_path)]) == 0
    assert "name:alice\tlocked until" in capsys.readouterr().out
    assert access.main(["unlock", "Alice ", "--checkpoints-dir", str(tmp_path)]) == 0
    assert "name:alice: unlocked" in capsys.readouterr().out
    assert throttle.check_in("alice", "client") == 0.0


HOSTILE = {"garbage": b"\x00\xff garbage", "nested": b"[" * 100_000, "a list": b"[1, 2]", "empty": b"",
           "wrong types": json.dumps({"failures": {"name:alice": "x", "name:bob": [True, "1", None, 1e308]}}).encode(),
           "far future": json.dumps({"failures": {"name:alice": [9e15] * 10}}).encode(),
           "huge": b'{"failures": {}, "pad": "' + b"x" * 2_000_000 + b'"}'}


@pytest.mark.parametrize("content", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_throttle_file_reads_as_empty_and_login_goes_on(tmp_path, content):
    (tmp_path / "throttle.json").write_bytes(content)
    throttle = LoginThrottle(tmp_path, Policy(), Clock())
    assert throttle.check_in("alice", "client") == 0.0
    assert throttle.locked() == []
    assert json.loads((tmp_path / "throttle.json").read_text())["failures"]["name:alice"] == [1_000_000.0]


def test_login_fails_closed_when_attempts_cannot_be_recorded(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(ThrottleUnavailable):
        LoginThrottle(blocker / ".login").check_in("alice", "client")


def test_the_login_form_is_throttled_on_the_server(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    clock = Clock(time.time())  # the dashboard's throttle reads this clock: no wait depends on the machine's speed
    monkeypatch.setattr(LoginThrottle.__init__, "__defaults__", (None, Policy(), clock))

    def attempt(code: str):
        app = page("home")  # a new browser session each time
        app.secrets["rnnkit"] = roster_settings()
        app.run()
        app.text_input(key="auth_name").set_value("Alice")
        app.text_input(key="auth_code").set_value(code)
        app.button[0].click().run()
        assert not app.exception, [error.value for error in app.exception]
        return app

    assert "wrong" in attempt("wrong-code").error[0].value
    refused = attempt("alice-code")  # at once, from a new session: the server remembers the failure
    assert "try again in 1 s" in refused.error[0].value and "app_user" not in refused.session_state
    clock.now += 5  # five seconds later
    assert attempt("alice-code").session_state["app_user"] == {"name": "alice", "role": "student"}
    guesser = LoginThrottle(tmp_path / ".login", Policy(first_delay_seconds=0.0), clock)
    tries = [guesser.check_in("alice", "elsewhere") for _ in range(10)]  # someone elsewhere guesses alice's code
    assert tries.count(0.0) == Policy().max_failures_per_name - 1  # the first wrong code above counts too
    assert "locked" in attempt("alice-code").error[0].value


def test_a_teacher_sees_lockouts_on_home_and_unlocks(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    throttle = LoginThrottle(tmp_path / ".login", Policy(first_delay_seconds=0.0))
    while not throttle.check_in("bob", "10.0.0.5"):
        pass
    student = page("home", app_user={"name": "alice", "role": "student"})
    student.secrets["rnnkit"] = roster_settings()
    assert not [button for button in student.run().button if button.key.startswith("home_unlock_")]
    teacher = page("home", app_user={"name": "ms-zhang", "role": "teacher"})
    teacher.secrets["rnnkit"] = roster_settings()
    teacher.run()
    assert not teacher.exception
    teacher.button(key="home_unlock_name:bob").click().run()
    assert throttle.locked() == [] and not teacher.exception
