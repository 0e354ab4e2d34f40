"""The verdict over seeds: a paired t interval that covers what it says, Holm over several variants, one rule
for near-zero variance, seeds needed as a range, and the table saying which seeds a verdict paired.

Simulations use fixed numpy seeds; each states its simulation standard error (SE) and checks with a margin of
at least 3 SE, so they cannot flake."""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats as scipy_stats

from rnnkit.analysis import seeds
from rnnkit.analysis.html_report import p_text, seeds_note, verdict_sentence
from rnnkit.analysis.stats import (
    DEFAULT_TEST_EXAMPLES,
    RELATIVE_FLOOR,
    compare,
    compare_all,
    holm,
    paired_t,
    t_interval,
)


def holm_reference(p_values, alpha=0.05):
    """Holm's step-down procedure as the textbook states it (own code): reject in ascending order while
    p_(r) < alpha / (m - r + 1), then stop."""
    order = sorted(range(len(p_values)), key=lambda index: p_values[index])
    rejected = [False] * len(p_values)
    for rank, index in enumerate(order):
        if p_values[index] >= alpha / (len(p_values) - rank):
            break
        rejected[index] = True
    return rejected


def group_scores(rng, architectures: int, seed_count: int, shift=None) -> dict[str, dict[int, float]]:
    """Test accuracies that share a per-seed effect (seeds are paired: correlated scores) plus each run's noise."""
    seed_effect = rng.normal(0.0, 0.02, seed_count)
    shift = np.zeros(architectures) if shift is None else shift
    return {f"arch{index}": {seed: float(0.8 + shift[index] + seed_effect[seed] + rng.normal(0.0, 0.01))
                             for seed in range(seed_count)} for index in range(architectures)}


# ------------------------------------------------------------------------------------------ simulations
@pytest.mark.parametrize("seed_count", [3, 5, 10])
def test_the_paired_interval_covers_95_percent(seed_count):
    """Normal per-seed differences with mean 0.02 and std 0.01 (the floor, 1e-6, is far below the spread).
    20,000 draws: SE = sqrt(0.95 * 0.05 / 20000) = 0.0015, so ±3 points is about 19 SE."""
    rng = np.random.default_rng(seed_count)
    differences = rng.normal(0.02, 0.01, size=(20_000, seed_count))
    mean, _std, spread, _p = paired_t(differences, 1e-6)
    low, high = t_interval(mean, spread, seed_count, 0.05)
    coverage = np.mean((low <= 0.02) & (0.02 <= high))
    assert abs(coverage - 0.95) <= 0.03, coverage
    for row in range(50):  # compare() is these same functions, one pair at a time
        verdict = compare("a", "b", list(differences[row]), [0.0] * seed_count, detectable=0.01, floor=1e-6)
        assert (verdict.low, verdict.high) == (pytest.approx(low[row]), pytest.approx(high[row]))


@pytest.mark.parametrize("architectures", [3, 5])
def test_the_familywise_false_verdict_rate_stays_at_5_percent(architectures):
    """No true difference, 3 seeds, paired (correlated) scores, through compare_all (what seed_verdicts calls):
    the share of groups with at least one "X beats Y" stays <= 5 % + 3 SE. 3,000 groups: SE = sqrt(0.05 * 0.95 /
    3000) = 0.004. Uncorrected tests gave 14.3 % (3 variants) and 36.1 % (5) in the audit."""
    rng = np.random.default_rng(100 + architectures)
    groups = 3000
    false = 0
    for _ in range(groups):
        verdicts = compare_all(group_scores(rng, architectures, 3), "accuracy", {})
        assert len(verdicts) == architectures * (architectures - 1) // 2
        false += any(verdict.significant for verdict in verdicts)
    rate, error = false / groups, math.sqrt(0.05 * 0.95 / groups)
    assert rate <= 0.05 + 3 * error, rate


