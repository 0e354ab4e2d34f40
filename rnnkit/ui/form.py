"""The Train page's hyperparameter form, generated from the option declarations.

Every widget comes from an `option(...)` field (`rnnkit.config.options`): the task's own options, then the
model's and the training's. Its label, help, choices and bounds are the declaration's; a model
option that does not apply to the task (`when`) is not shown. Widget keys are
`train_<section>_<field>` and start from the chosen preset.
"""
from __future__ import annotations

import json
from typing import Any

import streamlit as st

from rnnkit.config.counts import maximum
from rnnkit.config.options import declared, kind_of, label_of
from rnnkit.config.run import ModelConfig, TrainConfig
from rnnkit.core.i18n import LANGUAGES, translate
from rnnkit.data.presets import build_config, preset_names
from rnnkit.data.tasks import get_task, task_names
from rnnkit.model.catalog import check_model_config, choices_of
from rnnkit.model.cells import cell_names
from rnnkit.ui.auth import may_use_server_paths
from rnnkit.ui.choices import task_name
from rnnkit.ui.i18n import _
from rnnkit.ui.upload import path_widget

SECTIONS = ("task", "model", "train")
NO_PRESET_LABEL = "none (plain defaults)"  # the preset box's label for "none" (pages/train.py)
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
    """Fill the form from the chosen task's preset (a widget callback). A task or preset box's label
    from before a language switch (see rnnkit.ui.choices) is read as the task or preset it names."""
    task = task_name(st.session_state.get("train_task"), default=task_names()[0])
    preset = st.session_state.get("train_preset", "none")
    if preset in {translate(NO_PRESET_LABEL, code) for code in LANGUAGES}:
        preset = "none"
    for key, value in (("train_task", task), ("train_preset", preset)):
        if st.session_state.get(key) != value:  # only a stale label: a box already drawn this run is valid
            st.session_state[key] = value
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

        return path_widget(key, label, help_text, server_paths=may_use_server_paths())
    choices = choices_of(declaration)  # a catalog's names (e.g. the architectures) included
    if choices is not None:
        return st.selectbox(label, choices, key=key, help=help_text)
    kind = kind_of(item)
    if kind is bool:
        return st.toggle(label, key=key, help=help_text)
    if kind is float:
        if isinstance(st.session_state.get(key), int):  # JSON presets may write 0 for 0.0
            st.session_state[key] = float(st.session_state[key])
        low = declaration.minimum if declaration.minimum is not None else declaration.above
        return st.number_input(label, min_value=_float_or_none(low), max_value=_float_or_none(declaration.maximum),
                               step=declaration.step, format="%.4g", key=key, help=help_text)
    if kind is int:
        low = declaration.minimum if declaration.minimum is not None else (
            int(declaration.above) + 1 if declaration.above is not None else None)
        high = int(declaration.maximum) if declaration.maximum is not None else None
        return st.number_input(label, min_value=low, max_value=high, step=1, key=key, help=help_text)
    return st.text_input(label, key=key, help=help_text) or None


def _float_or_none(bound: float | None) -> float | None:
    """A float widget's bound as a float (streamlit wants every number of one widget of one type)."""
    return None if bound is None else float(bound)


# ------------------------------------------------------------------------------ shareable links
MAX_SEEDS = maximum("seeds")  # the bound every face declares (rnnkit.config.counts): the Train box, links


def share_query(task: str, preset: str, architectures: list[str], seeds: int,
                overrides: dict[str, dict]) -> dict[str, str]:
    """The Train form as URL query parameters: task, preset, architectures, seeds and every setting
    that differs from the preset (JSON values). Paths on the server are never put in a link."""
    base = build_config(task, None if preset == "none" else preset)
    parts = {"task": base.task.options, "model": base.model, "train": base.train}
    paths = {(section, item.name) for section, item, declaration in form_fields(task) if declaration.path}
    params = {"task": task, "preset": preset, "arch": ",".join(architectures)}
    if seeds > 1:
        params["seeds"] = str(seeds)
    for section, values in overrides.items():
        for name, value in values.items():
            if section in parts and (section, name) not in paths and getattr(parts[section], name, None) != value:
                params[f"{section}.{name}"] = json.dumps(value)
    return params


def apply_shared_link(params: dict[str, str]) -> str | None:
    """Fill the Train form from a shared link (once per link); returns what is wrong with a bad one.
    Every value is checked as the form would check it; nothing from the link is run or rendered."""

    if "task" not in params or st.session_state.get("train_link") == params:
        return None
    st.session_state["train_link"] = dict(params)
    task, preset = params["task"], params.get("preset", "none")
    if task not in task_names():
        return _("This link names an unknown task.")
    if preset not in (*preset_names(task), "none"):
        return _("This link names an unknown preset.")
    archs = [arch for arch in params.get("arch", "").split(",") if arch]
    if not archs or any(arch not in cell_names() for arch in archs):
        return _("This link names an unknown architecture.")
    try:
        seeds = int(params.get("seeds", "1"))
    except ValueError:
        seeds = 0
    if not 1 <= seeds <= MAX_SEEDS:
        return _("This link's number of seeds must be between 1 and {limit}.").format(limit=MAX_SEEDS)
    allowed = {(section, item.name): declaration for section, item, declaration in form_fields(task)
               if not declaration.path}
    values: dict[str, dict[str, Any]] = {"task": {}, "model": {}, "train": {}}
    for key, text in params.items():
        if "." not in key:
            continue
        section, name = key.split(".", 1)
        if (section, name) not in allowed:
            return _("This link sets a setting the form does not have.")
        try:
            values[section][name] = json.loads(text)
        except ValueError:
            return _("This link holds a value that cannot be read.")
    try:
        check_model_config(build_config(task, None if preset == "none" else preset, values).model)
    except (ValueError, TypeError) as error:
        return _("This link's settings are not valid: {error}").format(error=error)
    st.session_state.update({"train_task": task, "train_preset": preset, "train_archs": archs, "train_seeds": seeds})
    apply_preset()
    for section, named in values.items():
        for name, value in named.items():
            st.session_state[_key(section, name)] = value
    return None
