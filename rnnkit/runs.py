"""The run store: the only module that knows what a run folder holds.

    checkpoints/<run_id>/
        config.json     the full RunConfig                          written once, at creation
        status.json     queued|running|completed|failed|stopped|interrupted, pid, host, error, ...
        metrics.jsonl   one JSON object per line, append-only: step, epoch and test records
        best.pt         weights of the best validation epoch (+ test metrics when finished)
        last.pt         weights + optimizer state after the latest epoch: what `resume` continues
        worker.json     pid/host of the background process that was launched for the run
        stop.request    present when someone asked the run to stop
        train.log       stdout and stderr of the background process

Writers never leave half a file: JSON files are replaced atomically and metrics lines are appended
with one `write` each. Readers skip a last line that has no newline yet. A run whose process the
launcher says is gone is reported `interrupted`, however its status.json reads.

The process side (starting a worker, telling whether it is alive, signalling it) is the launcher's
(`rnnkit.launcher`); the store calls it and knows nothing about processes.

Runs live in one root for the command line (from any folder) and the dashboard alike: the project's
`checkpoints/` folder, or $RNNKIT_CHECKPOINTS_DIR, or `--checkpoints-dir`.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rnnkit.access import User, may_change
from rnnkit.config import RunConfig
from rnnkit.files import disk_full, is_disk_full, write_json_atomic
from rnnkit.jsonl import read_records
from rnnkit.launcher import PACKAGE_PARENT, Launcher, LocalLauncher

STATES = ("queued", "running", "completed", "failed", "stopped", "interrupted")
ACTIVE_STATES = ("queued", "running")
TRANSIENT_STATUS_FIELDS = ("state", "error", "stop_reason", "phase", "resumed_from", "eta_seconds", "resume_step")
NUMBER = (int, float)
RECORD_FIELDS = {  # kind -> field -> type(s) every such metrics.jsonl line holds
    "start": {"spec": dict, "baselines": dict},
    "step": {"epoch": int, "step": int, "steps_per_epoch": int, "loss": NUMBER},
    "epoch": {"epoch": int, "epochs": int, "train": dict, "validation": dict, "best_epoch": int, "monitor": str,
              "epoch_seconds": NUMBER, "samples_per_second": NUMBER},
    "test": {"epoch": int, "test": dict},
}
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


DEMO_PREFIX = "demo:"  # `predict demo:names-lstm`: a shipped demo model instead of one of your runs


def demo_root() -> Path:
    return PACKAGE_PARENT / "checkpoints" / "demo"


def find_run(store: "RunStore", reference: str) -> "Run":
    """A run of `store` by id, or a shipped demo model as `demo:NAME`; a missing run's error names the demos."""
    if reference.startswith(DEMO_PREFIX):
        return RunStore(demo_root(), store.launcher).get(reference[len(DEMO_PREFIX):])
    try:
        return store.get(reference)
    except RunError:
        demos = [run.run_id for run in RunStore(demo_root()).runs()]
        if reference in demos:
            raise RunError(f"no run {reference!r} in {store.root}; "
                           f"the shipped demo is {DEMO_PREFIX}{reference}") from None
        raise


def new_group_id() -> str:
    """A comparison group id: the start time, plus a random part so two groups started in the same
    second (two browsers, two terminals) never share an id."""
    return f"g{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def default_root() -> Path:
    """$RNNKIT_CHECKPOINTS_DIR, else the project's own checkpoints/ folder (whatever the working folder)."""
    configured = os.environ.get("RNNKIT_CHECKPOINTS_DIR")
    return Path(configured).expanduser() if configured else PACKAGE_PARENT / "checkpoints"


_LOCAL = LocalLauncher()
_CONFIG_CACHE: dict[tuple[str, int, int], RunConfig] = {}  # (path, mtime, size) -> parsed config
MAX_CONFIG_BYTES = 1_000_000  # a real config.json is about 2 KB


