"""The live view of a comparison group: per run a progress row with Stop/Resume, the loss and the
job's headline metrics overlaid, and the confusion matrix with an epoch slider. It polls the run
folders from an `st.fragment` that reruns every second without redrawing the rest of the page.
"""
from __future__ import annotations

import streamlit as st

from rnnkit import charts, reports
from rnnkit.cells import cell_names
from rnnkit.config import RunConfig
from rnnkit.jobs import get_job
from rnnkit.runs import Run, RunError

LIVE_REFRESH_SECONDS = 1.0
STARTUP_REFRESH_SECONDS = 0.5


def store():
    from rnnkit.ui import store as run_store

    return run_store()


# ---------------------------------------------------------------------------------- live view
def _ordered(runs: list[Run]) -> list[Run]:
    order = {arch: index for index, arch in enumerate(cell_names())}
    return sorted(runs, key=lambda run: (order.get(reports.arch_of(run), 99), run.run_id))


def run_rows(runs: list[Run], key: str) -> None:
    """Per run: name, progress bar with epoch/step/ETA, a stop or resume button."""
    for run in runs:
        status = reports.progress(run)
        name, bar, action = st.columns([2, 6, 1.3])
        name.markdown(f"<span style='color:{reports.run_colour(run)}'>●</span> **{reports.run_label(run)}**",
                      unsafe_allow_html=True, help=run.run_id)
        bar.progress(status["fraction"], text=status["text"])
        if status["state"] in ("running", "queued"):
            if action.button("Stop", key=f"{key}_stop_{run.run_id}"):
                store().stop(run.run_id)
        elif status["state"] in ("stopped", "interrupted", "failed"):
            if action.button("Resume", key=f"{key}_resume_{run.run_id}"):
                try:
                    store().resume(run.run_id)
                except RunError as error:
                    st.error(str(error))
        if status["state"] in ("failed", "interrupted") and status["error"]:
            st.error(f"{reports.run_label(run)}: {status['error']}")


def metric_charts(runs: list[Run], key: str) -> None:
    """Loss (step-level) and the job's headline metrics, all runs overlaid."""
    epochs = reports.epoch_frame(runs)
    left, right = st.columns(2)
    left.plotly_chart(charts.loss_figure(reports.step_frame(runs), epochs), key=f"{key}_loss")
    metrics = get_job(_job(runs[0])).headline
    if epochs.empty:
        right.info("Validation metrics appear after the first epoch.")
        return
    right.plotly_chart(charts.metric_figure(epochs, metrics[0], reports.baselines(runs[0])), key=f"{key}_metric0")
    if len(metrics) > 1:
        st.plotly_chart(charts.metric_figure(epochs, metrics[1], reports.baselines(runs[0])), key=f"{key}_metric1")


def _job(run: Run) -> str:
    """classify | regress | language_model, from the task spec the run recorded when it started."""
    starts = run.metrics("start")
    return starts[-1]["spec"]["job"] if starts else "classify"


def _epoch_slider(epochs: list[int], key: str) -> int:
    """An epoch slider that follows new epochs while the run trains, unless the user moved it back."""
    latest = f"{key}_latest"
    if key not in st.session_state or st.session_state[key] == st.session_state.get(latest):
        st.session_state[key] = epochs[-1]
    st.session_state[latest] = epochs[-1]
    return st.select_slider("epoch", epochs, key=key)


def confusion_panel(runs: list[Run], key: str) -> None:
    """Confusion matrix of one run at a chosen epoch, and its per-class precision/recall/F1."""
    finished = [run for run in runs if run.metrics("epoch")]
    if not finished or _job(finished[0]) != "classify":
        return
    labels = {run.run_id: reports.run_label(run) for run in finished}
    chosen = st.selectbox("Confusion matrix of", list(labels), format_func=labels.get, key=f"{key}_cm_run")
    run = next(r for r in finished if r.run_id == chosen)
    epochs = [record["epoch"] for record in run.metrics("epoch")]
    epoch = epochs[0] if len(epochs) == 1 else _epoch_slider(epochs, f"{key}_cm_epoch_{chosen}")
    normalise = st.toggle("normalise rows (recall)", key=f"{key}_cm_norm")
    matrix, names, per_class = reports.confusion(run, epoch)
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.confusion_figure(matrix, names, normalise, f"{labels[chosen]}, epoch {epoch}"),
                      key=f"{key}_cm")
    right.dataframe(charts.per_class_frame(per_class, names), hide_index=True, key=f"{key}_pc")


def live_view(group: str) -> None:
    """The group's runs, refreshed every second (only this part of the page reruns). While a run is
    still starting, it polls faster, so the first loss point shows up as soon as it is written."""
    waiting = _waiting_for_first_point(store().runs(group=group))

    @st.fragment(run_every=STARTUP_REFRESH_SECONDS if waiting else LIVE_REFRESH_SECONDS)
    def panel() -> None:
        runs = _ordered(store().runs(group=group))
        if not runs:
            st.info("No runs in this group yet.")
            return
        run_rows(runs, key="live")
        if waiting:  # nothing to chart yet; drawing empty charts would only take CPU from the starting runs
            if not _waiting_for_first_point(runs):
                st.rerun()  # every run has its first point: rerun once, with charts and the calmer interval
            return
        metric_charts(runs, key="live")
        confusion_panel(runs, key="live")

    panel()


def _waiting_for_first_point(runs: list[Run]) -> bool:
    return any(run.is_active() and not run.metrics_size() for run in runs)


def group_options() -> list[str]:
    seen: list[str] = []
    for run in store().runs():
        try:
            group = run.config().group
        except RunError:
            continue
        if group and group not in seen:
            seen.append(group)
    return seen


def run_choices(runs: list[Run]) -> dict[str, str]:
    """run id -> 'lstm · recall · 2026-11-22 12:01' for pickers."""
    choices = {}
    for run in runs:
        try:
            config: RunConfig = run.config()
        except RunError:
            continue
        stamp = run.run_id[:15]
        choices[run.run_id] = (f"{reports.run_label(run)} · {config.task.name} · "
                               f"{stamp[:8]} {stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}")
    return choices
