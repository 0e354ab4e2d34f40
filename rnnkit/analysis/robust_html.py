"""The robust comparisons in words, and as sections of the HTML report: P(X > Y) and almost stochastic order
for a group with seeds (`robust_html`), IQM, performance profiles and the critical-difference diagram across
tasks (`across_tasks_html`), expected validation performance for a sweep (`evp_html`). Each comes with its
one-line plain explanation; Compare's views (rnnkit/ui/robust.py) show the same words. Every text from a run
folder is HTML-escaped; the figures are embedded without plotly.js, which the report inlines once, with its
first figure.
"""
from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from rnnkit.analysis import robust, robust_evp, robust_figures, robust_tasks
from rnnkit.analysis.figures import FRACTION_METRICS, translator
from rnnkit.analysis.robust import AsoVerdict, Improvement
from rnnkit.core.metrics import higher_is_better, metric_title
from rnnkit.runs.folder import Run

EXPLAINED = ("improvement", "aso", "iqm", "profile", "cd", "evp")


def explanation(name: str, language: str = "en") -> str:
    """The one-line plain explanation of a figure (one of EXPLAINED), with its reference."""
    _ = translator(language)
    texts = {
        "improvement": _("P(X > Y) is the chance that a run of X beats a run of Y, both with a seed drawn at "
                         "random (ties count half): 0.5 means neither is better. The interval is a 95 % "
                         "stratified bootstrap interval (Agarwal et al. 2021, rliable)."),
        "aso": _("Almost stochastic order (Dror et al. 2019, deepsig) asks whether X scores better than Y at "
                 "every quantile of their seeds' scores: ε_min = 0 means always, 1 means never; below 0.2 we "
                 "say X almost stochastically dominates Y."),
        "iqm": _("IQM is the mean of the middle 50 % of all runs on all tasks: a few unlucky seeds do not move "
                 "it. The bar's interval is a 95 % stratified bootstrap interval (Agarwal et al. 2021, rliable)."),
        "profile": _("A performance profile shows, for every threshold τ, the share of an architecture's runs on "
                     "all tasks that score above τ: a curve above another is better at every level "
                     "(Agarwal et al. 2021)."),
        "cd": _("Each task ranks the architectures (1 = best); the diagram shows their mean ranks. Architectures "
                "joined by a bar are not significantly different: their mean ranks differ by less than the "
                "critical difference CD (Friedman test and Nemenyi test, Demšar 2006)."),
        "evp": _("Expected validation performance: the best validation score you can expect after n trials of "
                 "this sweep, ± one standard deviation (Dodge et al. 2019). Where the curve flattens, more "
                 "trials stop paying off."),
    }
    return texts[name]


# ------------------------------------------------------------------------------------- a group with seeds
def improvement_table(found: list[Improvement], language: str = "en") -> pd.DataFrame:
    """One row per pair: P(a > b), its interval and the seeds behind it, as text."""
    _ = translator(language)
    return pd.DataFrame({
        _("pair"): [f"{item.a} > {item.b}" for item in found],
        _("P(X > Y)"): [f"{item.probability:.2f}" for item in found],
        _("95 % interval"): [f"{item.low:.2f} – {item.high:.2f}" for item in found],
        _("seeds"): [f"{item.seeds_a} / {item.seeds_b}" for item in found],
    })


def coverage_note(found: list[Improvement], language: str = "en") -> str:
    """The caveat on the intervals when a pair has fewer seeds than the bootstrap needs to hold 95 %."""
    _ = translator(language)
    if all(min(item.seeds_a, item.seeds_b) >= robust.FULL_COVERAGE_SEEDS for item in found):
        return ""
    coverage = robust.SIMULATED_COVERAGE
    return _("With fewer than 10 seeds these intervals are too narrow: in simulation a 95 % interval covered "
             "{three} % of cases at 3 seeds, {five} % at 5 and {ten} % at 10.").format(
        three=round(coverage[3] * 100), five=round(coverage[5] * 100), ten=round(coverage[10] * 100))


