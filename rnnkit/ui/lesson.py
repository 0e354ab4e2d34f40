"""The lesson on screen: the why in words under a finished comparison (Train, Compare), and the shipped
demo comparison that Compare shows on a first start, before anyone has trained (the recall lesson: RNN,
LSTM and GRU on the same data, made by `python -m rnnkit.worker.demos`)."""
from __future__ import annotations

import streamlit as st

from rnnkit.analysis.why import explain
from rnnkit.runs.folder import Run
from rnnkit.runs.store import RunStore
from rnnkit.ui import safe
from rnnkit.ui.i18n import _, language


def why_note(runs: list[Run]) -> None:
    """One or two sentences that tie the result to the gradients, where the runs' numbers support it
    (rnnkit.analysis.why); nothing while a run trains or where they do not."""
    text = explain(runs, language())
    if text:
        st.info(safe.plain(text), icon=":material/lightbulb:")


def runs_or_demo(store: RunStore, demo_store: RunStore) -> tuple[RunStore, list[Run]]:
    """(where the runs come from, the runs) for Compare: yours, or while you have none, the shipped demo
    comparison (said on the page), so the first screen already shows the lesson."""
    runs = store.runs()
    group = shipped_group(demo_store)
    if runs or not group:
        return store, runs
    st.caption(_("No runs of yours yet: this is the shipped demo comparison (recall with RNN, LSTM and GRU, "
                 "trained by rnnkit). Start your own on the Train page; they replace it here."))
    shipped = ShippedComparison(demo_store, group)
    return shipped, shipped.runs()


def is_shipped(store: RunStore) -> bool:
    """Whether Compare shows the shipped demos (nothing of them can be deleted)."""
    return isinstance(store, ShippedComparison)


class ShippedComparison(RunStore):
    """The demo runs of one group, seen as a run store of their own: its latest group is that group."""

    def __init__(self, demo_store: RunStore, group: str) -> None:
        super().__init__(demo_store.root, demo_store.launcher, demo_store.user, demo_store.limits)
        self.group = group

    def runs(self, group: str | None = None) -> list[Run]:
        return super().runs(group=self.group) if group in (None, self.group) else []


def shipped_group(demo_store: RunStore) -> str:
    """The first shipped demo group that compares several architectures on one task (the recall lesson;
    the other demos share the group "demo" across tasks), else ""."""
    members: dict[str, set[tuple[str, str]]] = {}
    for run in demo_store.runs():
        try:
            config = run.config()
        except ValueError:  # a damaged demo folder: leave it out
            continue
        members.setdefault(config.group, set()).add((config.task.name, config.model.arch))
    return next((group for group, found in members.items()
                 if group and len({task for task, _arch in found}) == 1 and len(found) > 1), "")
