"""Start: one background run per chosen architecture and seed, as one comparison group; and a sweep.

How a group is built and how its runs share the threads is `rnnkit.runs.groups`'s policy (the CLI uses
the same); the dashboard adds only its own default: denser loss points, because the class is watching.
A Start that cannot write its run folders (a full disk) leaves none behind (the run store's rule) and says
so in the dashboard's language, without the server's paths.
"""
from __future__ import annotations

import errno
import threading
import time
import zlib

from rnnkit.analysis.sweep import parse_grid, random_configs, sweep_configs
from rnnkit.config import RunConfig
from rnnkit.core import settings
from rnnkit.core.files import DiskFull, free_megabytes
from rnnkit.runs import groups, warm_client
from rnnkit.runs.store import new_group_id
from rnnkit.ui.i18n import _
from rnnkit.ui.session import store

UI_LOG_EVERY_STEPS = 5  # denser loss points than the CLI default: the class is watching
WARM_CHECK_SECONDS = 60.0  # how often a page run makes sure the warm worker is there
_warm_checked = [float("-inf")]


def keep_worker_warm() -> None:
    """Make sure the warm worker (`rnnkit.runs.warm_client`) runs, so a Start forks a run at once instead of
    starting a new Python: asked by every page run, at most every WARM_CHECK_SECONDS, in a thread (the page
    never waits). Not for a Ray cluster, whose nodes start their own processes."""
    now = time.monotonic()
    if now - _warm_checked[0] < WARM_CHECK_SECONDS or settings.ray_address() or not warm_client.enabled():
        return
    _warm_checked[0] = now
    threading.Thread(target=_start_quietly, name="rnnkit-warm-worker", daemon=True).start()


def _start_quietly() -> None:
    try:
        warm_client.ensure_started()
    except (OSError, ValueError):
        pass  # runs start cold, as before, and their train.log says why


def _with_ui_defaults(overrides: dict[str, dict]) -> dict[str, dict]:
    """`overrides` (copied) with the dashboard's defaults where the form left them open."""
    layered = {section: dict(values) for section, values in overrides.items()}
    layered.setdefault("train", {}).setdefault("log_every_steps", UI_LOG_EVERY_STEPS)
    return layered


def group_configs(task: str, preset: str, architectures: list[str], overrides: dict[str, dict],
                  group: str | None = None, seeds: int = 1) -> list[RunConfig]:
    """The configs of one comparison group, as Start makes them: one run per architecture and seed
    (`rnnkit.runs.groups.group_configs`), the threads divided among them, dense loss points for the live
    view. Always a group, even of one run: the live view watches groups."""
    configs = groups.group_configs(task, preset, architectures, _with_ui_defaults(overrides), seeds=seeds,
                                   group=group or new_group_id())
    return groups.share_threads(configs)


def start_runs(task: str, preset: str, architectures: list[str], overrides: dict[str, dict], seeds: int = 1) -> str:
    """Queue one background run per architecture and seed as one group (it starts when there is room);
    returns the group id."""
    configs = group_configs(task, preset, architectures, overrides, seeds=seeds)
    _start(configs)
    return configs[0].group


def start_configs(configs: list[RunConfig]) -> str:
    """Queue ready-made configs of one group (a guided lab's run step, `rnnkit.analysis.labs.step_configs`) as
    Start does; returns the group id."""
    _start(configs)
    return configs[0].group


def start_sweep(task: str, preset: str, architectures: list[str], overrides: dict[str, dict], seeds: int,
                grid_lines: list[str], points: int = 0) -> str:
    """Queue a grid of settings (x architectures x seeds) as one group of kind sweep; returns the group id.
    `points` > 0: only that many distinct combinations, drawn at random (random search). The grid's values
    win over the form's; a bad grid line raises ValueError before anything starts."""
    if not architectures:
        raise ValueError("choose at least one architecture")
    grid = parse_grid(task, grid_lines)
    layered = _with_ui_defaults({section: {name: value for name, value in values.items() if (section, name) not in grid}
                                 for section, values in overrides.items()})
    group = new_group_id()
    preset = None if preset == "none" else preset
    if points:  # a random search; another group draws other points
        configs = random_configs(task, preset, grid, points, layered, architectures, seeds, group,
                                 seed=zlib.crc32(group.encode()))
    else:
        configs = sweep_configs(task, preset, grid, layered, architectures, seeds, group)
    configs = groups.share_threads(configs)
    _start(configs)
    return group


def _start(configs: list[RunConfig]) -> None:
    """`store().start(configs)`; a failed write of the run folders (none stays behind) is a ValueError whose
    message says what to do, never the server's paths."""
    runs = store()
    try:
        runs.start(configs)
    except OSError as error:
        if isinstance(error, DiskFull) or error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise ValueError(_("The disk is full ({free} MB free): free some space and start again. Nothing was "
                               "started.").format(free=round(free_megabytes(runs.root)))) from None
        raise ValueError(_("The run folders could not be written ({reason}); nothing was started.").format(
            reason=error.strerror or type(error).__name__)) from None
