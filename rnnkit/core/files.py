"""Atomic file writes: a reader (or a crash) sees the old file or the new one, never half of one.

Every writer in rnnkit (config.json, status.json, worker.json, checkpoints, the preprocessing cache)
goes through `write_atomic`: write a temporary file in the same folder (same filesystem, so the
rename is atomic, also on a shared volume), fsync it, then `os.replace` it over the target.

A write that fails for lack of space removes its temporary file (so the small status write that
follows can still succeed) and raises `DiskFull`, whose message says how much is free where.
Temporary files left by a killed writer are removed by `remove_stale_temporaries`.

Anyone who can write a run folder can put a symbolic link (or a named pipe) where a file belongs, so
reads and appends of such files open through `no_follow_opener`: a link, in the file's place or in its
folder's, is refused (`LinkRefused`) instead of followed, and so is anything that is not a regular file.
The messages name the file, never a path of this machine.
"""
from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import stat
from pathlib import Path
from typing import Any, BinaryIO, Callable

LOW_SPACE_BYTES = 16 * 1024 * 1024  # below this, a failed write is taken for a full disk
RESUME_ADVICE = "free some space, then resume the run"  # a run that exists: it continues from its checkpoint
START_ADVICE = "free some space and start again"  # a run that could not be created: nothing to resume
MAX_PID = 2**31 - 1  # pid_t is 32 bits: a larger "pid" (from a hand-written file) names no process
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOSE_ON_EXEC = getattr(os, "O_CLOEXEC", 0)


class DiskFull(OSError):
    """A write failed because the disk (or the quota) is full."""

    def __str__(self) -> str:
        return str(self.strerror)


class LinkRefused(OSError):
    """A file, or the folder that holds it, is a symbolic link (or not a regular file): never followed."""

    def __str__(self) -> str:
        return str(self.strerror)


def free_megabytes(folder: str | os.PathLike) -> float:
    try:
        return shutil.disk_usage(folder).free / 1e6
    except OSError:
        return 0.0


def disk_full(folder: str | os.PathLike, advice: str = RESUME_ADVICE) -> DiskFull:
    """The error of a full disk: how much is free in the folder (named by its own name, never its path on
    this machine: students read it) and `advice`, what to do (resume the run, or start it again)."""
    return DiskFull(errno.ENOSPC, f"disk full ({free_megabytes(folder):.0f} MB free in the folder "
                                  f"{Path(folder).name}); {advice}")


def is_disk_full(error: BaseException, folder: str | os.PathLike) -> bool:
    """ENOSPC/EDQUOT, or a writer that failed in another way (torch.save's RuntimeError) while the
    disk is nearly full."""
    if isinstance(error, DiskFull) or isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    try:
        return shutil.disk_usage(folder).free < LOW_SPACE_BYTES
    except OSError:  # the folder itself is gone (a run deleted while it wrote): not a full disk
        return False


def write_atomic(path: str | os.PathLike, write: Callable[[BinaryIO], None], durable: bool = True) -> None:
    """Call `write(handle)` on a temporary file beside `path`, then move it into place."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(3)}.tmp")
    try:
        with open(temporary, "xb") as handle:  # exclusive: a link planted under this name is not followed
            write(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except Exception as error:
        temporary.unlink(missing_ok=True)  # first give the space back
        if is_disk_full(error, path.parent):
            raise disk_full(path.parent) from error
        raise
    finally:
        temporary.unlink(missing_ok=True)


def write_json_atomic(path: str | os.PathLike, data: Any) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
    write_atomic(path, lambda handle: handle.write(text), durable=False)


def remove_stale_temporaries(folder: str | os.PathLike) -> int:
    """Delete `.NAME.PID.HEX.tmp` files whose writing process is gone (killed mid-write); returns how many."""
    removed = 0
    for temporary in Path(folder).glob(".*.tmp"):
        parts = temporary.name.split(".")
        pid = int(parts[-3]) if len(parts) >= 4 and parts[-3].isdigit() else None
        if pid is not None and pid != os.getpid() and pid_exists(pid):
            continue
        temporary.unlink(missing_ok=True)
        removed += 1
    return removed


def pid_exists(pid: Any) -> bool:
    """Whether a process with this pid exists on this machine (it may be a zombie, or another user's).
    Anything that is not a whole number in 1 ... 2**31-1 (a string, a float, True, 10**20 from a
    hand-written status.json) is no process: never an exception, never a signal to a process group."""
    if not isinstance(pid, int) or isinstance(pid, bool) or not 0 < pid <= MAX_PID:
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True
    except (OSError, OverflowError):  # ProcessLookupError, and whatever else the system says
        return False
    return True


def no_follow_opener(path: str | os.PathLike, flags: int) -> int:
    """An `opener` for `open()` that follows no symbolic link: neither the file nor the folder holding it
    may be one (`LinkRefused`, naming which), and what it opens must be a regular file (a named pipe
    would block the reader forever)."""
    path = Path(path)
    name = path.name
    if _NO_FOLLOW and os.open in os.supports_dir_fd:
        try:
            folder = os.open(path.parent, os.O_RDONLY | _DIRECTORY | _NO_FOLLOW | _CLOSE_ON_EXEC)
        except OSError as error:  # a link opened with O_DIRECTORY | O_NOFOLLOW: ELOOP, or (Linux) ENOTDIR
            linked = error.errno == errno.ENOTDIR and path.parent.is_symlink()
            message = f"the folder of {name} is a symbolic link, which rnnkit does not follow"
            raise (LinkRefused(errno.ELOOP, message) if linked else _refused(error, message)) from None
        try:
            descriptor = os.open(name, flags | _NO_FOLLOW | os.O_NONBLOCK | _CLOSE_ON_EXEC, 0o644, dir_fd=folder)
        except OSError as error:
            raise _refused(error, f"{name} is a symbolic link, which rnnkit does not follow") from None
        finally:
            os.close(folder)
    else:  # no O_NOFOLLOW (Windows): ask first
        if path.parent.is_symlink() or path.is_symlink():
            raise LinkRefused(errno.ELOOP, f"{name} or its folder is a symbolic link, which rnnkit does not follow")
        descriptor = os.open(path, flags, 0o644)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise LinkRefused(errno.EINVAL, f"{name} is not a regular file")
    if hasattr(os, "set_blocking"):
        os.set_blocking(descriptor, True)
    return descriptor


def _refused(error: OSError, message: str) -> OSError:
    """ELOOP (a link where O_NOFOLLOW forbids one) as `LinkRefused`; any other error (no such file, no
    permission) as it was."""
    if error.errno in (errno.ELOOP, getattr(errno, "EMLINK", -1)):  # EMLINK: the BSDs' word for it
        return LinkRefused(errno.ELOOP, message)
    return error


def open_no_follow(path: str | os.PathLike, mode: str = "rb") -> BinaryIO:
    """`open(path, mode)` (a binary mode) through `no_follow_opener`."""
    return open(path, mode, opener=no_follow_opener)
