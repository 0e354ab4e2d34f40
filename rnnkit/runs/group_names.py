"""Names people read for groups: "recall · rnn/lstm/gru · 08:01" instead of "g20261205-080152-e012".

The group id stays what folders, URLs, queue entries and the command line use; the label is only what
people read. By default it is made from the group's content and start time (`default_label`); the owner
of its runs or a teacher can give it another (`rename_group`), kept in the run store beside the queue:

    <root>/.groups/<group id>.json      {"label": "Tuesday: why LSTMs remember"}

A label is user text: it is stored as given (spaces collapsed, at most MAX_LABEL_CHARACTERS, no control
characters) and the dashboard shows it as plain text, never as markup.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from rnnkit.core.files import write_json_atomic
from rnnkit.core.jsonl import UnreadableJson, read_json_file
from rnnkit.runs.access import User, may_change
from rnnkit.runs.folder import RUN_ID_PATTERN, Run, RunError

GROUPS_FOLDER = ".groups"
MAX_LABEL_CHARACTERS = 80
MAX_FILE_BYTES = 10_000
GROUP_ID_TIME = re.compile(r"^g(\d{8}-\d{6})-")  # new_group_id(): g20261205-080152-e012
RUN_ID_TIME = re.compile(r"^(\d{8}-\d{6})-")  # RunStore.create: 20261205-080152-recall-lstm-9f3a


def default_label(runs: list[Run], group: str = "", today: date | None = None) -> str:
    """'recall · rnn/lstm/gru · 08:01': the tasks, the architectures (in the order they were chosen: the order
    their runs were created) and the start time (with the date when it was not `today`) of `runs`, the runs
    of one group. Worked out once per set of runs (a run's config does not change)."""
    today = today or date.today()
    key = (group, today, tuple(sorted(str(run.path) for run in runs)))
    if key not in _DEFAULT_LABELS:
        if len(_DEFAULT_LABELS) > 4096:
            _DEFAULT_LABELS.clear()
        _DEFAULT_LABELS[key] = _default_label(runs, group, today)
    return _DEFAULT_LABELS[key]


_DEFAULT_LABELS: dict[tuple, str] = {}


def _default_label(runs: list[Run], group: str, today: date) -> str:
    tasks: list[str] = []
    archs: list[str] = []
    for run in sorted(runs, key=_created):
        try:
            config = run.config()
        except RunError:
            continue
        if config.task.name not in tasks:
            tasks.append(config.task.name)
        if config.model.arch not in archs:
            archs.append(config.model.arch)
    parts = ["/".join(tasks), "/".join(archs)]
    started = _start_time(group, runs)
    if started is not None:
        parts.append(f"{started:%H:%M}" if started.date() == today else f"{started:%Y-%m-%d %H:%M}")
    return " · ".join(part for part in parts if part) or group


def group_labels(runs: Iterable[Run], root: Path, today: date | None = None) -> dict[str, str]:
    """group id -> the label people read, for every group of `runs` (all the runs of each group, so a label
    says the whole group's content), newest group first. Two groups that would read the same get the end
    of their id added, so a picker tells them apart."""
    members: dict[str, list[Run]] = {}
    for run in runs:
        try:
            group = run.config().group
        except RunError:
            continue
        if group:
            members.setdefault(group, []).append(run)
    labels = {group: stored_label(root, group) or default_label(found, group, today)
              for group, found in members.items()}
    counts: dict[str, int] = {}
    for label in labels.values():
        counts[label] = counts.get(label, 0) + 1
    return {group: f"{label} · {group[-4:]}" if counts[label] > 1 else label for group, label in labels.items()}


def stored_label(root: Path, group: str) -> str:
    """The label a person gave the group, or '' (none, or a file that is not one)."""
    path = _label_path(root, group)
    if path is None:
        return ""
    try:
        document = read_json_file(path, MAX_FILE_BYTES)
    except (FileNotFoundError, UnreadableJson):
        return ""
    label = document.get("label") if isinstance(document, dict) else None
    return clean_label(label) if isinstance(label, str) else ""


def rename_group(root: Path, group: str, label: str, runs: list[Run], user: User | None) -> str:
    """Give the group `label` ('' goes back to the default); only who may change every one of its runs (their
    owner, a teacher; anyone in single-user mode). Returns the label as stored."""
    if not runs:
        raise RunError(f"no runs in group {group!r}")
    if not all(may_change(user, run.owner()) for run in runs):
        raise RunError("only the owner of the group's runs or a teacher can rename it")
    path = _label_path(root, group)
    if path is None:
        raise RunError(f"group {group!r} cannot be renamed: its id is not a plain name")
    cleaned = clean_label(label)
    if not cleaned:
        path.unlink(missing_ok=True)
        return ""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, {"label": cleaned, "renamed_at": time.time(), "by": user.name if user else ""})
    return cleaned


def forget_group(root: Path, group: str) -> None:
    """Remove a group's label (its last run was deleted)."""
    path = _label_path(root, group)
    if path is not None:
        path.unlink(missing_ok=True)


def clean_label(label: str) -> str:
    """`label` with control characters dropped, spaces collapsed and at most MAX_LABEL_CHARACTERS."""
    printable = "".join(character if character.isprintable() else " " for character in label)
    return " ".join(printable.split())[:MAX_LABEL_CHARACTERS].strip()


def _label_path(root: Path, group: str) -> Path | None:
    if not isinstance(group, str) or not RUN_ID_PATTERN.match(group) or ".." in group:
        return None
    return Path(root) / GROUPS_FOLDER / f"{group}.json"


def _created(run: Run) -> tuple[float, str]:
    """When the run was created (config.json's run.created_at), to keep the order its architectures were
    chosen in; run ids of one second alone would sort them by name."""
    created = run.info().get("created_at")
    return (created if isinstance(created, (int, float)) and not isinstance(created, bool) else 0.0, run.run_id)


def _start_time(group: str, runs: list[Run]) -> datetime | None:
    """When the group started: from its id (new_group_id), else from its earliest run's id."""
    found = GROUP_ID_TIME.match(group) or min((match for match in (RUN_ID_TIME.match(run.run_id) for run in runs)
                                               if match), key=lambda match: match.group(1), default=None)
    if found is None:
        return None
    try:
        return datetime.strptime(found.group(1), "%Y%m%d-%H%M%S")
    except ValueError:
        return None
