"""The Python face of rnnkit, for notebooks and scripts: train a comparison group, wait, read the results.

    from rnnkit import api

    group = api.compare("recall", ["rnn", "lstm", "gru"], preset="quick")   # starts the runs and waits
    api.metrics(group)                  # one row per run: best epoch, validation and test scores, size, speed
    api.metrics(group, per="epoch")     # one row per run and epoch: the learning curves
    api.figures(group)["loss"]          # the dashboard's plotly figures, by name

Like the CLI and the dashboard, this is a face over the layers: groups are built by `rnnkit.runs.groups`
(the same architectures x seeds policy and thread sharing as the Train page), started through the run
store (`rnnkit.runs.store`: the fair queue, one background process per group), read back with
`rnnkit.analysis.reports` and drawn with `rnnkit.analysis.figures`. Nothing trains in the calling
process, so the notebook stays responsive, and the runs appear on the dashboard's Compare page like any
other. docs/python-api.md is the reference.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Union

import pandas as pd
import plotly.graph_objects as go

from rnnkit.analysis import frames, reports
from rnnkit.analysis.figure_set import figure_set
from rnnkit.runs.folder import ACTIVE_STATES, Run, RunError
from rnnkit.runs.groups import group_configs, share_threads
from rnnkit.runs.store import RunStore, find_run

WAIT_TIMEOUT_SECONDS = 6 * 3600  # generous: the longest shipped preset trains in well under this on a laptop
POLL_SECONDS = 2.0  # how often `wait` looks at the runs' status files (cheap: a few small JSON reads)


@dataclass(frozen=True)
class Group:
    """The runs started together by `compare`: one per architecture and seed, compared on the dashboard."""

    group_id: str  # the comparison group's id ('' when it is a single run)
    runs: tuple[Run, ...]  # in start order: seed 0 of every architecture, then seed 1, ...
    store: RunStore = field(compare=False, repr=False)  # the run store they live in

    @property
    def run_ids(self) -> list[str]:
        return [run.run_id for run in self.runs]

    def states(self) -> dict[str, str]:
        """run id -> queued | running | completed | failed | stopped | interrupted."""
        return {run.run_id: run.status().get("state", "queued") for run in self.runs}

    def done(self) -> bool:
        """True when no run of the group is queued or running any more."""
        return all(state not in ACTIVE_STATES for state in self.states().values())

    def __repr__(self) -> str:
        return f"Group({self.group_id!r}, runs={self.run_ids})"


RunsLike = Union[Group, Run, str, Path, list, tuple]  # what `runs`, `metrics` and `wait` accept


def compare(task: str, architectures: list[str] | str | None = None, preset: str | None = "quick",
            seeds: int = 1, overrides: dict[str, dict[str, Any]] | None = None, wait: bool = True,
            root: str | os.PathLike | None = None, timeout: float = WAIT_TIMEOUT_SECONDS,
            progress: bool = True) -> Group:
    """Train `architectures` (e.g. ["rnn", "lstm", "gru"]; None: the preset's own) on `task`, `seeds`
    runs each, as one comparison group in the background; with `wait`, return when all have ended.

    `preset` is one of the task's presets (None or "none": the plain defaults); `overrides` changes
    single settings on top of it, by section: {"task": {...}, "model": {...}, "train": {...}}.
    `root` is the run store's folder (default: $RNNKIT_CHECKPOINTS_DIR, else the project's checkpoints/).
    Raises ValueError for an unknown task, preset, architecture or setting (the message lists the valid
    ones), and rnnkit.runs.limits.QueueFull when the queue has no room for the group.
    """
    if isinstance(architectures, str):
        architectures = [architectures]
    configs = share_threads(group_configs(task, preset, architectures, overrides, seeds=seeds))  # checked there
    store = RunStore(root)
    runs = store.start(configs)
    group = Group(configs[0].group, tuple(runs), store)
    if progress:
        position = store.queue.positions().get(runs[0].run_id)
        where = f"waiting in the queue at position {position}" if position else "started"
        print(f"{_describe(group)}: {where} in {store.root}")
    return _wait(group, timeout, POLL_SECONDS, progress) if wait else group


def wait(group: RunsLike, timeout: float = WAIT_TIMEOUT_SECONDS, poll_seconds: float = POLL_SECONDS,
         progress: bool = True, root: str | os.PathLike | None = None) -> Group:
    """Return when every run of `group` has ended (completed, failed, stopped or interrupted), printing
    a line each time its progress changes. Raises TimeoutError after `timeout` seconds; the runs go on
    training, and calling `wait` again waits for them again."""
    return _wait(_as_group(group, root), timeout, poll_seconds, progress)


def _wait(group: Group, timeout: float, poll_seconds: float, progress: bool) -> Group:
    report: Callable[[str], None] = print if progress else (lambda line: None)
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        group.store.queue.dispatch()  # a group that waits in the queue starts once there is room
        line = _progress_line(group)
        if line != last:
            report(line)
            last = line
        if group.done():
            break
        if time.monotonic() >= deadline:
            listing = "python -m rnnkit runs" + (f" --group {group.group_id}" if group.group_id else "")
            raise TimeoutError(f"{_describe(group)} still trains after {timeout:.0f} s; call api.wait() again "
                               f"to keep waiting, or watch it with `{listing}`")
        time.sleep(min(poll_seconds, max(deadline - time.monotonic(), 0.0)))
    for run in group.runs:
        status = run.status()
        if status.get("state") in ("failed", "interrupted") and status.get("error"):
            report(f"{run.run_id}: {status['state']}: {status['error']}")
    return group


def runs(group: RunsLike | None = None, root: str | os.PathLike | None = None) -> list[Run]:
    """The runs of a Group, a group id, a run id (or `demo:NAME`), a Run or a list of those; with no
    argument, every run in the store (newest first)."""
    if group is None:
        return RunStore(root).runs()
    return list(_as_group(group, root).runs)


def metrics(group: RunsLike, per: str = "run", root: str | os.PathLike | None = None) -> pd.DataFrame:
    """The results as a DataFrame, the tables the dashboard shows:

        per="run"    one row per run: best epoch, its validation score, test scores, parameters, speed
        per="epoch"  one row per run and epoch: train_/val_ loss and the task's metrics
        per="step"   one row per logged training step: the loss (x = epochs elapsed, fractional)
    """
    tables = {"run": reports.comparison_table, "epoch": frames.epoch_frame, "step": frames.step_frame}
    if per not in tables:
        raise ValueError(f"unknown per={per!r}; valid: {', '.join(tables)}")
    return tables[per](list(_as_group(group, root).runs))


def figures(group: RunsLike, language: str = "en", projector: bool = False,
            root: str | os.PathLike | None = None) -> dict[str, go.Figure]:
    """The plotly figures the dashboard draws for these runs, by name: "loss", one per headline metric
    of the task's job (e.g. "accuracy", "macro_f1"), and where the runs recorded them "over seeds" (a
    group with several seeds), "gradient reach", "calibration" and "confusion <run label>". `language`
    is "en" or "zh"; `projector` draws larger, as the dashboard's projector mode does. In a notebook,
    a figure shows itself; `figure.write_html(path)` saves it."""
    return figure_set(list(_as_group(group, root).runs), language, projector)


# ---------------------------------------------------------------------------------------------- helpers
def _as_group(group: RunsLike, root: str | os.PathLike | None) -> Group:
    """A Group from what the user holds: a Group, a Run, a run or group id, or a list of those."""
    if isinstance(group, Group):
        return group
    store = RunStore(root)
    if isinstance(group, Run):
        return Group(_group_id([group]), (group,), RunStore(group.path.parent))
    if isinstance(group, (list, tuple)):
        found = [run for item in group for run in _as_group(item, root).runs]
        if not found:
            raise ValueError("no runs given")
        return Group(_group_id(found), tuple(found), RunStore(found[0].path.parent))
    if isinstance(group, (str, Path)):
        reference = str(group)
        try:
            run = find_run(store, reference)
        except RunError:
            members = store.runs(group=reference)
            if not members:
                raise RunError(f"no run or group {reference!r} in {store.root}; api.runs() lists the runs") from None
            return Group(reference, tuple(sorted(members, key=lambda run: run.run_id)), store)
        return Group(_group_id([run]), (run,), RunStore(run.path.parent))
    raise TypeError(f"expected a Group, a Run, a run or group id, or a list of them, not {type(group).__name__}")


def _group_id(members: list[Run]) -> str:
    """The group the runs share ('' when they share none)."""
    groups = set()
    for run in members:
        try:
            groups.add(run.config().group)
        except RunError:
            groups.add("")
    return groups.pop() if len(groups) == 1 else ""


def _describe(group: Group) -> str:
    count = len(group.runs)
    name = f"group {group.group_id}" if group.group_id else ("run " + group.runs[0].run_id if count == 1 else "runs")
    return f"{name} ({count} run{'s' if count != 1 else ''})"


def _progress_line(group: Group) -> str:
    """'group g... (3 runs): rnn 2/8, lstm 8/8 completed, gru queued' (epochs done / epochs)."""
    parts = []
    for run in group.runs:
        state = reports.progress(run)
        done = f"{state['epoch']}/{state['epochs']}" if state["epochs"] else ""
        parts.append(" ".join(filter(None, [reports.run_label(run), done,
                                            "" if state["state"] == "running" else state["state"]])))
    return f"{_describe(group)}: {', '.join(parts)}"
