"""Logins that survive a reload: the class's session records on the server, and the checks a login
cookie's token (rnnkit/runs/session_tokens.py) must pass.

A roster login (rnnkit/ui/auth.py) is recorded here and ends with a signed token that the browser keeps in
a cookie (rnnkit/ui/login_cookie.py), so a reload, a new tab or a shared link finds the user logged in.
The token carries the roster name, when it was issued and expires, and the random id (128 bits) of its
record; never the personal code. It is accepted only while

- its signature is right for this class's secret: `session_secret` in [rnnkit] of secrets.toml, else a
  random one written once to `.sessions/secret` (a token signed with another class's secret is refused);
- the clock is before its expiry *and* before issued + the class's login time now (`login_hours`,
  default 4, from 0.25 to 168): shortening the login time shortens the logins already given;
- its record `.sessions/<id>.json` exists and names the same person, times and code (a keyed fingerprint
  of the code hash, never the hash): logging out deletes the record, "log everyone out" deletes them
  all, and a new code for a student in the roster ends the logins made with the old one;
- its person is still in the roster (the caller's `credential_for` says), with the roster's role now.

`.sessions/` sits in the run store's root beside `.login/` (mode 0700; records and the secret 0600, never
read through a symlink). A login that cannot be recorded is refused (`SessionsUnavailable`), as the
throttle refuses one it cannot count; a record or secret that cannot be read counts as no session, so
the login form is always the way back in.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import re
import secrets
import stat
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from filelock import FileLock, Timeout

from rnnkit.core import settings as folders
from rnnkit.runs.session_tokens import SESSION_ID, is_whole, read_token, sign

DEFAULT_HOURS = 4.0  # a lesson, with margin
MIN_HOURS = 0.25  # a quarter of an hour: a shorter login would log a class out mid-exercise
MAX_HOURS = 168.0  # a week: a forgotten login ends
MIN_SECRET_LENGTH = 32
MAX_RECORD_BYTES = 4096
MAX_RECORDS = 10_000  # kept at most (the newest); expired ones go at each login
CLOCK_SKEW_SECONDS = 60  # a token issued this far "in the future" still counts (two servers' clocks)
_RECORD = re.compile(r"([0-9a-f]{32})\.json")


class SessionsUnavailable(RuntimeError):
    """Logins cannot be recorded now (the folder, the disk, the lock) or the secret cannot be read."""


@dataclass(frozen=True)
class Session:
    id: str  # 32 hex digits, the record's file name
    name: str  # the roster name
    issued: int  # seconds since the epoch
    expires: int


def default_folder() -> Path:
    return folders.checkpoints_dir() / ".sessions"


def login_seconds(settings: Mapping[str, Any]) -> float:
    """How long a login lasts in seconds ([rnnkit] login_hours, checked by `settings_problem`)."""
    return float(settings.get("login_hours", DEFAULT_HOURS)) * 3600


def settings_problem(settings: Mapping[str, Any]) -> str | None:
    """What is wrong with the session keys of [rnnkit] (login_hours, session_secret), never quoting them."""
    hours = settings.get("login_hours", DEFAULT_HOURS)
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not math.isfinite(hours) \
            or not MIN_HOURS <= hours <= MAX_HOURS:
        return f"[rnnkit] login_hours must be a number of hours from {MIN_HOURS:g} to {MAX_HOURS:g}"
    secret = settings.get("session_secret")
    if secret is not None and (not isinstance(secret, str) or not MIN_SECRET_LENGTH <= len(secret) <= 1024
                               or not secret.isascii() or not secret.isprintable() or len(set(secret)) < 8):
        return (f"[rnnkit] session_secret must be a random text of at least {MIN_SECRET_LENGTH} characters, e.g. "
                "from python -c \"import secrets; print(secrets.token_hex(32))\"")
    return None


# --- records ------------------------------------------------------------------------------------

class SessionStore:
    """The class's logins: `start` after a right code, `check` a token from a cookie, `active` on every
    page load, `revoke` at logging out, `revoke_all` for "log everyone out". `credential` is what a login
    depends on besides the name (the roster's code hash); `clock` is injectable (tests)."""

    def __init__(self, folder: str | Path | None = None, secret: str | None = None,
                 lifetime_seconds: float = DEFAULT_HOURS * 3600, clock: Callable[[], float] = time.time) -> None:
        self.folder = Path(folder) if folder else default_folder()
        self.configured_secret = secret
        self.lifetime = lifetime_seconds
        self.clock = clock

    @classmethod
    def for_settings(cls, settings: Mapping[str, Any], folder: str | Path | None = None) -> "SessionStore":
        return cls(folder, settings.get("session_secret"), login_seconds(settings))

    def secret(self) -> bytes:
        """The signing secret: the configured one, else `.sessions/secret` (made once, random, mode 0600)."""
        if self.configured_secret:
            return self.configured_secret.encode("utf-8")
        path = self.folder / "secret"
        text = _read_small(path, 200)
        if text is None:
            self._make_folder()
            temporary = self.folder / f".secret.{os.getpid()}.{secrets.token_hex(4)}.tmp"
            try:
                _write_private(temporary, secrets.token_hex(32).encode("ascii"))
                os.link(temporary, path)  # atomic, never over an existing secret: a racing server's wins
            except FileExistsError:
                pass
            except OSError as error:
                raise SessionsUnavailable(f"no session secret can be written ({type(error).__name__})") from None
            finally:
                temporary.unlink(missing_ok=True)
            text = _read_small(path, 200)
        if text is None or not re.fullmatch(rb"[0-9a-f]{64}", text):
            raise SessionsUnavailable(".sessions/secret is damaged: delete it (every login cookie then ends)")
        return text

    def label(self) -> str:
        """12 hex digits naming this class's secret (not revealing it): the cookie's name, so two classes
        on one host keep their cookies apart."""
        return hmac.new(self.secret(), b"cookie name", hashlib.sha256).hexdigest()[:12]

    def start(self, name: str, credential: str) -> tuple[Session, str]:
        """A new login of `name`, recorded, and its signed token; SessionsUnavailable when it cannot be
        recorded."""
        secret, now = self.secret(), int(self.clock())
        session = Session(secrets.token_hex(16), name, now, now + math.ceil(self.lifetime))
        record = {"name": name, "issued": session.issued, "expires": session.expires,
                  "credential": _fingerprint(credential, secret)}
        with self._locked():
            self._prune(now)
            try:
                temporary = self.folder / f".{session.id}.{os.getpid()}.tmp"
                _write_private(temporary, json.dumps(record).encode("utf-8"))
                os.replace(temporary, self.folder / f"{session.id}.json")
            except OSError as error:
                raise SessionsUnavailable(f"the login cannot be recorded ({type(error).__name__})") from None
        return session, sign({"name": name, "issued": session.issued, "expires": session.expires,
                              "id": session.id}, secret)

    def check(self, token: object, credential_for: Callable[[str], str | None]) -> Session | None:
        """The session a cookie's token stands for, or None (a bad signature, another class's secret,
        expired, revoked, or its person no longer in the roster: `credential_for` gives None)."""
        try:
            payload = read_token(token, self.secret())
        except SessionsUnavailable:
            return None
        if payload is None:
            return None
        session = Session(payload["id"], payload["name"], payload["issued"], payload["expires"])
        return session if self.active(session, credential_for(session.name)) else None

    def active(self, session: Session, credential: str | None) -> bool:
        """Is this login still valid now (times, record, code)? Asked on every page load."""
        now = self.clock()
        if credential is None or not session.issued - CLOCK_SKEW_SECONDS <= now < min(
                session.expires, session.issued + self.lifetime):
            return False
        record = self._record(session.id)
        try:
            secret = self.secret()
        except SessionsUnavailable:
            return False
        return (record is not None and record["name"] == session.name and record["issued"] == session.issued
                and record["expires"] == session.expires
                and hmac.compare_digest(record["credential"], _fingerprint(credential, secret)))

    def revoke(self, session_id: str) -> bool:
        """End one login (logging out); True if it was recorded."""
        if not SESSION_ID.fullmatch(str(session_id)):
            return False
        try:
            (self.folder / f"{session_id}.json").unlink()
            return True
        except OSError:
            return False

    def revoke_all(self, keep: str | None = None, names: Callable[[str], bool] | None = None) -> int:
        """End every login (but `keep`), or those whose name `names` accepts; how many ended."""
        ended = 0
        with self._locked():
            for session_id in self._ids():
                record = self._record(session_id) if names else None
                if session_id != keep and (names is None or record is None or names(record["name"])):
                    ended += self.revoke(session_id)
        return ended

    def count(self) -> int:
        """The logins that are not expired now."""
        now = self.clock()
        return sum(1 for session_id in self._ids() if (record := self._record(session_id)) and record["expires"] > now
                   and record["issued"] + self.lifetime > now)

    def _ids(self) -> list[str]:
        try:
            return [match.group(1) for entry in os.scandir(self.folder) if (match := _RECORD.fullmatch(entry.name))]
        except OSError:
            return []

    def _record(self, session_id: str) -> dict[str, Any] | None:
        if not SESSION_ID.fullmatch(session_id):
            return None
        text = _read_small(self.folder / f"{session_id}.json", MAX_RECORD_BYTES)
        try:
            record = json.loads(text) if text is not None else None
        except (ValueError, RecursionError):
            return None
        if not isinstance(record, dict) or set(record) != {"name", "issued", "expires", "credential"}:
            return None
        valid = (isinstance(record["name"], str) and is_whole(record["issued"]) and is_whole(record["expires"])
                 and isinstance(record["credential"], str) and record["credential"].isascii())
        return record if valid else None

    def _prune(self, now: float) -> None:
        """Delete expired and unreadable records; keep at most MAX_RECORDS - 1 (the newest)."""
        kept = []
        for session_id in self._ids():
            record = self._record(session_id)
            if record is None or record["expires"] <= now:
                self.revoke(session_id)
            else:
                kept.append((record["issued"], session_id))
        for _issued, session_id in sorted(kept)[:max(0, len(kept) - MAX_RECORDS + 1)]:
            self.revoke(session_id)

    def _make_folder(self) -> None:
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise SessionsUnavailable(f"logins cannot be recorded ({type(error).__name__})") from None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self._make_folder()
        try:
            lock = FileLock(self.folder / "sessions.lock", timeout=10)
            lock.acquire()
        except (OSError, Timeout) as error:
            raise SessionsUnavailable(f"logins cannot be recorded ({type(error).__name__})") from None
        try:
            yield
        finally:
            lock.release()


def _fingerprint(credential: str, secret: bytes) -> str:
    return hmac.new(secret, b"credential\0" + credential.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def _read_small(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file (never through a symlink) of at most `limit` bytes, else None."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # a FIFO does not block
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        data = handle.read(limit + 1)
    return data if len(data) <= limit else None
