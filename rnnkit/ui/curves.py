"""A group's charts: the loss and the job's headline metrics with all runs overlaid (a classifier's with the
chance and majority-class lines), the gradient probe, and the confusion matrix of one run with an epoch slider
(the live view and Compare)."""
from __future__ import annotations

import streamlit as st

from rnnkit.analysis import frames, reports
from rnnkit.model.jobs import get_job
from rnnkit.runs.store import Run
from rnnkit.ui import charts
from rnnkit.ui.i18n import _, language
from rnnkit.ui.labels import unique_labels


def metric_charts(runs: list[Run], key: str) -> None:
    """Loss (step-level) and the job's headline metrics, all runs overlaid."""
    epochs = frames.epoch_frame(runs, language())
    left, right = st.columns(2)
    left.plotly_chart(charts.loss_figure(frames.step_frame(runs, language()), epochs), key=f"{key}_loss")
    metrics = get_job(job_of(runs[0])).headline
    if epochs.empty:
        right.info(_("Validation metrics appear after the first epoch."))
        return
    chance, baselines = reports.chance_accuracy(runs[0]), reports.chart_baselines(runs[0])  # flat lines
    right.plotly_chart(charts.metric_figure(epochs, metrics[0], baselines, chance),
                       key=f"{key}_metric0")
    probes = [(reports.run_label(run, language()), reports.arch_of(run), run.metrics("probe")[-1]) for run in runs
              if run.metrics("probe")]
    if len(metrics) > 1 or probes:
        left, right = st.columns(2)
        if len(metrics) > 1:
            left.plotly_chart(charts.metric_figure(epochs, metrics[1], baselines, chance),
                              key=f"{key}_metric1")
        if probes:
            (right if len(metrics) > 1 else left).plotly_chart(charts.gradient_reach_figure(probes),
                                                                key=f"{key}_gradient")


def job_of(run: Run) -> str:
    """classify | regress | language_model, from the task spec the run recorded when it started."""
    starts = run.metrics("start")
    return starts[-1]["spec"]["job"] if starts else "classify"


def epoch_slider(epochs: list[int], key: str) -> int:
    """An epoch slider that follows new epochs while the run trains, unless the user moved it back."""
    latest = f"{key}_latest"
    if key not in st.session_state or st.session_state[key] == st.session_state.get(latest):
        st.session_state[key] = epochs[-1]
    st.session_state[latest] = epochs[-1]
    return st.select_slider(_("epoch"), epochs, key=key)


def confusion_panel(runs: list[Run], key: str) -> None:
    """Confusion matrix of one run at a chosen epoch, and its per-class precision/recall/F1."""
    finished = [run for run in runs if run.metrics("epoch")]
    if not finished or job_of(finished[0]) != "classify":
        return
    labels = unique_labels({run.run_id: reports.run_label(run, language()) for run in finished})
    chosen = st.selectbox(_("Confusion matrix of"), list(labels), format_func=labels.get, key=f"{key}_cm_run")
    run = next(r for r in finished if r.run_id == chosen)
    epochs = [record["epoch"] for record in run.metrics("epoch")]
    epoch = epochs[0] if len(epochs) == 1 else epoch_slider(epochs, f"{key}_cm_epoch_{chosen}")
    normalise = st.toggle(_("normalise rows (recall)"), key=f"{key}_cm_norm")
    matrix, names, per_class = frames.confusion(run, epoch)
    left, right = st.columns([3, 2])
    title = _("{run}, epoch {epoch}, validation split").format(run=labels[chosen], epoch=epoch)
    left.plotly_chart(charts.confusion_figure(matrix, names, normalise, title), key=f"{key}_cm")
    right.dataframe(charts.per_class_frame(per_class, names), hide_index=True, key=f"{key}_pc")
