"""Where task data comes from, and the on-disk cache for expensive preprocessing.

Where a task's file is looked for:
    a folder the user names (`--data-dir`, or the dashboard's data folder setting): there, and only there.
        A named folder that does not hold the file is an error that names the folder and the file expected
        in it; the data is not taken from elsewhere without a word (the user meant this folder). Naming
        $RNNKIT_DATA_DIR itself (the dashboard's data folder starts with it) names nothing new: the order below
    otherwise, in this order:
    1. $RNNKIT_DATA_DIR
    2. the download cache, ~/.rnnkit/data (or $RNNKIT_CACHE_DIR/data)
    3. download from the official URL with keras.utils.get_file (progress bar, then cached);
       skipped when $RNNKIT_OFFLINE is set
If all fail, `DataNotFound` says which file was expected where, and the URL to get it from.

Preprocessing results (tokenised text, word2vec vectors) are cached under ~/.rnnkit/cache, keyed
by the source file's SHA-256 and the settings that shaped them, so a second run starts in seconds.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from rnnkit.core import settings
from rnnkit.core.files import write_atomic


class DataNotFound(ValueError):
    """A task's data file is missing and could not be downloaded."""


@dataclass(frozen=True)
class DataSource:
    """One file (or folder) a task reads, and where it comes from officially."""

    task: str  # task name, for messages
    candidates: tuple[str, ...]  # paths relative to a data folder, best first
    url: str = ""  # official download; "" if there is none
    download_name: str = ""  # file name in the download cache
    extract: bool = False  # the download is an archive to unpack
    unpacked: str = ""  # with `extract`: the path inside the unpacked archive to use


def cache_root() -> Path:
    return settings.cache_dir()


def named_folder(data_dir: str | None) -> Path | None:
    """The folder the user named, where it is one other than $RNNKIT_DATA_DIR; else None (the search order)."""
    if not data_dir:
        return None
    folder, default = Path(data_dir).expanduser(), settings.data_dir()
    try:
        return None if default is not None and folder.resolve() == default.expanduser().resolve() else folder
    except (OSError, ValueError, RuntimeError):  # an impossible path is still the one named
        return folder


def search_folders(data_dir: str | None) -> list[Path]:
    """The folders a task's file is looked for in: the named one alone, else the search order."""
    named = named_folder(data_dir)
    if named is not None:
        return [named]
    folders = []
    if settings.data_dir() is not None:
        folders.append(settings.data_dir())
    folders.append(cache_root() / "data")
    return folders


def locate(source: DataSource, data_dir: str | None) -> Path | None:
    """The first existing candidate in the search folders, without downloading."""
    for folder in search_folders(data_dir):
        for candidate in [*source.candidates, *([source.unpacked] if source.unpacked else [])]:
            path = folder / candidate
            if _exists(path):
                return path
    return None


def check_named_folder(sources: tuple[DataSource, ...], data_dir: str | None) -> None:
    """Before any run starts: a named data folder must hold the data of one of the task's sources (a task with
    several, like weather's stations, may hold only the one it reads). Raise `DataNotFound` naming it."""
    if named_folder(data_dir) is None or not sources or any(locate(source, data_dir) for source in sources):
        return
    if len(sources) == 1:
        raise DataNotFound(missing_message(sources[0], data_dir))
    expected = "; ".join(f"{source.task}: {' or '.join(source.candidates)}" for source in sources)
    raise DataNotFound(f"no data found in the data folder you named, {data_dir}; expected one of ({expected}); put "
                       "the file in it, or leave out --data-dir to use $RNNKIT_DATA_DIR and the download cache")


def _exists(path: Path) -> bool:
    """Path.exists that treats an impossible path (too long, bad characters, no permission) as missing."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def resolve(source: DataSource, data_dir: str | None, progress: Callable[[str], None] = print) -> Path:
    """Find the file locally or download it; raise `DataNotFound` with the fix otherwise."""
    found = locate(source, data_dir)
    if found is not None:
        return found
    if named_folder(data_dir) is not None:  # the folder the user named: no download, no other folder
        raise DataNotFound(missing_message(source, data_dir))
    if source.url and not settings.offline():
        progress(f"downloading {source.url} ...")
        try:
            return _download(source)
        except Exception as error:  # network errors come in many types
            raise DataNotFound(missing_message(source, data_dir, f"download failed: {error}")) from error
    raise DataNotFound(missing_message(source, data_dir))


def missing_message(source: DataSource, data_dir: str | None, reason: str = "") -> str:
    expected = " or ".join(source.candidates)
    if named_folder(data_dir) is not None:
        absent = "" if _exists(Path(data_dir).expanduser()) else " (the folder does not exist)"
        fix = f"download {source.url} into it" if source.url else "put the file in it"
        return (f"{source.task} data not found in the data folder you named, {data_dir}{absent}: expected {expected} "
                f"there; {fix}, or leave out --data-dir (the dashboard's data folder) to use $RNNKIT_DATA_DIR and "
                "the download cache")
    folders = ", ".join(str(folder) for folder in search_folders(data_dir))
    fix = f"download {source.url} into one of them" if source.url else "put the file in one of them"
    reason = f" ({reason})" if reason else ""
    return (f"{source.task} data not found{reason}: expected {expected} in {folders}; "
            f"{fix}, or set RNNKIT_DATA_DIR / --data-dir to the folder that has it")


def _download(source: DataSource) -> Path:
    os.environ.setdefault("KERAS_BACKEND", "torch")  # keras must not look for TensorFlow
    from keras.utils import get_file

    folder = cache_root() / "data"
    target_dir = folder / Path(source.candidates[0]).parent
    target_dir.mkdir(parents=True, exist_ok=True)
    path = Path(get_file(source.download_name, origin=source.url, cache_dir=str(folder),
                         cache_subdir=str(Path(source.candidates[0]).parent), extract=source.extract))
    if source.extract and source.unpacked:
        unpacked = folder / source.unpacked
        if unpacked.exists():
            return unpacked
        for candidate in path.parent.rglob(Path(source.unpacked).name):
            return candidate
    return path


def file_digest(path: Path) -> str:
    """SHA-256 of a file, or of a folder's file names and contents."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def cached(name: str, source: Path, settings: dict[str, Any], build: Callable[[], dict],
           progress: Callable[[str], None] = print) -> dict:
    """`build()` once per (source content, settings); later calls load the saved result.

    The result must be a dict of tensors and plain values (it is loaded with weights_only=True).
    """
    key = hashlib.sha256(json.dumps({"source": file_digest(source), "settings": settings},
                                    sort_keys=True).encode()).hexdigest()[:16]
    path = cache_root() / "cache" / f"{name}-{key}.pt"
    if path.exists():
        try:
            progress(f"using cached preprocessing {path}")
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # noqa: BLE001 - a damaged cache file is rebuilt, not fatal
            progress(f"cache file {path} is unreadable; rebuilding it")
    result = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda handle: torch.save(result, handle), durable=False)
    return result
