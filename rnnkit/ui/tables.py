"""Run tables as a class reads them: scores in percent where they are fractions, '–' where a run
has no value yet (e.g. a stopped run's test score), headers and states in the session's language."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from rnnkit import reports
from rnnkit.metrics import metric_title
from rnnkit.runs import Run
from rnnkit.ui.charts import FRACTION_METRICS
from rnnkit.ui.i18n import _
from rnnkit.ui.live import state_word


def _header(column: str) -> str:
    fixed = {"run": _("run"), "model": _("model"), "state": _("state"), "best epoch": _("best epoch"),
             "parameters": _("parameters"), "s / epoch": _("s / epoch"), "samples / s": _("samples / s")}
    if column in fixed:
        return fixed[column]
    for prefix, template in (("best val ", _("best validation {metric}")), ("test ", _("test {metric}"))):
        if column.startswith(prefix):
            return template.format(metric=_(metric_title(column[len(prefix):])))
    return column


def runs_table(runs: list[Run], key: str) -> None:
    """The comparison table (best epoch, its validation score, test score, size, speed) of `runs`."""
    frame = reports.comparison_table(runs)
    if frame.empty:
        return
    for column in frame.columns:
        if column.startswith(("best val ", "test ")):
            metric = column.split(" ")[-1]
            frame[column] = [_score(metric, value) for value in frame[column]]
    frame["state"] = frame["state"].map(lambda state: state_word(str(state)))
    frame = frame.rename(columns=_header)
    frame = frame.astype(object).where(frame.notna(), "–")
    st.dataframe(frame, hide_index=True, key=key)


def _score(metric: str, value) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{float(value) * 100:.1f} %" if metric in FRACTION_METRICS else f"{float(value):.3f}"