def aso_sentence(verdict: AsoVerdict, language: str = "en") -> str:
    """'X almost stochastically dominates Y (ε_min = 0.12 < 0.2).' or 'No almost-stochastic order ...'."""
    _ = translator(language)
    values = {"a": verdict.a, "b": verdict.b, "epsilon": f"{verdict.epsilon:.2f}",
              "threshold": f"{robust.ASO_THRESHOLD:g}"}
    if verdict.dominates:
        return _("{a} almost stochastically dominates {b} (ε_min = {epsilon} < {threshold}).").format(**values)
    return _("No almost-stochastic order between {a} and {b} (smallest ε_min = {epsilon} ≥ {threshold}).").format(
        **values)


def aso_note(verdicts: list[AsoVerdict], language: str = "en") -> str:
    """How the ASO verdicts were computed: the confidence and the correction for several pairs."""
    _ = translator(language)
    if not verdicts:
        return ""
    if verdicts[0].comparisons == 1:
        return _("ASO at 95 % confidence, one pair: no correction needed.")
    confidence = f"{verdicts[0].confidence * 100:.2f}".rstrip("0").rstrip(".")  # as the t-test's levels: 98.33
    return _("ASO Bonferroni-corrected over {pairs} pairs: each at {confidence} % confidence.").format(
        pairs=verdicts[0].comparisons, confidence=confidence)


def few_seeds_note(names: list[str], language: str = "en") -> str:
    _ = translator(language)
    return _("Left out (fewer than {minimum} finished seeds): {names}.").format(
        minimum=robust.MINIMUM_SEEDS, names=", ".join(names)) if names else ""


def robust_html(runs: list[Run], metric: str, language: str = "en") -> str:
    """The report's section for a group with seeds: P(X > Y) with intervals and the ASO verdicts."""
    _ = translator(language)
    scores, _arches = robust.group_scores(runs, metric)
    found = robust.improvements(scores, higher_is_better(metric))
    if not found:
        return ""
    verdicts = robust.aso_verdicts(scores, higher_is_better(metric))
    parts = [_heading(_("Beyond the t-test")), _paragraph(explanation("improvement", language)),
             _figure(robust_figures.improvement_figure(found, language=language)),
             _table(improvement_table(found, language)), _paragraph(coverage_note(found, language)),
             _paragraph(explanation("aso", language)),
             "<ul>" + "".join(f"<li>{html.escape(aso_sentence(verdict, language))}</li>" for verdict in verdicts)
             + "</ul>", _paragraph(aso_note(verdicts, language)),
             _paragraph(few_seeds_note(robust.left_out(scores), language))]
    return "\n".join(part for part in parts if part)


# ------------------------------------------------------------------------------------------ across tasks
def across_tasks_notes(data: robust_tasks.TaskScores, language: str = "en") -> list[str]:
    """Which metric scores each task, and what was left out and why."""
    _ = translator(language)
    notes = []
    if data.tasks:
        used = ", ".join(task + " (" + _(metric_title(data.metrics[task])) + ")" for task in data.tasks)
        notes.append(_("Test scores by each task's selection metric, used as they are (fractions, higher is "
                       "better): {tasks}.").format(tasks=used))
    for name, reason, metric in data.left_out:
        if reason == "other scale":
            notes.append(_("{task} left out: it is scored by {metric}, which has no common scale with "
                           "accuracy.").format(task=name, metric=_(metric_title(metric))))
        elif reason == "unfinished":
            notes.append(_("{task} left out: no finished run.").format(task=name))
        else:
            notes.append(_("{model} left out: it was not trained on every task.").format(model=name))
    return notes


def few_runs_note(data: robust_tasks.TaskScores, language: str = "en") -> str:
    """The caveat on the IQM and profile intervals when an architecture has fewer than 10 runs per task."""
    _ = translator(language)
    if all(len(matrix) >= robust.FULL_COVERAGE_SEEDS for matrix in data.scores.values()):
        return ""
    return _("With fewer than 10 runs per task these bootstrap intervals are too narrow: read them as the least "
             "uncertainty there is.")


def missing_note(data: robust_tasks.TaskScores, language: str = "en") -> str:
    """What the across-task views still need, or '' when they can be drawn (2 architectures, 2 tasks)."""
    _ = translator(language)
    if len(data.tasks) >= 2 and len(data.scores) >= 2:
        return ""
    return _("Across tasks needs finished runs of at least 2 architectures on at least 2 tasks scored by accuracy "
             "or macro-F1; here: {models} architectures on {tasks} tasks.").format(
        models=len(data.scores), tasks=len(data.tasks))


