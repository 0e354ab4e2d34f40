"""A check step evaluated on the runs of its run step: passed, not yet (False), or None while there is not enough
to tell (runs missing or still training), with the numbers it was decided on.

    better            mean `metric` over the seeds of `arch` beats that of `than` (direction from the metric)
    at_least/at_most  mean `metric` of `arch` >= / <= `value`
    gradient_ratio    the last epoch's gradient probe: ||dL/dh|| at `distance` steps back, mean over the seeds of
                      `arch`, divided by the same of `of`, is below `below` (a ratio of the means)
    horizon_longer    the longest T at which `arch`'s mean test accuracy is >= `threshold` exceeds `than`'s
    finished          every run of the step ended completed (or stopped on request)

Metrics: `test_score` is the task's selection metric on the test split (accuracy for classifiers, MSE/MAE for
regression, perplexity for language models), `best_val_score` the same on validation at the best epoch,
`test_accuracy` and `test_loss` the test split's accuracy and loss.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from rnnkit.analysis.figures import translator
from rnnkit.analysis.labs.schema import Lab, Step
from rnnkit.analysis.run_text import format_score
from rnnkit.core.metrics import best_epoch_record, higher_is_better
from rnnkit.runs.folder import ACTIVE_STATES, FINISHED_STATES, Run, RunError


@dataclass(frozen=True)
class CheckResult:
    passed: bool | None  # True passed, False not yet, None: not enough runs finished to tell
    detail: str  # the numbers, e.g. "LSTM 91.0 % vs RNN 52.0 %"


class Score(NamedTuple):
    metric: str  # the metric's own name (accuracy, loss, mae, ...)
    value: float


def evaluate_check(lab: Lab, step: Step, runs: list[Run], language: str | None = None) -> CheckResult:
    """Check step `step` of `lab` on `runs` (its run step's latest group, `lab_runs`), in `language`'s words."""
    _ = translator(language or lab.language)
    if step.kind != "check":
        raise ValueError(f"step {step.index} of lab {lab.id!r} is a {step.kind} step, not a check")
    if not runs:
        return CheckResult(None, _("No runs yet: start the run step first."))
    states = [_state(run) for run in runs]
    if step.check == "finished":
        done = sum(state in FINISHED_STATES for state in states)
        words = _("{done} of {total} runs finished").format(done=done, total=len(runs))
        if any(state in ACTIVE_STATES for state in states):
            return CheckResult(None, words)
        return CheckResult(done == len(runs), words)
    params = step.params
    needed = [params[key] for key in ("arch", "than", "of") if key in params]
    by_arch = {arch: [run for run in runs if _arch(run) == arch] for arch in needed}
    if any(state in ACTIVE_STATES for run, state in zip(runs, states) if _arch(run) in needed):
        return CheckResult(None, _("The runs are still training."))
    evaluate = {"better": _better, "at_least": _bound, "at_most": _bound, "gradient_ratio": _gradient_ratio,
                "horizon_longer": _horizon_longer}[step.check]
    return evaluate(step, by_arch, _)


def _better(step: Step, by_arch: dict[str, list[Run]], _) -> CheckResult:
    arch, than, metric = step.params["arch"], step.params["than"], step.params["metric"]
    mine, theirs = _mean_score(by_arch[arch], metric), _mean_score(by_arch[than], metric)
    if mine is None or theirs is None:
        return CheckResult(None, _("No test results yet for {arch}.").format(
            arch=(arch if mine is None else than).upper()))
    detail = f"{arch.upper()} {format_score(mine.metric, mine.value)} vs {than.upper()} " \
             f"{format_score(theirs.metric, theirs.value)}"
    ahead = mine.value > theirs.value if higher_is_better(mine.metric) else mine.value < theirs.value
    return CheckResult(ahead, detail)


def _bound(step: Step, by_arch: dict[str, list[Run]], _) -> CheckResult:
    arch, metric, value = step.params["arch"], step.params["metric"], float(step.params["value"])
    mine = _mean_score(by_arch[arch], metric)
    if mine is None:
        return CheckResult(None, _("No test results yet for {arch}.").format(arch=arch.upper()))
    at_least = step.check == "at_least"
    detail = f"{arch.upper()} {format_score(mine.metric, mine.value)} {'≥' if at_least else '≤'} " \
             f"{format_score(mine.metric, value)}?"
    return CheckResult(mine.value >= value if at_least else mine.value <= value, detail)


def _gradient_ratio(step: Step, by_arch: dict[str, list[Run]], _) -> CheckResult:
    arch, of = step.params["arch"], step.params["of"]
    distance, below = int(step.params["distance"]), float(step.params["below"])
    norms = {}
    for name in (arch, of):
        values = [norm for norm in (probe_norm(run, distance) for run in by_arch[name]) if norm is not None]
        if not values:
            return CheckResult(None, _("No gradient probe at distance {distance} yet for {arch}.").format(
                distance=distance, arch=name.upper()))
        norms[name] = sum(values) / len(values)
    if norms[of] <= 0:
        return CheckResult(None, _("{arch}'s gradient at distance {distance} is 0: no ratio.").format(
            arch=of.upper(), distance=distance))
    ratio = norms[arch] / norms[of]
    detail = _("at distance {distance}: {arch} {a:.3g} / {of} {b:.3g} = {ratio:.3g} (below {below:.3g}?)").format(
        distance=distance, arch=arch.upper(), a=norms[arch], of=of.upper(), b=norms[of], ratio=ratio, below=below)
    return CheckResult(ratio < below, detail)


def _horizon_longer(step: Step, by_arch: dict[str, list[Run]], _) -> CheckResult:
    from rnnkit.analysis.horizon import horizon_summary, horizon_table

    arch, than, threshold = step.params["arch"], step.params["than"], float(step.params["threshold"])
    summary = horizon_summary(horizon_table(by_arch[arch] + by_arch[than]))
    reach = {}
    for name in (arch, than):
        rows = summary[(summary["arch"] == name)]
        if rows.empty or rows["mean"].isna().all():
            return CheckResult(None, _("No test results yet for {arch}.").format(arch=name.upper()))
        held = [int(row["sequence_length"]) for _index, row in rows.iterrows()
                if row["mean"] is not None and not math.isnan(row["mean"]) and row["mean"] >= threshold]
        reach[name] = max(held, default=0)
    detail = _("longest T with mean test accuracy ≥ {threshold}: {arch} {a}, {than} {b}").format(
        threshold=format_score("accuracy", threshold), arch=arch.upper(), a=reach[arch] or "–",
        than=than.upper(), b=reach[than] or "–")
    return CheckResult(reach[arch] > reach[than], detail)


def run_score(run: Run, metric: str) -> Score | None:
    """The run's `metric` (a lab metric name) as (its own metric name, value); None until it has it."""
    epochs = run.metrics("epoch")
    monitor = epochs[-1].get("monitor") if epochs else None
    if metric == "best_val_score":
        best = best_epoch_record(epochs)
        value = (best or {}).get("validation", {}).get(monitor) if monitor else None
        return Score(monitor, float(value)) if _is_number(value) else None
    tests = run.metrics("test")
    test = tests[-1].get("test", {}) if tests else {}
    name = {"test_accuracy": "accuracy", "test_loss": "loss"}.get(metric) or monitor or _selection_metric(run)
    value = test.get(name) if isinstance(test, dict) else None
    return Score(name, float(value)) if _is_number(value) else None


def probe_norm(run: Run, distance: int) -> float | None:
    """||dL/dh|| at `distance` steps before the last in the run's last gradient probe, interpolated on a log
    scale between the probed distances; None without a probe that reaches that far."""
    probes = run.metrics("probe")
    if not probes:
        return None
    distances, norms = probes[-1].get("distance"), probes[-1].get("h")
    if not isinstance(distances, list) or not isinstance(norms, list) or len(distances) != len(norms):
        return None
    pairs = sorted((d, n) for d, n in zip(distances, norms) if _is_number(d) and _is_number(n))
    for (low, low_norm), (high, high_norm) in zip(pairs, pairs[1:]):
        if low <= distance <= high:
            if distance == low or low_norm <= 0 or high_norm <= 0:
                return float(low_norm if distance == low else high_norm if distance == high else 0.0)
            share = (distance - low) / (high - low)
            return math.exp(math.log(low_norm) + share * (math.log(high_norm) - math.log(low_norm)))
    return float(pairs[0][1]) if pairs and pairs[0][0] == distance else None


def _mean_score(runs: list[Run], metric: str) -> Score | None:
    scores = [score for score in (run_score(run, metric) for run in runs) if score is not None]
    if not scores:
        return None
    return Score(scores[0].metric, sum(score.value for score in scores) / len(scores))


def _selection_metric(run: Run) -> str:
    from rnnkit.data.tasks import get_task

    try:
        return get_task(run.config().task.name).selection_metric
    except (RunError, ValueError):
        return "accuracy"


def _arch(run: Run) -> str:
    try:
        return run.config().model.arch
    except (RunError, ValueError):
        return ""


def _state(run: Run) -> str:
    return str(run.status().get("state", ""))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
