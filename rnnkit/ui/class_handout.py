"""The Class page's "Hand out an assignment" form (teachers): a title and an instruction (plain text), the
task, preset, architectures and seeds per student, every setting at the value the class will train with, the
settings students may change (everything else is locked), and an optional deadline. "Hand out" stores it
(`rnnkit.runs.assignments.Assignments.create`, which checks again that the user is a teacher)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import streamlit as st

from rnnkit.config.counts import maximum
from rnnkit.config.options import label_of
from rnnkit.config.run import option_values
from rnnkit.data.presets import build_config, get_preset, preset_names
from rnnkit.data.tasks import task_names
from rnnkit.model.cells import cell_names
from rnnkit.runs.assignment_settings import locked_settings, setting_declarations
from rnnkit.runs.assignments import MAX_INSTRUCTION, MAX_TITLE, AssignmentError, Assignments
from rnnkit.ui import safe
from rnnkit.ui.assignment_form import setting_widget
from rnnkit.ui.auth import current_user
from rnnkit.ui.i18n import _
from rnnkit.ui.session import store
from rnnkit.ui.status import task_title

COLUMNS = 4


def _fill_settings(task: str, preset: str) -> None:
    """Put the preset's values into the settings' widgets (when the task or preset changes)."""
    config = build_config(task, None if preset == "none" else preset)
    values = {"task": option_values(config.task.options), "model": vars(config.model), "train": vars(config.train)}
    for section, item, _declaration in setting_declarations(task):
        st.session_state[f"class_set_{section}_{item.name}"] = values[section][item.name]
    st.session_state["class_filled"] = (task, preset)


def handout_form() -> str | None:
    """The form; returns the new assignment's id when one was handed out."""
    if "class_task" not in st.session_state:
        st.session_state.update({"class_task": "recall", "class_archs": ["rnn", "lstm", "gru"], "class_seeds": 1,
                                 "class_preset": "quick"})
    title = st.text_input(_("Title"), key="class_title", max_chars=MAX_TITLE)
    instruction = st.text_area(_("Instruction for the students (plain text)"), key="class_instruction",
                               max_chars=MAX_INSTRUCTION)
    left, middle, right = st.columns([2, 1, 2])
    task = left.selectbox(_("Task"), task_names(), key="class_task", format_func=lambda name: _(task_title(name)))
    presets = [*preset_names(task), "none"]
    if st.session_state.get("class_preset") not in presets:
        st.session_state["class_preset"] = presets[0]
    preset = middle.selectbox(_("Preset"), presets, key="class_preset",
                              format_func=lambda name: _("none (plain defaults)") if name == "none" else name)
    if preset != "none":
        middle.caption(_(get_preset(task, preset).get("description", "")))
    architectures = right.multiselect(_("Architectures"), cell_names(), key="class_archs")
    seeds = right.number_input(_("Seeds per student"), min_value=1, max_value=maximum("seeds"), step=1,
                               key="class_seeds", help=_("each student trains their own seeds, so the class "
                                                         "together is many seeds of one comparison"))
    if st.session_state.get("class_filled") != (task, preset):
        _fill_settings(task, preset)
    fields = setting_declarations(task)
    names = {f"{section}.{item.name}": section_word(section) + ": " + _(label_of(item))
             for section, item, _declaration in fields}
    open_settings = st.multiselect(_("Settings students may change (all others are locked at the values below)"),
                                   list(names), format_func=names.get, key="class_open")
    overrides: dict[str, dict[str, Any]] = {"task": {}, "model": {}, "train": {}}
    with st.expander(_("Settings the class trains with"), expanded=False):
        columns = st.columns(COLUMNS)
        for index, (section, item, declaration) in enumerate(fields):
            with columns[index % COLUMNS]:
                overrides[section][item.name] = setting_widget(section, item, declaration,
                                                               f"class_set_{section}_{item.name}")
    deadline = _deadline()
    if st.button(_("Hand out"), type="primary", key="class_handout", disabled=not title.strip() or not architectures):
        try:
            locked = locked_settings(task, preset, overrides, open_settings)
            created = Assignments(store().root, current_user()).create(
                title, instruction, task, preset, architectures, int(seeds), locked, open_settings, deadline)
        except (AssignmentError, ValueError) as error:
            safe.error(error)
            return None
        st.success(safe.plain(_("Handed out: {title}. Students find it on Train.").format(title=created.title)))
        return created.assignment_id
    return None


def section_word(section: str) -> str:
    return {"task": _("Data"), "model": _("Model"), "train": _("Training")}[section]


def _deadline() -> float | None:
    """An optional deadline (this server's local time), as seconds since 1970."""
    if not st.toggle(_("Deadline"), key="class_has_deadline"):
        return None
    left, right = st.columns(2)
    day = left.date_input(_("Day"), value=date.today(), key="class_deadline_day")
    hour = right.time_input(_("Time"), value=(datetime.now() + timedelta(hours=1)).time().replace(second=0,
                                                                                                 microsecond=0),
                            key="class_deadline_time")
    return datetime.combine(day, hour if isinstance(hour, time) else time(23, 59)).timestamp()

