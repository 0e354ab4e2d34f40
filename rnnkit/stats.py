"""Statistics of a comparison over seeds: mean ± std, confidence intervals, and a computed verdict.

Seeds are paired by design (seed i gives every architecture the same split, data order and, where
shapes allow, initial weights), so two architectures are compared with the paired t-test on their
per-seed differences, with a bootstrap confidence interval of the mean difference beside it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
ALPHA = 0.05
POWER = 0.8


@dataclass(frozen=True)
class Summary:
    count: int
    mean: float
    std: float          # sample standard deviation (n - 1); 0 with one value
    low: float          # 95 % confidence interval of the mean (t distribution); the mean itself with one value
    high: float


def summarise(values: list[float]) -> Summary:
    if not values:
        raise ValueError("no values to summarise")
    data = np.asarray(values, dtype=float)
    mean = float(data.mean())
    if len(data) < 2:
        return Summary(1, mean, 0.0, mean, mean)
    std = float(data.std(ddof=1))
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, len(data) - 1) * std / math.sqrt(len(data)))
    return Summary(len(data), mean, std, mean - half, mean + half)


@dataclass(frozen=True)
class Verdict:
    """`a` against `b` on paired values (a - b per seed)."""
    a: str
    b: str
    seeds: int
    difference: float           # mean of a - b
    std: float                  # std of the per-seed differences
    p_value: float | None       # paired t-test; None with one seed or identical differences
    low: float | None           # bootstrap 95 % CI of the mean difference
    high: float | None
    seeds_needed: int | None    # to detect `detectable` with 80 % power at the 5 % level
    detectable: float

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA


def compare(a: str, b: str, values_a: list[float], values_b: list[float], detectable: float,
            seed: int = 0) -> Verdict:
    """Paired comparison of two architectures' per-seed scores (same order = same seed)."""
    if len(values_a) != len(values_b):
        raise ValueError("paired scores need one value of each architecture per seed")
    differences = np.asarray(values_a, dtype=float) - np.asarray(values_b, dtype=float)
    count = len(differences)
    mean = float(differences.mean()) if count else 0.0
    std = float(differences.std(ddof=1)) if count > 1 else 0.0
    if count < 2 or std == 0.0:
        return Verdict(a, b, count, mean, std, None, None, None, None, detectable)
    p_value = float(stats.ttest_rel(values_a, values_b).pvalue)
    interval = stats.bootstrap((differences,), np.mean, confidence_level=CONFIDENCE, n_resamples=2000,
                               method="percentile", random_state=np.random.default_rng(seed)).confidence_interval
    return Verdict(a, b, count, mean, std, p_value, float(interval.low), float(interval.high),
                   seeds_needed(std, detectable), detectable)


def seeds_needed(std: float, detectable: float) -> int | None:
    """Seeds for a paired test to detect a mean difference of `detectable` with 80 % power at the 5 %
    level, from the observed spread of the differences (normal approximation, at least 2)."""
    if detectable <= 0:
        return None
    z = stats.norm.ppf(1 - ALPHA / 2) + stats.norm.ppf(POWER)
    return max(2, math.ceil((z * std / detectable) ** 2))
