"""How many seeds a paired comparison needs, with its uncertainty.

The exact power of the two-sided paired t-test (noncentral t) says how many seeds detect a difference
`detectable` with 80 % power, *if* the spread of the per-seed differences were known. It is not: it was
estimated from a few differences. So the number is given as a range, computed at both ends of the 95 %
chi-square interval of that spread,

    s · sqrt((n - 1) / χ²(0.975; n - 1))  …  s · sqrt((n - 1) / χ²(0.025; n - 1)),

and not at all below `MIN_SEEDS` seeds: from 2 seeds (one degree of freedom) the upper end of that
interval is 32 times the measured spread, so the range would say nothing (1,000 times as many seeds).
At 3 seeds it is still wide (0.52 s to 6.3 s); that width is the honest answer.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

ALPHA = 0.05
POWER = 0.8
MIN_SEEDS = 3        # fewer seeds: no "seeds needed" at all (docstring)
LIMIT = 10_000       # above it: "more than 10,000"


class SeedsRange(NamedTuple):
    low: int | None   # seeds needed at the lower end of the spread's interval (None: more than LIMIT)
    high: int | None  # at the upper end


def power(count, effect: float, alpha: float = ALPHA) -> np.ndarray:
    """The power of the two-sided paired t-test at `count` seeds (a number or an array) for a standardised
    effect (mean / std of the differences)."""
    from scipy import stats

    counts = np.asarray(count, dtype=float)
    freedom = counts - 1
    critical = stats.t.ppf(1 - alpha / 2, freedom)
    shift = effect * np.sqrt(counts)
    found = stats.nct.sf(critical, freedom, shift) + stats.nct.cdf(-critical, freedom, shift)
    return np.where(np.isnan(found), 1.0, found)  # scipy's nct gives nan far out, where the power is 1


def seeds_needed(std: float, detectable: float, limit: int = LIMIT, alpha: float = ALPHA) -> int | None:
    """The fewest seeds (at least 2) at which a paired t-test detects a mean difference of `detectable`
    with 80 % power at level `alpha`, given the spread `std` of the per-seed differences; None above
    `limit` or for nothing to detect. Power grows with the seeds: a doubling grid brackets the answer
    (the noncentrality stays moderate there), then evenly spaced grids narrow the bracket, each grid in
    one vectorised call."""
    if detectable <= 0:
        return None
    if std <= 0:
        return 2
    effect = detectable / std
    grid = np.unique(np.minimum(2 ** np.arange(1, math.ceil(math.log2(limit)) + 1), limit))
    enough = np.flatnonzero(power(grid, effect, alpha) >= POWER)
    if not len(enough):
        return None
    # power(low) < POWER <= power(high)
    low, high = (int(grid[enough[0] - 1]) if enough[0] else 1), int(grid[enough[0]])
    while high - low > 1:
        points = np.unique(np.linspace(low + 1, high, num=min(high - low, 32)).astype(int))
        passed = points[power(points, effect, alpha) >= POWER]
        below = points[points < passed[0]]
        low, high = (int(below[-1]) if len(below) else low), int(passed[0])
    return high


def seeds_needed_range(spread: float, seeds: int, detectable: float, alpha: float = ALPHA) -> SeedsRange | None:
    """`seeds_needed` at both ends of the 95 % interval of a spread measured on `seeds` differences;
    None below MIN_SEEDS seeds or for nothing to detect."""
    from scipy import stats

    if seeds < MIN_SEEDS or detectable <= 0:
        return None
    freedom = seeds - 1
    low_std = spread * math.sqrt(freedom / stats.chi2.ppf(0.975, freedom))
    high_std = spread * math.sqrt(freedom / stats.chi2.ppf(0.025, freedom))
    return SeedsRange(seeds_needed(low_std, detectable, alpha=alpha), seeds_needed(high_std, detectable, alpha=alpha))
