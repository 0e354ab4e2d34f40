"""The run store: the collection of run folders under one root, and what may be done to them.

Runs live in one root for the command line (from any folder) and the dashboard alike: the project's
`checkpoints/` folder, or $RNNKIT_CHECKPOINTS_DIR, or `--checkpoints-dir`. The store creates runs
(recording their owner), lists and finds them (`demo:NAME` for the shipped demos), and starts, stops,
resumes and deletes them: every change is checked against who asks (`rnnkit.runs.access`). When a group
starts is the fair queue's decision (`rnnkit.runs.queue`), where and how its processes run the
launcher's (`rnnkit.runs.launcher`). One folder's contract is `rnnkit.runs.folder`.

A Start that is refused, or fails while it creates its folders (a full disk), leaves no folder behind.
A run folder that is a symbolic link is not a run: never listed, never followed. Messages name runs by id,
never the store's path on this machine.
"""
from __future__ import annotations

import os
import secrets
import shutil
import time
from datetime import datetime
from pathlib import Path

from rnnkit.config.run import RunConfig
from rnnkit.core import settings
from rnnkit.core.files import START_ADVICE, disk_full, is_disk_full, write_json_atomic
from rnnkit.runs.access import User, may_change
from rnnkit.runs.assignment_check import checked_start
from rnnkit.runs.documents import read_object
from rnnkit.runs.folder import (  # noqa: F401 - the folder's names are part of the store's API
    ACTIVE_STATES,
    RECORD_FIELDS,
    RUN_ID_PATTERN,
    STATES,
    Launcher,
    Run,
    RunError,
    _group_of,
    validate_run_id,
)
from rnnkit.runs.group_names import forget_group
from rnnkit.runs.launcher import default_launcher
from rnnkit.runs.limits import Limits, QueueFull
from rnnkit.runs.queue import Queue
from rnnkit.runs.uploads import disk_usage, release_uploads, uploaded_files

DEMO_PREFIX = "demo:"  # `predict demo:names-lstm`: a shipped demo model instead of one of your runs


def demo_root() -> Path:
    return settings.PROJECT_ROOT / "checkpoints" / "demo"


def find_run(store: "RunStore", reference: str) -> "Run":
    """A run of `store` by id, or a shipped demo model as `demo:NAME`; a missing run's error names the demos."""
    if reference.startswith(DEMO_PREFIX):
        return RunStore(demo_root(), store.launcher).get(reference[len(DEMO_PREFIX):])
    try:
        return store.get(reference)
    except RunError:
        demos = [run.run_id for run in RunStore(demo_root()).runs()]
        if reference in demos:
            raise RunError(f"no run {reference!r} in the run store; "
                           f"the shipped demo is {DEMO_PREFIX}{reference}") from None
        raise


def new_group_id() -> str:
    """A comparison group id: the start time, plus a random part so two groups started in the same
    second (two browsers, two terminals) never share an id."""
    return f"g{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def default_root() -> Path:
    """$RNNKIT_CHECKPOINTS_DIR, else the project's own checkpoints/ folder (whatever the working folder)."""
    return settings.checkpoints_dir()


