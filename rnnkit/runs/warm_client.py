"""Talk to the warm worker (`rnnkit.worker.warm`): ask it to fork runs, start it when none answers.

One warm worker per user and checkout: its socket is `<temp>/rnnkit-<uid>/warm-<key>.sock`, where the
key is drawn from the Python interpreter and the project folder, in a folder only its user can enter
(refused otherwise). Every request carries the code's fingerprint (the package's files: names, sizes,
modification times); a worker whose code differs ends instead of forking stale code, and the caller
starts cold. Nothing here imports torch: the dashboard and the run store use it.

`launch` answers (children, "") when the warm worker forked the runs, or ([], reason) when it did not;
the launcher then starts the runs cold, as before, and says why in each run's train.log.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from rnnkit.core import settings
from rnnkit.core.files import open_no_follow
from rnnkit.runs.folder import RUN_ID_PATTERN

TOKEN_VARIABLE = "RNNKIT_WORKER_TOKEN"  # as rnnkit.runs.launcher's: the token a worker's children carry
MAX_MESSAGE_BYTES = 1_000_000  # a request holds an environment (a few KB) and at most MAX_RUNS run ids
MAX_RUNS = 64  # a sweep's most runs in one group
ANSWER_SECONDS = 10.0  # a fork takes milliseconds; a worker this slow to answer is treated as absent
PING_SECONDS = 2.0
LOCK_WAIT_SECONDS = 15.0  # how long a new worker waits for the lock of one that is ending


def enabled() -> bool:
    """RNNKIT_WARM_WORKER: on unless set to off/0/no (`rnnkit.core.settings`)."""
    return settings.warm_worker()


def fingerprint() -> str:
    """The package's files as this process sees them on disk (names, sizes, modification times), and the
    interpreter that runs it."""
    digest = hashlib.sha256(f"{sys.executable}\0{sys.version}".encode())
    package = settings.PROJECT_ROOT / "rnnkit"
    for path in sorted(package.rglob("*")):  # code, presets, catalogs: whatever a run reads from the package
        if "__pycache__" in path.parts or not path.is_file():
            continue
        info = path.stat()
        digest.update(f"{path.relative_to(package)}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:32]


def socket_path() -> Path:
    """Where this checkout's warm worker listens; its folder is created (mode 0700) and checked: a folder
    that is a link, another user's, or open to others is refused (ValueError), as a planted socket could
    receive our runs."""
    folder = Path(tempfile.gettempdir()) / f"rnnkit-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise ValueError(f"{folder.name} in the temporary folder is not a private folder of this user")
    key = hashlib.sha256(f"{sys.executable}\0{settings.PROJECT_ROOT}".encode()).hexdigest()[:16]
    return folder / f"warm-{key}.sock"


def launch(run_ids: list[str], root: Path, resume: bool) -> tuple[list[dict[str, Any]], str, str]:
    """Ask the warm worker to fork one child per run. Returns (children, token, "") where each child is
    {"run_id", "pid", "start_time"}, or ([], "", reason) when it did not (the caller starts cold)."""
    try:
        answer = _ask({"run_ids": list(run_ids), "root": str(Path(root).resolve()), "resume": bool(resume),
                       "environment": {name: value for name, value in os.environ.items() if name != TOKEN_VARIABLE},
                       "cwd": os.getcwd()}, ANSWER_SECONDS)
    except (OSError, ValueError) as error:
        return [], "", _absent(error)
    if answer.get("stale"):
        return [], "", "the warm worker ran older code (it ends; a new one starts)"
    children = answer.get("children")
    if not answer.get("ok") or not isinstance(children, list) or len(children) != len(run_ids):
        return [], "", f"the warm worker refused: {str(answer.get('error', 'no answer'))[:200]!r}"
    return children, str(answer.get("token", "")), ""


def is_running() -> bool:
    """Whether a warm worker with this code answers."""
    try:
        return bool(_ask({"ping": True}, PING_SECONDS).get("ok"))
    except (OSError, ValueError):
        return False


def ensure_started() -> bool:
    """Start a warm worker unless one with this code answers (returns at once; it is ready a few seconds
    later). False when none can be started here (switched off, no private socket folder)."""
    if not enabled() or not hasattr(os, "fork") or not hasattr(socket, "AF_UNIX"):
        return False
    try:
        path = socket_path()
    except (OSError, ValueError):
        return False
    if is_running():
        return True
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", TOKEN_VARIABLE: secrets.token_hex(16)}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(settings.PROJECT_ROOT),
                                                              environment.get("PYTHONPATH")]))
    with open_no_follow(path.with_suffix(".log"), "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "rnnkit.worker.warm", "--socket", str(path)],
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, env=environment, cwd=settings.PROJECT_ROOT)
    threading.Thread(target=process.wait, name=f"reap-warm-{process.pid}", daemon=True).start()
    return True


# ----------------------------------------------------------------------------------- the wire (both sides)
def listen(path: Path) -> socket.socket:
    """The worker's side: hold `path`'s lock for life (a second worker for the same socket ends here with
    ValueError), replace a dead socket file, listen with mode 0600."""
    lock = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS  # a worker that found its code stale may still be ending
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(lock)
                raise ValueError("another warm worker already serves this socket") from None
            time.sleep(0.1)
    _KEPT.append(lock)  # held until this process ends
    path.unlink(missing_ok=True)  # a dead worker's socket: we hold the lock, so no live worker uses it
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous = os.umask(0o177)
    try:
        listener.bind(str(path))
    finally:
        os.umask(previous)
    listener.listen(16)
    return listener


_KEPT: list[int] = []  # the lock's descriptor: a forked child must close its copy (`forget_lock`)


def forget_lock() -> None:
    """In a forked child: close the inherited copy of the worker's lock, which would otherwise keep the lock
    held after the worker dies (a flock belongs to the open file, which every fork shares), so no new
    worker could start while a run trains."""
    while _KEPT:
        os.close(_KEPT.pop())


def read_message(connection: socket.socket) -> Any:
    """One JSON line of at most MAX_MESSAGE_BYTES (ValueError otherwise)."""
    received = bytearray()
    while not received.endswith(b"\n"):
        chunk = connection.recv(65536)
        if not chunk:
            break
        received += chunk
        if len(received) > MAX_MESSAGE_BYTES:
            raise ValueError("message too long")
    try:
        return json.loads(received)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise ValueError("not a JSON message") from None


def checked_request(request: Any) -> dict[str, Any]:
    """A request with every field of the expected type, or ValueError saying which is wrong."""
    if not isinstance(request, dict) or not isinstance(request.get("fingerprint"), str):
        raise ValueError("not a request")
    if request.get("ping") is True:
        return {"fingerprint": request["fingerprint"], "ping": True}
    run_ids, root, environment = request.get("run_ids"), request.get("root"), request.get("environment")
    if not isinstance(run_ids, list) or not 1 <= len(run_ids) <= MAX_RUNS or not all(
            isinstance(run_id, str) and RUN_ID_PATTERN.match(run_id) and ".." not in run_id for run_id in run_ids):
        raise ValueError("run_ids must be 1 to 64 run ids")
    if not isinstance(root, str) or not Path(root).is_absolute() or not Path(root).is_dir():
        raise ValueError("root must be an existing absolute folder")
    if not isinstance(environment, dict) or not all(
            isinstance(name, str) and isinstance(value, str) and "\0" not in name + value
            for name, value in environment.items()):
        raise ValueError("environment must map names to texts")
    cwd = request.get("cwd")
    return {"fingerprint": request["fingerprint"], "run_ids": run_ids, "root": root, "environment": environment,
            "resume": request.get("resume") is True, "cwd": cwd if isinstance(cwd, str) else str(root)}


def _ask(message: dict[str, Any], timeout: float) -> dict[str, Any]:
    path = socket_path()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(timeout)
        connection.connect(str(path))
        connection.sendall(json.dumps({**message, "fingerprint": fingerprint()}).encode() + b"\n")
        answer = read_message(connection)
    if not isinstance(answer, dict):
        raise ValueError("not an answer")
    return answer


def _absent(error: Exception) -> str:
    if isinstance(error, (FileNotFoundError, ConnectionRefusedError)):
        return "no warm worker is running yet"
    if isinstance(error, TimeoutError):
        return "the warm worker did not answer in time"
    return f"the warm worker could not be reached ({type(error).__name__})"
