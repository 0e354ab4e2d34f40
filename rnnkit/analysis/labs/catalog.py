"""The shipped labs: `rnnkit/labs/<lab id>.<language>.yaml`, one file per language.

    lab_ids()                     the ids of the labs that have an English file, sorted
    load_lab(lab_id, "zh")        the lab, validated (falls back to English when it has no Chinese file)
    check_lab_file(path)          any lab file, validated with the other language's file beside it; LabError

A lab id is checked against the id pattern before it becomes a file name, so no id reaches outside the
folder. Validated labs are kept per file (its size and time of change), so a page can load one each run.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

from rnnkit.analysis.labs.schema import LANGUAGES, NAME_PATTERN, Lab, LabError
from rnnkit.analysis.labs.validate import check_lab_text

LAB_FOLDER = Path(__file__).resolve().parents[2] / "labs"  # rnnkit/labs


def lab_ids(folder: str | os.PathLike | None = None) -> list[str]:
    """The ids of the labs in `folder` (default: the shipped ones) that have an English file, sorted."""
    root = Path(folder) if folder is not None else LAB_FOLDER
    if not root.is_dir():
        return []
    ids = {path.name[: -len(".en.yaml")] for path in root.glob("*.en.yaml") if not path.is_symlink()}
    return sorted(lab_id for lab_id in ids if NAME_PATTERN.match(lab_id))


def lab_path(lab_id: str, language: str = "en", folder: str | os.PathLike | None = None) -> Path:
    """The file of lab `lab_id` in `language` (ValueError for an id or language that is none)."""
    if not isinstance(lab_id, str) or not NAME_PATTERN.match(lab_id):
        raise ValueError("a lab id is lower-case letters, digits and '-'; `python -m rnnkit lab list` lists them")
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; valid: {', '.join(LANGUAGES)}")
    return (Path(folder) if folder is not None else LAB_FOLDER) / f"{lab_id}.{language}.yaml"


def load_lab(lab_id: str, language: str = "en", folder: str | os.PathLike | None = None) -> Lab:
    """Lab `lab_id` in `language`, validated; its English file where it has no file in `language`.
    ValueError for an unknown lab, LabError (a ValueError) for a lab file with problems."""
    path = lab_path(lab_id, language, folder)
    if not path.is_file() and language != "en":
        path = lab_path(lab_id, "en", folder)
    if not path.is_file() or path.is_symlink():
        known = ", ".join(lab_ids(folder)) or "none"
        raise ValueError(f"no lab {lab_id!r}; the labs: {known}")
    return check_lab_file(path)


def check_lab_file(path: str | os.PathLike) -> Lab:
    """The lab in the file at `path`, validated together with its other language's file where there is one;
    LabError lists every problem as '<file name>, line N: what is wrong'."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        raise LabError([f"{path.name}: no such file"]) from None
    sibling = _sibling(path)
    sibling_stat = (sibling.stat().st_mtime_ns, sibling.stat().st_size) if sibling else None
    return _checked(str(path), stat.st_mtime_ns, stat.st_size, str(sibling) if sibling else "", sibling_stat)


@functools.lru_cache(maxsize=64)
def _checked(path: str, _changed: int, _size: int, sibling: str, _sibling_stat) -> Lab:
    text = _read(Path(path))
    other = (_read(Path(sibling)), Path(sibling).name) if sibling else None
    lab = check_lab_text(text, Path(path).name, other)
    return Lab(**{**lab.__dict__, "path": path})


def _read(path: Path) -> str:
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LabError([f"{name}: cannot be read ({type(error).__name__})"]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise LabError([f"{name}, line {line}: not UTF-8 text"]) from None


def _sibling(path: Path) -> Path | None:
    """The other language's file of the lab in `path` (memory-horizon.zh.yaml beside .en.yaml), if it exists."""
    parts = path.name.split(".")
    if len(parts) != 3 or parts[1] not in LANGUAGES:
        return None
    for language in LANGUAGES:
        if language != parts[1]:
            other = path.with_name(f"{parts[0]}.{language}.yaml")
            if other.is_file() and not other.is_symlink():
                return other
    return None
