"""Start: one background run per chosen architecture, as one comparison group."""
from __future__ import annotations

import dataclasses
import zlib

from rnnkit.data.presets import build_config, seeded
from rnnkit.model.cells import get_cell
from rnnkit.runs.launcher import parallel_threads
from rnnkit.runs.queue import QueueFull
from rnnkit.runs.store import new_group_id
from rnnkit.ui.i18n import _

UI_LOG_EVERY_STEPS = 5  # denser loss points than the CLI default: the class is watching


def group_configs(task: str, preset: str, architectures: list[str], overrides: dict[str, dict],
                  group: str | None = None, seeds: int = 1) -> list:
    """The configs of one comparison group, as Start makes them: one run per architecture and seed
    (seed i of every architecture: the configured seed + i, so the same split, data order and
    initialisation), the threads divided among them, dense loss points for the live view."""
    if not architectures:
        raise ValueError("choose at least one architecture")
    if not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"the number of seeds must be a whole number >= 1, not {seeds!r}")
    group = group or new_group_id()
    overrides = {section: dict(values) for section, values in overrides.items()}
    overrides.setdefault("train", {}).setdefault("log_every_steps", UI_LOG_EVERY_STEPS)
    overrides["train"]["num_threads"] = parallel_threads(len(architectures) * seeds)
    configs = []
    for offset in range(seeds):
        for arch in architectures:
            model = {**overrides.get("model", {}), "arch": arch}
            if get_cell(arch).fused_layer is None:  # e.g. the residual LSTM: only the hand-written cells have it
                model["impl"] = "scratch"
            config = build_config(task, None if preset == "none" else preset, {**overrides, "model": model},
                                  group=group)
            configs.append(seeded(config, offset))
    return configs


def start_runs(task: str, preset: str, architectures: list[str], overrides: dict[str, dict], seeds: int = 1) -> str:
    """Queue one background run per architecture and seed as one group (it starts when there is room);
    returns the group id."""
    from rnnkit.ui import store

    configs = group_configs(task, preset, architectures, overrides, seeds=seeds)
    store().start(configs)
    return configs[0].group


def start_sweep(task: str, preset: str, architectures: list[str], overrides: dict[str, dict], seeds: int,
                grid_lines: list[str], points: int = 0) -> str:
    """Queue a grid of settings (x architectures x seeds) as one group of kind sweep; returns the group id.
    `points` > 0: only that many distinct combinations, drawn at random (random search). The grid's values
    win over the form's; a bad grid line raises ValueError before anything starts."""
    from rnnkit.analysis.sweep import parse_grid, random_configs, sweep_configs
    from rnnkit.ui import store

    if not architectures:
        raise ValueError("choose at least one architecture")
    grid = parse_grid(task, grid_lines)
    layered = {section: {name: value for name, value in values.items() if (section, name) not in grid}
               for section, values in overrides.items()}
    layered.setdefault("train", {}).setdefault("log_every_steps", UI_LOG_EVERY_STEPS)
    group = new_group_id()
    preset = None if preset == "none" else preset
    if points:  # a random search; another group draws other points
        configs = random_configs(task, preset, grid, points, layered, architectures, seeds, group,
                                 seed=zlib.crc32(group.encode()))
    else:
        configs = sweep_configs(task, preset, grid, layered, architectures, seeds, group)
    threads = parallel_threads(len(configs))
    configs = [dataclasses.replace(config, train=dataclasses.replace(config.train, num_threads=threads))
               for config in configs]
    store().start(configs)
    return group


def queue_full_message(error: QueueFull) -> str:
    """Why this Start was refused by the queue, in the session's language."""
    if error.reason == "disk":
        return _("You use {count} MB of your {limit} MB of disk. Delete some of your runs (Compare, "
                 "Delete runs) before starting new ones.").format(count=error.count, limit=error.limit)
    if error.reason == "group_size":
        return _("A group may have at most {limit} runs; this one has {count}.").format(
            limit=error.limit, count=error.count)
    return _("You already have {count} group(s) waiting in the queue (at most {limit}). Wait until one "
             "starts, or stop one.").format(count=error.count, limit=error.limit)
