"""Sweeps: a grid over any options, launched as one group of kind "sweep", and read back as a table.

    python -m rnnkit sweep --task recall --preset quick --arch lstm,gru \\
        --grid model.hidden_size=32,64 --grid train.learning_rate=0.001,0.005

A grid line is SECTION.OPTION=V1,V2,... with SECTION one of task, model, train and OPTION any
option of that section (the task's own for `task`); values are read as the option's type. The runs
are ranked by their VALIDATION score; the test score is shown for the record, never used to choose. With
several seeds per point (`--seeds`) the points are ranked by their SEED MEANS (`seed_mean_frame`), not by
single runs: the best of many noisy runs is the luckiest one (the winner's curse).

Three ways through the grid (`--search`): `grid` trains every point; `random` trains `--trials`
points drawn without replacement (Bergstra & Bengio 2012: a few random points find good settings
when only some options matter); `tpe` asks Optuna's Tree-structured Parzen Estimator for one point
at a time, trains it, tells it the validation score and asks again, so later trials go where the
good ones were. TPE is sequential by nature: it trains in the foreground, one trial after another
(its loop: `rnnkit.analysis.search`).
"""
from __future__ import annotations

import dataclasses
import itertools
import json
from typing import Any

import pandas as pd

from rnnkit.analysis.frames import run_settings
from rnnkit.config.counts import maximum
from rnnkit.config.options import declared, kind_of
from rnnkit.config.run import ModelConfig, RunConfig, TrainConfig
from rnnkit.core.metrics import best_epoch_record
from rnnkit.data.presets import build_config, seeded
from rnnkit.data.tasks import get_task
from rnnkit.model.catalog import check_model_config
from rnnkit.runs.store import Run

MAX_SWEEP_RUNS = maximum("runs")  # runs in one group, as every face declares it (rnnkit.config.counts)
SEARCHES = ("grid", "random", "tpe")  # the ways through a grid (`--search`)
SECTIONS = ("task", "model", "train")
NOT_SWEPT = {("train", "seed"), ("train", "num_threads")}


def _fields(task: str, section: str) -> dict[str, Any]:
    part = {"task": get_task(task).Options, "model": ModelConfig, "train": TrainConfig}[section]
    return {item.name: (item, declaration) for item, declaration in declared(part)}


def parse_value(text: str, kind: type) -> Any:
    text = text.strip()
    if kind is bool:
        if text.lower() in ("true", "yes", "1", "on"):
            return True
        if text.lower() in ("false", "no", "0", "off"):
            return False
        raise ValueError(f"{text!r} is not true or false")
    if kind is int:
        return int(text)
    if kind is float:
        return float(text)
    return text


def parse_grid(task: str, lines: list[str]) -> dict[tuple[str, str], list[Any]]:
    """'model.hidden_size=32,64' lines -> {(section, option): [values]}; a clear error for anything else."""
    grid: dict[tuple[str, str], list[Any]] = {}
    for line in lines:
        if not line.strip():
            continue
        key, separator, values = line.partition("=")
        section, dot, name = key.strip().partition(".")
        if not separator or not dot or section not in SECTIONS:
            raise ValueError(f"a grid line is SECTION.OPTION=V1,V2 with SECTION one of {', '.join(SECTIONS)}, "
                             f"e.g. model.hidden_size=32,64; got {line.strip()[:60]!r}")
        fields = _fields(task, section)
        if name not in fields or (section, name) in NOT_SWEPT or fields[name][1].path:
            valid = ", ".join(option for option, (_item, declaration) in fields.items()
                              if (section, option) not in NOT_SWEPT and not declaration.path)
            raise ValueError(f"{section}.{name[:40]} cannot be swept for task {task!r}; its {section} options: {valid}")
        if (section, name) in grid:
            raise ValueError(f"{section}.{name} appears twice in the grid")
        item, _declaration = fields[name]
        try:
            parsed = [parse_value(value, kind_of(item)) for value in values.split(",") if value.strip()]
        except ValueError as error:
            raise ValueError(f"{section}.{name}: {error}") from None
        if not parsed:
            raise ValueError(f"{section}.{name} has no values")
        grid[(section, name)] = list(dict.fromkeys(parsed))
    if not grid:
        raise ValueError("the grid is empty: give at least one SECTION.OPTION=V1,V2 line")
    return grid


def sweep_configs(task: str, preset: str | None, grid: dict[tuple[str, str], list[Any]],
                  overrides: dict[str, dict] | None = None, architectures: list[str] | None = None,
                  seeds: int = 1, group: str = "") -> list[RunConfig]:
    """One config per point of the grid (x architectures x seeds), all of kind 'sweep' in one group;
    each is validated as the CLI would (a bad value fails before anything starts)."""
    overrides = {section: dict(values) for section, values in (overrides or {}).items()}
    architectures = architectures or [None]
    points = list(itertools.product(*grid.values()))
    count = len(points) * len(architectures) * seeds
    if count > MAX_SWEEP_RUNS:
        raise ValueError(f"this sweep has {count} runs; at most {MAX_SWEEP_RUNS}: fewer values, or fewer seeds")
    return [point_config(task, preset, dict(zip(grid, point)), overrides, arch, offset, group)
            for offset in range(seeds) for point in points for arch in architectures]


