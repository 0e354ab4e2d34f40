"""A class as one experiment: the runs of one assignment, aggregated over students.

Every student of an assignment trains the same architectures (RNN, LSTM, GRU, ...) with the same seed and
data order each, so a student is one *pair* of the comparison, as a seed is in Compare:

    scores[arch][student]   the student's test score (the mean over their finished seeds, where they have several)
    summaries[arch]         the mean over students with its 95 % t interval (rnnkit.analysis.stats.summarise)
    verdicts                one per pair of architectures, paired by student, Holm-corrected over all pairs
                            (rnnkit.analysis.stats.compare_all: the same statistics as Compare)

A student who has no finished run of an architecture is left out of the pairs that need it, and counted
(`missing`). Runs that failed, were stopped or were interrupted are counted apart (`states`) and never give a
score; runs still queued or training are counted too. With fewer than two students there is no verdict, and
`no_verdict` says why. The gradient-flow probes (`probe` lines of metrics.jsonl, the per-epoch measure the
Inside page reads) give, per architecture, the median and the quartiles over students at each distance.

Duck-typed on purpose: `assignment` needs only its id (`assignment_id`, as rnnkit.runs.assignments has it, or
`id`); runs are `rnnkit.runs.folder.Run` (or anything with `config()`, `status()`, `owner()`, `metrics(kind)`).
No streamlit here: the dashboard, the HTML report and the CSV read the same `ClassResult`.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnnkit.analysis.gradient_flow import PROBE_MEASURE
from rnnkit.analysis.seeds import count_test_examples
from rnnkit.analysis.stats import Summary, Verdict, compare_all, summarise
from rnnkit.core.metrics import best_epoch_record
from rnnkit.runs.folder import RunError

SCORED_STATE = "completed"  # only a run that ended as planned has a test score the class counts
APART_STATES = ("failed", "stopped", "interrupted")  # counted and shown apart, never a score
WAITING_STATES = ("queued", "running")  # not finished yet
MIN_STUDENTS = 2  # a paired verdict needs two pairs at least
QUARTILES = (25.0, 50.0, 75.0)


@dataclass(frozen=True)
class RunRow:
    """One run of the assignment, as the class result and the CSV read it."""
    run: Any                    # the Run
    student: str                # run.owner() ('' for runs of single-user mode)
    architecture: str
    seed: int | None
    state: str                  # completed | failed | stopped | interrupted | queued | running
    test: float | None          # the test score of `metric`; only for completed runs
    validation: float | None    # the best epoch's validation score of `metric`
    epochs: int                 # epochs finished


@dataclass(frozen=True)
class FlowBand:
    """One architecture's gradient flow over students: at each distance (1 = the last step) the median and
    the quartiles of the students' ||dL/dh|| (each student's mean over their seeds), and how many students."""
    distance: list[int]
    median: list[float]
    low: list[float]            # 25th percentile
    high: list[float]           # 75th percentile
    students: list[int]


@dataclass
class ClassResult:
    assignment_id: str
    metric: str                                  # the metric the runs select their best epoch by
    architectures: list[str]                     # the assignment's order, then any other found
    students: list[str]                          # everyone with a run of it, in the anonymous order (numbers)
    rows: list[RunRow]
    scores: dict[str, dict[str, float]]          # architecture -> student -> test score (mean over seeds)
    summaries: dict[str, Summary | None]         # architecture -> over students (None: nobody finished it)
    verdicts: list[Verdict]                      # paired by student; the keys of the pairs are student numbers
    no_verdict: str | None                       # why there is none: no_students | one_student | one_architecture
    missing: dict[str, list[str]]                # architecture -> students with no score of it
    states: dict[str, Counter]                   # architecture -> state -> runs
    flow: dict[str, FlowBand] = field(default_factory=dict)
    shared_seeds: tuple[int, ...] = ()           # every student trained exactly these seeds (≥ 2 students)

    def number(self, student: str) -> int:
        """The student's anonymous number, 1 ... n (by a hash of the assignment and the name: not the roster's
        order, so a number does not give away a name)."""
        return self.students.index(student) + 1

    def apart(self, architecture: str | None = None) -> int:
        """Runs that failed, were stopped or interrupted (of one architecture, or of all)."""
        counters = [self.states[architecture]] if architecture else list(self.states.values())
        return sum(counter[state] for counter in counters for state in APART_STATES)

    def waiting(self) -> int:
        return sum(counter[state] for counter in self.states.values() for state in WAITING_STATES)

    def pair_students(self, verdict: Verdict) -> list[str]:
        """The students a verdict paired (its seed ids are student positions)."""
        return [self.students[index] for index in verdict.seed_ids]


# ------------------------------------------------------------------------------------------ reading runs
def assignment_id(assignment: Any) -> str:
    """The assignment's id: `assignment_id` (rnnkit.runs.assignments.Assignment) or `id`."""
    found = getattr(assignment, "assignment_id", None) or getattr(assignment, "id", None)
    if not isinstance(found, str) or not found:
        raise ValueError("an assignment needs an id to find its runs")
    return found


def assignment_runs(assignment: Any, runs: list) -> list:
    """The runs of `assignment` among `runs` (those whose config names its id)."""
    wanted, chosen = assignment_id(assignment), []
    for run in runs:
        try:
            if getattr(run.config(), "assignment", "") == wanted:
                chosen.append(run)
        except RunError:
            continue
    return chosen


