"""Compare's sweep view: parallel coordinates over the swept options and the score (drag along an
axis to brush), the runs ranked by validation score (with several seeds per point: the points ranked by
their seeds' mean) with a filter per option, and the best configuration with a button that opens it on
Train. Also the Train page's grid box."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from rnnkit.analysis.frames import run_settings
from rnnkit.analysis.html_report import is_sweep
from rnnkit.analysis.sweep import seed_mean_frame, sweep_frame
from rnnkit.core.metrics import higher_is_better, metric_title
from rnnkit.runs.store import Run
from rnnkit.ui import charts, safe
from rnnkit.ui.i18n import _
from rnnkit.ui.labels import format_score

__all__ = ["is_sweep", "sweep_section", "link_of", "grid_box"]


def sweep_section(runs: list[Run], key: str) -> None:
    frame = sweep_frame(runs)
    if frame.empty:
        return
    axes = [column for column in frame.columns if "." in column]
    metric = next((name for name in frame["monitor"] if name), "accuracy")
    st.subheader(_("Sweep"))
    st.caption(_("Each line is one run: where it sits on each swept setting, and its best validation score. "
                 "The ranking uses the validation split only; the test score is shown for the record."))
    if axes:
        st.plotly_chart(charts.parallel_figure(frame, axes, metric), key=f"{key}_parallel")
    shown, by_seeds = seed_mean_frame(frame)
    if by_seeds:  # one row per point: the best single seed would be the luckiest, not the best setting
        st.caption(_("Several seeds per setting: each row is one setting, ranked by the mean of its seeds' best "
                     "validation scores (not by its luckiest run); the test score is their mean, for the record."))
    columns = st.columns(max(len(axes), 1))
    for column, axis in zip(columns, axes):
        values = sorted({json.dumps(value) for value in frame[axis]})
        chosen = column.multiselect(axis, values, default=values, key=f"{key}_filter_{axis}")
        shown = shown[[json.dumps(value) in chosen for value in shown[axis]]]
    ranked = shown.sort_values("best validation", ascending=not higher_is_better(metric), na_position="last")
    table = ranked.drop(columns=["monitor"]).copy()
    for column in ("best validation", "validation std", "test"):
        if column in table:
            table[column] = [charts_score(metric, value) for value in table[column]]
    table = table.astype(str)
    st.dataframe(table, hide_index=True, key=f"{key}_table")
    finished = ranked[ranked["best validation"].notna()]
    if finished.empty:
        return
    best = finished.iloc[0]
    settings = ", ".join(f"{axis} = {best[axis]}" for axis in axes)
    won = _("Best on validation: {settings} ({metric} {score}).").format(
        settings=settings, metric=_(metric_title(metric)), score=charts_score(metric, best["best validation"]))
    if by_seeds:
        won += " " + _("Mean over its seeds ({seeds} finished).").format(seeds=best["seeds"])
    st.success(safe.plain(won))
    if st.button(_("Train this"), key=f"{key}_train_best",
                 help=_("Opens Train with this configuration filled in")):
        run = next(run for run in runs if run.run_id == best["run"])
        st.session_state["train_pending_link"] = link_of(run, axes)
        st.switch_page("pages/train.py")


def charts_score(metric: str, value) -> str:
    return format_score(metric, None if value is None or pd.isna(value) else float(value))


def link_of(run: Run, axes: list[str]) -> dict[str, str]:
    """The Train form's link for `run`: its task, preset, architecture and swept settings."""
    config = run.config()
    settings = run_settings(run)
    params = {"task": config.task.name, "preset": config.preset or "none", "arch": config.model.arch}
    params.update({axis: json.dumps(settings[axis]) for axis in axes if axis != "model.arch" and axis in settings})
    return params


def grid_box(task: str) -> list[str]:
    """The Train page's sweep box: one SECTION.OPTION = V1, V2 line per swept option."""
    text = st.text_area(_("Grid: one line per setting, e.g. model.hidden_size = 32, 64"), key="train_grid",
                        help=_("Every combination becomes one run (x architectures x seeds), as one group of kind "
                               "sweep; Compare then ranks them on the validation split. Sections: task, model, "
                               "train; the option names are those of the command line with _ for -."),
                        max_chars=2000)
    return [line for line in text.splitlines() if line.strip()]
