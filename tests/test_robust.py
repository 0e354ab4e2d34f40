"""Beyond the t-test: P(X > Y), almost stochastic order, IQM and performance profiles, expected validation
performance and the critical-difference diagram, each checked against the library's or the paper's own
example numbers, or against an independent computation; and Compare's sections and the report's on tiny
run folders written by hand (no training)."""
import html
import itertools

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from rnnkit.analysis import robust, robust_evp, robust_html, robust_tasks
from rnnkit.data.presets import build_config, seeded
from rnnkit.data.tasks import get_task
from rnnkit.runs.store import RunStore
from tests.apptest import TIMEOUT

# rliable.library cannot be imported beside pandas 3 (rliable 1.2 wants arch < 8, and arch 7.2 fails under
# pandas 3), so its numbers were taken once with pandas 2.3.3 + arch 7.2.0 + rliable 1.2.0:
#     np.random.seed(0)
#     rly.get_interval_estimates({"X": SCORES}, lambda m: np.array([metrics.aggregate_iqm(m)]), reps=50000)
#     rly.get_interval_estimates({"x,y": (X[:, None], Y[:, None])}, metrics.probability_of_improvement, reps=50000)
#     rly.create_performance_profile({"X": SCORES}, [0.56, 0.6, 0.7], reps=50000)
# (the same numbers at seeds 0, 1 and 2: the statistics take few values, so the percentiles land on them)
SCORES = np.array([[0.61, 0.72, 0.55], [0.64, 0.70, 0.58], [0.59, 0.75, 0.52], [0.66, 0.71, 0.60],
                   [0.62, 0.69, 0.57]])  # (runs, tasks)
X = [0.81, 0.83, 0.80, 0.85, 0.82]
Y = [0.79, 0.80, 0.81, 0.78, 0.80]  # ties with X at 0.80 and 0.81
RLIABLE_IQM = (0.6322222, 0.6188889, 0.6455556)
RLIABLE_IMPROVEMENT = (0.9, 0.68, 1.0)
RLIABLE_PROFILE = ([0.8666667, 0.6, 0.2], [0.7333333, 0.4666667, 0.0666667], [1.0, 0.6666667, 0.3333333])


# ------------------------------------------------------------------------------------------ P(X > Y)
def test_probability_of_improvement_is_rliables_and_counts_ties_half():
    wins = sum((x > y) + 0.5 * (x == y) for x in X for y in Y) / (len(X) * len(Y))  # by hand: 22.5 / 25
    assert wins == pytest.approx(0.9)
    assert robust.probability_of_improvement(X, Y) == pytest.approx(wins)
    generator = np.random.default_rng(3)  # the vectorised statistic the bootstrap uses is the same number
    for _ in range(200):
        x = np.round(generator.normal(0.5, 0.05, size=(generator.integers(2, 6), 2)), 2)  # rounded: many ties
        y = np.round(generator.normal(0.5, 0.05, size=(generator.integers(2, 6), 2)), 2)
        assert float(robust.pairwise_probability(x, y)) == pytest.approx(robust.probability_of_improvement(x, y))


def test_the_improvement_interval_is_rliables_stratified_bootstrap():
    point, low, high = robust.improvement_interval(X, Y, reps=50000, seed=0)
    assert (point, low, high) == pytest.approx(RLIABLE_IMPROVEMENT, abs=0.01)
    assert robust.improvement_interval(X, Y) == robust.improvement_interval(X, Y)  # seeded


def test_the_stated_coverage_of_the_interval_at_few_seeds_is_what_a_simulation_gives():
    from scipy.stats import norm

    true = norm.cdf(0.5 / np.sqrt(2))  # P(X > Y) for X ~ N(0.5, 1), Y ~ N(0, 1)
    generator = np.random.default_rng(0)
    for seeds, stated in robust.SIMULATED_COVERAGE.items():
        draws = 1000  # standard error of a coverage near 0.9: about 0.01; the check allows 0.035
        hits = 0
        for draw in range(draws):
            _point, low, high = robust.improvement_interval(generator.normal(0.5, 1, seeds),
                                                            generator.normal(0, 1, seeds), seed=draw)
            hits += low <= true <= high
        assert abs(hits / draws - stated) < 0.035, (seeds, hits / draws)
    few = robust.improvements({"a": X[:3], "b": Y[:3]})
    assert "84 % of cases at 3 seeds, 90 % at 5 and 94 % at 10" in robust_html.coverage_note(few)
    many = robust.improvements({"a": list(np.linspace(0, 1, 10)), "b": list(np.linspace(0.1, 1.1, 10))})
    assert robust_html.coverage_note(many) == ""


