"""The why, in words: when a comparison has finished, one or two sentences built from the runs' own numbers
that tie the result to the mechanism, e.g. "The RNN's gradient 149 steps back is 5e-14 of the last step's,
so it could hardly learn from the early steps: test accuracy 8.7 %. For the LSTM and GRU it stays above
0.1 (the LSTM through its cell state c): test accuracy 99.8 % and 100.0 %."

The numbers are the gradient probe each run logged at its last epoch (`probe` lines of metrics.jsonl,
measured per sequence: rnnkit.analysis.gradient_flow.probe_summary) and the test score of the task's
selection metric. The reach of a run is the gradient at the farthest distance most probe sequences
have, as a fraction of the gradient at their last step (for an LSTM the better of h and its cell state
c, the path its memory takes); seeds of one architecture are averaged on the log scale.

Only where the numbers support it, else nothing (""): every run has ended, all runs are of one task and
their probes measured the same distances; the architecture with the weakest reach keeps less than
1e-3 of its gradient there; others reach at least 1000 times as far AND score clearly better (5
percentage points for accuracy and macro-F1, 10 % of the score for the other metrics). Those are the
ones named.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from rnnkit.analysis.figures import FRACTION_METRICS, translator
from rnnkit.analysis.gradient_flow import PROBE_MEASURE
from rnnkit.analysis.reports import run_summary
from rnnkit.core.metrics import higher_is_better, metric_title
from rnnkit.model.cells import get_cell
from rnnkit.runs.folder import ACTIVE_STATES, Run

WEAK_REACH = 1e-3  # the weakest architecture keeps less than this of its gradient far back
ORDERS_OF_MAGNITUDE = 3  # the others keep at least 10 ** 3 times as much
FRACTION_GAP = 0.05  # and score at least 5 percentage points better (accuracy, macro-F1) ...
RELATIVE_GAP = 0.10  # ... or 10 % better on the other metrics (MAE, perplexity)
TINY = 1e-300  # a reach that underflowed to 0 counts as this on the log scale


@dataclass(frozen=True)
class Reach:
    arch: str
    log_reach: float  # log10 of the mean reach over its seeds (geometric mean)
    score: float  # mean test score over its seeds
    through_cell: bool  # the reach is the cell state c's (LSTM), not h's


def explain(runs: list[Run], language: str = "en") -> str:
    """The sentences in `language` ("" when the numbers do not support one)."""
    found = _reaches(runs)
    if found is None:
        return ""
    reaches, metric, distance = found
    weak = min(reaches, key=lambda reach: reach.log_reach)
    strong = [reach for reach in reaches if reach is not weak and _clearly_further(weak, reach)
              and _clearly_better(weak.score, reach.score, metric)]
    if weak.log_reach >= math.log10(WEAK_REACH) or not strong:
        return ""
    _ = translator(language)
    names = [_title(reach.arch, language) for reach in strong]
    floor = 10.0 ** math.floor(min(reach.log_reach for reach in strong))
    metric_name = _(metric_title(metric))
    first = _("The {arch}'s gradient {steps} steps back is {reach} of the last step's, so it could hardly learn "
              "from the early steps: test {metric} {score}.").format(
        arch=_title(weak.arch, language), steps=distance, reach=_number(10.0 ** weak.log_reach),
        metric=metric_name, score=_score(weak.score, metric))
    cells = [_title(reach.arch, language) for reach in strong if reach.through_cell]
    through = _(" (the {arch} through its cell state c)").format(arch=_joined(cells, language)) if cells else ""
    second = _("For the {archs} it stays above {floor}{through}: test {metric} {scores}.").format(
        archs=_joined(names, language), floor=_number(floor), through=through, metric=metric_name,
        scores=_joined([_score(reach.score, metric) for reach in strong], language))
    return first + (" " if language == "en" else "") + second


def _reaches(runs: list[Run]) -> tuple[list[Reach], str, int] | None:
    """Per architecture its reach and score, the metric and the distance (None: nothing to say)."""
    per_arch: dict[str, list[tuple[float, float, bool]]] = {}
    metrics, distances = set(), set()
    for run in runs:
        summary = run_summary(run)
        if summary.get("state") in ACTIVE_STATES:
            return None  # the comparison has not finished
        metric = summary.get("monitor") or ""
        score = summary.get("test", {}).get(metric)
        probes = [probe for probe in run.metrics("probe") if probe.get("measure") == PROBE_MEASURE]
        if score is None or not probes or "task" not in summary:
            continue
        if run.config().kind in ("sweep", "horizon"):  # such a group varies more than the architecture
            return None
        reach = _probe_reach(probes[-1])
        if reach is None:
            continue
        log_reach, distance, through_cell = reach
        metrics.add((summary["task"], metric))
        distances.add(distance)
        per_arch.setdefault(summary["arch"], []).append((log_reach, score, through_cell))
    if len(per_arch) < 2 or len(metrics) != 1 or len(distances) != 1:
        return None
    reaches = [Reach(arch, sum(row[0] for row in rows) / len(rows), sum(row[1] for row in rows) / len(rows),
                     all(row[2] for row in rows))
               for arch, rows in per_arch.items()]
    return reaches, metrics.pop()[1], distances.pop()


def _probe_reach(probe: dict) -> tuple[float, int, bool] | None:
    """(log10 of the reach, its distance, whether the cell state c gives it) of one probe line: at the
    farthest distance at least half the probe's sequences reach (mixed lengths thin out far back)."""
    distances, counts = probe.get("distance"), probe.get("sequences")
    if not isinstance(distances, list) or len(distances) < 2 or not all(isinstance(d, int) for d in distances):
        return None
    if not isinstance(counts, list) or len(counts) != len(distances) or not all(isinstance(c, int) for c in counts):
        counts = [1] * len(distances)
    far = max(index for index, count in enumerate(counts) if count * 2 >= counts[0])
    best: tuple[float, bool] | None = None
    for state in ("h", "c"):
        norms = probe.get(state)
        if not isinstance(norms, list) or len(norms) != len(distances):
            continue
        try:
            last, farthest = float(norms[0]), float(norms[far])
        except (TypeError, ValueError):  # a damaged line reads as absent
            continue
        if not (math.isfinite(last) and math.isfinite(farthest)) or last <= 0:
            continue
        log_reach = math.log10(max(farthest / last, TINY))
        if best is None or log_reach > best[0]:
            best = (log_reach, state == "c")
    if best is None or far == 0:
        return None
    return best[0], int(distances[far]), best[1]


