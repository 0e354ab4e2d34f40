"""Beyond the t-test, for a group with seeds: how likely one variant beats another, and whether it does at
(almost) every quantile. Plain data out (dataclasses); the words are `rnnkit.analysis.robust_html`'s, the
figures `rnnkit.analysis.robust_figures`'s, the dashboard's view `rnnkit.ui.robust`.

    P(X > Y)      the probability that a run of X beats a run of Y, over seeds drawn at random (ties count
                  half): the Mann-Whitney U statistic / (n_x n_y), computed by rliable
                  (`rliable.metrics.probability_of_improvement`, Agarwal et al. 2021), with a 95 %
                  percentile interval of the stratified bootstrap (each variant's runs resampled on their own)
    ASO           almost stochastic order (Dror et al. 2019), computed by deepsig (`deepsig.multi_aso`):
                  eps_min in [0, 1] says how far X's score distribution is from being better than Y's at every
                  quantile; eps_min < 0.2 reads "X almost stochastically dominates Y"; several variants are
                  Bonferroni-corrected over their k(k-1)/2 pairs (confidence 1 - 0.05 / m, see `aso_verdicts`)

Both look at the two distributions of scores, not at seed pairs (the paired t-test of
`rnnkit.analysis.stats` does that). Scores where lower is better (MAE, perplexity) are negated first, as
deepsig's README says to, so "X beats Y" always means better.

The bootstrap is rliable's stratified bootstrap written out in numpy (`stratified_resamples`):
`rliable.library` imports `arch`, and every `arch` that rliable 1.2 accepts (< 8.0) fails to import under
pandas 3 (its `deprecate_kwarg`). tests/test_robust.py checks the intervals against numbers
`rliable.library.get_interval_estimates` gave (with arch 8.0) on the same scores.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnkit.analysis.reports import arch_of
from rnnkit.analysis.seeds import seed_scores, variants
from rnnkit.runs.folder import Run

CONFIDENCE = 0.95  # every interval here is a 95 % interval
BOOTSTRAP_REPS = 2000  # bootstrap replicates of an interval (rliable's default for profiles)
ASO_THRESHOLD = 0.2  # eps_min below this: almost stochastic dominance (deepsig's README, Ulmer et al. 2022)
ASO_BOOTSTRAP = 200  # deepsig's bootstrap iterations for sigma: 5 variants x 5 seeds in a few seconds
SEED = 0  # every bootstrap here is seeded: the same runs always give the same numbers
MINIMUM_SEEDS = 2  # a variant with fewer finished seeds has no distribution to compare
# What the 95 % interval of P(X > Y) really covers at a few seeds per variant (simulated: X ~ N(0.5, 1),
# Y ~ N(0, 1), 1,000 draws each, ± 0.03): a percentile bootstrap of so few runs is too narrow, and the views
# say so below FULL_COVERAGE_SEEDS. tests/test_robust.py repeats the simulation.
SIMULATED_COVERAGE = {3: 0.84, 5: 0.90, 10: 0.94}
FULL_COVERAGE_SEEDS = 10


@dataclass(frozen=True)
class Improvement:
    """P(a > b) over runs, oriented so that it is at least 0.5 (a is the likelier winner)."""
    a: str
    b: str
    probability: float  # P(a > b), ties counted half
    low: float  # 95 % stratified bootstrap interval
    high: float
    seeds_a: int
    seeds_b: int


@dataclass(frozen=True)
class AsoVerdict:
    """Almost stochastic order of one pair, in the direction with the smaller eps_min."""
    a: str
    b: str
    epsilon: float  # eps_min of "a is better than b" (deepsig), after the Bonferroni correction
    comparisons: int  # the pairs the correction covers (1: none)
    confidence: float  # the confidence of each test after the correction

    @property
    def dominates(self) -> bool:
        """Whether a almost stochastically dominates b."""
        return self.epsilon < ASO_THRESHOLD


# ------------------------------------------------------------------------------------------ the input
def group_scores(runs: list[Run], metric: str) -> tuple[dict[str, list[float]], dict[str, str]]:
    """A group's finished test scores: (variant -> its seeds' test `metric`, variant -> architecture)."""
    scores, arches = {}, {}
    for name, members in variants(runs).items():
        found = seed_scores(members, metric)
        scores[name] = [found[seed]["test"] for seed in sorted(found)]
        arches[name] = arch_of(members[0])
    return scores, arches


# ------------------------------------------------------------------------------------------- bootstrap
def stratified_resamples(scores: np.ndarray, reps: int, generator: np.random.Generator) -> np.ndarray:
    """rliable's stratified bootstrap: (runs, tasks) -> (reps, runs, tasks), each replicate drawing `runs`
    runs with replacement within every task (task column) on its own."""
    runs, tasks = scores.shape
    picks = generator.integers(0, runs, size=(reps, runs, tasks))  # (reps, runs, tasks) run indices
    return scores[picks, np.arange(tasks)]


def percentile_interval(replicates: np.ndarray, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """The percentile interval of bootstrap `replicates` (reps, ...): their (1-c)/2 and (1+c)/2 quantiles."""
    low, high = np.percentile(replicates, [50 * (1 - confidence), 50 * (1 + confidence)], axis=0)
    return low, high


def as_matrix(values) -> np.ndarray:
    """Scores as rliable wants them: (runs, tasks); a flat list is one task."""
    matrix = np.asarray(values, dtype=float)
    return matrix[:, None] if matrix.ndim == 1 else matrix


# ------------------------------------------------------------------------------------ P(X > Y)
def probability_of_improvement(x, y) -> float:
    """P(X > Y) averaged over tasks, by rliable: x (runs_x, tasks), y (runs_y, tasks), or flat lists."""
    from rliable.metrics import probability_of_improvement as rliable_probability

    return float(rliable_probability(as_matrix(x), as_matrix(y)))


def pairwise_probability(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The same statistic on stacks of resamples, vectorised: x (..., runs_x, tasks), y (..., runs_y, tasks)
    -> (...): the share of pairs (x_i, y_j) with x_i > y_j, ties counting half, averaged over tasks (the
    Mann-Whitney U / (n_x n_y) rliable computes; tests/test_robust.py checks they agree)."""
    difference = x[..., :, None, :] - y[..., None, :, :]  # (..., runs_x, runs_y, tasks)
    wins = (difference > 0) + 0.5 * (difference == 0)
    return wins.mean(axis=(-3, -2)).mean(axis=-1)


