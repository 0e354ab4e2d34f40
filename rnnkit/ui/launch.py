"""Start: one background run per chosen architecture, as one comparison group."""
from __future__ import annotations

from rnnkit.cells import get_cell
from rnnkit.launcher import parallel_threads
from rnnkit.presets import build_config
from rnnkit.runs import new_group_id
from rnnkit.scheduler import QueueFull
from rnnkit.ui.i18n import _

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


def queue_full_message(error: QueueFull) -> str:
    """Why this Start was refused by the queue, in the session's language."""
    if error.reason == "group_size":
        return _("A group may have at most {limit} runs; this one has {count}.").format(
            limit=error.limit, count=error.count)
    return _("You already have {count} group(s) waiting in the queue (at most {limit}). Wait until one "
             "starts, or stop one.").format(count=error.count, limit=error.limit)