def run_row(run: Any, metric: str) -> RunRow | None:
    """The run as one row; None when its config cannot be read (it cannot be placed in the class)."""
    try:
        config = run.config()
    except RunError:
        return None
    state = run.status().get("state", "failed")
    epochs = run.metrics("epoch")
    best = best_epoch_record(epochs)
    validation = best["validation"].get(metric) if best else None
    tests = run.metrics("test") if state == SCORED_STATE else []
    test = tests[-1]["test"].get(metric) if tests else None
    return RunRow(run, run.owner(), config.model.arch, config.train.seed, state,
                  float(test) if _is_number(test) else None,
                  float(validation) if _is_number(validation) else None, len(epochs))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and bool(np.isfinite(value))


def monitor_metric(runs: list) -> str:
    """The metric the runs select their best epoch by (the same for every run of one assignment)."""
    for run in runs:
        epochs = run.metrics("epoch")
        if epochs and isinstance(epochs[-1].get("monitor"), str):
            return epochs[-1]["monitor"]
    return "accuracy"


def anonymous_order(assignment_id: str, students: set[str]) -> list[str]:
    """The students in an order that says nothing about their names: by a hash of assignment and name."""
    return sorted(students, key=lambda name: hashlib.sha256(f"{assignment_id}\0{name}".encode()).hexdigest())


# ------------------------------------------------------------------------------------------- the result
def class_result(assignment: Any, runs: list) -> ClassResult:
    """The class's result of `assignment` from `runs` (any runs: those of the assignment are picked)."""
    mine = assignment_runs(assignment, runs)
    metric = monitor_metric(mine)
    rows = [row for row in (run_row(run, metric) for run in mine) if row is not None]
    declared = [str(name) for name in (getattr(assignment, "architectures", None) or [])]
    architectures = declared + sorted({row.architecture for row in rows} - set(declared))
    students = anonymous_order(assignment_id(assignment), {row.student for row in rows})
    states = {architecture: Counter() for architecture in architectures}
    per_seed: dict[str, dict[str, list[float]]] = {architecture: {} for architecture in architectures}
    for row in rows:
        states[row.architecture][row.state] += 1
        if row.test is not None:
            per_seed[row.architecture].setdefault(row.student, []).append(row.test)
    scores = {architecture: {student: float(np.mean(per_seed[architecture][student]))
                             for student in students if student in per_seed[architecture]}
              for architecture in architectures}
    summaries = {architecture: summarise(list(values.values())) if values else None
                 for architecture, values in scores.items()}
    missing = {architecture: [student for student in students if student not in scores[architecture]]
               for architecture in architectures}
    verdicts, reason = _verdicts(scores, students, metric, rows)
    return ClassResult(assignment_id(assignment), metric, architectures, students, rows, scores, summaries,
                       verdicts, reason, missing, states, flow_bands(rows, architectures), _shared_seeds(rows))


def _verdicts(scores: dict[str, dict[str, float]], students: list[str], metric: str,
              rows: list[RunRow]) -> tuple[list[Verdict], str | None]:
    """The paired verdicts (student position = the pair's key), or why there are none."""
    scored = {student for values in scores.values() for student in values}
    if not scored:
        return [], "no_students"
    if len(scored) < MIN_STUDENTS:
        return [], "one_student"
    present = [architecture for architecture, values in scores.items() if values]
    if len(present) < 2:
        return [], "one_architecture"
    position = {student: index for index, student in enumerate(students)}
    keyed = {architecture: {position[student]: value for student, value in scores[architecture].items()}
             for architecture in present}
    examples = {architecture: max((count for count in (count_test_examples(row.run) for row in rows
                                                       if row.architecture == architecture and row.test is not None)
                                   if count), default=None) for architecture in present}
    return compare_all(keyed, metric, examples), None


def _shared_seeds(rows: list[RunRow]) -> tuple[int, ...]:
    """The seeds every student trained, when they all trained the same ones (then the students are copies of
    one experiment, not independent draws: the page says so); () otherwise."""
    seeds: dict[str, set] = {}
    for row in rows:
        seeds.setdefault(row.student, set()).add(row.seed)
    distinct = {tuple(sorted(value for value in found if value is not None)) for found in seeds.values()}
    return distinct.pop() if len(seeds) >= MIN_STUDENTS and len(distinct) == 1 else ()


# ------------------------------------------------------------------------------------------ gradient flow
def latest_probe(run: Any) -> dict | None:
    """The run's last per-sequence probe line (older probes measured a batch mean: not pooled with them)."""
    probes = [record for record in run.metrics("probe") if record.get("measure") == PROBE_MEASURE]
    return probes[-1] if probes else None


def flow_bands(rows: list[RunRow], architectures: list[str]) -> dict[str, FlowBand]:
    """Per architecture, the students' gradient flow (scored runs only): each student's mean over their seeds
    at each distance, then the median and quartiles over students."""
    by_student: dict[str, dict[str, dict[int, list[float]]]] = {architecture: {} for architecture in architectures}
    for row in rows:
        if row.test is None:
            continue
        probe = latest_probe(row.run)
        if probe is None:
            continue
        points = by_student[row.architecture].setdefault(row.student, {})
        for distance, norm in zip(probe.get("distance", []), probe.get("h", [])):
            if isinstance(distance, int) and _is_number(norm) and norm > 0:
                points.setdefault(distance + 1, []).append(float(norm))
    bands = {}
    for architecture, students in by_student.items():
        distances = sorted({distance for points in students.values() for distance in points})
        if not distances:
            continue
        columns = [[float(np.mean(points[distance])) for points in students.values() if distance in points]
                   for distance in distances]
        low, median, high = (list(values) for values in zip(*(np.percentile(column, QUARTILES)
                                                                 for column in columns)))
        bands[architecture] = FlowBand(distances, [float(value) for value in median], [float(value) for value in low],
                                       [float(value) for value in high], [len(column) for column in columns])
    return bands
