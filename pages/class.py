"""Class: classroom mode's teaching page. A teacher hands out assignments, watches the class train in one live
grid (pause the queue, stop a student's runs) and reads the class's result; a student sees the open
assignments and, once one is finished, the class's result with every other student anonymous. In single-user
mode the page says what classroom mode is and how to switch it on."""
import streamlit as st

from rnnkit import ui
from rnnkit.ui import class_page
from rnnkit.ui.auth import current_user, roster
from rnnkit.ui.i18n import _

ui.require_entry_point("class")
st.title(_("Class"))
if roster() is None:
    class_page.single_user_note()
elif current_user().is_teacher:
    class_page.teacher_view()
else:
    class_page.student_view()
