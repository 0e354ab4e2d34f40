"""Compare's robust views, beyond the t-test: for a group with seeds, P(X > Y) with intervals and the
almost-stochastic-order verdicts (`robust_section`); across tasks, IQM bars, performance profiles and the
critical-difference diagram (`across_tasks_section`); for a sweep, the expected validation performance
(`evp_section`). Numbers from `rnnkit.analysis.robust*`, words from `rnnkit.analysis.robust_html` (the HTML
report says the same), each figure with its one-line explanation, in the session's language."""
from __future__ import annotations

import streamlit as st

from rnnkit.analysis import robust_evp, robust_figures, robust_html, robust_tasks
from rnnkit.analysis.figure_set import monitor_of
from rnnkit.analysis.robust import AsoVerdict, Improvement, aso_verdicts, group_scores, improvements, left_out
from rnnkit.core.metrics import higher_is_better
from rnnkit.runs.store import Run
from rnnkit.ui import safe
from rnnkit.ui.i18n import _, language
from rnnkit.ui.style import projector

Scores = tuple[tuple[str, tuple[float, ...]], ...]  # variant -> its seeds' scores, hashable for the cache


@st.cache_data(show_spinner=False, max_entries=64)
def _improvements(scores: Scores, higher: bool) -> list[Improvement]:
    return improvements({name: list(values) for name, values in scores}, higher)


@st.cache_data(show_spinner=False, max_entries=64)
def _aso(scores: Scores, higher: bool) -> list[AsoVerdict]:  # seconds for 5 variants: computed once
    return aso_verdicts({name: list(values) for name, values in scores}, higher)


def robust_section(runs: list[Run], key: str) -> None:
    """P(X > Y) with intervals and the ASO verdicts of a group whose variants have several seeds."""
    metric = monitor_of(runs)
    scores, _arches = group_scores(runs, metric)
    frozen: Scores = tuple((name, tuple(values)) for name, values in scores.items())
    st.subheader(_("Beyond the t-test"))
    found = _improvements(frozen, higher_is_better(metric))
    if not found:
        st.info(_("P(X > Y) and almost stochastic order need at least two variants with 2 or more finished seeds."))
        return
    st.caption(safe.plain(robust_html.explanation("improvement", language())))
    st.plotly_chart(robust_figures.improvement_figure(found, language=language(), projector=projector()),
                    key=f"{key}_improvement_chart")
    st.dataframe(robust_html.improvement_table(found, language()), hide_index=True, key=f"{key}_improvement_table")
    if robust_html.coverage_note(found, language()):
        st.caption(safe.plain(robust_html.coverage_note(found, language())))
    st.caption(safe.plain(robust_html.explanation("aso", language())))
    with st.spinner(_("Computing almost stochastic order ...")):
        verdicts = _aso(frozen, higher_is_better(metric))
    for verdict in verdicts:
        st.text(robust_html.aso_sentence(verdict, language()))
    st.caption(safe.plain(robust_html.aso_note(verdicts, language())))
    missing = left_out(scores)
    if missing:
        st.caption(safe.plain(robust_html.few_seeds_note(missing, language())))


def across_tasks_section(runs: list[Run], key: str) -> None:
    """IQM with intervals, performance profiles and the CD diagram of the architectures across tasks."""
    data = robust_tasks.across_tasks(runs)
    st.subheader(_("Across tasks"))
    missing = robust_html.missing_note(data, language())
    for note in robust_html.across_tasks_notes(data, language()):
        st.caption(safe.plain(note))
    if missing:
        st.info(safe.plain(missing))
        return
    style = {"language": language(), "projector": projector()}
    intervals = robust_tasks.iqm_intervals(data.scores)
    st.caption(safe.plain(robust_html.explanation("iqm", language())))
    st.plotly_chart(robust_figures.iqm_figure(intervals, data.arches, len(data.tasks), **style),
                    key=f"{key}_iqm_chart")
    if robust_html.few_runs_note(data, language()):
        st.caption(safe.plain(robust_html.few_runs_note(data, language())))
    taus = robust_tasks.profile_thresholds(data.scores)
    profiles = robust_tasks.performance_profiles(data.scores, taus)
    st.caption(safe.plain(robust_html.explanation("profile", language())))
    st.plotly_chart(robust_figures.profile_figure(taus, profiles, data.arches, **style), key=f"{key}_profile_chart")
    result = robust_tasks.critical_difference(robust_tasks.task_means(data))
    st.caption(safe.plain(robust_html.explanation("cd", language())))
    st.plotly_chart(robust_figures.cd_figure(result, data.arches, **style), key=f"{key}_cd_chart")
    st.text(robust_html.cd_sentence(result, language()))


def evp_section(runs: list[Run], key: str) -> None:
    """The expected best validation score of a sweep after n trials, with its spread."""
    curve = robust_evp.sweep_validation(runs)
    if curve is None:
        return
    st.subheader(_("Expected validation performance"))
    st.caption(safe.plain(robust_html.explanation("evp", language())))
    st.plotly_chart(robust_figures.evp_figure(curve, language=language(), projector=projector()),
                    key=f"{key}_evp_chart")
    st.text(robust_html.evp_sentence(curve, language()))