def improvement_interval(x, y, reps: int = BOOTSTRAP_REPS, seed: int = SEED,
                         confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """P(X > Y) with its stratified bootstrap interval: x and y resampled independently, each within its
    tasks (rliable's StratifiedIndependentBootstrap); returns (point, low, high)."""
    x, y = as_matrix(x), as_matrix(y)
    generator = np.random.default_rng(seed)
    resampled_x, resampled_y = stratified_resamples(x, reps, generator), stratified_resamples(y, reps, generator)
    replicates = pairwise_probability(resampled_x, resampled_y)  # (reps,)
    low, high = percentile_interval(replicates, confidence)
    return probability_of_improvement(x, y), float(low), float(high)


def improvements(scores: dict[str, list[float]], higher_is_better: bool = True,
                 reps: int = BOOTSTRAP_REPS, seed: int = SEED) -> list[Improvement]:
    """P(a > b) with its interval for every pair of variants with at least MINIMUM_SEEDS scores each;
    `scores`: variant -> its seeds' test scores."""
    kept = _kept(scores, higher_is_better)
    names = list(kept)
    found = []
    for index, first in enumerate(names):
        for second in names[index + 1:]:
            point, low, high = improvement_interval(kept[first], kept[second], reps, seed)
            if point >= 0.5:
                found.append(Improvement(first, second, point, low, high, len(kept[first]), len(kept[second])))
            else:  # P(b > a) = 1 - P(a > b) when ties count half, and so do the interval's ends
                found.append(Improvement(second, first, 1 - point, 1 - high, 1 - low, len(kept[second]),
                                         len(kept[first])))
    return found


# ----------------------------------------------------------------------------- almost stochastic order
def aso_verdicts(scores: dict[str, list[float]], higher_is_better: bool = True, iterations: int = ASO_BOOTSTRAP,
                 seed: int = SEED, confidence: float | None = None) -> list[AsoVerdict]:
    """eps_min of every pair of variants (at least MINIMUM_SEEDS scores each) by deepsig's `multi_aso`, each
    pair in the direction with the smaller eps_min. The confidence is 95 %, Bonferroni-corrected over the m
    pairs: 1 - 0.05 / m (or `confidence`, as given). We pass it ourselves: deepsig's `use_bonferroni` raises
    the confidence to c + (1 - c) / m (96.7 % for 3 pairs), which is Bonferroni's 1 - (1 - c) / m only for
    m = 2. Seeded, and numpy's global random state is restored afterwards (deepsig seeds it)."""
    kept = _kept(scores, higher_is_better)
    names = list(kept)
    if len(names) < 2:
        return []
    from deepsig import multi_aso

    comparisons = len(names) * (len(names) - 1) // 2
    level = confidence if confidence is not None else 1 - (1 - CONFIDENCE) / comparisons
    state = np.random.get_state()
    try:
        matrix = multi_aso({name: np.asarray(kept[name]) for name in names}, confidence_level=level,
                           use_bonferroni=False, num_bootstrap_iterations=iterations, show_progress=False,
                           seed=seed, return_df=True)  # matrix.loc[a, b]: eps_min of "a is better than b"
    finally:
        np.random.set_state(state)
    verdicts = []
    for index, first in enumerate(names):
        for second in names[index + 1:]:
            forward, backward = float(matrix.loc[first, second]), float(matrix.loc[second, first])
            a, b, epsilon = (first, second, forward) if forward <= backward else (second, first, backward)
            verdicts.append(AsoVerdict(a, b, epsilon, comparisons, level))
    return verdicts


def _kept(scores: dict[str, list[float]], higher_is_better: bool) -> dict[str, np.ndarray]:
    """The variants with enough finite scores, as arrays where higher is better."""
    sign = 1.0 if higher_is_better else -1.0
    kept = {}
    for name, values in scores.items():
        finite = np.asarray([value for value in values if isinstance(value, (int, float)) and np.isfinite(value)],
                            dtype=float)
        if len(finite) >= MINIMUM_SEEDS:
            kept[name] = sign * finite
    return kept


def left_out(scores: dict[str, list[float]]) -> list[str]:
    """The variants with fewer than MINIMUM_SEEDS finished seeds (named where the views leave them out)."""
    return [name for name, values in scores.items() if len(_kept({name: values}, True)) == 0]
