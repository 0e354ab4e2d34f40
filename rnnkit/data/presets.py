"""Named hyperparameter presets. Each task keeps its own in `rnnkit/data/tasks/presets/<task>.json`:

    quick   a demo that finishes in about a minute on a 2-core CPU
    report  the lab report's own recipe (tasks that have a report)
    best    what measured best on held-out data in reasonable time

A run config is layered: dataclass defaults < preset < the user's explicit choices. In presets and
overrides the "task" section holds the task's own options (plus `data_dir`).
"""
from __future__ import annotations

import dataclasses
from typing import Any

from rnnkit.config.run import RunConfig
from rnnkit.data.tasks import get_task, resolve

SECTIONS = ("task", "model", "train")


def preset_names(task: str) -> tuple[str, ...]:
    return tuple(get_task(task).presets())


def get_preset(task: str, name: str) -> dict[str, Any]:
    presets = get_task(task).presets()
    if name not in presets:
        valid = ", ".join(presets) or "none"
        raise ValueError(f"unknown preset {name!r} for task {task!r}; valid: {valid}")
    return presets[name]


def build_config(
    task: str,
    preset: str | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    group: str = "",
) -> RunConfig:
    """RunConfig from defaults, then `preset`, then `overrides` ({"model": {"arch": "gru"}, ...}), its task
    options checked by the task (a config built here is resolved)."""
    layers: dict[str, dict[str, Any]] = {section: {} for section in SECTIONS}
    if preset:
        chosen = get_preset(task, preset)
        for section in SECTIONS:
            layers[section].update(chosen.get(section, {}))
    for section, values in (overrides or {}).items():
        if section not in SECTIONS:
            raise ValueError(f"unknown config section {section!r}; valid: {', '.join(SECTIONS)}")
        layers[section].update({key: value for key, value in values.items() if value is not None})
    task_section = dict(layers["task"])
    data_dir = task_section.pop("data_dir", None)
    document = {"task": {"name": task, "data_dir": data_dir, "options": task_section},
                "model": layers["model"], "train": layers["train"], "group": group, "preset": preset or ""}
    return resolve(RunConfig.from_dict({"version": 2, **document}))


def seeded(config: RunConfig, offset: int) -> RunConfig:
    """`config` with its seed moved on by `offset`: seed i of a multi-seed group (every architecture's
    run i then has the same split, data order and initialisation)."""
    if not offset:
        return config
    return dataclasses.replace(config, train=dataclasses.replace(config.train, seed=config.train.seed + offset))
