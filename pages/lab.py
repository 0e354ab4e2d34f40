"""Lab: a guided lab step by step (read, run, look, check, question), progress saved for the student, and at
the end the student's own lab report (HTML and PDF). A teacher in classroom mode also sees the students."""
import streamlit as st

from rnnkit import ui
from rnnkit.ui import lab_report, lab_steps
from rnnkit.ui.i18n import _
from rnnkit.ui.lab import LabSession, owner_key, pick_lab, progress_bar

ui.require_entry_point("lab")

st.title(_("Lab"))
lab = pick_lab()  # ?lab=ID opens a lab; the box lists them, titled in the session's language
if lab is None:
    st.stop()
session = LabSession.open(lab, owner_key())  # yours: your name in a class, else this browser's
if session.record.get("warning"):  # a damaged progress file reads as a fresh start
    st.warning(_("Your saved progress in this lab could not be read, so it starts afresh."))
st.header(ui.safe.plain(lab.title), anchor=False)
st.caption(_("About {minutes} min on this computer at the quick size.").format(minutes=lab.minutes))
st.markdown("**" + _("Aim") + "**")
st.text(lab.aim)
with st.expander(_("Background")):
    st.text(lab.background)
if lab.source:  # the seed lab report this lab reproduces
    st.caption(ui.safe.plain(_("Reproduces the {year} lab report {report}: {recipe}").format(
        year=lab.source.get("year", ""), report=lab.source.get("report", ""), recipe=lab.source.get("recipe", ""))))
progress_bar(session)
for step in lab.steps:
    lab_steps.show_step(session, step)
lab_report.report_section(session)
lab_report.teacher_section(session)
