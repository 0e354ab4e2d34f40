"""The runs of a class assignment: which they are, where each stands (the teacher's live grid), and the
teacher's Stop for one student or the whole class. One read of the run store per call.

    grid_rows(store, assignment, roster)  ->  one row per (student, run), and one "not started" row for
                                             each roster student without runs: state, epoch, best
                                             validation score, queue position

Stopping goes through `RunStore.stop`, so the store's owner-or-teacher check applies to every run; on top
of it, stopping others' runs through here is for teachers only (`require_teacher`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rnnkit.runs.assignments import Assignment, require_teacher
from rnnkit.runs.documents import read_object
from rnnkit.runs.folder import ACTIVE_STATES, Run, RunError

if TYPE_CHECKING:
    from rnnkit.runs.store import RunStore

NOT_STARTED = "not started"


def assignment_runs(store: "RunStore", assignment_id: str) -> list[Run]:
    """The runs that name this assignment in their config, newest first."""
    return [run for run in store.runs() if read_object(run.config_path).get("assignment") == assignment_id]


def stop_runs(store: "RunStore", assignment_id: str, student: str | None = None) -> int:
    """Stop every queued or running run of the assignment (only `student`'s, when given): teachers only.
    Returns how many were asked to stop now (a run asked before, still finishing its batch, is not counted)."""
    require_teacher(store.user, "stop the class's runs")
    stopped = 0
    for run in assignment_runs(store, assignment_id):
        if student is not None and run.owner() != student:
            continue
        if run.status().get("state") in ACTIVE_STATES and not run.stop_requested():  # asked once is enough
            try:
                store.stop(run.run_id)
            except RunError:  # it ended between the look and the stop
                continue
            stopped += 1
    return stopped


def grid_rows(store: "RunStore", assignment: Assignment, roster: list[str], runs: list[Run] | None = None,
              ) -> list[dict[str, Any]]:
    """The teacher's grid: a row per run of the assignment (student, architecture, seed, state, epoch / epochs,
    best validation score, queue position) and a "not started" row per roster student without one; students
    in roster order, then anyone else who started it. `runs`: the assignment's runs, if already read."""
    runs = assignment_runs(store, assignment.assignment_id) if runs is None else runs
    positions = store.queue.positions()
    rows: list[dict[str, Any]] = []
    for run in reversed(runs):  # oldest first: a student's group in the order it was started
        status = run.status()
        epochs = run.metrics("epoch")
        best = epochs[-1].get("best_value") if epochs else None
        try:
            config = run.config()
            arch, seed, total = config.model.arch, config.train.seed, config.train.epochs
        except RunError:
            arch, seed, total = "?", None, None
        rows.append({"student": run.owner(), "run": run.run_id, "architecture": arch, "seed": seed,
                     "state": status.get("state", "queued"), "epoch": epochs[-1]["epoch"] if epochs else 0,
                     "epochs": total, "monitor": epochs[-1]["monitor"] if epochs else "",
                     "best_validation": best if isinstance(best, (int, float)) and not isinstance(best, bool)
                     else None, "queue_position": positions.get(run.run_id)})
    started = {row["student"] for row in rows}
    rows += [{"student": name, "run": "", "architecture": "", "seed": None, "state": NOT_STARTED, "epoch": 0,
              "epochs": None, "monitor": "", "best_validation": None, "queue_position": None}
             for name in roster if name not in started]
    order = {name: index for index, name in enumerate(roster)}
    rows.sort(key=lambda row: (order.get(row["student"], len(order)), row["student"]))  # stable: runs keep order
    return rows

