"""Choice widgets with translated labels across a language switch.

A select box (radio, segmented control) holds a stable value (a task name such as `recall`) and shows
it through `format_func` in the session's language. Streamlit, though, sends a choice from the browser
back as its *label*, and the browser keeps the label it has until the server sends a new value:

    English page   value recall  <->  label "Recall (synthetic): ..."
    switch to 中文  the browser still holds "Recall (synthetic): ..."; the next click sends it, which
                   is none of the Chinese labels, so Streamlit hands the label itself back as the value
                   and `get_task("Recall (synthetic): ...")` fails

`relabel` (called before the widgets, on every run) re-sends their values once after each language
switch, so the browser holds labels in the new language; `task_name` turns a stale label back into
the task's name where one slipped through.
"""
from __future__ import annotations

import streamlit as st

from rnnkit.core.i18n import LANGUAGES, translate
from rnnkit.data.tasks import get_task, task_names
from rnnkit.ui.i18n import language


def relabel(*keys: str) -> None:
    """After a language switch, set each of these widgets' session values again (the same values), so
    Streamlit sends them to the browser with labels in the new language. Call before the widgets."""
    for key in keys:
        marker = f"{key}__language"
        if st.session_state.get(marker) == language():
            continue
        st.session_state[marker] = language()
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def task_name(value: object, default: str) -> str:
    """`value` as a task name: itself when it is one, the task whose title (in any language) it is, else
    `default`."""
    if value in task_names():
        return str(value)
    for name in task_names():
        if any(value == translate(get_task(name).title, code) for code in LANGUAGES):
            return name
    return default
