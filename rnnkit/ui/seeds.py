"""Compare over seeds: mean ± std bands, a table with 95 % intervals, and a verdict per pair of
architectures that is computed (paired t-test, bootstrap interval), never written by hand; and, on
request, each architecture's runs scored as one ensemble."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from rnnkit.analysis import reports
from rnnkit.analysis.stats import Verdict
from rnnkit.core.metrics import higher_is_better, metric_title
from rnnkit.runs.store import Run
from rnnkit.ui import charts, safe
from rnnkit.ui.i18n import _
from rnnkit.ui.live import format_score
from rnnkit.ui.safe import chart_text
from rnnkit.ui.tables import count_text


def has_seeds(runs: list[Run]) -> bool:
    return any(len(members) > 1 for members in reports.variants(runs).values())


def monitor_of(runs: list[Run]) -> str:
    for run in runs:
        epochs = run.metrics("epoch")
        if epochs:
            return epochs[-1]["monitor"]
    return "accuracy"


def points(metric: str, value: float) -> str:
    """A difference as the class reads it: '1.8 points' for fractions, '0.12' for errors."""
    if metric in charts.FRACTION_METRICS:
        return _("{value} points").format(value=f"{abs(value) * 100:.1f}")
    return f"{abs(value):.3g}"


def verdict_sentence(verdict: Verdict, metric: str) -> str:
    """One sentence per pair, in the session's language."""
    title = _(metric_title(metric))
    if verdict.seeds < 2:
        return _("{a} vs {b}: one seed cannot tell; start the comparison with 3 or more seeds.").format(
            a=verdict.a, b=verdict.b)
    if verdict.std == 0 and verdict.difference == 0:
        return _("{a} and {b} score exactly the same test {metric} at all {seeds} seeds.").format(
            a=verdict.a, b=verdict.b, metric=title, seeds=verdict.seeds)
    if verdict.std == 0:
        return _("{a} beats {b} on test {metric} by {difference} at every one of the {seeds} seeds.").format(
            a=verdict.a, b=verdict.b, metric=title, difference=points(metric, verdict.difference), seeds=verdict.seeds)
    if verdict.significant:
        return _("{a} beats {b} on test {metric} by {difference} ± {spread} over {seeds} seeds (paired t-test "
                 "p = {p}; 95 % bootstrap interval {low} to {high}).").format(
            a=verdict.a, b=verdict.b, metric=title, difference=points(metric, verdict.difference),
            spread=points(metric, verdict.std), seeds=verdict.seeds, p=f"{verdict.p_value:.2g}",
            low=_signed(metric, verdict.low), high=_signed(metric, verdict.high))
    text = _("No significant difference between {a} and {b} at {seeds} seeds (p = {p}).").format(
        a=verdict.a, b=verdict.b, seeds=verdict.seeds, p=f"{verdict.p_value:.2g}")
    if verdict.seeds_needed_observed is not None:
        text += " " + _("A difference of {observed}, as measured, would need about {needed} seeds to show.").format(
            observed=points(metric, verdict.difference), needed=verdict.seeds_needed_observed)
    if verdict.seeds_needed is not None:
        text += " " + _("To detect {size}: about {needed} seeds.").format(size=points(metric, verdict.detectable),
                                                                         needed=verdict.seeds_needed)
    return text


def _signed(metric: str, value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 100:+.1f}" if metric in charts.FRACTION_METRICS else f"{value:+.3g}"


def _mean_std(metric: str, mean, std) -> str:
    if mean is None or pd.isna(mean):
        return "–"
    if metric in charts.FRACTION_METRICS:
        return f"{mean * 100:.1f} ± {std * 100:.1f} %"
    return f"{mean:.3g} ± {std:.2g}"


def _interval(metric: str, low, high) -> str:
    if low is None or pd.isna(low):
        return "–"
    scale, unit = (100, " %") if metric in charts.FRACTION_METRICS else (1, "")
    return f"{low * scale:.1f} – {high * scale:.1f}{unit}" if scale == 100 else f"{low:.3g} – {high:.3g}"


