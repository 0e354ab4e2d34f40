"""Files users upload (a CSV of their own texts), and how much disk each user takes.

    <cache>/uploads/<user>/<sha256 prefix>-<file name>      classroom mode: one folder per user
    <cache>/uploads/<sha256 prefix>-<file name>             single-user mode

An upload is stored under its content hash (the same file twice is stored once) and kept while a run
uses it: deleting the last run that trains on it removes it, and any upload not used for
`UPLOAD_DAYS` days is removed when the next one arrives. A user never gets a path to another
user's folder. In classroom mode a student's run folders plus uploads count against a disk quota.
"""
from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path
from typing import Iterable

from rnnkit.config.run import option_values
from rnnkit.core import settings
from rnnkit.runs.access import User
from rnnkit.runs.folder import Run, RunError

UPLOAD_DAYS = 7
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def upload_root() -> Path:
    return settings.cache_dir() / "uploads"


def user_folder(user: "User | None") -> Path:
    """Where `user`'s uploads go: their own folder in classroom mode (a name that is not a plain file
    name is replaced by its hash), the uploads folder itself in single-user mode."""
    if user is None:
        return upload_root()
    name = user.name if _PLAIN_NAME.match(user.name) and ".." not in user.name else \
        "u-" + hashlib.sha256(user.name.encode("utf-8")).hexdigest()[:16]
    return upload_root() / name


def save_upload(name: str, data: bytes, user: "User | None" = None) -> Path:
    """Store uploaded bytes in `user`'s folder under a content-addressed name; removes uploads not
    used for `UPLOAD_DAYS` days first."""
    folder = user_folder(user)
    folder.mkdir(parents=True, exist_ok=True)
    remove_old_uploads(upload_root())
    path = folder / f"{hashlib.sha256(data).hexdigest()[:12]}-{Path(name).name}"
    path.write_bytes(data)
    return path


def remove_old_uploads(folder: Path, days: float = UPLOAD_DAYS) -> int:
    cutoff = time.time() - days * 86_400
    removed = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file() and max(path.stat().st_mtime, path.stat().st_atime) < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        except OSError:
            continue
    return removed


def uploaded_files(run: "Run") -> list[Path]:
    """The files of the uploads folder that `run` trains on: every task option whose value is a path inside
    that folder (read from the config as written, so listing needs no task module)."""
    try:
        values = option_values(run.config().task.options)
    except (RunError, ValueError):
        return []
    root = upload_root().resolve()
    found = []
    for value in values.values():
        if isinstance(value, str) and value and "\0" not in value:
            path = Path(value).resolve()
            if path.is_relative_to(root):
                found.append(path)
    return found


def release_uploads(files: Iterable[Path], remaining: Iterable["Run"]) -> None:
    """After a run was deleted: remove those of its uploaded files that no remaining run uses."""
    files = set(files)
    if not files:
        return
    for run in remaining:
        files -= set(uploaded_files(run))
    for path in files:
        path.unlink(missing_ok=True)


def folder_bytes(folder: Path) -> int:
    total = 0
    for root, _folders, names in os.walk(folder):
        for name in names:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def disk_usage(runs: Iterable["Run"], user: "User") -> int:
    """Bytes `user` takes: their run folders and their uploads folder."""
    used = sum(folder_bytes(run.path) for run in runs if run.owner() == user.name)
    return used + folder_bytes(user_folder(user))
