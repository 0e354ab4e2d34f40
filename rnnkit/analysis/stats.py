"""Statistics of a comparison over seeds: mean ± std with t intervals, and one verdict per pair of variants.

Seeds are paired by design (seed i gives every variant the same split, data order and, where shapes allow,
initial weights), so two variants are compared on their per-seed differences d_i = a_i - b_i (n seeds):

    s        = max(std(d), floor)                    the spread the test uses (the floor: below)
    interval = mean(d) ± t(1 - γ/2; n - 1) · s / √n   the paired t interval, df = n - 1
    p        = 2 · P(T_{n-1} > |mean(d)| / (s / √n))  the paired t-test on the same statistic

A pair is *significant* exactly when its shown interval excludes 0, which is p < γ: the interval and the
verdict are one decision and cannot disagree. With one pair γ = α = 5 % (a 95 % interval).

**Several variants.** k variants make m = k(k-1)/2 pairs, corrected with Holm's step-down method. Sort the
raw p ascending, p_(1) ≤ … ≤ p_(m), and let j be the first rank with p_(j) ≥ α / (m - j + 1) (j = m + 1
when there is none). The pair of rank r gets γ = α / (m - min(r, j) + 1). Holm rejects exactly the ranks
r < j, and p_(r) < γ holds exactly for them: for r < j by the definition of j, and for r ≥ j
p_(r) ≥ p_(j) ≥ α / (m - j + 1) = γ. Ties need no rule: Holm's thresholds grow with the rank, so equal
p-values get the same decision in either order (only their intervals' levels may differ).
The sentence shows Holm's adjusted p, max over i ≤ r of (m - i + 1) p_(i), capped at 1 (monotone).

**Near-zero variance.** Scores have a resolution, and a spread below it is not evidence. The floor is
one test example for fraction metrics (1 / n_test; `DEFAULT_TEST_EXAMPLES` where the count is unknown)
and `RELATIVE_FLOOR` of the pair's mean absolute score for the others (the last of the three significant
digits the tables show). Equal gaps, near-equal gaps and exact ties go through the same formula and the
same sentence: an exact tie has mean 0, so p = 1.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from rnnkit.analysis.power import ALPHA, SeedsRange, seeds_needed_range
from rnnkit.core.metrics import higher_is_better

CONFIDENCE = 1 - ALPHA
RESOLUTION_METRICS = ("accuracy", "macro_f1", "micro_f1")  # fractions of the test examples
DEFAULT_TEST_EXAMPLES = 1000  # n_test when no run recorded it: a floor of 0.1 points, the last digit shown
RELATIVE_FLOOR = 1e-3         # other metrics: 0.1 % of the pair's mean absolute score
ABSOLUTE_FLOOR = 1e-12        # so that two scores of exactly 0 still have a spread
DETECTABLE_FRACTION = 0.01    # the difference worth detecting: 1 point for fraction metrics ...
DETECTABLE_RELATIVE = 0.05    # ... and 5 % of the mean score for the others


# ---------------------------------------------------------------------------------------- one variant
@dataclass(frozen=True)
class Summary:
    count: int
    mean: float
    std: float          # sample standard deviation (n - 1); 0 with one value
    low: float          # 95 % confidence interval of the mean (t distribution); the mean itself with one value
    high: float


def summarise(values: list[float]) -> Summary:
    from scipy import stats

    if not values:
        raise ValueError("no values to summarise")
    data = np.asarray(values, dtype=float)
    mean = float(data.mean())
    if len(data) < 2:
        return Summary(1, mean, 0.0, mean, mean)
    std = float(data.std(ddof=1))
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, len(data) - 1) * std / math.sqrt(len(data)))
    return Summary(len(data), mean, std, mean - half, mean + half)


# ------------------------------------------------------------------------- the paired t, vectorised
def resolution_floor(metric: str, test_examples: int | None, values: list[float]) -> float:
    """The smallest spread of per-seed differences the test believes (see the module docstring)."""
    if metric in RESOLUTION_METRICS:
        return 1.0 / (test_examples if test_examples and test_examples > 0 else DEFAULT_TEST_EXAMPLES)
    scale = float(np.mean(np.abs(values))) if len(values) else 0.0
    return max(RELATIVE_FLOOR * scale, ABSOLUTE_FLOOR)


def detectable_difference(metric: str, values: list[float]) -> float:
    """The difference the "seeds needed" line plans for: 1 point, or 5 % of the mean score."""
    if metric in RESOLUTION_METRICS:
        return DETECTABLE_FRACTION
    return DETECTABLE_RELATIVE * (float(np.mean(np.abs(values))) if len(values) else 0.0)


def paired_t(differences, floor) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(mean, std, spread, p) of the paired t-test over the last axis of `differences` (..., n >= 2),
    with the spread floored at `floor` (a number or an array over the leading axes)."""
    from scipy import stats

    data = np.asarray(differences, dtype=float)
    count = data.shape[-1]
    mean, std = data.mean(axis=-1), data.std(axis=-1, ddof=1)
    spread = np.maximum(std, np.maximum(floor, ABSOLUTE_FLOOR))
    statistic = mean / (spread / math.sqrt(count))
    return mean, std, spread, 2 * stats.t.sf(np.abs(statistic), count - 1)