def seed_table(groups: dict[str, list[Run]], metric: str) -> pd.DataFrame:
    frame = reports.seed_table(groups, metric)
    title = _(metric_title(metric))
    shown = pd.DataFrame({
        _("model"): frame["model"], _("seeds finished"): frame["seeds"],
        _("hidden size"): count_text(frame["hidden size"]),
        _("recurrent + head parameters"): count_text(frame["recurrent + head parameters"]),
        _("parameters"): count_text(frame["parameters"]),
    })
    for split, name in (("validation", _("best validation {metric}")), ("test", _("test {metric}"))):
        shown[name.format(metric=title)] = [_mean_std(metric, mean, std) for mean, std
                                            in zip(frame[f"{split} mean"], frame[f"{split} std"])]
        shown[_("{column}, 95 % interval").format(column=name.format(metric=title))] = [
            _interval(metric, low, high) for low, high in zip(frame[f"{split} 95% low"], frame[f"{split} 95% high"])]
    return shown.astype(object).where(shown.notna(), "–")


def band_figure(groups: dict[str, list[Run]], metric: str, mean_only: bool) -> go.Figure:
    """Validation `metric` per epoch: the mean over seeds with a ± 1 std band per variant (or, with
    `mean_only` off, every seed's curve thin beneath the mean)."""
    scale = 100.0 if metric in charts.FRACTION_METRICS else 1.0
    figure = go.Figure()
    for name, members in groups.items():
        frame = reports.epoch_frame(members)
        column = f"val_{metric}"
        if frame.empty or column not in frame:
            continue
        colour = reports.arch_colour(reports.arch_of(members[0]))
        by_epoch = frame.groupby("epoch")[column].agg(["mean", "std", "count"]).reset_index()
        by_epoch["std"] = by_epoch["std"].fillna(0.0)
        if mean_only:
            upper, lower = (by_epoch["mean"] + by_epoch["std"]) * scale, (by_epoch["mean"] - by_epoch["std"]) * scale
            figure.add_scatter(x=list(by_epoch["epoch"]) + list(by_epoch["epoch"])[::-1],
                               y=list(upper) + list(lower)[::-1], fill="toself", fillcolor=colour, opacity=0.2,
                               line={"width": 0}, hoverinfo="skip", showlegend=False, legendgroup=name)
        else:
            for _run_id, part in frame.groupby("run", sort=False):
                figure.add_scatter(x=part["epoch"], y=part[column] * scale, mode="lines", showlegend=False,
                                   line={"color": colour, "width": 1}, opacity=0.45, legendgroup=name,
                                   hoverinfo="skip")
        figure.add_scatter(x=by_epoch["epoch"], y=by_epoch["mean"] * scale, mode="lines+markers", legendgroup=name,
                           name=chart_text(_("{model}: mean of {count} seeds").format(
                               model=name, count=int(by_epoch["count"].max()))),
                           line={"color": colour, "width": charts._width(3)})
    title = _(metric_title(metric))
    axis = {"yaxis_range": [0, 101], "yaxis_ticksuffix": " %"} if scale == 100 else {}
    figure.update_layout(title=_("validation {metric} per epoch, mean ± std over seeds").format(metric=title),
                         xaxis_title=_("epoch"), yaxis_title=title, xaxis_dtick=1, **charts.layout(**axis))
    return figure


def seeds_section(runs: list[Run], key: str) -> None:
    """Compare's view of a group with several seeds per architecture."""
    groups = reports.variants(runs)
    metric = monitor_of(runs)
    st.subheader(_("Over seeds"))
    st.caption(_("Runs that differ only in their seed are taken together. Seed i gives every architecture the "
                 "same data split, data order and initialisation, so the seeds are compared in pairs."))
    mean_only = st.toggle(_("mean ± std bands (off: every seed's curve)"), value=True, key=f"{key}_bands")
    st.plotly_chart(band_figure(groups, metric, mean_only), key=f"{key}_band_chart")
    st.dataframe(seed_table(groups, metric), hide_index=True, key=f"{key}_seed_table")
    verdicts = reports.seed_verdicts(groups, metric)
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
