"""The Train page's hyperparameter form, generated from the option declarations.

Every widget comes from an `option(...)` field (`rnnkit.options`): the task's own options, then the
model's and the training's. Its label, help, choices and bounds are the declaration's; a model
option that does not apply to the task (`when`) is not shown. Widget keys are
`train_<section>_<field>` and start from the chosen preset.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from rnnkit.config import ModelConfig, TrainConfig
from rnnkit.options import declared, kind_of, label_of
from rnnkit.presets import build_config, preset_names
from rnnkit.tasks import get_task
from rnnkit.ui.i18n import _
from rnnkit.ui.upload import path_widget

SECTIONS = ("task", "model", "train")
COLUMNS = 4


def section_title(section: str) -> str:
    return {"task": _("Data"), "model": _("Model"), "train": _("Training")}[section]


def _key(section: str, name: str) -> str:
    return f"train_{section}_{name}"


def form_fields(task_name: str) -> list[tuple[str, Any, Any]]:
    """(section, field, declaration) of every widget the form shows for this task."""
    task = get_task(task_name)
    fields = [("task", item, declaration) for item, declaration in declared(task.Options)]
    for section, part in (("model", ModelConfig), ("train", TrainConfig)):
        fields += [(section, item, declaration) for item, declaration in declared(part)]
    return [(section, item, declaration) for section, item, declaration in fields
            if declaration.widget and (declaration.when is None or declaration.when(task))]


def apply_preset() -> None:
    """Fill the form from the chosen task's preset (a widget callback)."""
    task, preset = st.session_state["train_task"], st.session_state.get("train_preset", "none")
    if preset not in (*preset_names(task), "none"):
        preset = preset_names(task)[0] if preset_names(task) else "none"
        st.session_state["train_preset"] = preset
    config = build_config(task, None if preset == "none" else preset)
    parts = {"task": config.task.options, "model": config.model, "train": config.train}
    for section, part in parts.items():
        for name, value in vars(part).items():
            st.session_state[_key(section, name)] = value


def hyperparameter_form(task_name: str) -> dict[str, dict]:
    """Widgets for the task's options, the model and training; returns config overrides."""
    overrides: dict[str, dict] = {"task": {}, "model": {}, "train": {}}
    fields = form_fields(task_name)
    for section in SECTIONS:
        shown = [(item, declaration) for part, item, declaration in fields if part == section]
        if not shown:
            continue
        st.markdown(f"**{section_title(section)}**")
        columns = st.columns(COLUMNS)
        for index, (item, declaration) in enumerate(shown):
            with columns[index % COLUMNS]:
                value = _widget(section, item, declaration)
                if value is not None:
                    overrides[section][item.name] = value
    return overrides


def _widget(section: str, item, declaration):
    key, label, help_text = _key(section, item.name), _(label_of(item)), _(declaration.help)
    if key not in st.session_state:
        apply_preset()
    if declaration.path:
        from rnnkit.access import may_use_server_paths
        from rnnkit.ui.auth import current_user

        return path_widget(key, label, help_text, server_paths=may_use_server_paths(current_user()))
    choices = declaration.valid_choices()
    if choices is not None:
        return st.selectbox(label, choices, key=key, help=help_text)
    kind = kind_of(item)
    if kind is bool:
        return st.toggle(label, key=key, help=help_text)
    if kind is float:
        if isinstance(st.session_state.get(key), int):  # JSON presets may write 0 for 0.0
            st.session_state[key] = float(st.session_state[key])
        low = declaration.minimum if declaration.minimum is not None else declaration.above
        return st.number_input(label, min_value=low, step=declaration.step, format="%.4g", key=key, help=help_text)
    if kind is int:
        low = declaration.minimum if declaration.minimum is not None else (
            int(declaration.above) + 1 if declaration.above is not None else None)
        return st.number_input(label, min_value=low, step=1, key=key, help=help_text)
    return st.text_input(label, key=key, help=help_text) or None