def test_pairs_are_oriented_towards_the_likelier_winner_and_lower_is_better_is_flipped():
    found = robust.improvements({"rnn": Y, "gru": X, "one seed": [0.99]})
    assert [(item.a, item.b) for item in found] == [("gru", "rnn")]
    assert found[0].probability == pytest.approx(0.9) and found[0].low <= 0.9 <= found[0].high
    assert robust.left_out({"rnn": Y, "one seed": [0.99]}) == ["one seed"]
    errors = robust.improvements({"rnn": X, "gru": Y}, higher_is_better=False)  # lower MAE is better
    assert (errors[0].a, errors[0].probability) == ("gru", pytest.approx(0.9))


# ------------------------------------------------------------------------------------- almost stochastic order
def _readme_models():
    """deepsig's README, "Scenario 4 - Comparing more than two models" (deepsig 1.2.8)."""
    np.random.seed(1234)
    return {f"model {i + 1}": np.random.normal(loc=loc, scale=0.8, size=5)
            for i, loc in enumerate(np.arange(0.1, 0.1 + 0.05 * 3, step=0.05))}


def test_aso_calls_deepsig_as_its_readme_does_and_corrects_for_several_pairs():
    # README: eps_min = [[1, 0.926217, 1], [1, 1, 1], [0.820816, 0.730487, 1]] (row = A, column = B), with
    # deepsig's own correction, which raises the confidence to 0.95 + 0.05 / 3
    readme = robust.aso_verdicts(_readme_models(), iterations=1000, seed=1234, confidence=0.95 + 0.05 / 3)
    found = {(verdict.a, verdict.b): verdict.epsilon for verdict in readme}
    assert found == pytest.approx({("model 1", "model 2"): 0.926217, ("model 3", "model 1"): 0.820816,
                                   ("model 3", "model 2"): 0.730487}, abs=1e-6)
    from deepsig import multi_aso  # Bonferroni proper: each of the 3 pairs at 1 - 0.05 / 3

    verdicts = robust.aso_verdicts(_readme_models(), iterations=200, seed=1234)
    matrix = multi_aso(_readme_models(), confidence_level=1 - 0.05 / 3, use_bonferroni=False,
                       num_bootstrap_iterations=200, seed=1234, show_progress=False, return_df=True)
    assert {(verdict.comparisons, round(verdict.confidence, 4)) for verdict in verdicts} == {(3, 0.9833)}
    assert {(verdict.a, verdict.b): verdict.epsilon for verdict in verdicts} == pytest.approx(
        {(a, b): matrix.loc[a, b] for a, b in found})
    assert not any(verdict.dominates for verdict in verdicts)
    assert "Bonferroni-corrected over 3 pairs: each at 98.33 % confidence" in robust_html.aso_note(verdicts)


def test_aso_of_one_pair_is_deepsigs_readme_example_and_leaves_numpy_alone():
    np.random.seed(1234)  # README, "Scenario 1": min_eps = 0.225
    mine, baseline = np.random.normal(loc=0.9, scale=0.8, size=5), np.random.normal(loc=0, scale=1, size=5)
    np.random.seed(7)
    state = np.random.get_state()[1].copy()
    [verdict] = robust.aso_verdicts({"mine": list(mine), "baseline": list(baseline)}, iterations=1000, seed=1234)
    assert np.array_equal(np.random.get_state()[1], state)  # deepsig seeds numpy's global state: put back
    assert (verdict.a, verdict.b, verdict.comparisons) == ("mine", "baseline", 1)
    assert verdict.epsilon == pytest.approx(0.225, abs=5e-4) and not verdict.dominates
    assert robust_html.aso_sentence(verdict) == ("No almost-stochastic order between mine and baseline "
                                                 "(smallest ε_min = 0.22 ≥ 0.2).")
    clear = robust.aso_verdicts({"good": [0.90, 0.91, 0.92, 0.93, 0.94], "bad": [0.70, 0.71, 0.72, 0.73, 0.74]})
    assert clear[0].epsilon == 0.0 and robust_html.aso_sentence(clear[0]) == (
        "good almost stochastically dominates bad (ε_min = 0.00 < 0.2).")


