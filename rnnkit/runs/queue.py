"""The fair queue: when a group of runs may start. Where it runs is the launcher's business.

A group (the runs one Start creates: an LSTM-vs-GRU race, a set of seeds) is the unit of admission:
its runs start together and divide the threads among them, so the race stays fair whatever else the
machine does. Waiting groups are files in the run store, not waiting processes:

    <root>/.queue/
        lock                          held (briefly) while the queue is read or changed
        <time_ns>-<group>.json        one waiting group: run ids, owner, resume?, the owner's limits

so a restarted dashboard or a killed worker loses nothing. Whoever changes the queue or sees a run
end calls `dispatch()`: the dashboard (on Start and on every live refresh), the CLI (`train
--detach`, `resume --detach`, `runs`, `queue`), and every background worker when its run ends. One
dispatcher at a time holds the lock; the others return at once, since that one does the work.

Admission, first come first served: while fewer than `capacity` runs train (default: the CPU cores),
the oldest waiting group starts, whole; a group whose owner already has `max_running` groups
training is passed over (others' groups behind it may go), and a user may have at most
`max_waiting` groups waiting and `max_group_runs` runs per group. In single-user mode and for
teachers only the capacity applies. The launcher (local processes, or a cluster) starts the group.
"""
from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from filelock import FileLock, Timeout

from rnnkit.core import settings
from rnnkit.core.files import write_json_atomic
from rnnkit.runs.folder import ACTIVE_STATES, RUN_ID_PATTERN, Launcher, Run, RunError, _group_of

QUEUE_FOLDER = ".queue"
LOCK_WAIT_SECONDS = 10.0  # changing the queue waits this long for a dispatcher that holds the lock


def default_capacity() -> int:
    """$RNNKIT_QUEUE_CAPACITY, else one training run per CPU core."""
    return settings.queue_capacity() or os.cpu_count() or 1


@dataclass(frozen=True)
class Limits:
    """How much of the machine one user may ask for. None: no per-user limit (single-user mode, teachers)."""
    capacity: int = 0                     # runs training at once on this store; 0: `default_capacity()`
    max_running: int | None = None        # groups of one user training at once
    max_waiting: int | None = None        # groups of one user waiting in the queue
    max_group_runs: int | None = None     # runs in one group
    disk_quota_mb: int | None = None      # run folders + uploads of one user

    @classmethod
    def for_student(cls, settings: dict[str, Any] | None = None) -> "Limits":
        """A student's limits: 1 group training + 2 waiting, 24 runs per group (a 5-seed x 3-architecture
        comparison or a small sweep fits), 500 MB of disk, or what [rnnkit.queue] of secrets.toml says."""
        settings = dict(settings or {})
        values = {"capacity": settings.get("capacity", 0), "max_running": settings.get("max_running_groups", 1),
                  "max_waiting": settings.get("max_waiting_groups", 2),
                  "max_group_runs": settings.get("max_group_runs", 24),
                  "disk_quota_mb": settings.get("disk_quota_mb", 500)}
        for name, value in values.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < (0 if name == "capacity" else 1):
                raise ValueError(f"[rnnkit.queue] {name} must be a positive whole number, not {value!r}")
        return cls(**values)

    def resolved_capacity(self) -> int:
        """Runs training at once on this store: the configured capacity, else $RNNKIT_QUEUE_CAPACITY, else one
        per CPU core. The one home of that rule."""
        return self.capacity or default_capacity()

    @classmethod
    def capacity_of(cls, limits: Any) -> int:
        """The capacity a queue entry's stored limits give (anything malformed: the default)."""
        value = limits.get("capacity") if isinstance(limits, dict) else None
        valid = isinstance(value, int) and not isinstance(value, bool) and value > 0
        return cls(capacity=value if valid else 0).resolved_capacity()


class QueueFull(RunError):
    """This user may not queue another group now. `reason` is 'group_size', 'waiting' or 'disk' (MB), with
    `count` and `limit`; the message (English) comes from `queue_full_message`, which the dashboard calls
    with its own translation function."""

    def __init__(self, reason: str, count: int, limit: int) -> None:
        self.reason, self.count, self.limit = reason, count, limit
        super().__init__(queue_full_message(self))


def queue_full_message(error: QueueFull, _: Callable[[str], str] = str) -> str:
    """Why the queue refused a Start, with what to do: the one wording the CLI, the API and the dashboard
    share (`_` translates: the dashboard passes its own, the CLI keeps English)."""
    if error.reason == "disk":
        return _("You use {count} MB of your {limit} MB of disk. Delete some of your runs (Compare, "
                 "Delete runs) before starting new ones.").format(count=error.count, limit=error.limit)
    if error.reason == "group_size":
        return _("A group may have at most {limit} runs; this one has {count}.").format(
            limit=error.limit, count=error.count)
    return _("You already have {count} group(s) waiting in the queue (at most {limit}). Wait until one "
             "starts, or stop one.").format(count=error.count, limit=error.limit)


