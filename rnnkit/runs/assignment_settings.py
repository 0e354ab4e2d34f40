"""Which settings an assignment can lock, and their values: the teacher's form (task, preset, the settings
they changed) turned into the `locked` table an assignment stores (`rnnkit.runs.assignments`).

Lockable are the settings the Train page shows as widgets for the task (the same declarations: `widget`,
not a path, offered for this task), less the seed, which is each student's own (`student_seed`), plus the
two switches that change what a run is without a widget (`dry_run`, `compile`). Everything the teacher does
not name in `open` is locked at the value the teacher's form gives it. This module loads the task registry
(and with it torch); the run store's check in `rnnkit.runs.assignments` stays light. `assignment_configs`
builds a student's Start of an assignment (the Train page, tests and benchmarks use it).
"""
from __future__ import annotations

import dataclasses
from typing import Any

from rnnkit.config.options import declared
from rnnkit.config.run import ModelConfig, RunConfig, TrainConfig, option_values
from rnnkit.data.presets import build_config
from rnnkit.data.tasks import get_task
from rnnkit.runs import groups
from rnnkit.runs.assignments import Assignment, student_seed
from rnnkit.runs.store import new_group_id

PER_STUDENT = {("train", "seed")}  # never locked, never open: each student's own
HIDDEN_SWITCHES = (("train", "dry_run"), ("train", "compile"))  # no widget, but a different run: locked


def setting_declarations(task_name: str) -> list[tuple[str, Any, Any]]:
    """(section, field, declaration) of the settings an assignment of this task shows: the Train page's
    widgets for the task, less paths and the seed."""
    task = get_task(task_name)
    fields = [("task", item, declaration) for item, declaration in declared(task.Options)]
    for section, part in (("model", ModelConfig), ("train", TrainConfig)):
        fields += [(section, item, declaration) for item, declaration in declared(part)]
    return [(section, item, declaration) for section, item, declaration in fields
            if declaration.widget and not declaration.path and (declaration.when is None or declaration.when(task))
            and (section, item.name) not in PER_STUDENT]


def lockable_settings(task_name: str) -> list[tuple[str, str]]:
    """(section, name) of every setting an assignment of this task locks unless the teacher leaves it open."""
    return [(section, item.name) for section, item, _declaration in setting_declarations(task_name)] \
        + list(HIDDEN_SWITCHES)


def locked_settings(task_name: str, preset: str, overrides: dict[str, dict[str, Any]] | None,
                    open_settings: list[str]) -> dict[str, dict[str, Any]]:
    """{section: {name: value}} of every lockable setting not in `open_settings` ("section.name"), at the
    value the task, the preset and the teacher's `overrides` give it. ValueError for an unknown open setting."""
    lockable = lockable_settings(task_name)
    unknown = sorted(set(open_settings) - {f"{section}.{name}" for section, name in lockable})
    if unknown:
        raise ValueError(f"students cannot be given these settings: {', '.join(unknown)}; valid: "
                         + ", ".join(f"{section}.{name}" for section, name in lockable))
    config = build_config(task_name, None if preset == "none" else preset,
                          {section: {name: value for name, value in values.items() if name != "data_dir"}
                           for section, values in (overrides or {}).items()})
    values = {"task": option_values(config.task.options), "model": dataclasses.asdict(config.model),
              "train": dataclasses.asdict(config.train)}
    locked: dict[str, dict[str, Any]] = {}
    for section, name in lockable:
        if f"{section}.{name}" not in open_settings:
            locked.setdefault(section, {})[name] = values[section][name]
    return locked


def assignment_configs(assignment: Assignment, owner: str, changes: dict[str, dict[str, Any]] | None = None,
                       group: str | None = None) -> list[RunConfig]:
    """The configs of `owner`'s Start of `assignment`, as every face builds them: the teacher's locked values,
    then `changes` (the open settings as the student set them; a change to a locked one is kept, for the run
    store to refuse), `owner`'s own seeds, one group, the threads shared, each config tagged with the assignment."""
    overrides = {section: dict(values) for section, values in assignment.locked.items()}
    for section, values in (changes or {}).items():
        overrides.setdefault(section, {}).update(values)
    overrides.setdefault("train", {})["seed"] = student_seed(assignment.assignment_id, owner)
    configs = groups.group_configs(assignment.task, assignment.preset, list(assignment.architectures), overrides,
                                   seeds=assignment.seeds, group=group or new_group_id())
    tagged = [dataclasses.replace(config, assignment=assignment.assignment_id) for config in configs]
    return groups.share_threads(tagged)