def t_interval(mean, spread, count: int, gamma) -> tuple[np.ndarray, np.ndarray]:
    """The paired t interval at confidence 1 - `gamma`: mean ± t(1 - γ/2; n - 1) · spread / √n."""
    from scipy import stats

    half = stats.t.ppf(1 - np.asarray(gamma, dtype=float) / 2, count - 1) * np.asarray(spread) / math.sqrt(count)
    return np.asarray(mean) - half, np.asarray(mean) + half


def holm(p_values, alpha: float = ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """Holm's step-down correction: (adjusted p, γ per pair), γ being the level at which the pair's interval
    is drawn, so that "interval excludes 0" (p < γ) is Holm's decision. Ties are ranked in input order."""
    p = np.asarray(p_values, dtype=float)
    count = len(p)
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    thresholds = alpha / (count - np.arange(count))  # rank r (1-based): α / (m - r + 1)
    failed = np.flatnonzero(ranked >= thresholds)
    first_kept = failed[0] if len(failed) else count  # j - 1, 0-based
    gamma, adjusted = np.empty(count), np.empty(count)
    gamma[order] = alpha / (count - np.minimum(np.arange(count), first_kept))
    adjusted[order] = np.minimum(np.maximum.accumulate((count - np.arange(count)) * ranked), 1.0)
    return adjusted, gamma


# ----------------------------------------------------------------------------------------- verdicts
@dataclass(frozen=True)
class Verdict:
    """`a` against `b` on paired values (a - b per seed); `a` is the better of the two on average."""
    a: str
    b: str
    seeds: int                  # seeds both finished: the pairs
    difference: float           # mean of a - b
    std: float                  # observed std of the per-seed differences
    spread: float               # the std the test uses: max(std, floor)
    floor: float                # the metric's resolution (module docstring)
    p_value: float | None       # paired t-test with `spread`; None below 2 seeds
    adjusted_p: float | None    # Holm-adjusted over `pairs` (= p_value for one pair)
    low: float | None           # the paired t interval of the mean difference at `confidence`
    high: float | None
    confidence: float           # 0.95 for one pair; 1 - Holm's γ for several
    pairs: int                  # m, the pairs corrected over
    detectable: float           # the difference the "seeds needed" range plans for
    seed_ids: tuple[int, ...] = ()                              # the seeds paired
    unpaired: tuple[tuple[str, tuple[int, ...]], ...] = ()      # variant -> its finished seeds left out

    @property
    def significant(self) -> bool:
        """Exactly when the shown interval excludes 0 (which is Holm's decision)."""
        return self.low is not None and (self.low > 0 or self.high < 0)

    @cached_property
    def seeds_needed(self) -> SeedsRange | None:
        """Seeds to detect `detectable`, as a range over the uncertainty of the spread."""
        return seeds_needed_range(self.spread, self.seeds, self.detectable, ALPHA / self.pairs)

    @cached_property
    def seeds_needed_observed(self) -> SeedsRange | None:
        """Seeds to detect the difference as measured, the same way."""
        return seeds_needed_range(self.spread, self.seeds, abs(self.difference), ALPHA / self.pairs)


def compare_all(scores: dict[str, dict[int, float]], metric: str,
                test_examples: dict[str, int | None] | None = None, alpha: float = ALPHA) -> list[Verdict]:
    """A verdict for every two variants (name -> seed -> test score), on the seeds both have, Holm-corrected
    over all k(k-1)/2 pairs. `test_examples`: each variant's n_test, for the resolution floor."""
    names, test_examples = list(scores), test_examples or {}
    pairs = []
    for index, first in enumerate(names):
        for second in names[index + 1:]:
            shared = sorted(set(scores[first]) & set(scores[second]))
            a = [scores[first][seed] for seed in shared]
            b = [scores[second][seed] for seed in shared]
            if (sum(a) >= sum(b)) != higher_is_better(metric):
                first_name, second_name, a, b = second, first, b, a
            else:
                first_name, second_name = first, second
            known = [count for count in (test_examples.get(first), test_examples.get(second)) if count]
            unpaired = tuple((name, tuple(sorted(set(scores[name]) - set(shared)))) for name in (first, second)
                             if set(scores[name]) - set(shared))
            pairs.append(dict(a=first_name, b=second_name, values_a=a, values_b=b, seed_ids=tuple(shared),
                              unpaired=unpaired, floor=resolution_floor(metric, max(known, default=None), a + b),
                              detectable=detectable_difference(metric, a + b)))
    return decide(pairs, alpha)


def compare(a: str, b: str, values_a: list[float], values_b: list[float], detectable: float,
            floor: float = ABSOLUTE_FLOOR) -> Verdict:
    """One paired comparison (same order = same seed), at the 95 % level."""
    if len(values_a) != len(values_b):
        raise ValueError("paired scores need one value of each architecture per seed")
    return decide([dict(a=a, b=b, values_a=list(values_a), values_b=list(values_b), seed_ids=(), unpaired=(),
                        floor=floor, detectable=detectable)])[0]


def decide(pairs: list[dict], alpha: float = ALPHA) -> list[Verdict]:
    """Verdicts for pairs (dicts of a, b, values_a, values_b, seed_ids, unpaired, floor, detectable): the
    paired t-test of each, Holm over all of them, and each interval at its Holm level (module docstring).
    A pair with fewer than 2 seeds counts in m with p = 1 and gets no interval."""
    count = len(pairs)
    mean, std, spread = np.zeros(count), np.zeros(count), np.zeros(count)
    p, sizes = np.ones(count), np.array([len(pair["values_a"]) for pair in pairs], dtype=int)
    for size in set(sizes.tolist()):  # vectorised over the pairs with the same number of seeds
        chosen = np.flatnonzero(sizes == size)
        differences = np.array([np.subtract(pairs[i]["values_a"], pairs[i]["values_b"]) for i in chosen],
                               dtype=float).reshape(len(chosen), size)
        if size == 1:
            mean[chosen] = differences[:, 0]
        if size >= 2:
            floors = np.array([pairs[i]["floor"] for i in chosen])
            mean[chosen], std[chosen], spread[chosen], p[chosen] = paired_t(differences, floors)
    adjusted, gamma = holm(p, alpha) if count else (p, p)
    low, high = np.full(count, np.nan), np.full(count, np.nan)
    for size in set(sizes.tolist()) - {0, 1}:
        chosen = np.flatnonzero(sizes == size)
        low[chosen], high[chosen] = t_interval(mean[chosen], spread[chosen], size, gamma[chosen])
    verdicts = []
    for i, pair in enumerate(pairs):
        tested = sizes[i] >= 2
        verdicts.append(Verdict(
            pair["a"], pair["b"], int(sizes[i]), float(mean[i]), float(std[i]), float(spread[i]), float(pair["floor"]),
            float(p[i]) if tested else None, float(adjusted[i]) if tested else None,
            float(low[i]) if tested else None, float(high[i]) if tested else None, float(1 - gamma[i]), count,
            float(pair["detectable"]), tuple(pair["seed_ids"]), tuple(pair["unpaired"])))
    return verdicts
