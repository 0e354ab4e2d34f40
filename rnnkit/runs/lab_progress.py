"""Where each student is in each guided lab: the furthest step reached, the answers, and the group each run
step started, kept beside the run folders so it survives a reload and a server restart.

    <checkpoints root>/.labs/<owner folder>/<lab id>.json     {"step": 3, "answers": {...}, "groups": {...}}

    progress = LabProgress(store.root, owner_key)    owner_key: the student's name in classroom mode, else the
    progress.get("memory-horizon")                   browser's own random id
    progress.save("memory-horizon", {...})           written atomically; only the known fields, checked

An owner key that is a plain file name (letters, digits, '_', '.', '-') is its folder's name; any other (a name
with spaces or in Chinese) is replaced by its hash, so no key reaches outside `.labs`. A file that cannot be read
(damaged, hostile, a link) reads as no progress, with a `warning` saying so, never as an error.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from rnnkit.core.files import write_json_atomic
from rnnkit.core.jsonl import UnreadableJson, read_json_file

FOLDER = ".labs"
LAB_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")  # as rnnkit.analysis.labs.schema.NAME_PATTERN
PLAIN_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_KEY_LENGTH = 256
MAX_ANSWER_LENGTH = 20_000  # characters of one answer: a few pages
MAX_ENTRIES = 200  # answers or groups of one lab
MAX_FILE_BYTES = 2_000_000


def empty_progress() -> dict[str, Any]:
    """No step done: `step` is the furthest step reached (1-based), `answers` {question id: text},
    `groups` {run step name: group id}."""
    return {"step": 1, "answers": {}, "groups": {}}


def owner_folder(owner_key: str) -> str:
    """The folder name of `owner_key` under `.labs` (ValueError for an empty or far too long key)."""
    if not isinstance(owner_key, str) or not owner_key.strip() or len(owner_key) > MAX_KEY_LENGTH:
        raise ValueError("a lab progress needs an owner: a student's name or the browser's id (1 to 256 characters)")
    if PLAIN_KEY.match(owner_key) and ".." not in owner_key:
        return owner_key
    return "h-" + hashlib.sha256(owner_key.encode("utf-8")).hexdigest()[:24]


def checked(data: Any) -> dict[str, Any]:
    """`data` as a progress: the known fields of the right types (ValueError naming what is wrong)."""
    if not isinstance(data, dict):
        raise ValueError("a lab progress is a mapping of step, answers and groups")
    unknown = set(data) - {"step", "answers", "groups"}
    if unknown:
        raise ValueError(f"unknown lab progress fields: {', '.join(sorted(map(str, unknown)))}")
    progress = empty_progress()
    step = data.get("step", 1)
    if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= 10_000:
        raise ValueError("a lab progress's step is a whole number from 1")
    progress["step"] = step
    for field, limit in (("answers", MAX_ANSWER_LENGTH), ("groups", 64)):
        values = data.get(field, {})
        if not isinstance(values, dict) or len(values) > MAX_ENTRIES:
            raise ValueError(f"a lab progress's {field} map names to texts (at most {MAX_ENTRIES})")
        for key, value in values.items():
            if not isinstance(key, str) or not LAB_ID.match(key) or not isinstance(value, str) or len(value) > limit:
                raise ValueError(f"a lab progress's {field}: each name is [a-z0-9-]+ and each text at most "
                                 f"{limit:,} characters")
        progress[field] = dict(values)
    return progress


class LabProgress:
    """One owner's progress in every lab, under `root` (the run store's root)."""

    def __init__(self, root: str | os.PathLike, owner_key: str) -> None:
        self.folder = Path(root) / FOLDER / owner_folder(owner_key)

    def path(self, lab_id: str) -> Path:
        if not isinstance(lab_id, str) or not LAB_ID.match(lab_id):
            raise ValueError("a lab id is lower-case letters, digits and '-'")
        return self.folder / f"{lab_id}.json"

    def get(self, lab_id: str) -> dict[str, Any]:
        """The saved progress in `lab_id`; none saved: `empty_progress()`. An unreadable file: the empty progress
        with a `warning` (text) added, which the page shows."""
        path = self.path(lab_id)
        try:
            return checked(read_json_file(path, MAX_FILE_BYTES))
        except FileNotFoundError:
            return empty_progress()
        except (UnreadableJson, ValueError, RecursionError) as error:
            reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
            return {**empty_progress(), "warning": f"the saved progress of lab {lab_id} could not be read "
                                                   f"({reason}); starting afresh"}

    def save(self, lab_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """Write `data` (checked; a `warning` key is dropped) as the progress in `lab_id`; returns what was saved."""
        path = self.path(lab_id)
        progress = checked({key: value for key, value in data.items() if key != "warning"})
        if any(part.is_symlink() for part in (self.folder.parent, self.folder, path)):
            raise ValueError("the lab progress folder is a symbolic link, which rnnkit does not follow")
        self.folder.mkdir(parents=True, exist_ok=True)
        write_json_atomic(path, progress)
        return progress
