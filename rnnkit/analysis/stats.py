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
    seeds_needed_observed: int | None = None  # to detect the observed mean difference the same way

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
                   seeds_needed(std, detectable), detectable, seeds_needed(std, abs(mean)))


def seeds_needed(std: float, detectable: float, limit: int = 10_000) -> int | None:
    """Seeds a paired t-test needs to detect a mean difference of `detectable` with 80 % power at the
    5 % level, given the spread `std` of the per-seed differences (the exact power of the t-test,
    from the noncentral t distribution); None above `limit` or for nothing to detect."""
    if detectable <= 0:
        return None
    if std <= 0:
        return 2
    effect = detectable / std
    for count in range(2, limit + 1):
        freedom = count - 1
        critical = stats.t.ppf(1 - ALPHA / 2, freedom)
        shift = effect * math.sqrt(count)
        power = stats.nct.sf(critical, freedom, shift) + stats.nct.cdf(-critical, freedom, shift)
        if power >= POWER:
            return count
    return None