# ------------------------------------------------------------------------------------- IQM and profiles
def test_iqm_and_its_interval_are_rliables():
    by_hand = np.mean(np.sort(SCORES.ravel())[3:12])  # 15 scores: trim 25 % (3) at each end
    assert robust_tasks.iqm(SCORES) == pytest.approx(by_hand)
    assert robust_tasks.iqm_intervals({"X": SCORES}, reps=50000)["X"] == pytest.approx(RLIABLE_IQM, abs=0.005)


def test_performance_profiles_are_rliables_score_distributions():
    taus = np.array([0.56, 0.6, 0.7])
    profile, low, high = robust_tasks.performance_profiles({"X": SCORES}, taus, reps=50000)["X"]
    assert list(profile) == pytest.approx([np.mean(SCORES > tau) for tau in taus])
    for ours, theirs in zip((profile, low, high), RLIABLE_PROFILE):
        assert list(ours) == pytest.approx(theirs, abs=0.01)


def test_the_stratified_bootstrap_resamples_runs_within_each_task():
    resamples = robust.stratified_resamples(SCORES, 500, np.random.default_rng(0))
    assert resamples.shape == (500, 5, 3)
    for task in range(3):
        assert set(resamples[:, :, task].ravel()) <= set(SCORES[:, task])


# ------------------------------------------------------------------------------- expected validation
def test_expected_validation_equals_enumerating_every_sequence_of_trials():
    values = [0.5, 0.7, 0.7, 0.9]  # with a tie
    for trials in range(1, 5):
        bests = [max(draw) for draw in itertools.product(values, repeat=trials)]  # all 4^n equally likely
        mean, std = robust_evp.expected_best(values, trials)
        assert mean == pytest.approx(np.mean(bests), abs=1e-12) and std == pytest.approx(np.std(bests), abs=1e-12)


def test_expected_validation_agrees_with_a_simulation_and_the_papers_limits():
    generator = np.random.default_rng(0)
    values = generator.uniform(0.6, 0.9, size=10)
    draws = generator.choice(values, size=(400_000, 5)).max(axis=1)
    mean, std = robust_evp.expected_best(values, 5)
    standard_error = draws.std() / np.sqrt(len(draws))  # about 6e-5: the check is at 5 standard errors
    assert abs(draws.mean() - mean) < 5 * standard_error and std == pytest.approx(draws.std(), rel=0.01)
    assert robust_evp.expected_best(values, 1) == pytest.approx((np.mean(values), np.std(values)))  # n = 1: mean
    assert robust_evp.expected_best(values, 2000) == pytest.approx((values.max(), 0.0), abs=1e-9)  # large n: max
    errors = [3.0, 1.0, 2.0]  # lower is better (MAE): the expected lowest of n
    curve = robust_evp.expected_validation(errors, "mae")
    assert curve.mean == pytest.approx([np.mean([min(draw) for draw in itertools.product(errors, repeat=trials)])
                                        for trials in (1, 2, 3)])  # 2, 14/9, 4/3


# ------------------------------------------------------------------------------------ critical difference
DEMSAR_NAMES = ["C4.5", "C4.5+m", "C4.5+cf", "C4.5+m+cf"]
DEMSAR_AUC = np.array([  # Demšar 2006, Table 6: AUC on 14 data sets
    [0.763, 0.768, 0.771, 0.798], [0.599, 0.591, 0.590, 0.569], [0.954, 0.971, 0.968, 0.967],
    [0.628, 0.661, 0.654, 0.657], [0.882, 0.888, 0.886, 0.898], [0.936, 0.931, 0.916, 0.931],
    [0.661, 0.668, 0.609, 0.685], [0.583, 0.583, 0.563, 0.625], [0.775, 0.838, 0.866, 0.875],
    [1.000, 1.000, 1.000, 1.000], [0.940, 0.962, 0.965, 0.962], [0.619, 0.666, 0.614, 0.669],
    [0.972, 0.981, 0.9751, 0.975],  # voting: printed 0.975 twice, ranked (2) and (3) in the table: unrounded
    [0.957, 0.978, 0.946, 0.970]])


