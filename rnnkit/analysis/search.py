"""The guided search: Optuna's TPE over a sweep's grid, one trial at a time (grid and random search: sweep.py).

    ask TPE for a point -> train --seeds runs of it -> tell TPE their mean best-epoch validation score -> ask again

TPE (Tree-structured Parzen Estimator, Bergstra et al. 2011) models where the good scores were and
proposes the next point there, so it is sequential by nature: each trial trains in this process after
the one before. A point TPE proposes again is told its known score without training; the search ends
early once every point of the grid has been tried, and at once when a run is stopped (Ctrl-C, Stop).

Training is the caller's: `train(run) -> outcome` (the worker layer sits above this one).
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

from rnnkit.analysis.sweep import MAX_SWEEP_RUNS, best_epoch_validation, point_config
from rnnkit.core.metrics import higher_is_better
from rnnkit.data.tasks import get_task
from rnnkit.model.jobs import get_job
from rnnkit.runs.store import Run, RunStore

Point = dict[tuple[str, str], Any]  # (section, option) -> value, e.g. ("model", "hidden_size") -> 64


class Trial(NamedTuple):
    """One trained point: its number (from 1), the point, the metric and the mean score (None: every run failed)."""
    number: int
    point: Point
    monitor: str
    value: float | None


class TpeSweep(NamedTuple):
    """What a TPE search trained: every run in order, each run's outcome, and whether a stop ended it early."""
    runs: list[Run]
    outcomes: list[str]
    stopped: bool


class SearchStopped(Exception):
    """A trial's run was stopped: a TPE search does not go on to the next trial."""


def tpe_objective(task: str, objective: str | None) -> str:
    """The validation metric a TPE search optimises (default: the task's selection metric); checked against
    what the task's runs report, before anything trains."""
    spec = get_task(task)
    monitor = objective or spec.selection_metric
    reported = ("loss", *get_job(spec.job).headline)
    if monitor not in reported:
        raise ValueError(f"--objective {monitor!r}: a {task} run's validation reports {', '.join(reported)}")
    return monitor


def tpe_sweep(store: RunStore, task: str, preset: str | None, grid: dict[tuple[str, str], list[Any]], trials: int,
              train: Callable[[Run], str], *, architectures: list[str] | None = None, seeds: int = 1, group: str = "",
              objective: str | None = None, seed: int = 0, on_trial: Callable[[Trial], None] | None = None,
              overrides: dict[str, dict] | None = None) -> TpeSweep:
    """A TPE search over `grid`: each trial creates `seeds` runs of one point in `store` (kind 'sweep', one
    group), trains them one after another with `train`, and tells TPE their mean best validation score.
    Several architectures become one more searched option. `on_trial` hears each trial as it ends; `overrides`
    are fixed values under the grid (`train`'s flags given to `sweep`)."""
    if trials * seeds > MAX_SWEEP_RUNS:
        raise ValueError(f"{trials} trials x {seeds} seeds is more than {MAX_SWEEP_RUNS} runs")
    if architectures and len(architectures) > 1:
        grid = {**grid, ("model", "arch"): architectures}  # the architecture becomes one more searched option
    arch = architectures[0] if architectures and len(architectures) == 1 else None
    monitor = tpe_objective(task, objective)
    runs: list[Run] = []
    outcomes: list[str] = []

    def score(point: Point) -> float | None:
        trial = [store.create(point_config(task, preset, point, overrides, arch=arch, offset=offset, group=group))
                 for offset in range(seeds)]
        runs.extend(trial)
        values = []
        for run in trial:
            outcomes.append(train(run))
            if outcomes[-1] == "stopped":  # Ctrl-C or a Stop: the search ends here
                raise SearchStopped
            best = best_epoch_validation(run)
            if outcomes[-1] == "completed" and best.get(monitor) is not None:
                values.append(float(best[monitor]))
        value = sum(values) / len(values) if values else None
        if on_trial is not None:
            on_trial(Trial(len(runs) // seeds, point, monitor, value))
        return value

    try:
        tpe_search(grid, trials, score, maximise=higher_is_better(monitor), seed=seed)
    except SearchStopped:
        return TpeSweep(runs, outcomes, stopped=True)
    return TpeSweep(runs, outcomes, stopped=False)


def tpe_search(grid: dict[tuple[str, str], list[Any]], trials: int, score: Callable[[Point], float | None],
               maximise: bool, seed: int = 0) -> list[tuple[Point, float | None]]:
    """Optuna's TPE over the grid's values: `trials` distinct points, one at a time. `score(point)` trains
    the point and returns its validation score (None: the run failed). A point TPE suggests again is told
    its known score without training; the search ends early once every point of the grid has been tried.
    Returns (point, score) in the order trained."""
    import optuna  # a second or so to import: only a TPE search pays for it
    from optuna.distributions import CategoricalDistribution
    from optuna.trial import TrialState

    if trials < 1:
        raise ValueError(f"--trials must be at least 1, not {trials}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    names = {f"{section}.{name}": (section, name) for section, name in grid}
    distributions = {label: CategoricalDistribution(grid[key]) for label, key in names.items()}
    total = 1
    for values in grid.values():
        total *= len(values)
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(4, max(1, trials // 3)))
    study = optuna.create_study(direction="maximize" if maximise else "minimize", sampler=sampler)
    known: dict[tuple, float | None] = {}
    trained: list[tuple[Point, float | None]] = []
    asked = 0
    while len(trained) < min(trials, total) and asked < 50 * trials:
        asked += 1
        trial = study.ask(distributions)
        point = {names[label]: trial.params[label] for label in names}
        key = tuple(repr(point[item]) for item in grid)
        if key not in known:
            known[key] = score(point)
            trained.append((point, known[key]))
        value = known[key]
        if value is None:
            study.tell(trial, state=TrialState.FAIL)
        else:
            study.tell(trial, value)
    return trained