def cd_sentence(result: robust_tasks.CriticalDifference, language: str = "en") -> str:
    """The Friedman test's answer and the CD in one sentence; says when no pair can ever differ."""
    _ = translator(language)
    text = _("Critical difference {cd} ranks at α = {alpha} over {tasks} tasks.").format(
        cd=f"{result.critical_difference:.2f}", alpha=result.alpha, tasks=result.tasks)
    if result.p_value is not None:
        text += " " + _("Friedman test: p = {p}.").format(p=f"{result.p_value:.2g}")
    if result.critical_difference > len(result.names) - 1:
        text += " " + _("With this few tasks the CD is larger than any possible gap in mean rank: no pair can "
                        "show a difference; more tasks are needed.")
    return text


def across_tasks_figures(data: robust_tasks.TaskScores, language: str = "en"
                         ) -> tuple[list[go.Figure], robust_tasks.CriticalDifference]:
    """The IQM bars, the performance profiles and the CD diagram of `data` (at least 2 x 2), and the ranks."""
    intervals = robust_tasks.iqm_intervals(data.scores)
    taus = robust_tasks.profile_thresholds(data.scores)
    profiles = robust_tasks.performance_profiles(data.scores, taus)
    result = robust_tasks.critical_difference(robust_tasks.task_means(data))
    return [robust_figures.iqm_figure(intervals, data.arches, len(data.tasks), language=language),
            robust_figures.profile_figure(taus, profiles, data.arches, language=language),
            robust_figures.cd_figure(result, data.arches, language=language)], result


def across_tasks_html(runs: list[Run], language: str = "en") -> str:
    """The report's section across tasks ('' when the runs hold fewer than 2 tasks of 2 architectures)."""
    _ = translator(language)
    data = robust_tasks.across_tasks(runs)
    if missing_note(data, language):
        return ""
    (iqm, profile, cd), result = across_tasks_figures(data, language)
    parts = [_heading(_("Across tasks")), *[_paragraph(note) for note in across_tasks_notes(data, language)],
             _paragraph(explanation("iqm", language)), _figure(iqm), _paragraph(few_runs_note(data, language)),
             _paragraph(explanation("profile", language)),
             _figure(profile), _paragraph(explanation("cd", language)), _figure(cd),
             _paragraph(cd_sentence(result, language))]
    return "\n".join(parts)


# ----------------------------------------------------------------------------------------------- a sweep
def evp_sentence(curve: robust_evp.ExpectedValidation, language: str = "en") -> str:
    _ = translator(language)
    last = len(curve.trials) - 1
    return _("One trial gives {first} ± {first_std} on average; the best of all {count} is expected at {last} ± "
             "{last_std} (measured best: {best}).").format(
        first=_score(curve.metric, curve.mean[0]), first_std=_score(curve.metric, curve.std[0]),
        count=len(curve.trials), last=_score(curve.metric, curve.mean[last]),
        last_std=_score(curve.metric, curve.std[last]),
        best=_score(curve.metric, max(curve.scores) if higher_is_better(curve.metric) else min(curve.scores)))


def evp_html(runs: list[Run], language: str = "en") -> str:
    """The report's expected-validation section of a sweep ('' before any run has finished an epoch)."""
    _ = translator(language)
    curve = robust_evp.sweep_validation(runs)
    if curve is None:
        return ""
    return "\n".join([_heading(_("Expected validation performance"), 3), _paragraph(explanation("evp", language)),
                      _figure(robust_figures.evp_figure(curve, language=language)),
                      _paragraph(evp_sentence(curve, language))])


# ------------------------------------------------------------------------------------------------ helpers
def _score(metric: str, value: float) -> str:
    return f"{value * 100:.1f} %" if metric in FRACTION_METRICS else f"{value:.3g}"


def _heading(text: str, level: int = 2) -> str:
    return f"<h{level}>{html.escape(text)}</h{level}>"


def _paragraph(text: str) -> str:
    return f"<p>{html.escape(text)}</p>" if text else ""


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, border=0, classes="table")


def _figure(figure: go.Figure) -> str:
    return figure.to_html(full_html=False, include_plotlyjs=False, default_height="420px")
