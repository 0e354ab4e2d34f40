"""The Train page's class assignment: "Assignment: <title>", the teacher's instruction as plain text, every
setting at the teacher's value (locked ones greyed: disabled widgets), the open ones editable, and one Start
that queues the assignment's group (`rnnkit.runs.assignment_settings.assignment_configs`, tagged with the
assignment). The run store checks the Start (`rnnkit.runs.assignment_check`): what this form shows is a
courtesy, not the rule. A link that names the assignment (`?assignment=ID`) opens it; settings the link
sets (`&model.hidden_size=256`, as the Train page's links do) fill the open ones, and a value it gives a
locked one is said on the page and sent as asked, so the server's refusal names it (a hand-edited request
gets the same answer). The widget builder `setting_widget` is the Class page's too (the teacher's form).
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import streamlit as st

from rnnkit.config.options import kind_of, label_of
from rnnkit.config.run import option_values
from rnnkit.data.presets import build_config
from rnnkit.model.catalog import choices_of
from rnnkit.runs.assignment_check import AssignmentRefused
from rnnkit.runs.assignment_settings import assignment_configs, lockable_settings, setting_declarations
from rnnkit.runs.assignments import Assignment, Assignments, student_seed
from rnnkit.runs.limits import QueueFull, queue_full_message
from rnnkit.ui import safe
from rnnkit.ui.auth import current_user, roster
from rnnkit.ui.i18n import _
from rnnkit.ui.launch import UI_LOG_EVERY_STEPS
from rnnkit.ui.session import store

COLUMNS = 4


def open_assignments() -> list[Assignment]:
    """The assignments a logged-in user may start now (classroom mode only), newest first."""
    user = current_user() if roster() is not None else None
    if user is None:
        return []
    return [found for found in Assignments(store().root, user).list()
            if isinstance(found, Assignment) and found.accepts_starts()]


def setting_widget(section: str, item, declaration, key: str, disabled: bool = False) -> Any:
    """One setting's widget (its declaration's label, help, choices and bounds) under `key`; its value
    is in `st.session_state[key]` already."""
    label, help_text = _(label_of(item)), _(declaration.help)
    choices = choices_of(declaration)
    if choices is not None:
        return st.selectbox(label, choices, key=key, help=help_text, disabled=disabled)
    kind = kind_of(item)
    if kind is bool:
        return st.toggle(label, key=key, help=help_text, disabled=disabled)
    if kind is float:
        st.session_state[key] = float(st.session_state[key])
        low = declaration.minimum if declaration.minimum is not None else declaration.above
        return st.number_input(label, min_value=None if low is None else float(low),
                               max_value=None if declaration.maximum is None else float(declaration.maximum),
                               step=declaration.step, format="%.4g", key=key, help=help_text, disabled=disabled)
    if kind is int:
        low = declaration.minimum if declaration.minimum is not None else (
            int(declaration.above) + 1 if declaration.above is not None else None)
        high = int(declaration.maximum) if declaration.maximum is not None else None
        return st.number_input(label, min_value=low, max_value=high, step=1, key=key, help=help_text,
                               disabled=disabled)
    return st.text_input(label, key=key, help=help_text, disabled=disabled)


def refusal_message(error: AssignmentRefused) -> str:
    """The run store's refusal in the session's language, naming the setting and the teacher's value."""
    details = {name: json.dumps(value, ensure_ascii=False) if name == "value" else value
               for name, value in error.details.items()}
    words = {
        "setting": _("Refused: {setting} is locked by your teacher at {value}. Nothing was started."),
        "architectures": _("Refused: this assignment trains {value}. Nothing was started."),
        "seeds": _("Refused: your seeds for this assignment start at {value}. Nothing was started."),
        "closed": _("Refused: the assignment {title} is closed. Nothing was started."),
        "deadline": _("Refused: the deadline of the assignment {title} has passed. Nothing was started."),
        "unknown": _("Refused: this assignment does not exist; ask your teacher which one is open."),
        "started": _("Refused: you have started this assignment already. You may start it again only when all "
                     "your runs of it have failed or were stopped."),
        "mixed": _("Refused: one Start can belong to one assignment only."),
    }
    return words.get(error.reason, str(error)).format(**details)


def _link_changes(assignment: Assignment) -> dict[str, dict[str, Any]]:
    """The settings a link that names this assignment sets: {section: {name: value}} (unreadable values and
    settings an assignment does not have are left out)."""
    if st.query_params.get("assignment") != assignment.assignment_id:
        return {}
    known = {f"{section}.{name}" for section, name in lockable_settings(assignment.task)}
    changes: dict[str, dict[str, Any]] = {}
    for key, text in st.query_params.to_dict().items():
        if key in known:
            try:
                value = json.loads(text)
            except ValueError:
                continue
            section, name = key.split(".", 1)
            changes.setdefault(section, {})[name] = value
    return changes


