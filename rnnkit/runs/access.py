"""Who may do what: single-user mode (everything, as on a laptop) or classroom mode (a roster of
students and teachers who log in with a personal code).

Classroom mode is switched on by the teacher's roster in `.streamlit/secrets.toml`:

    [rnnkit]
    mode = "classroom"

    [rnnkit.users.li-wei]
    role = "student"
    code_hash = "scrypt$16384$8$1$..."     # python -m rnnkit.runs.access hash-code

    [rnnkit.users.ms-zhang]
    role = "teacher"
    code_hash = "scrypt$16384$8$1$..."

Or, where the school has an identity provider (OpenID Connect), Streamlit's `st.login` signs users
in with their school account: put the provider in the [auth] table of secrets.toml (Streamlit's
format) and say who is who by e-mail address:

    [rnnkit]
    mode = "classroom"
    teachers = ["zhang.min@school.edu"]
    students = ["li.wei@school.edu", ...]      # or: student_domains = ["school.edu"]

The settings fail closed: a secrets file that exists but cannot be read, or whose [rnnkit] table is
wrong in any way (an unknown key or mode, a roster entry without a valid hash, two names that differ
only in case, spaces or invisible characters), is a `SettingsError` saying where and what, and the
dashboard stays closed; only the absence of the file means single-user mode (`check_settings`).
The messages never quote the file: they give the parser's line and the entry's position.

Codes are stored only as scrypt hashes (standard library), compared in constant time; the strength of
a code is checked where it is given in plain (`hash-code`). Every run records its owner; students see
the class's runs but may change (stop, resume, delete) only their own, and never use server paths;
teachers may do everything. The run store enforces this (`RunStore(user=...)`), not only the buttons.
Failed logins are throttled on the server (rnnkit/runs/throttle.py); `unlock` lifts a lockout. A login
lasts `login_hours` (default 4) through a signed cookie and a record on the server
(rnnkit/runs/sessions.py); `logout-all` ends every login, `logout NAME` one person's.
"""
from __future__ import annotations

import argparse
import getpass
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from rnnkit.runs.codes import code_strength_problem, hash_code, hash_problem, verify_code
from rnnkit.runs.limits import Limits
from rnnkit.runs.sessions import SessionStore, settings_problem
from rnnkit.runs.settings_file import secrets_file_problem
from rnnkit.runs.throttle import LoginThrottle

ROLES = ("student", "teacher")
MODES = ("classroom", "single-user")
SETTINGS_KEYS = ("mode", "users", "teachers", "students", "student_domains", "login_provider", "queue",
                 "login_hours", "session_secret")
ENTRY_KEYS = ("role", "code_hash")
SECRETS_FILE = ".streamlit/secrets.toml"


class SettingsError(ValueError):
    """The classroom settings exist but cannot be used; the message says where and what, never quoting them."""


@dataclass(frozen=True)
class User:
    name: str
    role: str  # student | teacher

    @property
    def is_teacher(self) -> bool:
        return self.role == "teacher"


def may_change(user: User | None, owner: str) -> bool:
    """Stop, resume or delete a run: anyone in single-user mode (user None), a teacher, or its owner."""
    return user is None or user.is_teacher or (bool(owner) and owner == user.name)


def may_use_server_paths(user: User | None) -> bool:
    """Type a path on the server (a data folder, a CSV file): single-user mode and teachers only.
    In classroom mode nobody logged in is not single-user mode: the dashboard asks `auth.may_use_server_paths`."""
    return user is None or user.is_teacher


def normalise_name(name: object) -> str:
    """The name as the roster and the login throttle compare it: NFKC, no invisible or control
    characters, spaces collapsed, case folded ("alice ", "Alice" and "alice\\u200b" are one name)."""
    text = unicodedata.normalize("NFKC", str(name))
    text = "".join(character for character in text if unicodedata.category(character) not in ("Cf", "Cc"))
    return " ".join(text.split()).casefold()


