"""One run folder: what it holds and how to read and write it (the contract; `rnnkit.runs.store` holds
the collection of them).

    checkpoints/<run_id>/
        config.json     the full RunConfig (+ "run": id, created_at, owner)   written once, at creation
        status.json     queued|running|completed|failed|stopped|interrupted, pid, host, error, ...
        metrics.jsonl   one JSON object per line, append-only: start, step, epoch and test records
        best.pt         weights of the best validation epoch (+ test metrics when finished)
        last.pt         weights + optimizer state after the latest epoch (or the step of a stop)
        worker.json     pid/host of the background process that was launched for the run
        stop.request    present when someone asked the run to stop
        train.log       stdout and stderr of the background process

Writers never leave half a file: JSON files are replaced atomically and metrics lines are appended
with one `write` each. Readers skip a last line that has no newline yet, and records that lack what
their kind must hold. A run whose process the launcher says is gone is reported `interrupted`,
however its status.json reads.

Any of these files may be damaged or hostile (nested brackets 200 KB deep, a list, binary bytes, empty,
huge, gone while it is read, a string where a number belongs). Every reader here tolerates that: a bad
config.json is a `RunError` naming the run, a bad status.json (also one with a field of the wrong type)
reads `failed` with what is wrong, and a bad worker.json, limits.json or metrics line reads as absent.
A number out of range (a pid of 10**20, NaN) is a wrong type. A symbolic link is never followed: every read
refuses one, and the run reads `failed`, naming it. Messages never quote a file, nor give its path.
"""
from __future__ import annotations

import json
import math
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Protocol

from rnnkit.config.run import RunConfig
from rnnkit.core.files import LinkRefused, disk_full, is_disk_full, open_no_follow, write_json_atomic
from rnnkit.core.jsonl import UnreadableJson, read_json_file, read_records
from rnnkit.runs.documents import (
    FILE_NAMES,
    MAX_CONFIG_BYTES,
    MAX_SMALL_FILE_BYTES,
    RECORD_FIELDS,  # noqa: F401 - re-exported: the store names it (rnnkit.runs.store)
    STATUS_FIELDS,
    WORKER_FIELDS,
    is_number,
    is_record,
    read_object,
    shortened,
    wrongly_typed,
)

STATES = ("queued", "running", "completed", "failed", "stopped", "interrupted")
ACTIVE_STATES = ("queued", "running")
FINISHED_STATES = ("completed", "stopped")  # ended as asked: a run stopped on request is not a failure


def exit_status(outcomes: Iterable[str], accepted: tuple[str, ...] = FINISHED_STATES) -> int:
    """The exit status of a process or command from how its runs ended: the one rule every face and the
    worker use. 0 when there were runs and each ended in an `accepted` state, else 1 (a failed or
    interrupted run, or none at all; 2, refused before anything ran, is the command line's). A search a
    stop cuts short passes accepted=("completed",): its remaining trials never ran."""
    outcomes = list(outcomes)
    return 0 if outcomes and all(outcome in accepted for outcome in outcomes) else 1
TRANSIENT_STATUS_FIELDS = ("state", "error", "stop_reason", "phase", "resumed_from", "eta_seconds", "resume_step")
GONE = {"state": "interrupted", "error": "the training process is gone (killed or crashed)"}
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class RunError(ValueError):
    """A run is missing, unreadable, or in a state that does not allow the request."""


def validate_run_id(run_id: str) -> str:
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.match(run_id) or ".." in run_id:
        raise RunError(
            f"invalid run id {run_id!r}: use 1-128 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit (no '/', no '..')"
        )
    return run_id


_CONFIG_CACHE: dict[tuple[str, int, int], RunConfig] = {}  # (path, mtime, size) -> parsed config


class Launcher(Protocol):
    """Where a run's process lives: the interface a run, the queue and the run store use. Implemented by
    `rnnkit.runs.launcher.LocalLauncher` (processes on this machine) and `rnnkit.runs.ray_jobs.RayLauncher`."""

    def launch(self, runs: list[Run], resume: bool = False) -> None: ...  # start these run folders; returns at once
    def is_alive(self, run: Run) -> bool: ...  # is the process that trains `run` still there?
    def stop(self, run: Run) -> None: ...  # ask that process to stop now (stop.request is the fallback)
    # optional: ended(run) -> the status of an active run whose process is gone (default: interrupted);
    # logs(run) -> its output where train.log is not on this machine