def assignment_panel() -> bool:
    """The assignment part of the Train page, when the user has one to start (classroom mode): a chooser,
    then the chosen one's instruction, settings and Start. Returns whether an assignment is chosen."""
    offered = open_assignments()
    if not offered:
        return False
    titles = {found.assignment_id: found.title for found in offered}
    pending = st.session_state.pop("train_assignment_pending", None)  # the Class page's "Open it on Train"
    if pending in titles:
        st.session_state["train_assignment"] = pending
    linked = st.query_params.get("assignment")
    if linked in titles and st.session_state.get("train_assignment_link") != linked:
        st.session_state["train_assignment_link"] = linked  # once per link: the box stays the user's
        st.session_state["train_assignment"] = linked
    if st.session_state.get("train_assignment") not in ("", *titles):
        st.session_state["train_assignment"] = ""
    chosen = st.selectbox(_("Class assignment"), ["", *titles], key="train_assignment",
                          format_func=lambda found: titles.get(found) or _("none: train freely below"))
    if not chosen:
        return False
    _panel(next(found for found in offered if found.assignment_id == chosen))
    return True


def _panel(assignment: Assignment) -> None:
    user = current_user()
    seed = student_seed(assignment.assignment_id, user.name)
    with st.container(border=True):
        st.subheader(safe.plain(_("Assignment: {title}").format(title=assignment.title)))
        if assignment.instruction:
            st.text(assignment.instruction)
        deadline = datetime.fromtimestamp(assignment.deadline).strftime("%Y-%m-%d %H:%M") \
            if assignment.deadline else _("none")
        st.caption(safe.plain(_("Task {task} · preset {preset} · {architectures} · {seeds} seed(s) each · your "
                                "first seed {seed} · deadline {deadline}").format(
            task=assignment.task, preset=assignment.preset, architectures=", ".join(assignment.architectures),
            seeds=assignment.seeds, seed=seed, deadline=deadline)))
        link = _link_changes(assignment)
        changes = _settings_widgets(assignment, link)
        against = sorted(f"{section}.{name}" for section, values in link.items() for name, value in values.items()
                         if name in assignment.locked.get(section, {}) and assignment.locked[section][name] != value)
        if against:
            st.warning(safe.plain(_("This link asks for other values of settings your teacher locked ({names}); "
                                    "Start sends them as the link asks, and the server refuses them. Remove them "
                                    "from the address to use your teacher's values.").format(names=", ".join(against))))
            for name in against:
                section, setting = name.split(".", 1)
                changes.setdefault(section, {})[setting] = link[section][setting]
        if st.button(_("Start the assignment"), type="primary", key="train_assignment_start"):
            _start(assignment, user.name, changes)


def _settings_widgets(assignment: Assignment, link: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every setting: locked ones greyed at the teacher's value, open ones editable (from the link or the
    preset). Returns the open settings' values."""
    config = build_config(assignment.task, None if assignment.preset == "none" else assignment.preset,
                          assignment.locked)
    values = {"task": option_values(config.task.options), "model": vars(config.model), "train": vars(config.train)}
    changes: dict[str, dict[str, Any]] = {}
    fields = setting_declarations(assignment.task)
    with st.expander(_("Settings: greyed ones are locked by your teacher"), expanded=False):
        columns = st.columns(COLUMNS)
        for index, (section, item, declaration) in enumerate(fields):
            key = f"train_assignment_{assignment.assignment_id}_{section}_{item.name}"
            locked = item.name in assignment.locked.get(section, {})
            if locked:
                st.session_state[key] = assignment.locked[section][item.name]
            elif key not in st.session_state:
                st.session_state[key] = link.get(section, {}).get(item.name, values[section].get(item.name))
            with columns[index % COLUMNS]:
                value = _shown(section, item, declaration, key, locked)
            if not locked:
                changes.setdefault(section, {})[item.name] = value
    return changes


def _shown(section: str, item, declaration, key: str, locked: bool) -> Any:
    """The setting's widget; a locked value its widget cannot hold (a hand-edited assignment file) as text."""
    try:
        return setting_widget(section, item, declaration, key, disabled=locked)
    except Exception:  # Streamlit refuses a value outside the widget's options or bounds
        if not locked:
            raise
        st.text_input(_(label_of(item)), value=str(st.session_state.get(key)), disabled=True, key=f"{key}_text")
        return None


def _start(assignment: Assignment, owner: str, changes: dict[str, dict[str, Any]]) -> None:
    changes = {section: dict(values) for section, values in changes.items()}
    changes.setdefault("train", {}).setdefault("log_every_steps", UI_LOG_EVERY_STEPS)  # the class is watching
    try:
        configs = assignment_configs(assignment, owner, changes)
        store().start(configs)
    except AssignmentRefused as error:
        safe.error(refusal_message(error))
        return
    except QueueFull as error:
        safe.error(queue_full_message(error, _))
        return
    except ValueError as error:  # a value out of range
        safe.error(_("Nothing was started: {reason}").format(reason=error))
        return
    except OSError as error:  # no room for the run folders: never the server's paths
        safe.error(_("The run folders could not be written ({reason}); nothing was started.").format(
            reason=error.strerror or type(error).__name__))
        return
    st.session_state["train_watch"] = configs[0].group