class Roster:
    """The class: name -> (role, code hash), from the [rnnkit.users] tables of secrets.toml, validated
    as it is read (SettingsError naming the entry's position: 1 is the first [rnnkit.users.NAME] table)."""

    def __init__(self, users: Mapping[str, Any]) -> None:
        if not isinstance(users, Mapping):
            raise SettingsError("[rnnkit.users] must be a table of [rnnkit.users.NAME] tables")
        self.users: dict[str, tuple[str, str]] = {}
        self.keys: dict[str, str] = {}  # normalised name -> the roster's spelling
        first_of: dict[str, int] = {}
        for position, (name, entry) in enumerate(users.items(), start=1):
            where = f"[rnnkit.users] entry {position}"
            key = normalise_name(name)
            if not isinstance(name, str) or not key or len(key) > 64 or name != " ".join(name.split()) \
                    or key != name.casefold():
                raise SettingsError(f"{where}: a name needs 1 to 64 visible characters, no invisible ones "
                                    "and no spaces at either end")
            if key in first_of:
                raise SettingsError(f"{where} has the same name as entry {first_of[key]} once case, spaces and "
                                    "invisible characters are ignored: give each person one distinct name")
            if not isinstance(entry, Mapping):
                raise SettingsError(f"{where} must be a table with role and code_hash")
            if "code" in entry:
                raise SettingsError(f"{where} holds a plain code: store only its hash "
                                    "(python -m rnnkit.runs.access hash-code), then remove the code")
            unknown = sorted(str(item) for item in entry if item not in ENTRY_KEYS)
            if unknown:
                raise SettingsError(f"{where} has {len(unknown)} unknown key(s); an entry has only role and code_hash")
            if entry.get("role") not in ROLES:
                raise SettingsError(f"{where}: role must be one of {', '.join(ROLES)}")
            problem = hash_problem(entry.get("code_hash"))
            if problem:
                raise SettingsError(f"{where}: {problem}")
            first_of[key] = position
            self.users[name] = (entry["role"], entry["code_hash"])
            self.keys[key] = name

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> "Roster | None":
        """The roster when `settings` ([rnnkit] of secrets.toml) asks for classroom mode, else None
        (with school accounts only, the roster may be empty)."""
        if not settings or settings.get("mode") != "classroom":
            return None
        return cls(settings.get("users", {}) or {})

    def entry(self, name: str) -> tuple[str, str, str] | None:
        """(roster name, role, code hash) of the person `name` means, however it is cased or spaced."""
        roster_name = self.keys.get(normalise_name(name))
        return None if roster_name is None else (roster_name, *self.users[roster_name])

    def authenticate(self, name: str, code: str) -> User | None:
        found = self.entry(name)
        if found is None:
            verify_code(code, hash_code("timing"))  # same work for unknown names
            return None
        roster_name, role, code_hash = found
        return User(roster_name, role) if verify_code(code, code_hash) else None


def check_settings(secrets: Mapping[str, Any] | None, where: str = SECRETS_FILE) -> dict[str, Any] | None:
    """The [rnnkit] table of the secrets when it asks for classroom mode, validated; None for single-user
    mode, which only a missing secrets file (`secrets` None) or `mode = "single-user"` gives.
    SettingsError for anything else, naming `where` (the file)."""
    if secrets is None:
        return None
    settings = secrets.get("rnnkit") if isinstance(secrets, Mapping) else None
    if settings is None:
        raise SettingsError(f"{where} has no [rnnkit] table: add one with mode = \"classroom\" (or \"single-user\" "
                            "to run without logins), or remove the file")
    if not isinstance(settings, Mapping):
        raise SettingsError(f"{where}: rnnkit must be a table ([rnnkit])")
    unknown = sorted(str(key) for key in settings if key not in SETTINGS_KEYS)
    if unknown:
        raise SettingsError(f"{where}: [rnnkit] has {len(unknown)} unknown key(s); the known keys are "
                            f"{', '.join(SETTINGS_KEYS)} (see docs/settings.md)")
    if settings.get("mode") not in MODES:
        raise SettingsError(f"{where}: [rnnkit] mode must be one of {', '.join(MODES)}")
    if settings["mode"] == "single-user":
        return None
    for key in ("teachers", "students", "student_domains"):
        value = settings.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise SettingsError(f"{where}: [rnnkit] {key} must be a list of texts")
    if not isinstance(settings.get("login_provider", ""), str):
        raise SettingsError(f"{where}: [rnnkit] login_provider must be a text (a provider of the [auth] table)")
    if not isinstance(settings.get("queue", {}), Mapping):
        raise SettingsError(f"{where}: [rnnkit.queue] must be a table")
    if settings_problem(settings):  # how long a login lasts, the secret that signs its cookie
        raise SettingsError(f"{where}: {settings_problem(settings)}")
    try:
        Limits.for_student(dict(settings.get("queue", {})))  # the students' caps, checked now, not at their first Start
    except ValueError as error:
        raise SettingsError(f"{where}: {error}") from None
    try:
        roster = Roster.from_settings(settings)
    except SettingsError as error:
        raise SettingsError(f"{where}: {error}") from None
    school = any(settings.get(key) for key in ("teachers", "students", "student_domains"))
    if not roster.users and not (school and "auth" in secrets):
        raise SettingsError(f"{where}: classroom mode needs [rnnkit.users.NAME] entries, or an [auth] table with "
                            "teachers/students/student_domains in [rnnkit]: nobody could log in")
    return dict(settings)


