"""The fair queue: when a group of runs may start. Where it runs is the launcher's business.

A group (the runs one Start creates: an LSTM-vs-GRU race, a set of seeds) is the unit of admission:
its runs start together and divide the threads among them, so the race stays fair whatever else the
machine does. Waiting groups are files in the run store, not waiting processes:

    <root>/.queue/
        lock                          held (briefly) while the queue is read or changed
        <time_ns>-<group>.json        one waiting group: run ids, owner, resume?, the owner's limits
        paused                        present while a teacher has paused the queue (who, since when)

so a restarted dashboard or a killed worker loses nothing. Whoever changes the queue or sees a run
end calls `dispatch()`: the dashboard (on Start and on every live refresh), the CLI (`train
--detach`, `resume --detach`, `runs`, `queue`), and every background worker when its run ends. One
dispatcher at a time holds the lock; the others return at once, since that one does the work.

Admission, first come first served: while fewer than `capacity` runs train (default: the CPU cores),
the oldest waiting group starts; a group whose owner already has `max_running` groups training is
passed over (others' groups behind it may go), and a user may have at most `max_waiting` groups
waiting and `max_group_runs` runs per group. In single-user mode and for teachers only the capacity
applies, and a group starts whole (a teacher's 24-run demonstration starts at once, sharing the cores).
A student's group (`within_capacity`) never takes the machine past the capacity: it starts as many of
its runs as there is room for and keeps its place at the head of the queue with the rest, which start
as room frees (24 runs on a 2-core server: 2 at a time).

A student's run also has caps (`max_epochs`, `max_hidden_size`, refused at Start by `check_caps`) and a
time limit (`max_run_minutes`, default 30, which the run store writes into the run's limits.json and the
worker enforces). All come from [rnnkit.queue] of secrets.toml (`Limits.for_student`).

A teacher may pause the queue (`pause`, `resume_dispatch`: the file `.queue/paused`, who and when): while it
is there `dispatch` starts nothing, so Starts queue up and wait; runs already training go on.

Queue entries are files anyone with access to the folder could have written: an entry that is not a
readable queue entry is removed by the dispatcher, and every field is checked before it is used, so a
hostile entry never stops the queue for the others.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from rnnkit.core.files import write_json_atomic
from rnnkit.core.jsonl import UnreadableJson, read_json_file
from rnnkit.runs.documents import read_object
from rnnkit.runs.folder import ACTIVE_STATES, RUN_ID_PATTERN, Launcher, Run, RunError, _group_of
from rnnkit.runs.limits import Limits, QueueFull

QUEUE_FOLDER = ".queue"
LOCK_WAIT_SECONDS = 10.0  # changing the queue waits this long for a dispatcher that holds the lock
MAX_ENTRY_BYTES = 100_000  # an entry of 24 runs is about 2 KB
PAUSED_FILE = "paused"


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
        """The waiting groups, oldest first, each with its fields checked (an unreadable entry is skipped)."""
        return [(path, entry) for path, entry in self._entry_files() if entry is not None]

    def _entry_files(self) -> list[tuple[Path, dict[str, Any] | None]]:
        """Every entry file, oldest first, with its entry; None for one that is not a readable entry."""
        if not self.folder.is_dir():
            return []
        found: list[tuple[Path, dict[str, Any] | None]] = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                found.append((path, _checked_entry(read_json_file(path, MAX_ENTRY_BYTES), path)))
            except FileNotFoundError:  # taken out (started, emptied) while we looked
                continue
            except UnreadableJson:
                found.append((path, None))
        return found

    def positions(self) -> dict[str, int]:
        """run id -> position of its group in the queue (1 = starts next)."""
        return {run_id: index for index, (_path, entry) in enumerate(self.entries(), start=1)
                for run_id in entry["runs"]}

    def places(self) -> dict[str, dict[str, Any]]:
        """run id -> what its waiting group waits for, as the dispatcher sees it: `position` (1 = starts next),
        the runs `training` now and the `capacity` they fill (the slots), and `owner_busy`: its owner already
        has as many groups training as a student may (it waits for those, whatever room there is)."""
        entries = self.entries()
        if not entries:
            return {}
        training = self._training({run_id for _path, entry in entries for run_id in entry["runs"]})
        running_groups: dict[str, set[str]] = defaultdict(set)
        for run in training:
            running_groups[run.owner()].add(_group_of(run) or run.run_id)
        places = {}
        for position, (_path, entry) in enumerate(entries, start=1):
            max_running = entry["limits"].get("max_running")
            owner_busy = max_running is not None and \
                len(running_groups[entry["owner"]] - {entry["group"]}) >= max_running
            place = {"position": position, "training": len(training),
                     "capacity": Limits.capacity_of(entry["limits"]), "owner_busy": owner_busy}
            places.update({run_id: place for run_id in entry["runs"]})
        return places

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
        limits = entries[0][1]["limits"] if entries else {}
        return {"waiting_groups": len(entries), "waiting_runs": len(waiting),
                "training_runs": len(self._training(waiting)),
                "capacity": Limits.capacity_of(limits)}  # what the next admission uses

    def paused(self) -> dict[str, Any] | None:
        """{"by": who, "at": when} while a teacher has paused the queue, else None."""
        path = self.folder / PAUSED_FILE
        if not path.exists() and not path.is_symlink():
            return None
        record = read_object(path, 10_000)  # a link or junk in its place still means paused: fail closed
        return {"by": record.get("by") if isinstance(record.get("by"), str) else "",
                "at": record.get("at") if isinstance(record.get("at"), (int, float)) else None}

    # ------------------------------------------------------------------------------------ changing
    def pause(self, user: Any) -> None:
        """Start no waiting group until `resume_dispatch` (a teacher, or single-user mode: `user` None)."""
        _require_teacher(user, "pause the queue")
        self.folder.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.folder / PAUSED_FILE, {"by": user.name if user else "", "at": time.time()})

    def resume_dispatch(self, user: Any) -> int:
        """Let the queue move again and start what may start now; returns how many runs were launched."""
        _require_teacher(user, "resume the queue")
        (self.folder / PAUSED_FILE).unlink(missing_ok=True)
        return self.dispatch()

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
        at once when another process is dispatching (it will do the work), or the queue is paused."""
        if not self.folder.is_dir() or not any(self.folder.glob("*.json")) or self.paused():
            return 0
        try:
            lock = self._lock().acquire(timeout=0)
        except Timeout:
            return 0
        with lock:
            return self._dispatch_locked()

    def _dispatch_locked(self) -> int:
        files = self._entry_files()
        for path, entry in files:  # our writer replaces entries atomically: an unreadable one is junk
            if entry is None:
                path.unlink(missing_ok=True)
        entries = [(path, entry) for path, entry in files if entry is not None]
        waiting = {run_id for _path, entry in entries for run_id in entry["runs"]}
        training = self._training(waiting)
        running_groups: dict[str, set[str]] = defaultdict(set)
        for run in training:
            running_groups[run.owner()].add(_group_of(run) or run.run_id)
        count, launched = len(training), 0
        for path, entry in entries:
            runs = [Run(run_id, self.root / run_id, self.launcher) for run_id in entry["runs"]]
            runs = [run for run in runs if run.path.is_dir() and run.raw_status().get("state") == "queued"]
            if not runs:  # all of the group were stopped or deleted while waiting
                path.unlink(missing_ok=True)
                continue
            limits, owner, group = entry["limits"], entry["owner"], entry["group"]
            capacity = Limits.capacity_of(limits)
            if count >= capacity:
                break  # first come, first served: nobody overtakes the oldest group for lack of room
            max_running = limits.get("max_running")
            if max_running is not None and len(running_groups[owner] - {group}) >= max_running:
                continue  # this user's next group waits for their running one; the others' may go
            starting, rest = (runs[:capacity - count], runs[capacity - count:]) if limits.get("within_capacity") \
                else (runs, [])
            try:
                self.launcher.launch(starting, resume=entry["resume"])
            except Exception as error:  # noqa: BLE001 - a launch failure ends these runs, not the queue
                for run in starting:
                    run.write_status("failed", error=f"could not start: {type(error).__name__}: {error}")
            if rest:  # the rest of a student's group keeps its place and starts as room frees
                write_json_atomic(path, {**entry, "runs": [run.run_id for run in rest]})
            else:
                path.unlink(missing_ok=True)
            count += len(starting)
            launched += len(starting)
            running_groups[owner].add(group)
        return launched


