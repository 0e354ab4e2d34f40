"""The process side of runs: start a run somewhere, tell whether it is alive, stop it.

    Launcher (the interface the run store and the dashboard use)
        launch(runs, resume)   start training these run folders; returns at once
        is_alive(run)          is the process that trains `run` still there?
        stop(run)              ask that process to stop now (the stop.request file is the fallback)

`LocalLauncher` runs `python -m rnnkit train --run-id ...` as a detached process on this machine
(one launcher process forks one child per run, so torch is imported once per group); `RayLauncher`
(rnnkit.runs.ray_jobs) submits the same command as Ray jobs when RNNKIT_RAY_ADDRESS is set
(`default_launcher`). Both also say what an active run whose process is gone has become (`ended`)
and where its output is (`logs`). Nothing here imports torch or the engine.

A worker is identified by what a path cannot fake: (pid, host, start time) and a token. The launcher puts
a fresh random token in the worker's environment (`RNNKIT_WORKER_TOKEN`) and in worker.json; the worker
records its own pid, start time and that token (`process_identity`; a forked group child records its own
pid and start time, the token it inherited). Whether a recorded process is our worker is read back from
/proc (its start time, and the token in /proc/PID/environ, readable only for our own user's processes):
a reused pid, or any process that merely has `rnnkit` in its command line, is not. `stop` signals only
a process that proves all of it; a running status that has no start time is alive only while its pid
carries the token.
"""
from __future__ import annotations

import hmac
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from rnnkit.core import settings
from rnnkit.core.files import open_no_follow, pid_exists, write_json_atomic
from rnnkit.runs import warm_client
from rnnkit.runs.folder import Launcher, Run
from rnnkit.runs.ray_jobs import RayLauncher

PACKAGE_PARENT = settings.PROJECT_ROOT  # on PYTHONPATH, so `python -m rnnkit` works from any folder
TOKEN_VARIABLE = "RNNKIT_WORKER_TOKEN"  # set by the launcher in the worker's environment, recorded beside its pid
MAX_ENVIRON_BYTES = 1_000_000  # /proc/PID/environ of a process is a few KB


_LAUNCHERS: dict[str, Any] = {}


def default_launcher() -> Launcher:
    """A Ray cluster's when RNNKIT_RAY_ADDRESS names one (rnnkit.runs.ray_jobs), else this machine's.
    One instance per address, so its short status cache serves every run store of the process."""
    address = settings.ray_address()
    if address not in _LAUNCHERS:
        if address:
            _LAUNCHERS[address] = RayLauncher(address)
        else:
            _LAUNCHERS[address] = LocalLauncher()
    return _LAUNCHERS[address]


class LocalLauncher:
    """Background processes on this machine."""

    def launch(self, runs: list["Run"], resume: bool = False) -> None:
        """Start one detached launcher process for `runs` (it forks one child per run); returns at once."""
        if not runs:
            return
        settings.worker_nice()  # a bad RNNKIT_WORKER_NICE fails the start here, saying so, not in the child
        if len(runs) > 1 and not hasattr(os, "fork"):  # no fork (Windows): one process per run
            for run in runs:
                self.launch([run], resume)
            return
        root = runs[0].path.parent.resolve()
        if self._launch_warm(runs, root, resume):
            return
        token = secrets.token_hex(16)
        environment = {**os.environ, "PYTHONUNBUFFERED": "1", TOKEN_VARIABLE: token}
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_PARENT), environment.get("PYTHONPATH")]))
        ids = [argument for run in runs for argument in ("--run-id", run.run_id)]
        command = [sys.executable, "-m", "rnnkit", "train", *ids, "--checkpoints-dir", str(root),
                   *(("--resume",) if resume else ())]
        with open_no_follow(runs[0].log_path, "ab") as log:  # a train.log planted as a link is not written through
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, env=environment,  # own session: closing the UI does not kill it
                preexec_fn=lower_priority if hasattr(os, "nice") else None,
            )
        # collect the exit status when it ends, so a long-lived dashboard keeps no zombie processes
        threading.Thread(target=process.wait, name=f"reap-{process.pid}", daemon=True).start()
        launcher = {"pid": process.pid, "host": socket.gethostname(),
                    "start_time": process_start_time(process.pid), "token": token, "command": command}
        for run in runs:  # until each forked child writes its own
            write_json_atomic(run.worker_path, launcher)

    def _launch_warm(self, runs: list["Run"], root: Path, resume: bool) -> bool:
        """Fork the runs from the warm worker (`rnnkit.runs.warm_client`): no Python, torch or package to load.
        False when it cannot (switched off, none running yet, older code, no answer): the caller starts them
        cold, each run's train.log says why, and a warm worker is started for the next Start."""
        if not warm_client.enabled():
            return False
        children, token, reason = warm_client.launch([run.run_id for run in runs], root, resume)
        if not children:
            for run in runs:
                with open_no_follow(run.log_path, "ab") as log:
                    log.write(f"[{run.run_id}] {reason}: starting cold\n".encode())
            try:
                warm_client.ensure_started()
            except OSError:
                pass  # the cold start below does not need it
            return False
        host = socket.gethostname()
        forked = {child.get("run_id"): child for child in children if isinstance(child, dict)}
        for run in runs:  # until each child writes its own (the same identity)
            child = forked.get(run.run_id, {})
            identity = {"pid": child.get("pid"), "host": host, "start_time": child.get("start_time"), "token": token}
            if not isinstance(identity["pid"], int) or not isinstance(identity["start_time"], int):
                continue  # not an answer we can use: the child's own record follows
            write_json_atomic(run.worker_path, {**identity, "command": "forked by the warm worker"})
        return True

    def is_alive(self, run: "Run") -> bool:
        """False when the recorded process is gone from this host (or is no longer the one recorded);
        True when it runs, runs elsewhere, or no process was recorded (a run that was never launched)."""
        status = run.raw_status()
        running = status.get("state") == "running"
        owner = status if running and "pid" in status else run.worker()
        if "pid" not in owner or owner.get("host") != socket.gethostname():
            return True  # nothing launched yet, or another machine's process: trust the status file
        return is_our_process(owner)

    def stop(self, run: "Run") -> None:
        """SIGTERM the worker, but only if it proves to be the process that recorded itself: same pid, same
        start time, and the launcher's token in its environment. Anything else (a reused pid, a hand-edited
        status.json, a foreground run, another Python whose path says rnnkit) is left alone; the
        stop.request file still ends the run within one batch."""
        status = run.raw_status()
        if status.get("state") != "running" or status.get("host") != socket.gethostname():
            return
        if "pid" not in status or "start_time" not in status or "token" not in status:
            return
        if not is_our_process(status) or carries_token(status["pid"], status["token"]) is not True:
            return
        try:  # the worker turns SIGTERM into the same stop request
            os.kill(status["pid"], signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass


def is_our_process(identity: dict[str, Any]) -> bool:
    """Whether the process `identity` records (pid, start time, token; see `process_identity`) still runs
    on this host: its start time matches, and it carries the token where one was recorded and its
    environment can be read. Without a start time, only the token can prove it; without either, only a
    system with no /proc to ask (macOS) trusts the pid."""
    pid, start_time, token = identity.get("pid"), identity.get("start_time"), identity.get("token")
    if not isinstance(pid, int) or pid <= 0 or not process_alive(pid, start_time):
        return False
    carries = carries_token(pid, token) if isinstance(token, str) else None
    if carries is False:
        return False  # the pid now belongs to a process we did not launch
    if start_time is not None or carries:
        return True
    return not Path("/proc/self/stat").exists()


def carries_token(pid: int, token: str) -> bool | None:
    """Whether the process has RNNKIT_WORKER_TOKEN=`token` in its environment; None when that cannot be
    read (no /proc, another user's process, gone)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            environ = handle.read(MAX_ENVIRON_BYTES)
    except OSError:
        return None
    expected = f"{TOKEN_VARIABLE}={token}".encode()
    return any(hmac.compare_digest(entry, expected) for entry in environ.split(b"\0")
               if entry.startswith(TOKEN_VARIABLE.encode() + b"="))


def process_start_time(pid: int) -> int | None:
    """Start time of a process in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[19])


