"""The teacher's live grid of an assignment: one row per run of each roster student (a name, or a number
when names are hidden), "not started" for those without runs, each run's state, epoch, best validation score
and queue position; and the teacher's Stop for one student or the whole class. One read of the run store and
one dataframe per refresh (`rnnkit.runs.class_runs.grid_rows`), in a fragment that reruns every few seconds
while the assignment is open or its runs train, and reruns the page once when the runs have all ended (so the
class result below appears)."""
from __future__ import annotations

from typing import Callable

import pandas as pd
import streamlit as st

from rnnkit.analysis.class_results import anonymous_order
from rnnkit.runs.assignments import Assignment, AssignmentError
from rnnkit.runs.class_runs import NOT_STARTED, grid_rows, stop_runs
from rnnkit.runs.folder import ACTIVE_STATES, Run, RunError
from rnnkit.ui import safe
from rnnkit.ui.i18n import _
from rnnkit.ui.labels import format_score, state_word
from rnnkit.ui.session import store

REFRESH_SECONDS = 3.0


def shown_names(assignment: Assignment, rows: list[dict], hide_names: bool) -> dict[str, str]:
    """name -> what the screen shows: the name, or "student N" when names are hidden, numbered as the class's
    result numbers them (`anonymous_order`: by a hash, never the roster's order), those not started after."""
    started = {row["student"] for row in rows if row["run"]}
    waiting = [row["student"] for row in rows if not row["run"]]
    if not hide_names:
        return {name: name for name in [*started, *waiting]}
    order = anonymous_order(assignment.assignment_id, started) + waiting
    return {name: _("student {number}").format(number=number) for number, name in enumerate(order, start=1)}


def grid_frame(assignment: Assignment, rows: list[dict], hide_names: bool) -> pd.DataFrame:
    """The grid's rows as one dataframe with headers and states in the session's language."""
    names = shown_names(assignment, rows, hide_names)
    return pd.DataFrame({
        _("Student"): [names[row["student"]] for row in rows],
        _("Architecture"): [row["architecture"] for row in rows],
        _("State"): [_("not started") if row["state"] == NOT_STARTED else state_word(row["state"]) for row in rows],
        _("Epoch"): [f"{row['epoch']} / {row['epochs']}" if row["epochs"] else "" for row in rows],
        _("Best validation"): [format_score(row["monitor"], row["best_validation"]) if row["run"] else ""
                               for row in rows],
        _("Queue position"): [str(row["queue_position"]) if row["queue_position"] else "" for row in rows],
    })


def grid_view(assignment: Assignment, roster: list[str], hide_names: bool,
              runs_of: Callable[[Assignment], list[Run]]) -> list[Run]:
    """The live grid and the Stop controls; `runs_of` reads the assignment's runs (one read of the run store).
    Returns the runs as the page read them."""
    runs = runs_of(assignment)
    active = sum(run.status().get("state") in ACTIVE_STATES for run in runs)
    live = active > 0 or assignment.accepts_starts()

    @st.fragment(run_every=REFRESH_SECONDS if live else None)
    def panel() -> None:
        run_store = store()
        run_store.queue.dispatch()  # a run that ended leaves room: the next waiting group starts
        now = runs_of(assignment)
        rows = grid_rows(run_store, assignment, roster, now)
        still = sum(row["state"] in ACTIVE_STATES for row in rows)
        if (still == 0) != (active == 0) or len(now) != len(runs):
            st.rerun()  # started or ended: the whole page again (the class result follows the runs)
        started = sorted({row["student"] for row in rows if row["run"]})
        st.caption(_("{started} of {students} students started · {training} run(s) queued or training").format(
            started=len(started), students=len(set(roster) | set(started)), training=still))
        st.dataframe(grid_frame(assignment, rows, hide_names), hide_index=True, width="stretch",
                     key=f"class_grid_{assignment.assignment_id}")
        _stop_controls(assignment, rows, hide_names)

    panel()
    return runs


def _stop_controls(assignment: Assignment, rows: list[dict], hide_names: bool) -> None:
    going = sorted({row["student"] for row in rows if row["state"] in ACTIVE_STATES})
    if not going:
        return
    names = shown_names(assignment, rows, hide_names)
    left, middle, right = st.columns([2, 1, 2])
    student = left.selectbox(_("Student"), going, format_func=names.get, key="class_stop_student")
    if middle.button(_("Stop this student's runs"), key="class_stop_one"):
        _stop(assignment, student)
    sure = right.checkbox(_("Yes, stop every run of this assignment"), key="class_stop_sure")
    if right.button(_("Stop all"), key="class_stop_all", disabled=not sure):
        _stop(assignment, None)


def _stop(assignment: Assignment, student: str | None) -> None:
    try:
        count = stop_runs(store(), assignment.assignment_id, student)
    except (AssignmentError, RunError) as error:
        safe.error(error)
        return
    st.success(_("Asked {count} run(s) to stop; each stops within one batch.").format(count=count))