def test_the_critical_difference_is_demsars_worked_example():
    means = {name: list(DEMSAR_AUC[:, index]) for index, name in enumerate(DEMSAR_NAMES)}
    result = robust_tasks.critical_difference(means)
    ranks = dict(zip(result.names, result.mean_ranks))
    assert ranks == pytest.approx({"C4.5": 3.143, "C4.5+m": 2.000, "C4.5+cf": 2.893, "C4.5+m+cf": 1.964}, abs=5e-4)
    assert result.critical_difference == pytest.approx(1.25, abs=0.005)  # 2.569 √(4·5 / (6·14))
    assert result.groups == [["C4.5+m+cf", "C4.5+m", "C4.5+cf", "C4.5"]]  # the largest gap, 1.179, is below it
    n, k = 14, 4  # the paper's Friedman statistic has no tie correction: χ²_F = 9.28, F_F = 3.69
    chi_square = 12 * n / (k * (k + 1)) * (sum(rank ** 2 for rank in ranks.values()) - k * (k + 1) ** 2 / 4)
    assert chi_square == pytest.approx(9.28, abs=0.01) and (n - 1) * chi_square / (n * (k - 1) - chi_square) \
        == pytest.approx(3.69, abs=0.01)
    tied = (2 ** 3 - 2) + (2 ** 3 - 2) + (4 ** 3 - 4) + (2 ** 3 - 2)  # iris, lung cancer, mushroom, primary tumor
    ties = 1 - tied / (n * k * (k * k - 1))
    assert result.statistic == pytest.approx(chi_square / ties, rel=1e-3)  # scipy corrects for them
    lenient = robust_tasks.critical_difference(means, alpha=0.10)  # "At p = 0.10, CD is 1.12": two groups,
    assert lenient.critical_difference == pytest.approx(1.12, abs=0.005)  # C4.5+cf in both (Figure 1a)
    assert lenient.groups == [["C4.5+m+cf", "C4.5+m", "C4.5+cf"], ["C4.5+cf", "C4.5"]]


def test_nemenyi_q_is_demsars_table_5a_and_the_ranks_are_autoranks():
    table = [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164]  # k = 2 ... 10, α = 0.05
    assert [robust_tasks.nemenyi_q(k) for k in range(2, 11)] == pytest.approx(table, abs=0.0015)
    import autorank  # requirements-dev.txt
    import pandas as pd

    frame = pd.DataFrame(DEMSAR_AUC, columns=DEMSAR_NAMES)
    theirs = autorank.autorank(frame, alpha=0.05, verbose=False, force_mode="nonparametric", order="descending")
    ours = robust_tasks.critical_difference({name: list(frame[name]) for name in DEMSAR_NAMES})
    assert dict(zip(ours.names, ours.mean_ranks)) == pytest.approx(dict(theirs.rankdf["meanrank"]))
    assert ours.p_value == pytest.approx(theirs.pvalue)  # both scipy's Friedman test
    assert ours.critical_difference == pytest.approx(theirs.cd, rel=1e-4)  # statsmodels' qsturng approximates q


def test_too_few_tasks_say_that_no_pair_can_differ():
    result = robust_tasks.critical_difference({"a": [0.9, 0.8], "b": [0.7, 0.6], "c": [0.5, 0.4]})
    assert result.mean_ranks == [1.0, 2.0, 3.0] and result.critical_difference > 2
    assert "no pair can show a difference" in robust_html.cd_sentence(result)


# ------------------------------------------------------------------------------------------- run folders
def finished(store, task, arch, seed, score, validation=None, hidden=None, group="robust"):
    """A finished run written by hand: one epoch and a test record of the task's selection metric."""
    model = {"arch": arch, **({"hidden_size": hidden} if hidden else {})}
    run = store.create(seeded(build_config(task, None, {"model": model}, group=group), seed))
    metric = get_task(task).selection_metric
    run.append_metrics({"kind": "epoch", "epoch": 1, "epochs": 1, "train": {metric: score},
                        "validation": {metric: score if validation is None else validation}, "best_epoch": 1,
                        "monitor": metric, "epoch_seconds": 1.0, "samples_per_second": 10.0})
    run.append_metrics({"kind": "test", "epoch": 1, "test": {metric: score}})
    run.write_status("completed")
    return run


@pytest.fixture
def two_tasks(tmp_path):
    """recall and names with gru and lstm at 3 seeds, an rnn on recall only, and a weather run (MAE)."""
    store = RunStore(tmp_path)
    for seed in range(3):
        finished(store, "recall", "gru", seed, [0.91, 0.93, 0.92][seed])
        finished(store, "recall", "lstm", seed, [0.88, 0.90, 0.86][seed])
        finished(store, "names", "gru", seed, [0.70, 0.72, 0.69][seed], group="other")
        finished(store, "names", "lstm", seed, [0.74, 0.73, 0.75][seed], group="other")
    finished(store, "recall", "rnn", 0, 0.5)
    finished(store, "weather", "gru", 0, 0.3, group="other")
    return store