def test_the_interval_and_the_verdict_never_disagree():
    """Random groups (2-5 variants, 2-8 seeds, some true differences, some exact copies: tied p-values): every
    verdict is significant exactly when its interval excludes 0, exactly when Holm (own code, and statsmodels
    where installed) rejects it, and its sentence says so; the interval is scipy's t interval at its level."""
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    rng = np.random.default_rng(7)
    outcomes = set()
    for draw in range(250):  # each draw computes every verdict's seeds-needed range (scipy's noncentral t)
        architectures, seed_count = int(rng.integers(2, 6)), int(rng.integers(2, 9))
        scores = group_scores(rng, architectures, seed_count, shift=rng.choice([0.0, 0.01, 0.03], architectures))
        if architectures > 2 and rng.random() < 0.3:
            scores["arch2"] = dict(scores["arch1"])  # a copy: two tied p-values and one exact tie
        verdicts = compare_all(scores, "accuracy", {"arch0": 2000})
        p_values = [verdict.p_value for verdict in verdicts]
        assert [verdict.significant for verdict in verdicts] == holm_reference(p_values)
        if draw < 15:  # statsmodels runs gc.collect on every call (slow): a share of the draws is enough
            reject, adjusted, _sidak, _bonferroni = multitest.multipletests(p_values, alpha=0.05, method="holm")
            assert [verdict.significant for verdict in verdicts] == list(reject)
            assert [verdict.adjusted_p for verdict in verdicts] == pytest.approx(list(adjusted))
        for verdict in verdicts:
            excludes_zero = verdict.low > 0 or verdict.high < 0
            assert verdict.significant == excludes_zero == (verdict.p_value < 1 - verdict.confidence)
            low, high = scipy_stats.t.interval(verdict.confidence, verdict.seeds - 1, loc=verdict.difference,
                                               scale=verdict.spread / math.sqrt(verdict.seeds))
            assert (verdict.low, verdict.high) == (pytest.approx(low), pytest.approx(high))
            assert (" beats " in verdict_sentence(verdict, "accuracy")) == verdict.significant
            outcomes.add(verdict.significant)
    assert outcomes == {True, False}


def test_holm_levels_agree_with_holm_including_ties():
    for p_values in ([0.01, 0.01, 0.04], [0.001, 0.02, 0.02, 0.3], [0.0125, 0.0125, 0.02, 0.02], [0.2, 0.2, 0.2],
                     [0.004, 0.01, 0.05], [0.5]):
        adjusted, gamma = holm(p_values)
        assert list(np.asarray(p_values) < gamma) == holm_reference(p_values), p_values
        count = len(p_values)  # adjusted p: max over ranks <= r of (m - rank + 1) p, monotone, capped at 1
        ranked = sorted(p_values)
        expected = [min(1.0, max((count - rank) * ranked[rank] for rank in range(position + 1)))
                    for position in range(count)]
        assert sorted(adjusted) == pytest.approx(expected)
    adjusted, gamma = holm([0.01, 0.04, 0.03])  # 0.01 < 0.05/3; 0.03 >= 0.05/2 stops: ranks 2, 3 at 0.05/2
    assert list(gamma) == pytest.approx([0.05 / 3, 0.05 / 2, 0.05 / 2])
    assert list(adjusted) == pytest.approx([0.03, 0.06, 0.06])


# ---------------------------------------------------------------------------------- near-zero variance
def test_exact_ties_equal_gaps_and_near_equal_gaps_read_alike():
    tie = compare("gru", "lstm", [0.9, 0.8, 0.7], [0.9, 0.8, 0.7], detectable=0.01, floor=0.001)
    assert tie.p_value == 1.0 and not tie.significant
    assert verdict_sentence(tie, "accuracy").startswith(
        "On the test split, gru and lstm scored the same accuracy on average; no significant difference at 3 seeds "
        "(paired t-test p = 1; 95 % interval ")
    equal = compare("gru", "lstm", [0.9, 0.8, 0.7], [0.88, 0.78, 0.68], detectable=0.01, floor=0.001)
    near = compare("gru", "lstm", [0.9, 0.8, 0.7], [0.88, 0.7800001, 0.6799999], detectable=0.01, floor=0.001)
    assert verdict_sentence(equal, "accuracy") == verdict_sentence(near, "accuracy") == (
        "On the test split, gru beats lstm on accuracy by 2.0 points over 3 seeds (paired t-test p < 0.001; "
        "95 % interval +1.8 to +2.2 points).")
    # the floor is the spread: t = 0.02 / (0.001 / sqrt 3), so p is what that says, not 1e-29
    expected = 2 * scipy_stats.t.sf(0.02 / (0.001 / math.sqrt(3)), 2)
    assert equal.p_value == pytest.approx(expected) and near.p_value == pytest.approx(expected) and expected > 1e-6
    two = compare("gru", "lstm", [0.9, 0.8], [0.8, 0.7], detectable=0.01, floor=0.001)
    almost = compare("gru", "lstm", [0.9, 0.8], [0.8, 0.69999999999999991], detectable=0.01, floor=0.001)
    assert verdict_sentence(two, "accuracy") == verdict_sentence(almost, "accuracy")
    assert "every one" not in verdict_sentence(two, "accuracy") and p_text(1e-29) == "p < 0.001"


