"""The class's result on the Class page: every student's test score as a dot per architecture (the viewer's
own a star labelled "you"), the mean ± 95 % interval over students, the verdict paired by student in Compare's
words, the runs that failed or were stopped counted apart, the class's gradient flow (median and middle half of
the students), and for a teacher the table of students and the exports (CSV, offline HTML; names can be left
out).

Who sees a name: a teacher, unless `hide_names` (projector mode's default). A student never does: every label
is made by `class_figures.student_frame` with names off, so another student is "student 7", never a name.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from rnnkit.analysis import class_export, class_figures
from rnnkit.analysis.class_results import class_result
from rnnkit.ui import safe
from rnnkit.ui.i18n import _, language
from rnnkit.ui.style import projector


def class_result_view(assignment: Any, runs: list, viewer_name: str | None, is_teacher: bool,
                      hide_names: bool) -> None:
    """The result of `assignment` from `runs` (those of the assignment are picked), as `viewer_name` sees it."""
    result = class_result(assignment, runs)
    show_names = is_teacher and not hide_names  # a student never sees another student's name
    st.subheader(_("The class's result"))
    if not result.students:
        st.info(_("No student has started this assignment yet."))
        return
    st.caption(_("Each dot is one student's test score (the mean of their seeds where they trained several); "
                 "◆ is the mean over students with its 95 % interval."))
    frame = class_figures.student_frame(result, viewer_name, show_names, language())
    if viewer_name and frame["you"].any():
        st.caption(_("Your own score is the star labelled \"you\"; the others are numbered, never named."))
    elif not is_teacher:
        st.caption(_("You have no finished run of this assignment yet; the others are numbered, never named."))
    st.plotly_chart(class_figures.strip_figure(frame, result, language=language(), projector=projector()),
                    key="class_result_strip")
    st.dataframe(class_figures.summary_frame(result, language()), hide_index=True, key="class_result_summary")
    st.markdown("**" + _("Verdict, paired by student") + "**")
    st.caption(class_export.pairing_text(language()))
    for line in class_figures.verdict_lines(result, language()):
        st.text(line)
    for note in class_figures.notes(result, language()):
        st.caption(safe.plain(note))
    if result.flow:
        st.plotly_chart(class_figures.flow_figure(result, language=language(), projector=projector()),
                        key="class_result_flow")
        st.caption(_("From each finished run's last gradient probe (the line Inside shows per run): the line is "
                     "the median over students at each step back, the band the middle half of them."))
    if is_teacher:
        _teacher_section(assignment, result, show_names)


def _teacher_section(assignment: Any, result, show_names: bool) -> None:
    """Every student's row, and the exports (names left out on request; by default when names are hidden)."""
    with st.expander(_("Every student")):
        st.dataframe(class_figures.student_table(result, None, show_names, language()), hide_index=True,
                     key="class_result_students")
    leave_out = st.checkbox(_("leave names out of the exports"), value=not show_names,
                            key="class_result_leave_names_out")
    left, right = st.columns(2)
    left.download_button(_("Download the class's results (CSV)"), class_export.class_csv(result, names=not leave_out),
                         file_name=f"rnnkit-class-{_file_part(result.assignment_id)}.csv", mime="text/csv",
                         key="class_result_csv")
    if right.button(_("Prepare the class report (HTML)"), key="class_result_report",
                    help=_("One file with the class's table, verdict and figures that opens in any browser, "
                           "offline")):
        right.download_button(_("Download the class report (HTML)"),
                              class_export.class_html(assignment, result, names=not leave_out, language=language()),
                              file_name=f"rnnkit-class-{_file_part(result.assignment_id)}.html", mime="text/html",
                              key="class_result_html")


def _file_part(text: str) -> str:
    """An assignment id as part of a file name: letters, digits, '-' and '_' only."""
    return "".join(character if character.isalnum() or character in "-_" else "-" for character in text)[:60] or "class"