@dataclass(frozen=True)
class Run:
    run_id: str
    path: Path
    launcher: Launcher = field(default=_LOCAL, compare=False, repr=False)  # tells whether its process lives

    config_path = property(lambda self: self.path / "config.json")
    status_path = property(lambda self: self.path / "status.json")
    metrics_path = property(lambda self: self.path / "metrics.jsonl")
    best_path = property(lambda self: self.path / "best.pt")
    last_path = property(lambda self: self.path / "last.pt")
    worker_path = property(lambda self: self.path / "worker.json")
    stop_path = property(lambda self: self.path / "stop.request")
    log_path = property(lambda self: self.path / "train.log")

    # ----------------------------------------------------------------------------- configuration
    def config(self) -> RunConfig:
        """The run's config, parsed once per change of config.json (pages ask for it many times)."""
        try:
            stat = self.config_path.stat()
            key = (str(self.config_path), stat.st_mtime_ns, stat.st_size)
            if key in _CONFIG_CACHE:
                return _CONFIG_CACHE[key]
            if stat.st_size > MAX_CONFIG_BYTES:
                raise ValueError(f"it is {stat.st_size / 1e6:.0f} MB, far more than a run config holds")
            document = json.loads(self.config_path.read_text(encoding="utf-8"))
            if not isinstance(document, dict):
                raise ValueError("config.json must hold a JSON object")
            document.pop("run", None)
            config = RunConfig.from_dict(document)
            if len(_CONFIG_CACHE) > 4096:
                _CONFIG_CACHE.clear()
            _CONFIG_CACHE[key] = config
            return config
        except FileNotFoundError:
            raise RunError(f"run {self.run_id} has no config.json ({self.config_path}); "
                           "the folder is incomplete") from None
        except (ValueError, TypeError) as error:
            raise RunError(f"run {self.run_id}: config.json is unreadable ({error}); "
                           "fix or delete the folder") from error

    def info(self) -> dict[str, Any]:
        """config.json's extra fields: run_id, group, created."""
        document = _read_object(self.config_path)
        return document.get("run", {}) if isinstance(document.get("run"), dict) else {}

    # ------------------------------------------------------------------------------------ status
    def raw_status(self) -> dict[str, Any]:
        try:
            status = json.loads(self.status_path.read_text(encoding="utf-8"))
            return status if isinstance(status, dict) else {"state": "failed", "error": "status.json is not an object"}
        except FileNotFoundError:
            return {"state": "queued"}
        except ValueError as error:
            return {"state": "failed", "error": f"status.json is unreadable: {error}"}

    def status(self) -> dict[str, Any]:
        """The status, with a run whose process is gone reported as `interrupted`."""
        status = self.raw_status()
        if status.get("state") in ACTIVE_STATES and not self.launcher.is_alive(self):
            status = {**status, "state": "interrupted", "error": "the training process is gone (killed or crashed)"}
        return status

    def owner(self) -> str:
        """Who started the run (classroom mode); '' for runs of single-user mode."""
        owner = self.info().get("owner", "")
        return owner if isinstance(owner, str) else ""

    def worker(self) -> dict[str, Any]:
        """worker.json: the process that was launched for this run (pid, host, start time)."""
        try:
            return json.loads(self.worker_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

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
        descriptor = os.open(self.metrics_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, line)
            if durable:
                os.fsync(descriptor)
        except OSError as error:
            if is_disk_full(error, self.path):
                raise disk_full(self.path) from error
            raise
        finally:
            os.close(descriptor)

    def metrics(self, kind: str | None = None) -> list[dict[str, Any]]:
        """All complete records (optionally of one kind: start, step, epoch, test); a record that
        lacks what its kind must hold (a damaged or hand-edited line) is skipped. The records are
        shared with later calls: read them, do not change them."""
        records = read_records(self.metrics_path)
        if kind is None:
            return list(records)
        required = RECORD_FIELDS.get(kind, {})
        return [record for record in records if record.get("kind") == kind
                and all(isinstance(record.get(name), types) for name, types in required.items())]

    def metrics_size(self) -> int:
        try:
            return self.metrics_path.stat().st_size
        except FileNotFoundError:
            return 0

    def truncate_metrics(self, size: int) -> None:
        """Drop everything written after `size` bytes (the lines of an epoch that did not finish)."""
        if self.metrics_size() > size:
            with open(self.metrics_path, "r+b") as handle:
                handle.truncate(size)

    # -------------------------------------------------------------------------------------- stop
    def request_stop(self) -> None:
        self.stop_path.write_text(str(time.time()), encoding="utf-8")
        status = self.status()
        if status["state"] == "queued" and not self.worker():
            self.write_status("stopped", stop_reason="stopped before it started")
        elif status["state"] == "interrupted":
            self.write_status("stopped", stop_reason="stopped after its process was gone")

    def stop_requested(self) -> bool:
        return self.stop_path.exists()

    def clear_stop_request(self) -> None:
        self.stop_path.unlink(missing_ok=True)


class RunStore:
    """Creates, finds and starts runs under one root folder (see `default_root`)."""

    def __init__(self, root: str | os.PathLike | None = None, launcher: Launcher | None = None,
                 user: User | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_root()
        self.launcher = launcher or _LOCAL
        self.user = user  # who asks (classroom mode); None: single-user mode, everything allowed

    def check_may_change(self, run: Run, action: str) -> None:
        """Every action that changes a run asks this first: its owner or a teacher (rnnkit.access)."""
        if not may_change(self.user, run.owner()):
            raise RunError(f"only the owner of run {run.run_id} or a teacher can {action} it")

    def _run(self, run_id: str) -> Run:
        return Run(run_id, self.root / run_id, self.launcher)

    def get(self, run_id: str) -> Run:
        run = self._run(validate_run_id(run_id))
        if not run.path.is_dir():
            raise RunError(f"no run {run_id!r} in {self.root}; `python -m rnnkit runs` lists the runs")
        return run

    def create(self, config: RunConfig, run_id: str | None = None) -> Run:
        """Make a new run folder with a fresh, unique id (or `run_id`), its config.json and status `queued`."""
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        requested = validate_run_id(run_id) if run_id is not None else None
        for _ in range(100):  # the random suffix makes ids unique even within one second
            run_id = requested or f"{stamp}-{config.task.name}-{config.model.arch}-{secrets.token_hex(2)}"
            path = self.root / run_id
            try:
                path.mkdir()
            except FileExistsError:
                if requested:
                    raise RunError(f"a run named {requested!r} already exists in {self.root}") from None
                continue
            run = self._run(run_id)
            owner = self.user.name if self.user else ""
            document = {**config.to_dict(), "run": {"run_id": run_id, "created_at": time.time(), "owner": owner}}
            write_json_atomic(run.config_path, document)
            run.write_status("queued")
            return run
        raise RunError(f"could not allocate a new run id under {self.root}")

    def runs(self, group: str | None = None) -> list[Run]:
        """All runs, newest first; with `group`, only that group's."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.iterdir():
            if path.is_dir() and RUN_ID_PATTERN.match(path.name) and (path / "config.json").is_file():
                found.append(self._run(path.name))
        found.sort(key=lambda run: run.run_id, reverse=True)
        if group is not None:
            found = [run for run in found if _group_of(run) == group]
        return found

    def latest_group(self) -> str | None:
        for run in self.runs():
            group = _group_of(run)
            if group:
                return group
        return None

    def start(self, configs: list[RunConfig]) -> list[Run]:
        """Create one run per config and hand them to the launcher as one group; returns at once."""
        runs = [self.create(config) for config in configs]
        self.launcher.launch(runs)
        return runs

    def prepare_resume(self, run_id: str) -> Run:
        """Check that a run can continue and mark it queued again (the caller then trains or launches)."""
        run = self.get(run_id)
        self.check_may_change(run, "resume")
        state = run.status()["state"]
        if state in ACTIVE_STATES:
            raise RunError(f"run {run_id} is {state}; stop it before resuming")
        if state == "completed":
            raise RunError(f"run {run_id} already completed; start a new run to train longer")
        run.clear_stop_request()
        run.write_status("queued", resumed_from=state)
        return run

    def resume(self, run_id: str) -> Run:
        """Continue a stopped, failed or interrupted run in the background from its last.pt."""
        run = self.prepare_resume(run_id)
        self.launcher.launch([run], resume=True)
        return run

    def stop(self, run_id: str) -> Run:
        """Ask a run to stop: the stop.request file (read within one batch), and the launcher's own way."""
        run = self.get(run_id)
        self.check_may_change(run, "stop")
        state = run.status()["state"]
        if state not in (*ACTIVE_STATES, "interrupted"):
            raise RunError(f"run {run_id} is {state}; only queued or running runs can be stopped")
        run.request_stop()
        self.launcher.stop(run)
        return run


def delete_run(store: "RunStore", run_id: str) -> None:
    """Remove a run's folder (its owner or a teacher; not while it trains)."""
    run = store.get(run_id)
    store.check_may_change(run, "delete")
    if run.is_active():
        raise RunError(f"run {run_id} is {run.status()['state']}; stop it before deleting it")
    shutil.rmtree(run.path)


def _group_of(run: Run) -> str:
    group = _read_object(run.config_path).get("group", "")
    return group if isinstance(group, str) else ""


def _read_object(path: Path) -> dict[str, Any]:
    """A JSON file's object; {} when it is missing, unreadable or not an object (a bad run folder)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}
