"""A lab's run steps as run configs, and the runs they made.

    step_configs(lab, step)               the configs of a run step: a comparison group (rnnkit.runs.groups) or
                                          the memory-horizon experiment (recall over T), tagged lab="<lab>/<name>"
    step_configs(..., full=True)          the step's `full` recipe instead (the seed report's own size)
    step_configs(..., adjust={...})       the student's changes, only of what the step lists as `adjustable`
    lab_runs(store, lab, name, owner)     the latest group that run step started for that owner

The recipe of the `full` switch replaces the quick size's preset, seeds, settings (and lengths) where it names
them; settings are not merged with the quick ones (the quick size's smaller data would otherwise carry over).
"""
from __future__ import annotations

import dataclasses
from typing import Any

from rnnkit.analysis.labs.schema import Lab, Step
from rnnkit.analysis.sweep import sweep_configs
from rnnkit.config.run import SECTIONS, RunConfig
from rnnkit.runs.folder import Run, RunError
from rnnkit.runs.groups import group_configs, share_threads
from rnnkit.runs.store import new_group_id

HORIZON_KIND = "horizon"
LENGTH_OPTION = ("task", "sequence_length")
WHOLE_ADJUSTMENTS = ("seeds", "architectures", "lengths")  # besides "<section>.<option>"


def recipe(step: Step, full: bool = False) -> dict[str, Any]:
    """What a run step trains: task, preset, architectures, seeds, settings, experiment, lengths."""
    chosen = {"task": step.task, "preset": step.preset, "architectures": list(step.architectures),
              "seeds": step.seeds, "settings": _copy(step.settings), "experiment": step.experiment,
              "lengths": list(step.lengths)}
    if full:
        if not step.full:
            raise ValueError(f"run step {step.name!r} has no full recipe")
        for key in ("preset", "seeds", "lengths"):
            if key in step.full:
                chosen[key] = step.full[key]
        chosen["settings"] = _copy(step.full.get("settings") or {})
    return chosen


def adjusted(chosen: dict[str, Any], adjust: dict[str, Any] | None, allowed: tuple[str, ...]) -> dict[str, Any]:
    """`chosen` with the student's changes; a change of anything not in `allowed` is refused."""
    for name, value in (adjust or {}).items():
        if name not in allowed:
            raise ValueError(f"{name!r} may not be changed in this step; adjustable: "
                             f"{', '.join(allowed) or 'nothing'}")
        if name in WHOLE_ADJUSTMENTS:
            chosen[name] = list(value) if name != "seeds" else value
        else:
            section, option = name.split(".", 1)
            chosen["settings"].setdefault(section, {})[option] = value
    return chosen


def build_configs(chosen: dict[str, Any], group: str = "", data_dir: str | None = None) -> list[RunConfig]:
    """The configs of a recipe (as `recipe` gives it), checked by the task and the cell registry."""
    settings = _copy(chosen["settings"])
    if data_dir:
        settings.setdefault("task", {})["data_dir"] = str(data_dir)
    group = group or new_group_id()
    seeds = chosen["seeds"]
    if chosen["experiment"] == HORIZON_KIND:
        lengths = sorted(chosen["lengths"])
        if not lengths or any(not isinstance(length, int) or isinstance(length, bool) or length < 2
                              for length in lengths):
            raise ValueError("lengths must be whole numbers of at least 2, e.g. [5, 10, 20, 50, 100, 150]")
        configs = sweep_configs(chosen["task"], chosen["preset"], {LENGTH_OPTION: lengths}, overrides=settings,
                                architectures=list(chosen["architectures"]), seeds=seeds, group=group)
        configs = [dataclasses.replace(config, kind=HORIZON_KIND) for config in configs]
    else:
        configs = group_configs(chosen["task"], chosen["preset"], list(chosen["architectures"]), settings,
                                seeds=seeds, group=group)
    return share_threads(configs)


def step_configs(lab: Lab, step: Step, *, full: bool = False, adjust: dict[str, Any] | None = None,
                 data_dir: str | None = None) -> list[RunConfig]:
    """The configs of run step `step` of `lab`, one group, each tagged lab="<lab id>/<run name>"."""
    if step.kind != "run":
        raise ValueError(f"step {step.index} of lab {lab.id!r} is a {step.kind} step, not a run step")
    chosen = adjusted(recipe(step, full), adjust, step.adjustable)
    tag = lab_tag(lab.id, step.name)
    return [dataclasses.replace(config, lab=tag) for config in build_configs(chosen, data_dir=data_dir)]


def lab_tag(lab_id: str, run_name: str) -> str:
    """RunConfig.lab of the runs a run step starts: '<lab id>/<run name>'."""
    return f"{lab_id}/{run_name}"


def lab_runs(store, lab: Lab | str, run_name: str, owner: str | None = None) -> list[Run]:
    """The runs of the latest group run step `run_name` of `lab` started for `owner` ("" in single-user mode;
    None: anyone's), in the order they were created. Empty when it has started none."""
    tag = lab_tag(lab.id if isinstance(lab, Lab) else lab, run_name)
    groups: dict[str, list[Run]] = {}
    started: dict[str, tuple] = {}  # group -> (its newest run's creation time, run id): the latest group wins
    for run in store.runs():
        try:
            config = run.config()
        except (RunError, ValueError, OSError):
            continue
        if config.lab != tag or (owner is not None and run.owner() != owner):
            continue
        groups.setdefault(config.group, []).append(run)
        key = _created(run)
        started[config.group] = max(started.get(config.group, key), key)
    if not groups:
        return []
    latest = max(started, key=started.get)
    return sorted(groups[latest], key=_created)  # in the order the step built them


def _created(run: Run) -> tuple:
    created = run.info().get("created_at")
    return (created if isinstance(created, (int, float)) else 0.0, run.run_id)


def settable(config: RunConfig, name: str) -> bool:
    """Whether `name` ("seeds", "train.epochs", "task.sequence_length", ...) is something a lab may let a
    student change in a run of `config`'s task."""
    if name in WHOLE_ADJUSTMENTS:
        return True
    section, _dot, option = name.partition(".")
    if section not in SECTIONS or not option:
        return False
    part = config.task.options if section == "task" else getattr(config, section)
    return dataclasses.is_dataclass(part) and option in {item.name for item in dataclasses.fields(part)}


def _copy(settings: dict) -> dict:
    return {section: dict(values) if isinstance(values, dict) else values for section, values in settings.items()}
