"""Start: one background run per chosen architecture, as one comparison group."""
from __future__ import annotations

from rnnkit.cells import get_cell
from rnnkit.launcher import parallel_threads
from rnnkit.presets import build_config
from rnnkit.runs import new_group_id

UI_LOG_EVERY_STEPS = 5  # denser loss points than the CLI default: the class is watching


def start_runs(task: str, preset: str, architectures: list[str], overrides: dict[str, dict]) -> str:
    """Launch one background run per architecture as one group; returns the group id."""
    from rnnkit.ui import store

    if not architectures:
        raise ValueError("choose at least one architecture")
    group = new_group_id()
    overrides = {section: dict(values) for section, values in overrides.items()}
    overrides["train"].setdefault("log_every_steps", UI_LOG_EVERY_STEPS)
    overrides["train"]["num_threads"] = parallel_threads(len(architectures))
    configs = []
    for arch in architectures:
        model = {**overrides["model"], "arch": arch}
        if get_cell(arch).fused_layer is None:  # e.g. the residual LSTM: only the hand-written cells have it
            model["impl"] = "scratch"
        configs.append(build_config(task, None if preset == "none" else preset, {**overrides, "model": model},
                                    group=group))
    store().start(configs)
    return group