def test_across_tasks_keeps_architectures_on_every_task_and_says_what_it_left_out(two_tasks):
    data = robust_tasks.across_tasks(two_tasks.runs())
    assert robust_tasks.has_several_tasks(two_tasks.runs())
    assert not robust_tasks.has_several_tasks([run for run in two_tasks.runs() if run.config().task.name == "names"])
    assert data.tasks == ["names", "recall"] and data.metrics == {"names": "accuracy", "recall": "accuracy"}
    assert sorted(data.scores) == ["gru", "lstm"]
    assert data.scores["gru"].tolist() == [[0.70, 0.91], [0.72, 0.93], [0.69, 0.92]]  # (seeds, tasks)
    assert set(data.left_out) == {("weather", "other scale", "mae"), ("rnn", "not everywhere", "")}
    notes = " ".join(robust_html.across_tasks_notes(data))
    assert "weather left out: it is scored by MAE" in notes and "rnn left out" in notes
    assert robust_html.missing_note(data) == ""
    assert "too narrow" in robust_html.few_runs_note(data)  # 3 seeds a task
    result = robust_tasks.critical_difference(robust_tasks.task_means(data))
    assert result.mean_ranks == [1.5, 1.5] and result.groups == [["gru", "lstm"]]


def test_the_report_sections_are_escaped_html_with_their_explanations(two_tasks):
    runs = two_tasks.runs()
    recall = [run for run in runs if run.config().task.name == "recall"]
    section = robust_html.robust_html(recall, "accuracy")
    assert "Beyond the t-test" in section and html.escape("P(X > Y)") in section and "<script src" not in section
    assert "gru &gt; lstm" in section and "almost stochastically dominates" in section
    assert "Left out (fewer than 2 finished seeds): rnn." in section
    across = robust_html.across_tasks_html(runs)
    assert across.count("plotly-graph-div") == 3 and "Critical difference" in across
    assert robust_html.across_tasks_html(recall) == ""  # one task: nothing to rank
    assert "Expected validation performance" in robust_html.evp_html(recall)


SECTIONS = """
from rnnkit.runs.store import RunStore
from rnnkit.ui.robust import across_tasks_section, evp_section, robust_section
runs = RunStore({root!r}).runs()
robust_section([run for run in runs if run.config().task.name == "recall"], key="test_robust")
across_tasks_section(runs, key="test_tasks")
evp_section([run for run in runs if run.config().task.name == "names"], key="test_evp")
"""


@pytest.mark.parametrize("language", ["en", "zh"])
def test_compares_sections_render_on_a_group_with_seeds_and_on_two_tasks(two_tasks, language):
    app = AppTest.from_string(SECTIONS.format(root=str(two_tasks.root)), default_timeout=TIMEOUT)
    app.session_state["app_language"] = language
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    assert len(app.subheader) == 3 and len(app.get("plotly_chart")) == 5  # P(X>Y), IQM, profile, CD, EVP
    texts = [text.value for text in app.text]
    if language == "en":
        assert [header.value for header in app.subheader] == ["Beyond the t-test", "Across tasks",
                                                              "Expected validation performance"]
        assert any("almost stochastically dominates" in text or "No almost-stochastic order" in text
                   for text in texts)
    table = app.dataframe[0].value  # gru beat lstm at every seed on recall; the rnn has one seed
    assert table.iloc[:, :3].values.tolist() == [["gru > lstm", "1.00", "1.00 – 1.00"]]


def test_one_task_says_what_is_missing(two_tasks):
    recall_only = "[run for run in runs if run.config().task.name == 'recall']"
    script = SECTIONS.format(root=str(two_tasks.root)).replace("across_tasks_section(runs,",
                                                                f"across_tasks_section({recall_only},")
    app = AppTest.from_string(script, default_timeout=TIMEOUT).run()
    assert not app.exception
    assert any("at least 2 architectures on at least 2 tasks" in info.value for info in app.info)


def test_compare_shows_the_across_tasks_view_when_the_runs_come_from_two_tasks(two_tasks, monkeypatch):
    from tests.apptest import page

    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(two_tasks.root))
    everything = [run.run_id for run in two_tasks.runs()]
    app = page("compare", compare_runs=everything).run()
    assert not app.exception, [error.value for error in app.exception]
    assert "Across tasks" in [header.value for header in app.subheader]
    one_task = [run.run_id for run in two_tasks.runs() if run.config().task.name == "recall"]
    app = page("compare", compare_runs=one_task).run()
    assert not app.exception, [error.value for error in app.exception]
    headers = [header.value for header in app.subheader]
    assert "Across tasks" not in headers and "Beyond the t-test" in headers
