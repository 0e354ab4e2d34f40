"""Expected validation performance of a sweep (Dodge et al. 2019, "Show your work: improved reporting of
experimental results", EMNLP): the best validation score one can expect after n trials, n = 1 ... N,
with its spread, from the N validation scores the sweep measured.

The N scores define an empirical distribution; n trials are n draws from it with replacement (the
paper's estimator; for a grid it means "the grid's points tried in a random order"). With the scores
sorted, v_(1) ≤ ... ≤ v_(N), the best of n draws is v_(i) exactly when the largest drawn position is
i, so

    P(best = v_(i))  = (i/N)^n - ((i-1)/N)^n
    E[best of n]     = Σ_i v_(i) · P(best = v_(i))
    Var[best of n]   = Σ_i v_(i)² · P(best = v_(i)) - E[best of n]²

(ties need no rule: positions, not values, are drawn). n = 1 gives the mean and the population standard
deviation of the scores; as n grows the expectation tends to the sweep's best score and the spread to
0. Where lower is better (MAE, perplexity) "best" is the lowest: the scores are negated, and the result
negated back. No library implements this; tests/test_robust.py checks it against enumerating every
sequence of draws and against a simulation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnnkit.core.metrics import METRICS, best_epoch_record, higher_is_better
from rnnkit.runs.folder import Run


@dataclass(frozen=True)
class ExpectedValidation:
    metric: str
    trials: list[int]  # n = 1 ... N
    mean: list[float]  # E[best validation score after n trials]
    std: list[float]  # its standard deviation
    scores: list[float]  # the N measured validation scores, as measured


def expected_best(values, trials: int) -> tuple[float, float]:
    """(E, std) of the highest of `trials` draws with replacement from `values`."""
    ordered = np.sort(np.asarray(values, dtype=float))
    count = len(ordered)
    if count == 0 or trials < 1:
        raise ValueError("expected validation performance needs at least one score and one trial")
    positions = np.arange(1, count + 1) / count
    weights = positions ** trials - (positions - 1 / count) ** trials  # P(best is the i-th smallest)
    mean = float(np.sum(weights * ordered))
    variance = float(np.sum(weights * ordered ** 2)) - mean ** 2
    return mean, math.sqrt(max(variance, 0.0))


def expected_validation(values, metric: str = "accuracy") -> ExpectedValidation:
    """The curve for n = 1 ... N, in the metric's direction."""
    finite = [float(value) for value in values if isinstance(value, (int, float)) and math.isfinite(value)]
    if not finite:
        raise ValueError("expected validation performance needs at least one finished trial")
    sign = 1.0 if metric not in METRICS or higher_is_better(metric) else -1.0
    curve = [expected_best([sign * value for value in finite], trials) for trials in range(1, len(finite) + 1)]
    return ExpectedValidation(metric, list(range(1, len(finite) + 1)), [sign * mean for mean, _std in curve],
                              [std for _mean, std in curve], finite)


def sweep_validation(runs: list[Run]) -> ExpectedValidation | None:
    """The curve of a sweep's finished runs: each run's best-epoch validation score on the metric its runs
    select by (every run one trial); None before any run has finished an epoch."""
    metric, values = None, []
    for run in runs:
        epochs = run.metrics("epoch")
        best = best_epoch_record(epochs)
        if best is None:
            continue
        metric = metric or epochs[-1]["monitor"]
        value = best["validation"].get(metric)
        if isinstance(value, (int, float)) and math.isfinite(value):
            values.append(float(value))
    return expected_validation(values, metric) if values else None