def _clearly_further(weak: Reach, other: Reach) -> bool:
    return other.log_reach - weak.log_reach >= ORDERS_OF_MAGNITUDE


def _clearly_better(weak: float, other: float, metric: str) -> bool:
    gain = other - weak if higher_is_better(metric) else weak - other
    return gain >= (FRACTION_GAP if metric in FRACTION_METRICS else RELATIVE_GAP * abs(weak))


def _title(arch: str, language: str) -> str:
    """'RNN', 'LSTM', 'GRU', 'residual LSTM': the cell's title without its aside ('RNN (Elman)')."""
    try:
        title = get_cell(arch).title
    except ValueError:
        return arch
    return translator(language)(title).split(" (")[0].split("（")[0]


def _joined(items: list[str], language: str) -> str:
    """'a', 'a and b', 'a, b and c' (in Chinese with 、 and 和)."""
    _ = translator(language)
    if len(items) < 2:
        return "".join(items)
    return _(", ").join(items[:-1]) + _(" and ") + items[-1]


def _number(value: float) -> str:
    """2 significant digits: 0.47, 2.5, 4.6e-14 (0 where the gradient underflowed)."""
    return "0" if value <= TINY else f"{value:.2g}"


def _score(value: float, metric: str) -> str:
    return f"{value * 100:.1f} %" if metric in FRACTION_METRICS else f"{value:.3g}"
