"""The class's result as people read it: every student's dot per architecture with the mean ± 95 % interval
over students, the gradient flow's median and quartiles over students, and the sentences (the verdict
paired by student, who was left out of which pair and why, runs counted apart).

Who is named: `student_frame` is the only place a student's label is made, and every figure and table is
drawn from it. `show_names` False gives every student a number ("student 7") and the viewer "you"; a
student's screen always passes False (rnnkit/ui/class_result.py), so no other student's name reaches a chart,
a hover text or a table. No streamlit here: the dashboard and the HTML report draw the same.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from rnnkit.analysis.class_results import APART_STATES, WAITING_STATES, ClassResult
from rnnkit.analysis.figures import chart_text, layout, line_width, translator
from rnnkit.analysis.frames import arch_colour
from rnnkit.analysis.html_report import verdict_sentence
from rnnkit.analysis.log_axes import log_ticks
from rnnkit.analysis.run_text import format_score, state_word
from rnnkit.core.metrics import higher_is_better, metric_title

SCALE = {"accuracy": 100.0, "macro_f1": 100.0}  # fractions drawn as percentages, as every chart does


# ------------------------------------------------------------------------------------------ who is who
def student_label(result: ClassResult, student: str, viewer: str | None, show_names: bool, language: str) -> str:
    """'you' for the viewer, the name where names are shown, else 'student N' (the anonymous number)."""
    _ = translator(language)
    if viewer is not None and student == viewer:
        return _("you")
    if show_names and student:
        return student
    return _("student {number}").format(number=result.number(student))


def student_frame(result: ClassResult, viewer: str | None, show_names: bool, language: str = "en") -> pd.DataFrame:
    """One row per student and architecture they finished: architecture, student (their label), score (the
    mean over their seeds), you (the viewer's own). The figures and tables are drawn from this alone."""
    rows = [{"architecture": architecture, "student": student_label(result, student, viewer, show_names, language),
             "score": score, "you": viewer is not None and student == viewer}
            for architecture in result.architectures for student, score in result.scores[architecture].items()]
    return pd.DataFrame(rows, columns=["architecture", "student", "score", "you"])


# --------------------------------------------------------------------------------------------- figures
def strip_figure(frame: pd.DataFrame, result: ClassResult, *, language: str = "en",
                 projector: bool = False) -> go.Figure:
    """Per architecture a box of the students' scores with every student as a dot (spread sideways so
    none hides another), the viewer's dot larger and labelled, and the mean ± 95 % interval beside it."""
    _ = translator(language)
    scale = SCALE.get(result.metric, 1.0)
    figure = go.Figure()
    for position, architecture in enumerate(result.architectures):
        mine = frame[frame["architecture"] == architecture].reset_index(drop=True)
        colour = arch_colour(architecture)
        if mine.empty:
            continue
        values = mine["score"] * scale
        figure.add_box(x=[position] * len(mine), y=values, name=architecture, boxpoints=False, width=0.5,
                       line={"color": colour}, showlegend=False, hoverinfo="skip")
        spread = [position + 0.32 * (((index * 0.618) % 1.0) - 0.5) for index in range(len(mine))]
        figure.add_scatter(x=spread, y=values, mode="markers", showlegend=False, name=architecture,
                           marker={"color": colour, "size": 12 if projector else 8, "opacity": 0.75,
                                   "line": {"color": "white", "width": 1}},
                           text=[chart_text(label) for label in mine["student"]],
                           hovertemplate="%{text}: %{y:.3g}<extra>" + chart_text(architecture) + "</extra>")
        you = mine.index[mine["you"]].tolist()
        if you:
            figure.add_scatter(x=[spread[you[0]]], y=[values[you[0]]], mode="markers+text", showlegend=False,
                               text=[chart_text(_("you"))], textposition="middle right",
                               textfont={"size": 18 if projector else 14, "color": "black"},
                               marker={"color": colour, "size": 20 if projector else 15, "symbol": "star",
                                       "line": {"color": "black", "width": 2}}, hoverinfo="skip")
        summary = result.summaries.get(architecture)
        if summary is not None:
            figure.add_scatter(x=[position + 0.38], y=[summary.mean * scale], mode="markers", showlegend=False,
                               marker={"color": "black", "symbol": "diamond", "size": 11 if projector else 9},
                               error_y={"type": "data", "symmetric": False, "color": "black",
                                        "thickness": line_width(1.5, projector),
                                        "array": [(summary.high - summary.mean) * scale],
                                        "arrayminus": [(summary.mean - summary.low) * scale]},
                               hovertemplate=chart_text(_("mean ± 95 % interval over students")) + ": %{y:.3g}"
                               "<extra>" + chart_text(architecture) + "</extra>")
    title = _(metric_title(result.metric)) + (" (%)" if scale != 1.0 else "")
    figure.update_layout(title=_("test {metric} of every student (◆ mean ± 95 % interval over students)").format(
        metric=_(metric_title(result.metric))), yaxis_title=title,
        xaxis={"tickvals": list(range(len(result.architectures))), "ticktext": result.architectures,
               "range": [-0.6, len(result.architectures) - 0.4]}, **layout(projector=projector))
    return figure


def flow_figure(result: ClassResult, *, language: str = "en", projector: bool = False) -> go.Figure:
    """Per architecture the students' median ||dL/dh|| per step back, with the band of the middle half of
    the students (25th to 75th percentile); both axes logarithmic, as Inside draws one run."""
    _ = translator(language)
    figure = go.Figure()
    steps, norms = [], []
    for architecture, band in result.flow.items():
        colour = arch_colour(architecture)
        steps += band.distance
        norms += band.low + band.high
        figure.add_scatter(x=band.distance, y=band.high, mode="lines", line={"width": 0, "color": colour},
                           showlegend=False, hoverinfo="skip")
        figure.add_scatter(x=band.distance, y=band.low, mode="lines", line={"width": 0, "color": colour},
                           fill="tonexty", fillcolor=_transparent(colour), showlegend=False, hoverinfo="skip")
        figure.add_scatter(x=band.distance, y=band.median, mode="lines+markers", customdata=band.students,
                           name=chart_text(_("{architecture}: median over students").format(architecture=architecture)),
                           line={"color": colour, "width": line_width(2.5, projector)},
                           hovertemplate="%{x}: %{y:.3g} (%{customdata})<extra></extra>")
    figure.update_layout(title=_("how far back the gradient reaches, over the class: median and middle half of the "
                                 "students"),
                         xaxis_title=_("steps back from each sequence's own last step (1 = the last)"),
                         xaxis_type="log", xaxis=log_ticks(steps), yaxis_title="||dL/dh||", yaxis_type="log",
                         yaxis=log_ticks(norms), **layout(projector=projector))
    return figure


def _transparent(colour: str, alpha: float = 0.2) -> str:
    """'#1f77b4' -> 'rgba(31,119,180,0.2)'."""
    red, green, blue = (int(colour.lstrip("#")[index:index + 2], 16) for index in (0, 2, 4))
    return f"rgba({red},{green},{blue},{alpha})"


# ------------------------------------------------------------------------------------------- in words
def summary_frame(result: ClassResult, language: str = "en") -> pd.DataFrame:
    """Per architecture: students scored, the mean and 95 % interval over students, runs counted apart."""
    _ = translator(language)
    rows = []
    for architecture in result.architectures:
        summary, states = result.summaries.get(architecture), result.states[architecture]
        row = {_("architecture"): architecture, _("students"): len(result.scores[architecture]),
               _("mean over students"): format_score(result.metric, summary.mean if summary else None),
               _("95 % interval"): "–" if summary is None or summary.count < 2 else "{} – {}".format(
                   format_score(result.metric, summary.low), format_score(result.metric, summary.high))}
        for state in APART_STATES + WAITING_STATES:
            row[state_word(state, language)] = states[state]
        rows.append(row)
    return pd.DataFrame(rows)


def verdict_lines(result: ClassResult, language: str = "en") -> list[str]:
    """The verdict in words, paired by student; a pair fewer than two students finished says so."""
    _ = translator(language)
    lines = []
    for verdict in result.verdicts:
        if verdict.seeds < 2:
            lines.append(_("{a} vs {b}: {count} student(s) finished both; a verdict needs 2 or more.").format(
                a=verdict.a, b=verdict.b, count=verdict.seeds))
        else:
            lines.append(verdict_sentence(verdict, result.metric, language))
    return lines


def notes(result: ClassResult, language: str = "en") -> list[str]:
    """What the reader must know besides the verdict: why there is none, who was left out of which pair, the
    runs counted apart, a class that trained one seed, and the direction of the metric."""
    _ = translator(language)
    lines = []
    reasons = {
        "no_students": _("No student has a finished run of this assignment yet: no verdict."),
        "one_student": _("Only one student has finished: a verdict compares the architectures student by student "
                         "and needs two students or more."),
        "one_architecture": _("Only one architecture has finished runs: there is nothing to compare it with yet."),
    }
    if result.no_verdict:
        lines.append(reasons[result.no_verdict])
    if result.verdicts:
        lines += [_("{architecture}: no student has a finished run of it; it is not in the verdict.").format(
            architecture=architecture) for architecture in result.architectures if not result.scores[architecture]]
    for verdict in result.verdicts:
        for name, left_out in verdict.unpaired:
            other = verdict.b if name == verdict.a else verdict.a
            lines.append(_("{a} vs {b}: {count} student(s) left out, with {name} finished but no finished {other} "
                           "run; the verdict pairs the {paired} who finished both.").format(
                a=verdict.a, b=verdict.b, count=len(left_out), name=name, other=other, paired=verdict.seeds))
    apart = result.apart()
    if apart:
        lines.append(_("{count} run(s) failed, were stopped or interrupted: counted in the table, not in the "
                       "scores.").format(count=apart))
    if result.waiting():
        lines.append(_("{count} run(s) are still queued or training: not in the scores yet.").format(
            count=result.waiting()))
    if result.shared_seeds:
        lines.append(_("Every student trained seed(s) {seeds}: their runs differ only by chance, so the class is "
                       "fewer independent experiments than students.").format(
            seeds=", ".join(map(str, result.shared_seeds))))
    if not higher_is_better(result.metric):
        lines.append(_("Lower is better for {metric}.").format(metric=_(metric_title(result.metric))))
    return lines


def student_table(result: ClassResult, viewer: str | None, show_names: bool, language: str = "en") -> pd.DataFrame:
    """One row per student: their label, each architecture's score (mean over their seeds), and their runs
    counted apart. For the teacher's screen and the report (with or without names)."""
    _ = translator(language)
    apart: dict[str, int] = {}
    for row in result.rows:
        apart[row.student] = apart.get(row.student, 0) + (row.state in APART_STATES)
    rows = []
    for student in result.students:
        row = {_("student"): student_label(result, student, viewer, show_names, language)}
        for architecture in result.architectures:
            row[architecture] = format_score(result.metric, result.scores[architecture].get(student))
        row[_("failed, stopped or interrupted")] = apart.get(student, 0)
        rows.append(row)
    if show_names:  # a teacher looks a name up: alphabetical
        rows.sort(key=lambda row: row[_("student")])
    return pd.DataFrame(rows)
