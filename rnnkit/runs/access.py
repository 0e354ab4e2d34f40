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

Codes are stored only as scrypt hashes (standard library), compared in constant time. Every run
records its owner; students see the class's runs but may change (stop, resume, delete) only their
own, and never use server paths; teachers may do everything. The run store enforces this
(`RunStore(user=...)`), not only the buttons.
"""
from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import secrets
import sys
from dataclasses import dataclass
from typing import Any, Mapping

ROLES = ("student", "teacher")
SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # interactive-login cost (RFC 7914's recommendation)


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
    """Type a path on the server (a data folder, a CSV file): single-user mode and teachers only."""
    return user is None or user.is_teacher


def hash_code(code: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(code.encode("utf-8"), salt=salt, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_code(code: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(code.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


class Roster:
    """The class: name -> (role, code hash), from the [rnnkit.users] tables of secrets.toml."""

    def __init__(self, users: Mapping[str, Mapping[str, Any]]) -> None:
        self.users: dict[str, tuple[str, str]] = {}
        for name, entry in users.items():
            role, code_hash = entry.get("role"), entry.get("code_hash")
            if role not in ROLES or not isinstance(code_hash, str):
                raise ValueError(f"roster entry {name!r} needs role = student|teacher and a code_hash "
                                 "(python -m rnnkit.runs.access hash-code)")
            self.users[name] = (role, code_hash)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> "Roster | None":
        """The roster when `settings` ([rnnkit] of secrets.toml) asks for classroom mode, else None
        (with school accounts only, the roster may be empty)."""
        if not settings or settings.get("mode") != "classroom":
            return None
        return cls(settings.get("users", {}) or {})

    def authenticate(self, name: str, code: str) -> User | None:
        entry = self.users.get(name.strip())
        if entry is None:
            verify_code(code, hash_code("timing"))  # same work for unknown names
            return None
        role, code_hash = entry
        return User(name.strip(), role) if verify_code(code, code_hash) else None


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
                                     description="Make the code_hash of a roster entry for .streamlit/secrets.toml.")
    parser.add_argument("command", choices=("hash-code",), help="hash-code: read a personal code, print its hash")
    parser.parse_args(argv)
    code = getpass.getpass("personal code: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    if len(code) < 6:
        print("error: use a code of at least 6 characters", file=sys.stderr)
        return 2
    print(hash_code(code))
    return 0


if __name__ == "__main__":
    sys.exit(main())
