"""What every Inside view shares: what it draws on (the picked model, the run stores), the input widget
the task takes, and the two-line explanation for students."""
from __future__ import annotations

from typing import NamedTuple

import streamlit as st

from rnnkit.analysis.inference import Predictor
from rnnkit.data import inputs
from rnnkit.runs.store import RunStore
from rnnkit.ui import safe
from rnnkit.ui.i18n import _

POEM_EXAMPLE = "床前明月光，疑是地上霜。"  # a language model's input: the opening of a poem it may know


class Chosen(NamedTuple):
    """What a view draws on."""
    path: str | None  # the picked model's best.pt (None for a view that needs no model)
    predictor: Predictor | None  # that model, loaded
    stores: list[tuple[str, RunStore]]  # where models come from: ("your run", ...), ("demo", ...)
    store: RunStore  # this session's runs (where an experiment starts)


def default_text(predictor: Predictor) -> str:
    if predictor.spec.job == "language_model":
        return POEM_EXAMPLE
    return predictor.task.example_input


def choose_input(predictor: Predictor, key: str) -> inputs.ModelInput | None:
    """The input widget the task takes (typed text, or an example number); None after a shown error."""
    try:
        if hasattr(predictor.task, "examples"):
            number = st.number_input(_("example number (fresh examples, not seen in training)"), 0,
                                     inputs.example_count(predictor) - 1, 0, key=f"{key}_example")
            model_input = inputs.read_example(predictor, int(number))
        else:
            text = st.text_input(_("Input"), value=default_text(predictor), max_chars=5000,
                                 key=f"{key}_text_{predictor.task.name}")
            model_input = inputs.read_text(predictor, text)
    except ValueError as error:
        safe.error(error)
        return None
    if model_input.unknown:
        st.caption(safe.plain(_("{count} token(s) are not in the model's vocabulary: they are read as <unk>").format(
            count=model_input.unknown)))
    if model_input.replaced:
        pairs = ", ".join(f"{source} → {target}" for source, target in model_input.replaced)
        st.caption(safe.plain(_("The model never saw some characters; they were read as: {pairs}").format(pairs=pairs)))
    return model_input


def explain(what: str, look_for: str) -> None:
    st.caption(_("What is plotted: {what}").format(what=what) + "  \n" + _("What to look for: {look}").format(
        look=look_for))
