"""The weather Playground's window picker: a slider over the test windows stored in the checkpoint that
opens on a window where the model beats both baselines (what the task teaches), and one line under it
when the window shown is one where a baseline wins, with the test year's errors beside it, so a hard
window is not read as the model's record. The errors come from `rnnkit.data.tasks.weather`."""
from __future__ import annotations

import streamlit as st

from rnnkit.analysis.inference import Predictor
from rnnkit.data.tasks.weather import MODEL, default_window, window_errors, winning_baseline
from rnnkit.ui import safe
from rnnkit.ui.i18n import _


def window_picker(predictor: Predictor, key: str = "play_window") -> int:
    """The slider (widget `key`); returns the chosen window's index into the stored examples."""
    examples = predictor.artifacts["examples"]
    starts = examples["start_times"]
    predictions = [row["prediction"] for row in predictor.predict_examples(len(starts))]
    errors = window_errors(examples, predictions)
    if key not in st.session_state:
        st.session_state[key] = default_window(errors)
    index = st.select_slider(_("Window from the test years (start of the 5 input days)"),
                             options=list(range(len(starts))), format_func=lambda i: starts[i][:10], key=key)
    note = hard_window_note(errors[index], predictor.test_metrics, predictor.artifacts.get("test_baselines", {}))
    if note:
        st.caption(safe.plain(note))
    return index


def hard_window_note(errors: dict[str, float], test_metrics: dict, test_baselines: dict) -> str:
    """One line when a baseline beats the model on this window ("" otherwise): which, by how much, and the
    test year's MAE of the model (and of the baselines, where the checkpoint holds them)."""
    baseline = winning_baseline(errors)
    if baseline is None:
        return ""
    line = _("This window is one of the hard ones: here '{baseline}' is closer ({baseline_mae:.2f} °C against "
             "the model's {model_mae:.2f} °C).").format(baseline=_(baseline), baseline_mae=errors[baseline],
                                                        model_mae=errors[MODEL])
    year = test_metrics.get("mae")
    if year is None:
        return line
    others = ", ".join(_("'{baseline}' {mae:.2f} °C").format(baseline=_(name), mae=metrics["mae"])
                       for name, metrics in test_baselines.items() if "mae" in metrics)
    if others:
        return line + " " + _("Over all test windows the model's MAE is {mae:.2f} °C ({others}).").format(
            mae=year, others=others)
    return line + " " + _("Over all test windows the model's MAE is {mae:.2f} °C.").format(mae=year)
