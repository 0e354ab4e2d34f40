"""The student's lab report on the Lab page, and the teacher's list of students.

    report_section(session)   "Write my lab report": the report in the lab's language as one offline HTML file
                              and as PDF (WeasyPrint); where the PDF cannot be made, it says so and offers the
                              HTML and Markdown
    teacher_section(lab)      classroom mode, teachers only: every student who opened this lab, where each
                              stands, and each one's report to download (a student never sees another's answers
                              or runs: their page reads only their own progress)

The report itself is `rnnkit.analysis.labs`' (aim, method with the commands that train the runs again, results,
checks, answers, the seed report's numbers beside the student's).
"""
from __future__ import annotations

import streamlit as st

from rnnkit.analysis import labs
from rnnkit.analysis.labs import Lab
from rnnkit.runs.lab_progress import LabProgress
from rnnkit.ui import safe
from rnnkit.ui.auth import current_user, roster
from rnnkit.ui.i18n import _
from rnnkit.ui.lab import LabSession


def build_report(session: LabSession) -> dict[str, bytes | str]:
    """{"html": ..., "pdf": bytes or the reason it failed, "markdown": ...} of the session's lab."""
    lab = session.lab
    answers = dict(session.record["answers"])
    checks = {index: result for index, result in session.checks.items() if not isinstance(result, str)}
    html = labs.report_html(lab, session.runs, answers, checks, lab.language)
    files: dict[str, bytes | str] = {"html": html}
    try:
        files["pdf"] = labs.report_pdf(html)
    except Exception as error:  # noqa: BLE001 - WeasyPrint's own errors (fonts, cairo); the HTML still stands
        files["pdf_error"] = type(error).__name__
        files["markdown"] = labs.report_markdown(lab, session.runs, answers, checks, lab.language)
    return files


def report_section(session: LabSession, key: str = "lab_report") -> None:
    st.subheader(_("Your lab report"))
    st.caption(_("Aim, method (the settings and the commands that train your runs again), your results with their "
                 "figures, the checks, your answers, and the seed report's numbers beside yours, in the lab's "
                 "language."))
    stored = f"{key}_{session.lab.id}_{session.owner}"
    if st.button(_("Write my lab report"), type="primary", key=f"{key}_write"):
        with st.spinner(_("Writing the report ...")):
            try:
                st.session_state[stored] = build_report(session)
            except (ValueError, OSError) as error:
                safe.error(_("The report could not be written: {error}").format(error=error))
                return
    files = st.session_state.get(stored)
    if files:
        downloads(files, f"rnnkit-lab-{session.lab.id}", key)


def downloads(files: dict, name: str, key: str) -> None:
    """Download buttons for a written report (they do not rerun the page)."""
    columns = st.columns(3)
    columns[0].download_button(_("Download the report (HTML)"), files["html"], file_name=f"{name}.html",
                               mime="text/html", key=f"{key}_html", on_click="ignore")
    if "pdf" in files:
        columns[1].download_button(_("Download the report (PDF)"), files["pdf"], file_name=f"{name}.pdf",
                                   mime="application/pdf", key=f"{key}_pdf", on_click="ignore")
        return
    st.warning(_("The PDF could not be made on this server ({reason}); the HTML file holds the same report, "
                 "and the Markdown file is there for editing.").format(reason=safe.plain(files["pdf_error"])))
    columns[2].download_button(_("Download the report (Markdown)"), files["markdown"], file_name=f"{name}.md",
                               mime="text/markdown", key=f"{key}_markdown", on_click="ignore")


def teacher_section(session: LabSession) -> None:
    """Teachers in classroom mode: each student's progress in this lab, and their report."""
    user = current_user()
    if user is None or not user.is_teacher:
        return
    lab = session.lab
    st.subheader(_("Students in this lab"))
    records = {name: LabProgress(session.store.root, name) for name in students(session)}
    records = {name: progress.get(lab.id) for name, progress in records.items() if progress.path(lab.id).is_file()}
    if not records:
        st.caption(_("No student has opened this lab yet."))
        return
    rows = [{_("student"): owner, _("step reached"): _step_text(lab, record.get("step")),
             _("answers"): sum(1 for text in (record.get("answers") or {}).values() if str(text).strip())}
            for owner, record in sorted(records.items())]
    st.dataframe(rows, hide_index=True, key="lab_students")
    chosen = st.selectbox(_("Student"), sorted(records), key=f"lab_student_{lab.id}")
    student = LabSession.of_student(lab, chosen, session.store)
    report_key = f"lab_teacher_report_{chosen}"
    if st.button(_("Write this student's report"), key=f"lab_teacher_write_{lab.id}"):
        with st.spinner(_("Writing the report ...")):
            try:
                st.session_state[report_key] = build_report(student)
            except (ValueError, OSError) as error:
                safe.error(_("The report could not be written: {error}").format(error=error))
                return
    if st.session_state.get(report_key):
        downloads(st.session_state[report_key], f"rnnkit-lab-{lab.id}-{_file_part(chosen)}", f"lab_teacher_{lab.id}")


def students(session: LabSession) -> list[str]:
    """The students of the class: the roster's, and whoever owns a run (a school account's name)."""
    classroom = roster()
    names = {name for name, (role, _hash) in (classroom.users.items() if classroom else []) if role == "student"}
    names |= {run.owner() for run in session.store.runs() if run.owner()}
    teachers = {name for name, (role, _hash) in (classroom.users.items() if classroom else []) if role == "teacher"}
    return sorted(names - teachers)


def _step_text(lab: Lab, reached) -> str:
    total = len(lab.steps)
    if not isinstance(reached, int) or reached < 1:
        return _("not started")
    if reached > total:
        return _("every step done")
    return _("step {step} of {total}").format(step=reached, total=total)


def _file_part(name: str) -> str:
    """A student's name as part of a file name (letters, digits, '-')."""
    return "".join(character if character.isalnum() else "-" for character in name)[:40] or "student"