def _require_teacher(user: Any, action: str) -> None:
    if user is not None and not user.is_teacher:
        raise RunError(f"only a teacher can {action}")


def _checked_entry(document: Any, path: Path) -> dict[str, Any] | None:
    """A queue entry with every field of the expected type (run ids that are run ids, limits whose caps are
    positive whole numbers), or None when `document` is not an entry at all."""
    if not isinstance(document, dict) or not isinstance(document.get("runs"), list):
        return None
    runs = [run_id for run_id in document["runs"]
            if isinstance(run_id, str) and RUN_ID_PATTERN.match(run_id) and ".." not in run_id]
    stored = document.get("limits") if isinstance(document.get("limits"), dict) else {}
    limits: dict[str, Any] = {name: value for name, value in stored.items()
                              if isinstance(value, int) and not isinstance(value, bool) and value > 0}
    limits["within_capacity"] = stored.get("within_capacity") is True
    group, owner = document.get("group"), document.get("owner")
    return {**document, "runs": runs, "limits": limits, "resume": document.get("resume") is True,
            "owner": owner if isinstance(owner, str) else "",
            "group": group if isinstance(group, str) and group else path.stem}


def dispatch_after_run(run: Run) -> None:
    """A background worker's last act: let the next waiting group start now that this run is done."""
    try:
        Queue(run.path.parent, run.launcher).dispatch()
    except Exception as error:  # noqa: BLE001 - the run itself has ended; never fail it here
        print(f"[{run.run_id}] could not start the next queued group: {type(error).__name__}: {error}")
