"""The run store's check of a Start that belongs to a class assignment (`rnnkit.runs.assignments`).

`RunStore.start` creates the runs inside `checked_start`: a Start whose configs name an assignment is refused
(`AssignmentRefused`, a ValueError whose message names the setting and the teacher's value; `reason` and
`details` let a face word it in its language) when

    - the assignment is unknown, unreadable, closed or past its deadline;
    - the task, the preset, a locked setting, the architectures or the seeds differ from the assignment's
      (a student trains their own seeds: `student_seed`, SEED to SEED + seeds - 1, each architecture once);
    - this student already has runs of it that are queued, running or completed: one Start per student; a
      student whose runs of it all failed or were stopped may start again (a stopped run can also be resumed).

Teachers may start an assignment as often as they like (a preview). The check and the creation of the folders
hold the assignments' lock, so two clicks of one student cannot both pass. Light: no task registry, no torch.
"""
from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from filelock import FileLock

from rnnkit.config.run import RunConfig, option_values
from rnnkit.runs.access import User
from rnnkit.runs.assignments import FOLDER, Assignment, AssignmentError, Assignments, student_seed

LOCK_WAIT_SECONDS = 10.0
STARTED_STATES = ("queued", "running", "completed")  # a student with runs in these states has started


class AssignmentRefused(ValueError):
    """A Start of an assignment the run store refuses; `reason` and `details` let a face word it."""

    def __init__(self, reason: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.reason, self.details = reason, details


def assignment_of(configs: list[RunConfig]) -> str:
    """The assignment the configs of one Start belong to ('' for none); refused when they mix several."""
    named = {config.assignment for config in configs}
    if len(named) > 1:
        raise AssignmentRefused("mixed", "one Start can belong to one assignment only")
    return next(iter(named), "")


@contextmanager
def checked_start(root: str | Path, user: User | None, configs: list[RunConfig],
                  runs_of: Callable[[str], list[tuple[str, str]]]) -> Iterator[Assignment | None]:
    """The run store's Start of an assignment: checked (`check_start`) and its folders created (the body)
    while the assignments' lock is held, so two clicks of one student cannot both pass. `runs_of(id)` gives
    (owner, state) of the assignment's runs. Configs of no assignment pass at once."""
    if not assignment_of(configs):
        yield None
        return
    folder = Path(root) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / "lock")).acquire(timeout=LOCK_WAIT_SECONDS):
        owner = user.name if user else ""
        yield check_start(Assignments(root, user), configs, owner, runs_of(configs[0].assignment))


def check_start(assignments: Assignments, configs: list[RunConfig], owner: str, others: list[tuple[str, str]],
                now: float | None = None) -> Assignment | None:
    """Refuse (AssignmentRefused) a Start of an assignment that differs from it or may not start now (see the
    docstring of this module). `others`: (owner, state) of the runs of this assignment that exist already."""
    assignment_id = assignment_of(configs)
    if not assignment_id:
        return None
    try:
        assignment = assignments.get(assignment_id)
    except AssignmentError as error:
        raise AssignmentRefused("unknown", f"{error}; ask your teacher which assignment is open") from None
    if assignment.closed:
        raise AssignmentRefused("closed", f"the assignment {assignment.title!r} is closed", title=assignment.title)
    if assignment.past_deadline(now):
        raise AssignmentRefused("deadline", f"the deadline of the assignment {assignment.title!r} has passed",
                                title=assignment.title)
    for config in configs:
        _check_config(assignment, config)
    base = student_seed(assignment.assignment_id, owner)
    wanted = sorted((arch, base + offset) for arch in assignment.architectures for offset in range(assignment.seeds))
    given = sorted((config.model.arch, config.train.seed) for config in configs)
    if [arch for arch, _seed in given] != [arch for arch, _seed in wanted]:
        raise AssignmentRefused("architectures", "this assignment trains " + ", ".join(assignment.architectures)
                                + f" with {assignment.seeds} seed(s) each", value=", ".join(assignment.architectures))
    if given != wanted:
        raise AssignmentRefused("seeds", f"your seeds for this assignment are {base} to {base + assignment.seeds - 1}",
                                value=base)
    teacher = assignments.user is None or assignments.user.is_teacher
    if not teacher and any(other == owner and state in STARTED_STATES for other, state in others):
        raise AssignmentRefused("started", "you have started this assignment already; you may start it again "
                                "only when all your runs of it have failed or were stopped")
    return assignment


def _check_config(assignment: Assignment, config: RunConfig) -> None:
    if config.task.name != assignment.task:
        raise AssignmentRefused("setting", f"this assignment trains the task {assignment.task}",
                                setting="task", value=assignment.task)
    if (config.preset or "none") != assignment.preset:
        raise AssignmentRefused("setting", f"this assignment uses the preset {assignment.preset}",
                                setting="preset", value=assignment.preset)
    values = {"task": option_values(config.task.options), "model": dataclasses.asdict(config.model),
              "train": dataclasses.asdict(config.train)}
    for section, locked in assignment.locked.items():
        for name, value in locked.items():
            if (section, name, value) == ("model", "impl", "auto"):
                continue  # resolved per architecture when the group is built (fused where it exists: same maths)
            if name not in values[section] or values[section][name] != value \
                    or isinstance(value, bool) != isinstance(values[section][name], bool):
                raise AssignmentRefused("setting", f"{section}.{name} is locked by the teacher at {value!r}",
                                        setting=f"{section}.{name}", value=value)
