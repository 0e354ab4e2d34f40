"""The memory-horizon experiment: `recall` at several sequence lengths T for RNN, LSTM and GRU, one
group, then test accuracy against T: where each architecture's memory ends.

    python -m rnnkit horizon                       # T = 5, 10, 20, 50, 100, 150 x rnn, lstm, gru
    python -m rnnkit horizon --lengths 10,100 --arch rnn,gru

The group is a sweep over `task.sequence_length` on the recall task's `horizon` preset (fewer
sequences and epochs than `quick`, stopping at 100 % validation accuracy), of kind "horizon" so
Compare and Inside know to draw accuracy against T. It goes through the queue like any group.
"""
from __future__ import annotations

import dataclasses

from rnnkit.analysis.sweep import sweep_configs
from rnnkit.config.run import RunConfig
from rnnkit.runs.folder import Run
from rnnkit.runs.groups import share_threads

TASK = "recall"
PRESET = "horizon"
LENGTHS = (5, 10, 20, 50, 100, 150)
ARCHITECTURES = ("rnn", "lstm", "gru")
KIND = "horizon"
LENGTH_OPTION = ("task", "sequence_length")


def horizon_configs(lengths: tuple[int, ...] = LENGTHS, architectures: tuple[str, ...] = ARCHITECTURES,
                    group: str = "") -> list[RunConfig]:
    """One recall run per (T, architecture), one group of kind 'horizon', threads shared among them."""
    lengths = tuple(lengths)
    if not lengths or any(not isinstance(length, int) or length < 2 for length in lengths):
        raise ValueError("sequence lengths must be whole numbers of at least 2, e.g. 5,10,20,50,100,150")
    if len(set(lengths)) != len(lengths):
        raise ValueError("each sequence length may appear once")
    if not architectures:
        raise ValueError("choose at least one architecture")
    configs = sweep_configs(TASK, PRESET, {LENGTH_OPTION: sorted(lengths)}, architectures=list(architectures),
                            group=group)
    return share_threads([dataclasses.replace(config, kind=KIND) for config in configs])


def horizon_table(runs: list[Run]):
    """One row per run (a DataFrame): architecture, T, state, test accuracy (None until tested)."""
    import pandas as pd

    rows = []
    for run in runs:
        try:
            config = run.config()
        except ValueError:
            continue
        tests = run.metrics("test")
        rows.append({"arch": config.model.arch, "sequence_length": config.task.options.sequence_length,
                     "state": run.status().get("state", ""),
                     "test_accuracy": tests[-1]["test"].get("accuracy") if tests else None})
    return pd.DataFrame(rows, columns=["arch", "sequence_length", "state", "test_accuracy"])


def horizon_groups(store) -> list[str]:
    """Groups of kind 'horizon' in the store, newest first."""
    groups: dict[str, float] = {}
    for run in store.runs():
        try:
            config = run.config()
        except ValueError:
            continue
        if config.kind == KIND and config.group:
            groups[config.group] = max(groups.get(config.group, 0.0), run.path.stat().st_mtime)
    return sorted(groups, key=groups.get, reverse=True)
