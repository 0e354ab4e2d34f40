"""Class assignments: what a teacher hands out, kept as files beside the runs, and the run store's check
that a Start of an assignment trains exactly what the teacher asked for.

    <checkpoints root>/.assignments/
        lock                          held while a Start of an assignment checks and creates its runs
        <assignment id>.json          one assignment, written atomically (the teacher's settings, locked)

An assignment names a task, a preset, the architectures, how many seeds each student trains, and the
value of every setting the teacher did not leave open (`locked`: {section: {name: value}}, made by
`rnnkit.runs.assignment_settings.locked_settings`). Each student trains their own seeds, SEED, SEED+1, ...
from `student_seed` (their name and the assignment), so thirty students are thirty independent seeds of
one comparison, and a student's RNN, LSTM and GRU share their data order.

`RunStore.start` checks a Start of an assignment against it before it creates anything
(`rnnkit.runs.assignment_check`).

Only teachers create, close and stop (`require_teacher`, asked here, not only by the page). A file here
can be written by anyone who can write the checkpoints folder: every field is checked when it is read,
and a file that is not an assignment is listed as unreadable (`Unreadable`), never an exception.
"""
from __future__ import annotations

import dataclasses
import re
import secrets
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rnnkit.config.counts import maximum
from rnnkit.core.files import write_json_atomic
from rnnkit.core.jsonl import UnreadableJson, read_json_file
from rnnkit.runs.access import User, normalise_name

FOLDER = ".assignments"
ID_PATTERN = re.compile(r"^a[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$")
MAX_FILE_BYTES = 200_000  # an assignment with every setting locked is about 3 KB
MAX_TITLE = 120
MAX_INSTRUCTION = 2_000
SECTIONS = ("task", "model", "train")
SEED_SPACE = 1_000_000  # a student's first seed lies in [0, SEED_SPACE)


class AssignmentError(ValueError):
    """An assignment is unknown or unreadable, or the request is not allowed (the message says why)."""


@dataclass(frozen=True)
class Assignment:
    assignment_id: str
    title: str  # user text: shown as plain text only
    instruction: str  # user text: shown as plain text only
    task: str
    preset: str  # a preset name, or "none"
    architectures: tuple[str, ...]
    seeds: int  # seeds per student
    locked: dict[str, dict[str, Any]] = field(hash=False)  # {section: {name: the teacher's value}}
    open: tuple[str, ...] = ()  # "section.name" of the settings students may change
    deadline: float | None = None  # seconds since 1970; None: no deadline
    created_by: str = ""
    created_at: float = 0.0
    closed: bool = False

    def past_deadline(self, now: float | None = None) -> bool:
        return self.deadline is not None and (time.time() if now is None else now) > self.deadline

    def accepts_starts(self, now: float | None = None) -> bool:
        return not self.closed and not self.past_deadline(now)

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "architectures": list(self.architectures), "open": list(self.open)}


@dataclass(frozen=True)
class Unreadable:
    """A file in the assignments folder that is not a readable assignment, and what is wrong with it."""
    assignment_id: str
    problem: str


def require_teacher(user: User | None, action: str) -> None:
    """Teachers (and single-user mode, where nobody logs in) may; students may not."""
    if user is not None and not user.is_teacher:
        raise AssignmentError(f"only a teacher can {action}")


def student_seed(assignment_id: str, owner: str) -> int:
    """The first seed of `owner`'s runs of the assignment: fixed by name and assignment, different per student."""
    return zlib.crc32(f"{assignment_id}\0{normalise_name(owner)}".encode()) % SEED_SPACE


def new_assignment_id() -> str:
    return f"a{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


