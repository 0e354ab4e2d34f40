"""A look step's view of one run step's runs, drawn with the Compare and Inside pages' own pieces:

    curves         loss and the headline metrics, every run overlaid (the live view's charts)
    confusion      a classifier's confusion matrix with its epoch slider
    scores         the comparison table and the result line
    verdict        over seeds: bands, the table with 95 % intervals, the paired verdict; one seed: the result
                   line and the why in words
    horizon        accuracy against T of a memory-horizon group
    gradient_flow, gates, attributions, embeddings
                   the Inside views, on a model of the step picked here (they load it: shown on request)

A view that does not apply to the runs (a confusion matrix of a forecast, a horizon figure of a comparison)
says so instead of drawing nothing.
"""
from __future__ import annotations

import streamlit as st

from rnnkit.analysis import reports
from rnnkit.runs.store import Run
from rnnkit.ui import inside, lesson, seeds, tables
from rnnkit.ui.curves import confusion_panel, job_of, metric_charts
from rnnkit.ui.i18n import _, language
from rnnkit.ui.inside import horizon
from rnnkit.ui.labels import unique_labels
from rnnkit.ui.live import result_summary
from rnnkit.ui.session import store

INSIDE_VIEWS = {"gradient_flow": "gradients", "gates": "gates", "attributions": "attributions",
                "embeddings": "embeddings"}  # the lab's name -> the Inside page's


def view_title(view: str) -> str:
    return {"curves": _("Curves"), "confusion": _("Confusion matrix"), "scores": _("Scores"),
            "verdict": _("Verdict"), "gradient_flow": _("Gradient flow"), "gates": _("Gates and states"),
            "horizon": _("Memory horizon"), "attributions": _("Which inputs mattered"),
            "embeddings": _("Embeddings")}.get(view, view)


def show_view(view: str, runs: list[Run], key: str, run_step_index: int) -> None:
    """Draw `view` of `runs` (the runs of run step `run_step_index`), widgets keyed `<key>_...`."""
    st.caption(_("View: {view}").format(view=view_title(view)))
    if not runs:
        st.info(_("Nothing to show yet: start the runs of step {step} first.").format(step=run_step_index))
        return
    started = [run for run in runs if run.metrics("epoch")]
    if view == "horizon":
        if not all(_kind(run) == "horizon" for run in runs):
            st.info(_("The memory-horizon view is not available for these runs: they are not a memory-horizon "
                      "experiment."))
            return
        horizon.show_results(runs, key)
        return
    if not started:
        st.info(_("Nothing to show yet: the runs of step {step} have not finished an epoch.").format(
            step=run_step_index))
        return
    if view == "curves":
        metric_charts(started, key=key)
    elif view == "confusion":
        if job_of(started[0]) != "classify":
            st.info(_("A confusion matrix is not available for this task: it does not sort inputs into classes."))
            return
        confusion_panel(started, key=key)
    elif view == "scores":
        tables.runs_table(runs, key=f"{key}_table")
        result_summary(runs)
    elif view == "verdict":
        if seeds.has_seeds(runs):
            seeds.seeds_section(runs, key=key)
        else:
            st.caption(_("A verdict over seeds needs at least 2 seeds per architecture; with one seed, the result "
                         "in words:"))
            result_summary(runs)
        lesson.why_note(runs)
    elif view in INSIDE_VIEWS:
        inside_view(INSIDE_VIEWS[view], runs, key)
    else:
        st.info(_("This view is not available here."))


def inside_view(name: str, runs: list[Run], key: str) -> None:
    """An Inside view of one model of the step (picked here), drawn when the student asks: it loads the model."""
    models = {str(run.best_path): run for run in runs if run.best_path.exists()}
    if not models:
        st.info(_("No model of this step has been saved yet: the view appears once a run has finished an epoch."))
        return
    labels = unique_labels({path: f"{reports.run_label(run, language())} · {run.run_id}"
                            for path, run in models.items()})
    path = st.selectbox(_("Model"), list(labels), format_func=labels.get, key=f"{key}_model")
    if not st.toggle(_("Show this view (it loads the model)"), key=f"{key}_show"):
        return
    run_store = store()
    inside.show(name, path, [("your run", run_store)], run_store, key=key)


def _kind(run: Run) -> str:
    try:
        return run.config().kind
    except ValueError:
        return ""