def process_alive(pid: int | None, start_time: int | None = None) -> bool:
    if not pid or not pid_exists(pid):
        return False
    try:  # a zombie has exited; its parent just has not collected it yet
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state in ("Z", "X"):
            _reap(pid)
            return False
    except (OSError, IndexError):
        return True  # no /proc (macOS): os.kill said it exists
    return start_time is None or process_start_time(pid) == start_time


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except (ChildProcessError, OSError):
        pass


def process_identity() -> dict[str, Any]:
    """This process as status.json and worker.json record it: pid, host, start time, and the token its
    launcher gave it (none for a run started in the foreground, which `stop` then leaves to stop.request)."""
    pid = os.getpid()
    identity = {"pid": pid, "host": socket.gethostname(), "start_time": process_start_time(pid)}
    token = os.environ.get(TOKEN_VARIABLE)
    return {**identity, "token": token} if token else identity


def lower_priority() -> None:
    """Background training yields the CPU to the dashboard and the terminal (it only waits a little), by
    `settings.worker_nice()` (RNNKIT_WORKER_NICE, default 10; 0 leaves it at normal priority). Absolute, not
    relative: a worker that launches the next queued group must not push it lower still.

    On Linux with autogroup scheduling (most desktops and servers), a process in its own session
    (every worker is, so closing the dashboard does not end it) gets a scheduling group of its own,
    and a nice value only ranks processes within their group: four workers at nice 10 would still
    take four fair shares from the dashboard's one. So the worker's group is niced as well, but only where the
    worker leads its own session: in someone else's session (a terminal's, a test runner's) the group is all of
    theirs, and nicing it would slow the whole terminal."""
    try:
        niceness = settings.worker_nice()
    except ValueError:  # checked when the dashboard or the CLI starts a run; here, in a child, fall back
        niceness = settings.WORKER_NICE_DEFAULT
    current = os.nice(0)
    if current < niceness:
        os.nice(niceness - current)
    if os.getsid(0) != os.getpid():  # the group is the whole session's (a terminal, a test runner): leave it
        return
    try:
        with open("/proc/self/autogroup", "w") as autogroup:
            autogroup.write(str(niceness))
    except OSError:  # no autogroup (other systems, or switched off): the process nice is all there is
        pass


def parallel_threads(parallel_runs: int) -> int:
    """CPU threads per run when `parallel_runs` train at once, so they share the cores instead of fighting:
    RNNKIT_THREADS_PER_RUN where it is set, else the cores divided among the runs (at least 1).
    benchmarks/bench_sharing.py measures this default against the alternatives (docs/results.md)."""
    return settings.threads_per_run() or max(1, (os.cpu_count() or 1) // max(parallel_runs, 1))