class Queue:
    """The waiting groups of one run store, and the dispatcher that starts them through `launcher`."""

    def __init__(self, root: Path, launcher: "Launcher") -> None:
        self.root = Path(root)
        self.launcher = launcher
        self.folder = self.root / QUEUE_FOLDER

    # ------------------------------------------------------------------------------------ reading
    def _lock(self) -> FileLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.folder / "lock"))

    def entries(self) -> list[tuple[Path, dict[str, Any]]]:
        """The waiting groups, oldest first (an unreadable entry file is skipped)."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(entry, dict) and isinstance(entry.get("runs"), list):
                found.append((path, entry))
        return found

    def positions(self) -> dict[str, int]:
        """run id -> position of its group in the queue (1 = starts next)."""
        return {run_id: index for index, (_path, entry) in enumerate(self.entries(), start=1)
                for run_id in entry["runs"] if isinstance(run_id, str)}

    def _training(self, waiting: set[str]) -> list[Run]:
        """Runs that hold a share of the machine: queued-and-admitted or running, process alive."""
        if not self.root.is_dir():
            return []
        active = []
        for path in self.root.iterdir():
            if path.name in waiting or not RUN_ID_PATTERN.match(path.name) or not path.is_dir():
                continue
            run = Run(path.name, path, self.launcher)
            state = run.raw_status().get("state")
            if state == "queued" and not run.worker():
                continue  # created but never launched (a foreground run writes `running` at once)
            if state in ACTIVE_STATES and run.status().get("state") in ACTIVE_STATES:
                active.append(run)
        return active

    def summary(self) -> dict[str, int]:
        """Waiting groups and runs, training runs, and the capacity (for the dashboard and `rnnkit queue`)."""
        entries = self.entries()
        waiting = {run_id for _path, entry in entries for run_id in entry["runs"]}
        limits = entries[0][1].get("limits") if entries and isinstance(entries[0][1].get("limits"), dict) else {}
        return {"waiting_groups": len(entries), "waiting_runs": len(waiting),
                "training_runs": len(self._training(waiting)),
                "capacity": Limits.capacity_of(limits)}  # what the next admission uses

    # ------------------------------------------------------------------------------------ changing
    def submit(self, runs: list[Run], owner: str, limits: Limits, resume: bool = False) -> None:
        """Put `runs` in the queue as one group (checked against `owner`'s limits), then dispatch."""
        if not runs:
            return
        with self._lock().acquire(timeout=LOCK_WAIT_SECONDS):
            self.check_room(owner, limits, len(runs))
            self._write_entry(runs, owner, limits, resume)
        self.dispatch()

    def check_room(self, owner: str, limits: Limits, size: int) -> None:
        """Raise QueueFull when `owner` may not queue a group of `size` runs now."""
        if limits.max_group_runs is not None and size > limits.max_group_runs:
            raise QueueFull("group_size", size, limits.max_group_runs)
        if limits.max_waiting is not None:
            mine = sum(1 for _path, entry in self.entries() if entry.get("owner") == owner)
            if mine >= limits.max_waiting:
                raise QueueFull("waiting", mine, limits.max_waiting)

    def _write_entry(self, runs: list[Run], owner: str, limits: Limits, resume: bool) -> None:
        group = _group_of(runs[0]) or runs[0].run_id
        name = f"{time.time_ns():020d}-{group}.json"
        write_json_atomic(self.folder / name, {
            "runs": [run.run_id for run in runs], "group": group, "owner": owner, "resume": resume,
            "queued_at": time.time(), "limits": asdict(limits)})

    def remove(self, run_id: str) -> None:
        """Take one run out of its waiting group (it was stopped or deleted before it started)."""
        with self._lock().acquire(timeout=LOCK_WAIT_SECONDS):
            for path, entry in self.entries():
                if run_id in entry["runs"]:
                    entry["runs"] = [other for other in entry["runs"] if other != run_id]
                    if entry["runs"]:
                        write_json_atomic(path, entry)
                    else:
                        path.unlink(missing_ok=True)

    def dispatch(self) -> int:
        """Start every waiting group that may start now; returns how many runs were launched. Returns 0
        at once when another process is dispatching (it will do the work)."""
        if not self.folder.is_dir() or not any(self.folder.glob("*.json")):
            return 0
        try:
            lock = self._lock().acquire(timeout=0)
        except Timeout:
            return 0
        with lock:
            return self._dispatch_locked()

    def _dispatch_locked(self) -> int:
        entries = self.entries()
        waiting = {run_id for _path, entry in entries for run_id in entry["runs"]}
        training = self._training(waiting)
        running_groups: dict[str, set[str]] = defaultdict(set)
        for run in training:
            running_groups[run.owner()].add(_group_of(run) or run.run_id)
        count, launched = len(training), 0
        for path, entry in entries:
            runs = [Run(run_id, self.root / run_id, self.launcher) for run_id in entry["runs"]
                    if isinstance(run_id, str) and RUN_ID_PATTERN.match(run_id)]
            runs = [run for run in runs if run.path.is_dir() and run.raw_status().get("state") == "queued"]
            if not runs:  # all of the group were stopped or deleted while waiting
                path.unlink(missing_ok=True)
                continue
            limits = entry.get("limits") if isinstance(entry.get("limits"), dict) else {}
            if count >= Limits.capacity_of(limits):
                break  # first come, first served: nobody overtakes the oldest group for lack of room
            owner = entry.get("owner", "")
            max_running = limits.get("max_running")
            if max_running is not None and len(running_groups[owner]) >= max_running:
                continue  # this user's next group waits for their running one; the others' may go
            try:
                self.launcher.launch(runs, resume=bool(entry.get("resume")))
            except Exception as error:  # noqa: BLE001 - a launch failure ends these runs, not the queue
                for run in runs:
                    run.write_status("failed", error=f"could not start: {type(error).__name__}: {error}")
            path.unlink(missing_ok=True)
            count += len(runs)
            launched += len(runs)
            running_groups[owner].add(entry.get("group", path.stem))
        return launched


def dispatch_after_run(run: Run) -> None:
    """A background worker's last act: let the next waiting group start now that this run is done."""
    try:
        Queue(run.path.parent, run.launcher).dispatch()
    except Exception as error:  # noqa: BLE001 - the run itself has ended; never fail it here
        print(f"[{run.run_id}] could not start the next queued group: {type(error).__name__}: {error}")