def test_the_floor_is_one_test_example_or_a_documented_default():
    scores = {"gru": {0: 0.9, 1: 0.8, 2: 0.7}, "lstm": {0: 0.88, 1: 0.78, 2: 0.68}}
    assert compare_all(scores, "accuracy", {"gru": 500, "lstm": 500})[0].floor == pytest.approx(1 / 500)
    assert compare_all(scores, "accuracy", {"gru": 500, "lstm": 2000})[0].floor == pytest.approx(1 / 2000)
    assert compare_all(scores, "macro_f1", {})[0].floor == pytest.approx(1 / DEFAULT_TEST_EXAMPLES)
    mae = compare_all({"gru": {0: 0.05, 1: 0.06}, "lstm": {0: 0.07, 1: 0.08}}, "mae")[0]
    assert mae.floor == pytest.approx(RELATIVE_FLOOR * 0.065) and mae.a == "gru"  # lower MAE is better
    assert mae.difference == pytest.approx(-0.02)


def test_a_run_records_its_test_examples():
    class Recorded:
        def __init__(self, record):
            self.record = record

        def metrics(self, kind):
            return [self.record] if kind == "test" else []

    assert seeds.count_test_examples(Recorded({"test": {"per_class": {"support": [400, 1402]}}})) == 1802
    assert seeds.count_test_examples(Recorded({"test": {"mae": 0.1}})) is None


# ---------------------------------------------------------------------------------- the same seeds
class FakeRun:
    """What seed_scores reads from a run folder: the epoch and test records and the seed."""

    def __init__(self, seed: int, score: float, examples: int = 1000):
        self.seed, self.score, self.examples = seed, score, examples

    def metrics(self, kind):
        if kind == "epoch":
            return [{"epoch": 1, "best_epoch": 1, "validation": {"accuracy": self.score}}]
        return [{"test": {"accuracy": self.score, "per_class": {"support": [self.examples // 2] * 2}}}]

    def config(self):
        return SimpleNamespace(train=SimpleNamespace(seed=self.seed))


def test_the_table_says_which_seeds_a_verdict_paired():
    groups = {"gru": [FakeRun(seed, score) for seed, score in enumerate([0.86, 0.85, 0.87, 0.70])],
              "lstm": [FakeRun(seed, score) for seed, score in enumerate([0.84, 0.84, 0.85])]}
    verdict, = seeds.seed_verdicts(groups, "accuracy")
    assert verdict.seeds == 3 and verdict.seed_ids == (0, 1, 2) and verdict.unpaired == (("gru", (3,)),)
    assert verdict.floor == pytest.approx(1 / 1000) and verdict.pairs == 1
    assert verdict.difference == pytest.approx(np.mean([0.02, 0.01, 0.02]))  # seed 3 of gru is not in it
    assert seeds_note(verdict) == ("gru vs lstm: the verdict pairs seeds 0, 1, 2; the table also counts seed 3 of "
                                   "gru (no partner).")
    complete = {"gru": groups["gru"][:3], "lstm": groups["lstm"]}
    assert seeds_note(seeds.seed_verdicts(complete, "accuracy")[0]) is None


def test_several_variants_say_holm_and_the_adjusted_p():
    rng = np.random.default_rng(3)
    scores = group_scores(rng, 3, 5, shift=np.array([0.05, 0.0, 0.0]))
    verdicts = compare_all(scores, "accuracy", {})
    raw = [verdict.p_value for verdict in verdicts]
    adjusted, gamma = holm(raw)
    for verdict, corrected, level in zip(verdicts, adjusted, gamma):
        sentence = verdict_sentence(verdict, "accuracy")
        assert "paired t-test, Holm-corrected over 3 pairs: adjusted " + p_text(corrected) in sentence
        assert verdict.confidence == pytest.approx(1 - level)
        assert f"{(1 - level) * 100:.2f}".rstrip("0").rstrip(".") + " % interval" in sentence
    assert sum(verdict.significant for verdict in verdicts) == 2  # arch0 beats both; arch1 vs arch2: no
