"""Architectures compared across tasks: the interquartile mean with stratified bootstrap intervals and
performance profiles (Agarwal et al. 2021, "Deep RL at the edge of the statistical precipice", rliable),
and the critical-difference diagram's ranks (Demšar 2006, JMLR 7). Plain data out; the figures are
`rnnkit.analysis.robust_figures`'s.

The input is {architecture: (runs, tasks)} of normalised test scores (`across_tasks` builds it from run
folders). **Normalisation**: each task is scored by its selection metric (the `monitor` its runs record:
accuracy or macro-F1, fractions in [0, 1] where higher is better), used as it is. A task selected by a
metric where lower is better (MAE, RMSE, perplexity) has no common scale with the others (a perplexity
of 40 is neither 0.4 nor 40 %), so it is left out, and the views say so.

    IQM                 the mean of the middle 50 % of all runs on all tasks (rliable's
                        `aggregate_iqm`: scipy's 25 % trimmed mean); robust to a few outlier runs, and
                        less noisy than the median
    interval            95 % percentile interval of the stratified bootstrap: each task's runs are
                        resampled with replacement on their own (`robust.stratified_resamples`)
    profile(tau)        the share of runs scoring above tau (rliable's score distribution: averaged over
                        tasks, each with the same number of runs), with its bootstrap band
    ranks, CD           each task ranks the architectures by their mean over seeds (1 = best, ties
                        share the mean rank); the Friedman test (scipy) asks whether the mean ranks differ
                        at all; the Nemenyi critical difference CD = q_α √(k(k+1) / (6N)), with q_α the
                        studentized range quantile / √2 (scipy), joins architectures whose mean ranks
                        differ by less than CD. scipy rather than autorank: autorank refuses fewer than 5
                        tasks; tests/test_robust.py checks both against Demšar's Table 6.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rnnkit.analysis.reports import arch_of
from rnnkit.analysis.robust import (
    BOOTSTRAP_REPS,
    SEED,
    percentile_interval,
    stratified_resamples,
)
from rnnkit.analysis.seeds import seed_scores, variants
from rnnkit.runs.folder import Run, RunError

ALPHA = 0.05  # the critical difference's level
FRACTION_SCORES = ("accuracy", "macro_f1")  # selection metrics already on [0, 1], higher is better
LEFT_OUT = ("unfinished",  # a task with no finished run
            "other scale",  # a task selected by a metric that is not a fraction (MAE, RMSE, perplexity)
            "not everywhere")  # an architecture missing from some kept task


@dataclass(frozen=True)
class TaskScores:
    """Normalised test scores of architectures on the tasks they all ran."""
    scores: dict[str, np.ndarray]  # architecture label -> (runs, tasks), tasks in the order of `tasks`
    tasks: list[str]
    metrics: dict[str, str]  # task -> the metric its scores are
    arches: dict[str, str] = field(default_factory=dict)  # label -> architecture (for its colour)
    left_out: list[tuple[str, str, str]] = field(default_factory=list)  # (task or label, why, metric): see LEFT_OUT


@dataclass(frozen=True)
class CriticalDifference:
    names: list[str]  # best mean rank first
    mean_ranks: list[float]
    critical_difference: float
    tasks: int
    alpha: float
    statistic: float | None  # Friedman's chi-square (scipy: tie-corrected); None for two architectures
    p_value: float | None
    groups: list[list[str]]  # maximal sets of architectures whose mean ranks differ by less than the CD


# ----------------------------------------------------------------------------------------- the input
def across_tasks(runs: list[Run]) -> TaskScores:
    """The finished runs grouped by (task, architecture label), scored on the test split by each task's
    selection metric; seeds are the runs. Each architecture keeps on every task the same number of runs
    (the fewest it finished on any kept task, lowest seeds first), as rliable's (runs, tasks) matrices
    need; architectures missing from a kept task are left out, with the reason."""
    by_task: dict[str, list[Run]] = {}
    for run in runs:
        try:
            by_task.setdefault(run.config().task.name, []).append(run)
        except RunError:
            continue
    left: list[tuple[str, str, str]] = []
    table: dict[str, dict[str, list[float]]] = {}  # task -> label -> test scores in seed order
    metrics: dict[str, str] = {}
    arches: dict[str, str] = {}
    for task, members in sorted(by_task.items()):
        metric = _monitor(members)
        if metric is None:
            left.append((task, "unfinished", ""))
            continue
        if metric not in FRACTION_SCORES:
            left.append((task, "other scale", metric))
            continue
        found = {}
        for label, group in variants(members).items():
            scores = seed_scores(group, metric)
            values = [scores[seed]["test"] for seed in sorted(scores) if _finite(scores[seed]["test"])]
            if values:
                found[label] = values
                arches.setdefault(label, arch_of(group[0]))
        if found:
            table[task], metrics[task] = found, metric
        else:
            left.append((task, "unfinished", metric))
    tasks = list(table)
    labels = sorted({label for found in table.values() for label in found})
    everywhere = [label for label in labels if all(label in table[task] for task in tasks)]
    left += [(label, "not everywhere", "") for label in labels if label not in everywhere]
    scores = {}
    for label in everywhere:
        count = min(len(table[task][label]) for task in tasks)
        scores[label] = np.array([[table[task][label][row] for task in tasks] for row in range(count)])
    return TaskScores(scores, tasks, metrics, {label: arches[label] for label in everywhere}, left)


def has_several_tasks(runs: list[Run]) -> bool:
    """Whether these runs come from at least two tasks (when Compare shows the across-task view)."""
    names = set()
    for run in runs:
        try:
            names.add(run.config().task.name)
        except RunError:
            continue
    return len(names) >= 2


# ----------------------------------------------------------------------------------- IQM and profiles
def iqm(scores: np.ndarray) -> float:
    """The interquartile mean of all runs on all tasks, by rliable."""
    from rliable.metrics import aggregate_iqm

    return float(aggregate_iqm(scores))


def iqm_intervals(scores: dict[str, np.ndarray], reps: int = BOOTSTRAP_REPS,
                  seed: int = SEED) -> dict[str, tuple[float, float, float]]:
    """label -> (IQM, low, high), the interval from the stratified bootstrap."""
    from scipy.stats import trim_mean

    found = {}
    for index, (label, matrix) in enumerate(scores.items()):
        resamples = stratified_resamples(matrix, reps, np.random.default_rng(seed + index))
        replicates = trim_mean(resamples.reshape(reps, -1), 0.25, axis=1)  # aggregate_iqm of each replicate
        low, high = percentile_interval(replicates)
        found[label] = (iqm(matrix), float(low), float(high))
    return found


def profile_thresholds(scores: dict[str, np.ndarray], count: int = 101) -> np.ndarray:
    """Thresholds tau from just below the lowest score to the highest: every curve starts at 1 and ends at 0."""
    values = np.concatenate([matrix.ravel() for matrix in scores.values()])
    low, high = float(values.min()), float(values.max())
    margin = max((high - low) * 0.02, 1e-3)
    return np.linspace(low - margin, high, count)


def performance_profiles(scores: dict[str, np.ndarray], taus: np.ndarray, reps: int = BOOTSTRAP_REPS,
                         seed: int = SEED) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """label -> (share of runs above each tau, low, high): rliable's score distribution with its
    stratified bootstrap band (the same resamples for every tau)."""
    found = {}
    for index, (label, matrix) in enumerate(scores.items()):
        profile = (matrix[None, :, :] > taus[:, None, None]).mean(axis=(1, 2))  # (taus,)
        resamples = stratified_resamples(matrix, reps, np.random.default_rng(seed + index))
        replicates = (resamples[:, None, :, :] > taus[None, :, None, None]).mean(axis=(2, 3))  # (reps, taus)
        low, high = percentile_interval(replicates)
        found[label] = (profile, low, high)
    return found


# ------------------------------------------------------------------------------- critical difference
def nemenyi_q(architectures: int, alpha: float = ALPHA) -> float:
    """q_α of the Nemenyi test: the studentized range quantile with infinite degrees of freedom / √2
    (Demšar 2006, Table 5a: 2.569 for 4 at α = 0.05)."""
    from scipy.stats import studentized_range

    return float(studentized_range.ppf(1 - alpha, architectures, np.inf) / math.sqrt(2))


def critical_difference(task_means: dict[str, list[float]], alpha: float = ALPHA) -> CriticalDifference:
    """Mean ranks, the Friedman test and the Nemenyi CD of architectures over tasks; `task_means`:
    label -> its score on each task (the same order of tasks for all; higher is better)."""
    from scipy.stats import friedmanchisquare, rankdata

    labels = list(task_means)
    matrix = np.array([task_means[label] for label in labels], dtype=float).T  # (tasks, architectures)
    tasks, count = matrix.shape
    if count < 2 or tasks < 1:
        raise ValueError("a critical-difference diagram needs at least 2 architectures on at least 1 task")
    ranks = rankdata(-matrix, axis=1)  # 1 = best on that task; ties share the mean rank
    mean_ranks = ranks.mean(axis=0)
    cd = nemenyi_q(count, alpha) * math.sqrt(count * (count + 1) / (6 * tasks))
    statistic = p_value = None
    if count >= 3 and tasks >= 2:
        result = friedmanchisquare(*matrix.T)
        statistic, p_value = float(result.statistic), float(result.pvalue)
        if not math.isfinite(statistic):  # every task ties every architecture: no evidence of any order
            statistic, p_value = 0.0, 1.0
    order = np.argsort(mean_ranks, kind="stable")
    names, sorted_ranks = [labels[i] for i in order], [float(mean_ranks[i]) for i in order]
    return CriticalDifference(names, sorted_ranks, cd, tasks, alpha, statistic, p_value,
                              _groups(names, sorted_ranks, cd))


def task_means(data: TaskScores) -> dict[str, list[float]]:
    """label -> its mean over seeds on each task (what the ranks are computed from)."""
    return {label: [float(value) for value in matrix.mean(axis=0)] for label, matrix in data.scores.items()}


def _groups(names: list[str], ranks: list[float], cd: float) -> list[list[str]]:
    """Maximal runs of architectures (in rank order) whose extreme mean ranks differ by less than `cd`;
    a run contained in an earlier one is dropped (Demšar's bars)."""
    groups: list[list[str]] = []
    last_stop = 0
    for start in range(len(names)):
        stop = start
        while stop + 1 < len(names) and ranks[stop + 1] - ranks[start] < cd:
            stop += 1
        if stop > start and stop > last_stop:  # not inside an earlier group
            groups.append(names[start:stop + 1])
        last_stop = max(last_stop, stop)
    return groups


def _monitor(runs: list[Run]) -> str | None:
    for run in runs:
        epochs = run.metrics("epoch")
        if epochs and run.metrics("test"):
            return epochs[-1]["monitor"]
    return None


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
