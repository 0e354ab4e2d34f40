"""Login throttling, recorded on the server: failed attempts per name and per client address, so that
guessing a personal code takes years instead of seconds, and a new browser session resets nothing.

Each key ("name:alice", "client:10.0.0.7") keeps the times of its failed attempts within the window
(15 minutes). With k failures in it the next attempt waits 1, 2, 4 ... s (at most a minute) after the
last; after 5 failures for a name (20 from one address: a class behind one router shares an address)
the key is locked until a whole window has passed since the last failure. An attempt is written down
as a failure *before* its code is verified, under a file lock, and taken back when the code was right,
so parallel sessions cannot verify more than the limit between them.

    .login/throttle.json   {"version": 1, "failures": {"name:alice": [1733400000.5, ...], ...}}
    .login/throttle.lock   the file lock every reader and writer holds

The folder is `.login/` in the run store's root (`settings.checkpoints_dir()`), written atomically.
A throttle file that cannot be parsed (garbage, a list, nesting too deep, over 1 MB, wrong types inside)
is read as empty and replaced at the next write: it is only ever written whole by this module, so such
a file was put there by someone who could as well delete it, and refusing every login for it would
lock the whole class out. Where the attempt cannot be *recorded* (no lock within 10 s, the disk
full, the folder not writable), login fails closed: `ThrottleUnavailable`, and no code is verified.
A teacher lifts a lockout with `python -m rnnkit.runs.access unlock NAME` (or the button on Home).
"""
from __future__ import annotations

import json
import math
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from filelock import FileLock, Timeout

from rnnkit.core import settings
from rnnkit.core.files import write_json_atomic

MAX_FILE_BYTES = 1024 * 1024  # a larger throttle file is not ours: read as empty
MAX_KEYS = 5000  # keys kept (the most recently failed): unknown names cannot grow the file without bound
MAX_KEY_LENGTH = 100


@dataclass(frozen=True)
class Policy:
    max_failures_per_name: int = 5  # then the name is locked for a window
    max_failures_per_client: int = 20  # then the address is locked for a window
    window_seconds: float = 15 * 60  # failures older than this are forgotten
    first_delay_seconds: float = 1.0  # the wait after one failure; it doubles with each further failure
    max_delay_seconds: float = 60.0  # the longest wait before the lockout


class ThrottleUnavailable(RuntimeError):
    """Login attempts cannot be recorded now, so none is verified (fail closed)."""


def default_folder() -> Path:
    return settings.checkpoints_dir() / ".login"


class LoginThrottle:
    """`check_in` before verifying a code, `succeeded` after a right one; `clock` is injectable (tests)."""

    def __init__(self, folder: str | Path | None = None, policy: Policy = Policy(),
                 clock: Callable[[], float] = time.time) -> None:
        self.folder = Path(folder) if folder else default_folder()
        self.path = self.folder / "throttle.json"
        self.policy = policy
        self.clock = clock

    def check_in(self, name_key: str, client_key: str) -> float:
        """0.0 when a verification may go ahead now (it is recorded as a failure until `succeeded`);
        else the clock time at which the next attempt is allowed. Keys come from `name_key`/`client_key`."""
        keys = (_key("name", name_key), _key("client", client_key))
        with self._locked():
            now = self.clock()
            failures = self._read(now)
            retry_at = max(self._retry_at(key, failures.get(key, []), now) for key in keys)
            if retry_at > now:
                return retry_at
            for key in keys:
                failures.setdefault(key, []).append(now)
            self._write(failures)
            return 0.0

    def succeeded(self, name_key: str, client_key: str) -> None:
        """The code was right: take back this attempt's recorded failure (earlier ones stay)."""
        with self._locked():
            failures = self._read(self.clock())
            for key in (_key("name", name_key), _key("client", client_key)):
                if failures.get(key):
                    failures[key].pop()
            self._write(failures)

    def unlock(self, key: str) -> bool:
        """Forget the failures of `key` ("name:..." or "client:..."); True if there were any."""
        with self._locked():
            failures = self._read(self.clock())
            found = bool(failures.pop(key[:MAX_KEY_LENGTH], None))
            self._write(failures)
            return found

    def locked(self) -> list[tuple[str, float]]:
        """The keys locked out now, with the clock time their lockout ends."""
        with self._locked():
            now = self.clock()
            failures = self._read(now)
        limits = [(key, self._retry_at(key, times, now)) for key, times in failures.items()
                  if len(times) >= self._limit(key)]
        return sorted(item for item in limits if item[1] > now)

    def _limit(self, key: str) -> int:
        policy = self.policy
        return policy.max_failures_per_name if key.startswith("name:") else policy.max_failures_per_client

    def _retry_at(self, key: str, times: list[float], now: float) -> float:
        if not times:
            return now
        if len(times) >= self._limit(key):
            return times[-1] + self.policy.window_seconds
        delay = self.policy.first_delay_seconds * 2 ** (len(times) - 1)
        return times[-1] + min(delay, self.policy.max_delay_seconds)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = FileLock(self.folder / "throttle.lock", timeout=10)
            lock.acquire()
        except (OSError, Timeout) as error:
            raise ThrottleUnavailable(f"login attempts cannot be recorded in {self.folder} "
                                      f"({type(error).__name__})") from None
        try:
            yield
        finally:
            lock.release()

    def _read(self, now: float) -> dict[str, list[float]]:
        """The failures within the window, oldest first; anything malformed is left out (see the docstring)."""
        try:
            with open(self.path, "rb") as handle:
                text = handle.read(MAX_FILE_BYTES + 1)
            data = json.loads(text) if len(text) <= MAX_FILE_BYTES else None
        except (OSError, ValueError, RecursionError):
            return {}
        stored = data.get("failures") if isinstance(data, dict) else None
        if not isinstance(stored, dict):
            return {}
        since = now - self.policy.window_seconds
        failures: dict[str, list[float]] = {}
        for key, times in stored.items():
            if isinstance(key, str) and len(key) <= MAX_KEY_LENGTH and isinstance(times, list):
                kept = sorted(value for value in times if _is_time(value) and since < value <= now + 1)
                if kept:
                    failures[key] = kept
        return failures

    def _write(self, failures: dict[str, list[float]]) -> None:
        newest = sorted(failures, key=lambda key: failures[key][-1] if failures[key] else 0.0)[-MAX_KEYS:]
        kept = {key: failures[key] for key in newest if failures[key]}
        try:
            write_json_atomic(self.path, {"version": 1, "failures": kept})
        except OSError as error:
            raise ThrottleUnavailable(f"login attempts cannot be recorded in {self.folder} "
                                      f"({type(error).__name__})") from None


def _key(kind: str, value: str) -> str:
    return f"{kind}:{value}"[:MAX_KEY_LENGTH]


def _is_time(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
