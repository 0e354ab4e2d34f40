"""How a group of runs is built and how its runs share the machine: the one home of both policies.

    architectures x seeds  ->  one RunConfig per (seed offset, architecture), all in one group
    seed i of every architecture = the configured seed + i: the same split, data order and initialisation

Every face (Train page, `python -m rnnkit train --seeds`, sweeps, the memory-horizon experiment) builds its
groups here, and divides the CPU threads among the runs that train at once here.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from rnnkit.config import RunConfig
from rnnkit.data.presets import build_config, seeded
from rnnkit.model.catalog import check_model_config
from rnnkit.runs.launcher import parallel_threads
from rnnkit.runs.store import new_group_id


def group_configs(task: str, preset: str | None, architectures: list[str] | None,
                  overrides: dict[str, dict[str, Any]] | None = None, *, seeds: int = 1,
                  group: str | None = None, kind: str = "") -> list[RunConfig]:
    """The configs of one comparison group: one run per architecture and seed. `architectures` None (or
    [None]) trains the preset's own architecture; preset None or "none" means the plain defaults. A group
    of more than one run gets a new group id unless `group` names one. Every config is checked by the task
    (its options) and the cell registry (architecture, implementation) before it is returned."""
    if architectures is not None and not architectures:
        raise ValueError("choose at least one architecture")
    if not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 1:
        raise ValueError(f"the number of seeds must be a whole number >= 1, not {seeds!r}")
    archs = list(architectures) if architectures is not None else [None]
    if group is None:
        group = new_group_id() if len(archs) * seeds > 1 else ""
    preset = None if preset in (None, "none") else preset
    overrides = {section: dict(values) for section, values in (overrides or {}).items()}
    configs = []
    for offset in range(seeds):
        for arch in archs:
            model = {**overrides.get("model", {}), **({"arch": arch} if arch else {})}
            config = build_config(task, preset, {**overrides, "model": model}, group=group)
            # an unknown architecture is refused before any folder exists; impl is stored resolved
            config = dataclasses.replace(config, model=check_model_config(config.model))
            configs.append(seeded(dataclasses.replace(config, kind=kind) if kind else config, offset))
    return configs


def share_threads(configs: list[RunConfig]) -> list[RunConfig]:
    """`configs` with the CPU threads divided among them, for runs that train at the same time (so they
    share the cores instead of fighting over them). A run whose threads were set explicitly keeps them."""
    threads = parallel_threads(len(configs))
    return [config if config.train.num_threads else
            dataclasses.replace(config, train=dataclasses.replace(config.train, num_threads=threads))
            for config in configs]