class Assignments:
    """The assignments of one run store root, acting for `user` (None: single-user mode)."""

    def __init__(self, root: str | Path, user: User | None = None) -> None:
        self.folder = Path(root) / FOLDER
        self.user = user

    def create(self, title: str, instruction: str, task: str, preset: str, architectures: list[str], seeds: int,
               locked: dict[str, dict[str, Any]], open_settings: list[str] = (), deadline: float | None = None,
               ) -> Assignment:
        """Hand out a new assignment (teachers only); ValueError saying what is wrong with a field."""
        require_teacher(self.user, "hand out an assignment")
        assignment = Assignment(new_assignment_id(), str(title).strip(), str(instruction).strip(), task, preset,
                                tuple(architectures), seeds, locked, tuple(open_settings), deadline,
                                self.user.name if self.user else "", time.time())
        problem = _problem(assignment.to_dict())
        if problem:
            raise AssignmentError(f"the assignment cannot be handed out: {problem}")
        self._writable_folder()
        write_json_atomic(self.folder / f"{assignment.assignment_id}.json", assignment.to_dict())
        return assignment

    def _writable_folder(self) -> None:
        if self.folder.is_symlink():  # never written through a link planted in the checkpoints folder
            raise AssignmentError("the assignments folder is a symbolic link, which rnnkit does not follow")
        self.folder.mkdir(parents=True, exist_ok=True)

    def list(self) -> list[Assignment | Unreadable]:
        """Every assignment, newest first; a file that is not one as `Unreadable`."""
        if not self.folder.is_dir():
            return []
        found = [self._read(path) for path in self.folder.glob("*.json") if not path.name.startswith(".")]
        return sorted(found, key=lambda item: item.assignment_id, reverse=True)

    def get(self, assignment_id: str) -> Assignment:
        if not isinstance(assignment_id, str) or not ID_PATTERN.match(assignment_id):
            raise AssignmentError(f"no assignment {str(assignment_id)[:80]!r}")
        path = self.folder / f"{assignment_id}.json"
        if not path.exists() and not path.is_symlink():
            raise AssignmentError(f"no assignment {assignment_id}")
        found = self._read(path)
        if isinstance(found, Unreadable):
            raise AssignmentError(f"assignment {assignment_id} cannot be read: {found.problem}")
        return found

    def close(self, assignment_id: str) -> Assignment:
        """No new Starts (runs already going go on); teachers only."""
        require_teacher(self.user, "close an assignment")
        closed = dataclasses.replace(self.get(assignment_id), closed=True)
        self._writable_folder()
        write_json_atomic(self.folder / f"{assignment_id}.json", closed.to_dict())
        return closed

    def _read(self, path: Path) -> Assignment | Unreadable:
        stem = path.name[:-len(".json")] if path.name.endswith(".json") else path.name
        if not ID_PATTERN.match(stem):
            return Unreadable(stem[:80], "its file name is not an assignment id")
        try:
            document = read_json_file(path, MAX_FILE_BYTES)
        except FileNotFoundError:
            return Unreadable(stem, "there is no such assignment")
        except UnreadableJson as error:
            return Unreadable(stem, str(error))
        problem = _problem(document) or ("" if document["assignment_id"] == stem else "its id is not its file's")
        if problem:
            return Unreadable(stem, problem)
        return Assignment(**{**document, "architectures": tuple(document["architectures"]),
                             "open": tuple(document["open"])})


def _problem(document: Any) -> str:
    """What makes `document` no assignment ('' when it is one): every field of its type and range."""
    if not isinstance(document, dict):
        return "it is not a JSON object"
    names = {item.name for item in dataclasses.fields(Assignment)}
    if set(document) != names:
        return "its fields are not an assignment's"
    texts = {"assignment_id": 40, "title": MAX_TITLE, "instruction": MAX_INSTRUCTION, "task": 64, "preset": 64,
             "created_by": 200}
    for name, longest in texts.items():
        if not isinstance(document[name], str) or len(document[name]) > longest:
            return f"its {name} must be a text of at most {longest} characters"
    if not ID_PATTERN.match(document["assignment_id"]):
        return "its assignment_id is not an assignment id"
    if not document["title"]:
        return "it needs a title"
    architectures = document["architectures"]
    if not isinstance(architectures, list) or not architectures or len(architectures) > 16 \
            or not all(isinstance(arch, str) and 0 < len(arch) <= 64 for arch in architectures) \
            or len(set(architectures)) != len(architectures):
        return "its architectures must be a list of distinct names"
    seeds = document["seeds"]
    if not _whole(seeds) or not 1 <= seeds <= maximum("seeds") or len(architectures) * seeds > maximum("runs"):
        return f"its seeds per student must be a whole number from 1 to {maximum('seeds')}"
    locked = document["locked"]
    if not isinstance(locked, dict) or set(locked) - set(SECTIONS) or not all(
            isinstance(values, dict) and all(isinstance(name, str) and _scalar(value) for name, value in values.items())
            for values in locked.values()):
        return "its locked settings must be {section: {name: value}} with plain values"
    opened = document["open"]
    if not isinstance(opened, list) or not all(isinstance(name, str) and len(name) <= 100 for name in opened):
        return "its open settings must be a list of names"
    deadline, created_at = document["deadline"], document["created_at"]
    if deadline is not None and not _number(deadline) or not _number(created_at):
        return "its deadline and creation time must be times"
    if not isinstance(document["closed"], bool):
        return "its closed field must be true or false"
    return ""


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 32_503_680_000


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool, int)) or isinstance(value, float) and value == value
