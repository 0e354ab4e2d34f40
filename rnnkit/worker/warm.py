"""The warm worker: a process that has torch and rnnkit imported already and forks one child per run.

A cold start pays for a new Python, torch and the package (seconds on a small CPU) before the first batch;
a fork of this process pays for none of it. Started detached by `rnnkit.runs.warm_client` (with the
dashboard, or on the first cold start), it listens on a Unix socket that only its user can reach:

    client (the run store's launcher)            warm worker (this module)
      {"fingerprint", "root", "run_ids",   --->    checks the caller's uid and the code's fingerprint,
       "resume", "environment", "cwd"}             forks one child per run (`train_in_child`: own
                                           <---    session, nice, train.log, worker.json), answers
      {"ok": true, "token", "children":            with each child's pid and start time
        [{"run_id", "pid", "start_time"}]}

Each child is a run's own process, as a cold start's is: a crash or `kill -9` of a run touches no other
run and not this process; a `kill -9` of this process leaves the runs training (each has its own
session). A child carries this process's token (`RNNKIT_WORKER_TOKEN`, given when it was started) in
/proc/PID/environ and records its own pid and start time, so `stop` verifies the child itself. Children
are reaped by the kernel (SIGCHLD ignored here), so none is left a zombie. The worker ends after
`IDLE_SECONDS` without a request, or at once when the code it imported is not the code on disk
(the fingerprint differs: the client then starts cold and starts a new warm worker).

Usage (the client does this): python -m rnnkit.worker.warm --socket PATH
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import struct
import sys
from pathlib import Path
from typing import Any

from rnnkit.runs import warm_client
from rnnkit.runs.folder import Run
from rnnkit.runs.launcher import LocalLauncher, process_start_time

IDLE_SECONDS = 30 * 60  # an idle warm worker ends: it holds a few hundred MB of imported libraries
ACCEPT_SECONDS = 5.0  # how often the loop looks at the clock (and the socket file) between requests


def serve(socket_path: Path) -> int:
    """Listen on `socket_path` until idle for IDLE_SECONDS, the socket file is removed or replaced, or
    the code on disk changed; returns the exit status."""
    fingerprint = warm_client.fingerprint()
    listener = warm_client.listen(socket_path)  # first: a second worker for this socket ends before importing
    import sklearn.metrics  # noqa: F401 - a task's majority-class baseline needs it while loading (~3 s cold)
    import torch  # the point of this process: imported once, before any request

    from rnnkit.worker import execute  # noqa: F401 - the engine, the tasks and the models, for every child

    torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))])  # imports torch._dynamo (~1 s) once for all runs
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children: no zombies
    identity = os.stat(socket_path).st_ino
    idle = 0.0
    print(f"warm worker {os.getpid()} listening", flush=True)
    while idle < IDLE_SECONDS:
        listener.settimeout(ACCEPT_SECONDS)
        try:
            connection, _address = listener.accept()
        except TimeoutError:
            idle += ACCEPT_SECONDS
            if not _still_ours(socket_path, identity):
                print("socket gone or replaced: ending", flush=True)
                return 0
            continue
        idle = 0.0
        with connection:
            stale = _answer(connection, listener, fingerprint)
        if stale:
            print("the code on disk changed: ending", flush=True)
            break
    _remove_if_ours(socket_path, identity)
    return 0


def _answer(connection: socket.socket, listener: socket.socket, fingerprint: str) -> bool:
    """Handle one request; returns True when this worker's code is stale (it should end)."""
    connection.settimeout(10.0)
    if _peer_uid(connection) != os.getuid():
        _reply(connection, {"ok": False, "error": "another user's request"})
        return False
    try:
        request = warm_client.read_message(connection)
        checked = warm_client.checked_request(request)
    except ValueError as error:
        _reply(connection, {"ok": False, "error": str(error)})
        return False
    if checked["fingerprint"] != fingerprint:
        _reply(connection, {"ok": False, "error": "stale", "stale": True})
        return True
    if checked.get("ping"):
        _reply(connection, {"ok": True, "pid": os.getpid()})
        return False
    children = []
    for run_id in checked["run_ids"]:
        run = Run(run_id, Path(checked["root"]) / run_id, LocalLauncher())
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: the caller's environment and folder, then the run; never returns
            listener.close()
            connection.close()
            warm_client.forget_lock()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # its own children (a next group's launcher) are waited for
            _become_caller(checked)
            from rnnkit.worker.execute import train_in_child
            train_in_child(run, checked["resume"], "forked by the warm worker")
        children.append({"run_id": run_id, "pid": pid, "start_time": process_start_time(pid)})
    _reply(connection, {"ok": True, "token": os.environ.get(warm_client.TOKEN_VARIABLE, ""), "children": children})
    return False


def _become_caller(request: dict[str, Any]) -> None:
    """The environment and working folder of the process that asked (a setting changed since this worker
    started applies to the run), keeping this worker's token: /proc/PID/environ, which `stop` reads,
    shows the environment this process was started with, so the token there is the one recorded."""
    token = os.environ.get(warm_client.TOKEN_VARIABLE, "")
    os.environ.clear()
    os.environ.update(request["environment"])
    os.environ[warm_client.TOKEN_VARIABLE] = token
    os.environ["PYTHONUNBUFFERED"] = "1"
    try:
        os.chdir(request["cwd"])
    except OSError:
        pass  # the folder is gone: the run's own paths are absolute


def _peer_uid(connection: socket.socket) -> int | None:
    """The user id of the process at the other end (Linux SO_PEERCRED); None where it cannot be read."""
    try:
        credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except (AttributeError, OSError):
        return None
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return uid


def _reply(connection: socket.socket, message: dict[str, Any]) -> None:
    try:
        connection.sendall(json.dumps(message).encode() + b"\n")
    except OSError:
        pass  # the caller gave up waiting: it starts cold, and the children train all the same


def _still_ours(socket_path: Path, identity: int) -> bool:
    try:
        return os.stat(socket_path).st_ino == identity
    except OSError:
        return False


def _remove_if_ours(socket_path: Path, identity: int) -> None:
    if _still_ours(socket_path, identity):
        socket_path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnnkit.worker.warm", description=__doc__.split("\n")[0])
    parser.add_argument("--socket", required=True, help="the Unix socket to listen on (its folder: mode 0700)")
    args = parser.parse_args(argv)
    try:
        return serve(Path(args.socket))
    except (OSError, ValueError) as error:
        print(f"warm worker: {type(error).__name__}: {str(error)!r}", file=sys.stderr)  # repr: no control characters
        return 1


if __name__ == "__main__":
    sys.exit(main())