def point_config(task: str, preset: str | None, point: dict[tuple[str, str], Any],
                 overrides: dict[str, dict] | None = None, arch: str | None = None, offset: int = 0,
                 group: str = "") -> RunConfig:
    """The run config of one grid point (validated as the CLI would), of kind 'sweep'."""
    layered = {section: dict((overrides or {}).get(section, {})) for section in SECTIONS}
    for (section, name), value in point.items():
        layered[section][name] = value
    if arch is not None and ("model", "arch") not in point:
        layered["model"]["arch"] = arch
    config = build_config(task, preset, layered, group=group)
    # as a group's runs: an unknown architecture is refused here, and impl is stored resolved
    return seeded(dataclasses.replace(config, kind="sweep", model=check_model_config(config.model)), offset)


def random_configs(task: str, preset: str | None, grid: dict[tuple[str, str], list[Any]], trials: int,
                   overrides: dict[str, dict] | None = None, architectures: list[str] | None = None,
                   seeds: int = 1, group: str = "", seed: int = 0) -> list[RunConfig]:
    """A random search: `trials` distinct points of the grid (x architectures x seeds), of kind 'sweep'."""
    configs = [point_config(task, preset, point, overrides, arch, offset, group) for offset in range(seeds)
               for point in random_points(grid, trials, seed) for arch in architectures or [None]]
    if len(configs) > MAX_SWEEP_RUNS:
        raise ValueError(f"this sweep has {len(configs)} runs; at most {MAX_SWEEP_RUNS}: fewer points or seeds")
    return configs


def random_points(grid: dict[tuple[str, str], list[Any]], trials: int, seed: int = 0) -> list[dict]:
    """`trials` distinct points of the grid drawn uniformly (all of them when the grid is smaller)."""
    import random

    if trials < 1:
        raise ValueError(f"--trials must be at least 1, not {trials}")
    sizes = [len(values) for values in grid.values()]
    total = 1
    for size in sizes:
        total *= size
    points = []
    for index in random.Random(seed).sample(range(total), min(trials, total)):
        point = {}
        for key, size in zip(reversed(list(grid)), reversed(sizes)):  # index in mixed radix
            index, position = divmod(index, size)
            point[key] = grid[key][position]
        points.append({key: point[key] for key in grid})
    return points


def _axes_of(run: Run) -> dict[tuple[str, str], Any]:
    """The run's options as (section, name) -> value (`frames.run_settings`: paths left out)."""
    return {tuple(key.split(".", 1)): value for key, value in run_settings(run).items()
            if "." in key and tuple(key.split(".", 1)) not in NOT_SWEPT}


def varying_options(runs: list[Run]) -> list[tuple[str, str]]:
    """The options whose values differ between the runs (the sweep's axes), seed and threads aside."""
    values: dict[tuple[str, str], set] = {}
    for run in runs:
        for key, value in _axes_of(run).items():
            values.setdefault(key, set()).add(repr(value))
    return [key for key, seen in values.items() if len(seen) > 1]


def best_epoch_validation(run: Run) -> dict[str, Any]:
    """The validation scores of the run's best epoch (the one its selection metric picked); {} before one."""
    record = best_epoch_record(run.metrics("epoch"))
    return record.get("validation", {}) if record else {}


def sweep_frame(runs: list[Run]) -> pd.DataFrame:
    """One row per run: the swept options, state, best validation score and test score of the monitor."""
    axes = varying_options(runs)
    rows = []
    for run in runs:
        settings = _axes_of(run)
        if not settings:  # an unreadable config
            continue
        row: dict[str, Any] = {"run": run.run_id, **{f"{section}.{name}": settings.get((section, name))
                                                     for section, name in axes}}
        epochs, tests = run.metrics("epoch"), run.metrics("test")
        monitor = epochs[-1]["monitor"] if epochs else ""
        row["state"] = run.status().get("state")
        row["monitor"] = monitor
        row["best validation"] = epochs[-1].get("best_value") if epochs else None
        row["test"] = tests[-1]["test"].get(monitor) if tests and monitor else None
        rows.append(row)
    return pd.DataFrame(rows)


def seed_mean_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """The table a sweep is ranked by, and whether it holds seed means: `frame` (`sweep_frame`, one row per
    run) when every point has one run; else one row per point (the runs that share every swept setting, i.e.
    its seeds) with the MEAN best-epoch validation score over its finished seeds, their standard deviation,
    and the mean test score for the record. `run` is the point's first finished run (what "Train this" opens)."""
    if frame.empty:
        return frame, False
    axes = [column for column in frame.columns if "." in column]
    keys = [json.dumps([row[axis] for axis in axes], default=str) for _index, row in frame.iterrows()]
    if len(set(keys)) == len(keys):
        return frame, False
    rows = []
    for key in dict.fromkeys(keys):
        point = frame[[other == key for other in keys]]
        scored = point[point["best validation"].notna()]
        validation = scored["best validation"].astype(float)
        tests = point["test"].dropna().astype(float)
        rows.append({"run": (scored if len(scored) else point)["run"].iloc[0],
                     **{axis: point[axis].iloc[0] for axis in axes},
                     "state": ", ".join(sorted({str(state) for state in point["state"]})),
                     "monitor": next((name for name in point["monitor"] if name), ""),
                     "seeds": f"{len(scored)}/{len(point)}",
                     "best validation": float(validation.mean()) if len(validation) else None,
                     "validation std": float(validation.std(ddof=1)) if len(validation) > 1 else None,
                     "test": float(tests.mean()) if len(tests) else None})
    return pd.DataFrame(rows), True
