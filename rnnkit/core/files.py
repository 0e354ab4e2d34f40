"""Atomic file writes: a reader (or a crash) sees the old file or the new one, never half of one.

Every writer in rnnkit (config.json, status.json, worker.json, checkpoints, the preprocessing cache)
goes through `write_atomic`: write a temporary file in the same folder (same filesystem, so the
rename is atomic, also on a shared volume), fsync it, then `os.replace` it over the target.

A write that fails for lack of space removes its temporary file (so the small status write that
follows can still succeed) and raises `DiskFull`, whose message says how much is free where.
Temporary files left by a killed writer are removed by `remove_stale_temporaries`.
"""
from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any, BinaryIO, Callable

LOW_SPACE_BYTES = 16 * 1024 * 1024  # below this, a failed write is taken for a full disk


class DiskFull(OSError):
    """A write failed because the disk (or the quota) is full."""

    def __str__(self) -> str:
        return str(self.strerror)


def free_megabytes(folder: str | os.PathLike) -> float:
    try:
        return shutil.disk_usage(folder).free / 1e6
    except OSError:
        return 0.0


def disk_full(folder: str | os.PathLike) -> DiskFull:
    return DiskFull(errno.ENOSPC, f"disk full ({free_megabytes(folder):.0f} MB free in {folder}); "
                                  "free some space, then resume the run")


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
        with open(temporary, "wb") as handle:
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


def pid_exists(pid: int) -> bool:
    """Whether a process with this pid exists on this machine (it may be a zombie, or another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
