"""Named hyperparameter presets per task, stored as data in `presets.json`.

    quick   a demo that finishes in about a minute on a 2-core CPU
    report  the lab report's own recipe (tasks that have a report)
    best    what measured best on held-out data in reasonable time

A run config is layered: dataclass defaults < preset < the user's explicit choices.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from rnnkit.config import RunConfig

PRESETS_FILE = Path(__file__).with_name("presets.json")
SECTIONS = ("task", "model", "train")


@lru_cache(maxsize=1)
def _all_presets() -> dict[str, dict[str, dict[str, Any]]]:
    return json.loads(PRESETS_FILE.read_text(encoding="utf-8"))


def preset_names(task: str) -> tuple[str, ...]:
    return tuple(_all_presets().get(task, {}))


def get_preset(task: str, name: str) -> dict[str, Any]:
    presets = _all_presets().get(task, {})
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
    """RunConfig from defaults, then `preset`, then `overrides` ({"model": {"arch": "gru"}, ...})."""
    layers: dict[str, dict[str, Any]] = {section: {} for section in SECTIONS}
    layers["task"]["name"] = task
    if preset:
        chosen = get_preset(task, preset)
        for section in SECTIONS:
            layers[section].update(chosen.get(section, {}))
    for section, values in (overrides or {}).items():
        if section not in SECTIONS:
            raise ValueError(f"unknown config section {section!r}; valid: {', '.join(SECTIONS)}")
        layers[section].update({key: value for key, value in values.items() if value is not None})
    return RunConfig.from_dict({**layers, "group": group, "preset": preset or ""})