def user_from_identity(email: object, settings: Mapping[str, Any]) -> User | None:
    """The user a school account (its e-mail address, as the identity provider vouches for it) is in
    this class: a teacher if listed in `teachers`, a student if listed in `students` or of one of
    `student_domains`; None for anyone else (a school account alone is not a place in the class)."""
    if not isinstance(email, str) or "@" not in email:
        return None
    address = email.strip().lower()
    listed = {key: {str(item).strip().lower() for item in settings.get(key, ()) or ()}
              for key in ("teachers", "students", "student_domains")}
    if address in listed["teachers"]:
        return User(address, "teacher")
    if address in listed["students"] or address.rsplit("@", 1)[1] in listed["student_domains"]:
        return User(address, "student")
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnnkit.runs.access",
                                     description="Classroom mode from the server's terminal: make a code's hash, "
                                                 "check the secrets file, see and lift login lockouts, end logins.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("hash-code", help="read a personal code, print its code_hash for a roster entry")
    check = commands.add_parser("check", help="check a secrets file as the dashboard will read it")
    check.add_argument("path", nargs="?", default=SECRETS_FILE, help=f"the secrets file (default {SECRETS_FILE})")
    locks = commands.add_parser("locks", help="list the names and addresses locked out after failed logins")
    unlock = commands.add_parser("unlock", help="lift the login lockout of a name (or, with --client, an address)")
    unlock.add_argument("name", help="the name as on the roster (any case), or the address with --client")
    unlock.add_argument("--client", action="store_true", help="NAME is a client address, not a roster name")
    logout_all = commands.add_parser("logout-all", help="end every login of the class (all see the login form again)")
    logout = commands.add_parser("logout", help="end every login of one person")
    logout.add_argument("name", help="the name as on the roster (any case)")
    for command in (locks, unlock, logout_all, logout):
        command.add_argument("--checkpoints-dir", default=None, help="the run store root (default: as the dashboard)")
    args = parser.parse_args(argv)
    if args.command == "hash-code":
        code = getpass.getpass("personal code: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
        problem = code_strength_problem(code)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2
        print(hash_code(code))
        return 0
    if args.command == "check":
        return _check_file(Path(args.path))
    root = Path(args.checkpoints_dir) if args.checkpoints_dir else None
    if args.command in ("logout-all", "logout"):
        key = normalise_name(args.name) if args.command == "logout" else None
        ended = SessionStore(root and root / ".sessions").revoke_all(
            names=(lambda name: normalise_name(name) == key) if key else None)
        print(f"{ended} login(s) ended")
        return 0
    throttle = LoginThrottle(root and root / ".login")
    if args.command == "locks":
        for key, until in throttle.locked():
            print(f"{key}\tlocked until {time.strftime('%H:%M:%S', time.localtime(until))}")
        return 0
    key = f"client:{args.name.strip()}" if args.client else f"name:{normalise_name(args.name)}"
    print(f"{key}: {'unlocked' if throttle.unlock(key) else 'was not locked'}")
    return 0


def _check_file(path: Path) -> int:
    import tomllib  # see secrets_file_problem

    if not path.is_file():
        print(f"{path}: no such file: the dashboard runs in single-user mode")
        return 0
    problem = secrets_file_problem(path)
    try:
        if problem is None:
            settings = check_settings(tomllib.loads(path.read_text(encoding="utf-8")), str(path))
    except SettingsError as error:
        problem = str(error)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    mode = "classroom" if settings else "single-user"
    print(f"{path}: {mode} mode{f', {len(Roster.from_settings(settings).users)} roster entries' if settings else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
