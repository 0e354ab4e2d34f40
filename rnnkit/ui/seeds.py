"""Compare over seeds: mean ± std bands, a table with 95 % intervals, and a verdict per pair of
architectures that is computed (the paired t interval, Holm-corrected over all pairs; the interval and the
verdict are one decision), never written by hand, with a line under the table where a verdict paired fewer
seeds than the table counts; and, on
request, each architecture's runs scored as one ensemble. The figure, table and sentences are those of
`rnnkit.analysis.html_report` (the HTML report shows the same), in the session's language."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from rnnkit.analysis import html_report
from rnnkit.analysis.figure_set import monitor_of
from rnnkit.analysis.html_report import has_seeds
from rnnkit.analysis.seeds import seed_verdicts, variants
from rnnkit.analysis.stats import Verdict
from rnnkit.core.metrics import higher_is_better, metric_title
from rnnkit.runs.store import Run
from rnnkit.ui import charts, safe
from rnnkit.ui.i18n import _, language
from rnnkit.ui.labels import format_score

__all__ = ["has_seeds", "monitor_of", "verdict_sentence", "seed_table", "seeds_section", "ensemble_section"]


def verdict_sentence(verdict: Verdict, metric: str) -> str:
    """One sentence per pair, in the session's language."""
    return html_report.verdict_sentence(verdict, metric, language())


def seed_table(groups: dict[str, list[Run]], metric: str) -> pd.DataFrame:
    return html_report.seed_table(groups, metric, language())


def seeds_section(runs: list[Run], key: str) -> None:
    """Compare's view of a group with several seeds per architecture."""
    groups = variants(runs)
    metric = monitor_of(runs)
    st.subheader(_("Over seeds"))
    st.caption(_("Runs that differ only in their seed are taken together. Seed i gives every architecture the "
                 "same data split, data order and initialisation, so the seeds are compared in pairs."))
    mean_only = st.toggle(_("mean ± std bands (off: every seed's curve)"), value=True, key=f"{key}_bands")
    st.plotly_chart(charts.band_figure(groups, metric, mean_only), key=f"{key}_band_chart")
    st.dataframe(seed_table(groups, metric), hide_index=True, key=f"{key}_seed_table")
    verdicts = seed_verdicts(groups, metric)
    for verdict in verdicts:  # the table counts every finished seed; say which ones a verdict paired
        note = html_report.seeds_note(verdict, language())
        if note:
            st.caption(safe.plain(note))
    if verdicts:
        st.markdown("**" + _("Verdict") + "**")
        for verdict in verdicts:
            st.text(verdict_sentence(verdict, metric))
    if not higher_is_better(metric):
        st.caption(_("Lower is better for {metric}.").format(metric=_(metric_title(metric))))


def ensemble_section(runs: list[Run], key: str) -> None:
    """Score each architecture's runs as one ensemble (averaged calibrated probabilities) on the test
    split, on request: it loads the task's data, which can take a minute."""
    from rnnkit.analysis.ensemble import evaluate_ensembles

    st.caption(_("An ensemble averages the probabilities of an architecture's runs (e.g. its seeds). They must "
                 "share one test set: train them with the same data seed (Hyperparameters, data seed)."))
    if not st.button(_("Score the ensembles (loads the test data)"), key=f"{key}_ensemble"):
        return
    with st.spinner(_("Scoring the ensembles ...")):
        try:
            results = evaluate_ensembles(runs, progress=lambda text: None)
        except ValueError as error:
            safe.error(error)
            return
    rows = []
    for label, result in results.items():
        for metric, value in result["ensemble"].items():
            rows.append({_("architecture"): label, _("runs"): result["members"], _("metric"): _(metric_title(metric)),
                         _("ensemble"): format_score(metric, value),
                         _("members' mean"): format_score(metric, result["members_mean"][metric])})
        if "ece_calibrated" in result:  # the ensemble's own temperature, fitted on validation
            rows.append({_("architecture"): label, _("runs"): result["members"],
                         _("metric"): _("ECE with the ensemble's temperature {t:.2f}").format(t=result["temperature"]),
                         _("ensemble"): format_score("ece", result["ece_calibrated"]), _("members' mean"): "–"})
    st.dataframe(rows, hide_index=True, key=f"{key}_ensemble_table")