class RunStore:
    """Creates, finds and starts runs under one root folder (see `default_root`)."""

    def __init__(self, root: str | os.PathLike | None = None, launcher: Launcher | None = None,
                 user: User | None = None, limits: Limits | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_root()
        self.launcher = launcher or default_launcher()
        self.user = user  # who asks (classroom mode); None: single-user mode, everything allowed
        self.limits = limits or Limits()  # this user's share of the queue (students have caps)
        self.queue = Queue(self.root, self.launcher)

    def check_may_change(self, run: Run, action: str) -> None:
        """Every action that changes a run asks this first: its owner or a teacher (rnnkit.runs.access)."""
        if not may_change(self.user, run.owner()):
            raise RunError(f"only the owner of run {run.run_id} or a teacher can {action} it")

    def check_disk_quota(self, extra_bytes: int = 0) -> None:
        """Classroom mode: a student over their disk quota (run folders + uploads, + `extra_bytes` about
        to be stored) starts and uploads nothing new."""
        quota = self.limits.disk_quota_mb
        if quota is None or self.user is None:
            return
        used = (disk_usage(self.runs(), self.user) + extra_bytes) / 1e6
        if used >= quota:
            raise QueueFull("disk", round(used), quota)

    def _run(self, run_id: str) -> Run:
        return Run(run_id, self.root / run_id, self.launcher)

    def get(self, run_id: str) -> Run:
        run = self._run(validate_run_id(run_id))
        if run.path.is_symlink():
            raise RunError(f"run {run_id}: its folder is a symbolic link, which rnnkit does not follow")
        if not run.path.is_dir():
            raise RunError(f"no run {run_id!r} in the run store; `python -m rnnkit runs` lists the runs")
        return run

    def create(self, config: RunConfig, run_id: str | None = None) -> Run:
        """Make a new run folder with a fresh, unique id (or `run_id`), its config.json and status `queued`.
        A write that fails (a full disk: "free some space and start again") removes the folder again."""
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
                    raise RunError(f"a run named {requested!r} already exists in the run store") from None
                continue
            run = self._run(run_id)
            owner = self.user.name if self.user else ""
            document = {**config.to_dict(), "run": {"run_id": run_id, "created_at": time.time(), "owner": owner}}
            try:
                write_json_atomic(run.config_path, document)
                run.write_status("queued")
            except BaseException as error:
                self._remove_new([run])
                if isinstance(error, OSError) and is_disk_full(error, self.root):
                    raise disk_full(self.root, START_ADVICE) from error
                raise
            return run
        raise RunError("could not allocate a new run id in the run store")

    def create_all(self, configs: list[RunConfig]) -> list[Run]:
        """One new run per config, all or none: a failure part way removes the folders made before it."""
        runs: list[Run] = []
        try:
            for config in configs:
                runs.append(self.create(config))
        except BaseException:
            self._remove_new(runs)
            raise
        return runs

    def _remove_new(self, runs: list[Run]) -> None:
        """Remove the folders of runs this store has just created (a Start that failed part way)."""
        for run in runs:
            if not run.path.is_symlink():
                shutil.rmtree(run.path, ignore_errors=True)

    def runs(self, group: str | None = None) -> list[Run]:
        """All runs, newest first; with `group`, only that group's."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.iterdir():  # a linked folder is no run: rnnkit does not follow links
            if RUN_ID_PATTERN.match(path.name) and not path.is_symlink() and (path / "config.json").is_file():
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
        """Create one run per config and queue them as one group (it starts at once when there is room);
        returns at once. Raises QueueFull, creating nothing, when this user may not queue another group or
        a config asks for more than this user's caps (the message names the setting). Each run gets this
        user's run limits (a student's time limit) in its limits.json before it can start. Configs of a class
        assignment must match it (AssignmentRefused otherwise: rnnkit.runs.assignments.check_start)."""
        owner = self.user.name if self.user else ""
        self.queue.check_room(owner, self.limits, len(configs))
        for config in configs:
            self.limits.check_caps(config)
        self.check_disk_quota()
        with checked_start(self.root, self.user, configs, self._assignment_runs):  # a class assignment's rules
            runs = self.create_all(configs)
        try:
            for run in runs:
                self._write_run_limits(run)
            self.queue.submit(runs, owner, self.limits)
        except BaseException as error:  # refused or failed before the group was queued: no folder stays behind
            queued = {run_id for _path, entry in self.queue.entries() for run_id in entry["runs"]}
            if any(run.run_id in queued or run.worker_path.exists() for run in runs):
                raise  # the group was queued (or launched): its runs are runs now, with their own status
            self._remove_new(runs)
            if isinstance(error, OSError) and is_disk_full(error, self.root):
                raise disk_full(self.root, START_ADVICE) from error
            raise
        return runs

    def _assignment_runs(self, assignment_id: str) -> list[tuple[str, str]]:
        """(owner, state) of every run of a class assignment (rnnkit.runs.assignments)."""
        return [(run.owner(), run.status()["state"]) for run in self.runs()
                if read_object(run.config_path).get("assignment") == assignment_id]

    def _write_run_limits(self, run: Run) -> None:
        limits = self.limits.run_limits()
        if limits:
            run.write_limits(**limits)
        else:
            run.limits_path.unlink(missing_ok=True)  # a teacher's resume of a student's run: no student limit

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
        run.worker_path.unlink(missing_ok=True)  # the earlier attempt's process; the queue launches a new one
        run.write_status("queued", resumed_from=state)
        return run

    def resume(self, run_id: str) -> Run:
        """Continue a stopped, failed or interrupted run in the background from its last.pt (through
        the queue, as a group of one)."""
        run = self.get(run_id)
        self.check_may_change(run, "resume")
        owner = self.user.name if self.user else ""
        self.queue.check_room(owner, self.limits, 1)
        self.limits.check_caps(run.config())  # caps lowered since it started hold for the rest of it too
        run = self.prepare_resume(run_id)
        self._write_run_limits(run)  # the resumed attempt gets the time limit of whoever resumes it
        self.queue.submit([run], owner, self.limits, resume=True)
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
        self.queue.remove(run_id)  # if it was still waiting
        return run


def delete_run(store: "RunStore", run_id: str) -> None:
    """Remove a run's folder (its owner or a teacher; not while it trains)."""
    run = store.get(run_id)
    store.check_may_change(run, "delete")
    if run.is_active():
        raise RunError(f"run {run_id} is {run.status()['state']}; stop it before deleting it")
    uploads = uploaded_files(run)
    group = _group_of(run)
    shutil.rmtree(run.path)
    store.queue.remove(run_id)
    if group and not store.runs(group=group):  # its last run: the name given to the group goes too
        forget_group(store.root, group)
    release_uploads(uploads, store.runs())  # an upload goes with the last run that used it