@dataclass(frozen=True)
class Run:
    run_id: str
    path: Path
    launcher: Launcher = field(compare=False, repr=False)  # tells whether its process lives (local or Ray)

    config_path = property(lambda self: self.path / "config.json")
    status_path = property(lambda self: self.path / "status.json")
    metrics_path = property(lambda self: self.path / "metrics.jsonl")
    best_path = property(lambda self: self.path / "best.pt")
    last_path = property(lambda self: self.path / "last.pt")
    worker_path = property(lambda self: self.path / "worker.json")
    stop_path = property(lambda self: self.path / "stop.request")
    log_path = property(lambda self: self.path / "train.log")
    embedding_start_path = property(lambda self: self.path / "embedding_start.pt")  # the embedding before training
    limits_path = property(lambda self: self.path / "limits.json")  # what the run may use, set when it is started

    # ----------------------------------------------------------------------------- configuration
    def config(self) -> RunConfig:
        """The run's config, parsed once per change of config.json (pages ask for it many times)."""
        try:
            stat = self.config_path.lstat()  # a link is refused below, never cached as the file it names
            key = (str(self.config_path), stat.st_mtime_ns, stat.st_size)
            if key in _CONFIG_CACHE:
                return _CONFIG_CACHE[key]
            if stat.st_size > MAX_CONFIG_BYTES:
                raise ValueError(f"it is {stat.st_size / 1e6:.0f} MB, far more than a run config holds")
            document = read_json_file(self.config_path, MAX_CONFIG_BYTES)
            if not isinstance(document, dict):
                raise ValueError("config.json must hold a JSON object")
            document.pop("run", None)
            config = RunConfig.from_dict(document)
            if len(_CONFIG_CACHE) > 4096:
                _CONFIG_CACHE.clear()
            _CONFIG_CACHE[key] = config
            return config
        except FileNotFoundError:
            raise RunError(f"run {self.run_id} has no config.json; the folder is incomplete") from None
        except UnreadableJson as error:
            raise RunError(f"run {self.run_id}: config.json is unreadable ({error}); "
                           "fix or delete the folder") from None
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:  # a wrong type inside
            reason = str(error) if isinstance(error, ValueError) else \
                f"a setting of the wrong kind ({type(error).__name__})"
            raise RunError(f"run {self.run_id}: config.json is unreadable ({shortened(reason)}); "
                           "fix or delete the folder") from None

    def record_resolved_config(self, config: RunConfig, **facts: Any) -> None:
        """Replace config.json's settings with what the worker resolved at start (e.g. a matched hidden
        size), keeping the run's own fields and adding `facts` to them."""
        document = read_object(self.config_path)
        run_fields = document.get("run", {}) if isinstance(document.get("run"), dict) else {}
        write_json_atomic(self.config_path, {**config.to_dict(), "run": {**run_fields, **facts}})

    def info(self) -> dict[str, Any]:
        """config.json's extra fields: run_id, group, created."""
        document = read_object(self.config_path)
        return document.get("run", {}) if isinstance(document.get("run"), dict) else {}

    # ------------------------------------------------------------------------------------ status
    def raw_status(self) -> dict[str, Any]:
        """status.json as written (no liveness check); its known fields have their types (a field of the
        wrong type is left out), and a file that is not a status reads `failed` with what is wrong."""
        linked = self.linked_file()  # first: not even a missing status.json hides a link
        if linked:
            return {"state": "failed", "error": f"{linked} is a symbolic link, which rnnkit does not follow; delete it"}
        try:
            status = read_json_file(self.status_path, MAX_SMALL_FILE_BYTES)
        except FileNotFoundError:
            return {"state": "queued"}
        except UnreadableJson as error:
            return {"state": "failed", "error": f"status.json is unreadable: {error}"}
        if not isinstance(status, dict):
            return {"state": "failed", "error": "status.json is unreadable: it is not a JSON object"}
        if not isinstance(status.get("state"), str) or status["state"] not in STATES:
            return {"state": "failed", "error": "status.json is unreadable: it names no known run state"}
        wrong = wrongly_typed(status, STATUS_FIELDS)
        if wrong:
            return {"state": "failed", "error": f"status.json is unreadable: {wrong}"}
        return {name: value for name, value in status.items() if value is not None or name not in STATUS_FIELDS}

    def status(self) -> dict[str, Any]:
        """The status, with a run whose process is gone reported as `interrupted`."""
        status = self.raw_status()
        if status.get("state") in ACTIVE_STATES and not self.launcher.is_alive(self):
            ended = getattr(self.launcher, "ended", None)  # a launcher may say more (Ray: stopped, or its message)
            status = {**status, **(ended(self) if ended else GONE)}  # interrupted (resumable), or stopped
        return status

    def linked_file(self) -> str:
        """The first of this folder's files that is a symbolic link ('the run folder': itself), or ''."""
        if self.path.is_symlink():
            return "the run folder"
        try:
            with os.scandir(self.path) as entries:
                return next((entry.name for entry in entries if entry.name in FILE_NAMES and entry.is_symlink()), "")
        except OSError:  # gone, or not a folder: its files are missing, not linked
            return ""

    def log_text(self) -> str:
        """The worker's output: train.log where it is on this machine (a link: RunError), else the launcher's."""
        try:
            with open_no_follow(self.log_path) as handle:
                return handle.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            logs = getattr(self.launcher, "logs", None)
            return logs(self) if logs else ""
        except LinkRefused as error:
            raise RunError(f"run {self.run_id}: {error}") from None

    def owner(self) -> str:
        """Who started the run (classroom mode); '' for runs of single-user mode."""
        owner = self.info().get("owner", "")
        return owner if isinstance(owner, str) else ""

    def worker(self) -> dict[str, Any]:
        """worker.json: the process that was launched for this run (pid, host, start time, token); {} when
        there is none, or it is unreadable (a field of the wrong type included)."""
        worker = read_object(self.worker_path, MAX_SMALL_FILE_BYTES)
        if wrongly_typed(worker, WORKER_FIELDS):
            return {}
        return {name: value for name, value in worker.items() if value is not None or name not in WORKER_FIELDS}

    def limits(self) -> dict[str, Any]:
        """limits.json: what this run may use, written by the run store when it starts the run (e.g. a
        student's `time_limit_seconds`); {} when none were set. The worker enforces them. Only positive
        finite numbers are limits: anything else in the file is left out."""
        return {name: value for name, value in read_object(self.limits_path, MAX_SMALL_FILE_BYTES).items()
                if is_number(value) and math.isfinite(value) and value > 0}

    def write_limits(self, **limits: Any) -> None:
        write_json_atomic(self.limits_path, limits)

    def write_status(self, state: str, **fields: Any) -> None:
        if state not in STATES:
            raise ValueError(f"unknown run state {state!r}; valid: {', '.join(STATES)}")
        previous = self.raw_status()
        # facts about the run (process, device, size, progress) carry over; what describes one state does not
        keep = {key: value for key, value in previous.items() if key not in TRANSIENT_STATUS_FIELDS}
        status = {**keep, **fields, "state": state, "updated_at": time.time()}
        write_json_atomic(self.status_path, status)

    def is_active(self) -> bool:
        return self.status().get("state") in ACTIVE_STATES

    # ----------------------------------------------------------------------------------- metrics
    def append_metrics(self, record: dict[str, Any], durable: bool = False) -> None:
        """Append one line with a single write (O_APPEND), so a kill never leaves a torn line behind
        a complete one; `durable` also fsyncs (epoch records)."""
        line = (json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")
        with open_no_follow(self.metrics_path, "ab") as handle:  # unbuffered below: one write, one line
            try:
                os.write(handle.fileno(), line)
                if durable:
                    os.fsync(handle.fileno())
            except OSError as error:
                if is_disk_full(error, self.path):
                    raise disk_full(self.path) from error
                raise

    def metrics(self, kind: str | None = None) -> list[dict[str, Any]]:
        """All complete records (optionally of one kind: start, step, epoch, test); a record that
        lacks what its kind must hold (a damaged or hand-edited line) is skipped. The records are
        shared with later calls: read them, do not change them."""
        records = read_records(self.metrics_path)
        if kind is None:
            return list(records)
        return [record for record in records if is_record(record, kind)]

    def metrics_size(self) -> int:
        try:
            return self.metrics_path.stat().st_size
        except FileNotFoundError:
            return 0

    def truncate_metrics(self, size: int) -> None:
        """Drop everything written after `size` bytes (the lines of an epoch that did not finish)."""
        if self.metrics_size() > size:
            with open_no_follow(self.metrics_path, "r+b") as handle:
                handle.truncate(size)

    # -------------------------------------------------------------------------------------- stop
    def request_stop(self) -> None:
        write_json_atomic(self.stop_path, time.time())  # replaced, never written through a link planted there
        status = self.status()
        if status["state"] == "queued" and not self.worker():
            self.write_status("stopped", stop_reason="stopped before it started")
        elif status["state"] == "interrupted":
            self.write_status("stopped", stop_reason="stopped after its process was gone")

    def stop_requested(self) -> bool:
        return self.stop_path.exists()

    def clear_stop_request(self) -> None:
        self.stop_path.unlink(missing_ok=True)


def _group_of(run: Run) -> str:
    group = read_object(run.config_path).get("group", "")
    return group if isinstance(group, str) else ""
