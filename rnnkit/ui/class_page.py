"""The Class page's views. Single-user mode: what classroom mode is and how to switch it on. A teacher: the
queue's pause and resume, "Hand out an assignment" (`rnnkit.ui.class_handout`), the assignment to watch, its
live grid (`rnnkit.ui.class_grid`) and the class's result (`rnnkit.ui.class_result`). A student: the open
assignments (each opens on Train) and the class's result of a finished one (closed, or past its deadline),
where every other student is anonymous. Every change is checked again below the page (the assignments
module, the queue and the run store ask who asks)."""
from __future__ import annotations

from datetime import datetime

import streamlit as st

from rnnkit.runs.assignments import Assignment, AssignmentError, Assignments, Unreadable
from rnnkit.runs.class_runs import assignment_runs
from rnnkit.ui import safe, style
from rnnkit.ui.auth import current_user, roster
from rnnkit.ui.class_grid import grid_view
from rnnkit.ui.class_handout import handout_form
from rnnkit.ui.class_result import class_result_view
from rnnkit.ui.i18n import _
from rnnkit.ui.session import store


def single_user_note() -> None:
    st.info(_("This dashboard runs in single-user mode: nobody logs in and there is no class. In classroom mode "
              "students and teachers log in, every run records who started it, and on this page a teacher hands "
              "out assignments, watches the class train live and reads the class's result."),
            icon=":material/groups:")
    st.markdown(_("To switch it on, put a roster in `.streamlit/secrets.toml` (`mode = \"classroom\"` and a "
                  "name and code hash per person), check it with `python -m rnnkit.runs.access check`, and "
                  "restart the dashboard. Step by step: docs/classroom.md, \"Run it for a class\" and "
                  "\"Teaching a class\"."))


def _describe(assignment: Assignment) -> str:
    state = _("closed") if assignment.closed else _("past its deadline") if assignment.past_deadline() \
        else _("open")
    made = datetime.fromtimestamp(assignment.created_at).strftime("%m-%d %H:%M")
    return f"{assignment.title} · {made} · {state}"


def _assignments(user) -> list[Assignment]:
    found = Assignments(store().root, user).list()
    for item in found:
        if isinstance(item, Unreadable):
            st.warning(safe.plain(_("Assignment {id} cannot be read: {problem}").format(
                id=item.assignment_id, problem=item.problem)))
    return [item for item in found if isinstance(item, Assignment)]


def queue_controls(user) -> None:
    queue = store().queue
    paused = queue.paused()
    left, right = st.columns([3, 1])
    if paused:
        left.warning(safe.plain(_("The queue is paused: no waiting group starts (runs that train go on).")),
                     icon=":material/pause:")
        if right.button(_("Resume the queue"), key="class_queue_resume"):
            queue.resume_dispatch(user)
            st.rerun()
    else:
        summary = queue.summary()
        left.caption(_("Queue: {training} run(s) training, {groups} group(s) waiting.").format(
            training=summary["training_runs"], groups=summary["waiting_groups"]))
        if right.button(_("Pause the queue"), key="class_queue_pause"):
            queue.pause(user)
            st.rerun()


def teacher_view() -> None:
    user = current_user()
    queue_controls(user)
    with st.expander(_("Hand out an assignment"), expanded=False):
        created = handout_form()
        if created:
            st.session_state["class_watch"] = created
    found = _assignments(user)
    if not found:
        st.write(_("No assignments yet: hand one out above."))
        return
    ids = [item.assignment_id for item in found]
    if st.session_state.get("class_watch") not in ids:
        st.session_state["class_watch"] = ids[0]
    chosen = st.selectbox(_("Assignment"), ids, key="class_watch",
                          format_func=lambda found_id: _describe(next(a for a in found if a.assignment_id == found_id)))
    assignment = next(item for item in found if item.assignment_id == chosen)
    if assignment.instruction:
        st.text(assignment.instruction)
    if not assignment.closed and st.button(_("Close this assignment (no new starts)"), key="class_close"):
        try:
            Assignments(store().root, user).close(assignment.assignment_id)
        except AssignmentError as error:
            safe.error(error)
        st.rerun()
    if "class_hide_names" not in st.session_state:
        st.session_state["class_hide_names"] = style.projector()  # on the projector, numbers by default
    hide = st.toggle(_("Hide names (numbers instead)"), key="class_hide_names")
    names = list(roster().users) if roster() else []
    students = [name for name in names if roster().users[name][0] == "student"]
    runs = grid_view(assignment, students, hide, class_runs)
    st.divider()
    result_view(assignment, runs, user.name, True, hide)


def student_view() -> None:
    user = current_user()
    found = _assignments(user)
    current = [item for item in found if item.accepts_starts()]
    finished = [item for item in found if not item.accepts_starts()]
    st.subheader(_("Open assignments"))
    if not current:
        st.write(_("No open assignment."))
    for assignment in current:
        with st.container(border=True):
            st.markdown(f"**{safe.plain(assignment.title)}**")
            if assignment.instruction:
                st.text(assignment.instruction)
            if st.button(_("Open it on Train"), key=f"class_open_{assignment.assignment_id}"):
                st.session_state["train_assignment_pending"] = assignment.assignment_id
                st.switch_page("pages/train.py")
    if not finished:
        return
    st.subheader(_("The class's result"))
    titles = {item.assignment_id: item.title for item in finished}
    chosen = st.selectbox(_("Assignment"), list(titles), format_func=titles.get, key="class_result_choice")
    assignment = next(item for item in finished if item.assignment_id == chosen)
    runs = class_runs(assignment)
    result_view(assignment, runs, user.name, False, True)


def result_view(assignment: Assignment, runs, viewer: str, is_teacher: bool, hide_names: bool) -> None:
    """The class's result (rnnkit.ui.class_result); students see every other student anonymous."""
    class_result_view(assignment, runs, viewer_name=viewer, is_teacher=is_teacher, hide_names=hide_names)


def class_runs(assignment: Assignment) -> list:
    """The assignment's runs of the class: a teacher's own Start of it is a preview, not a student's result."""
    teachers = {name for name, (role, _hash) in roster().users.items() if role == "teacher"} if roster() else set()
    return [run for run in assignment_runs(store(), assignment.assignment_id) if run.owner() not in teachers]
