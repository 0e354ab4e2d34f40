"""Inside view *Memory horizon*: the experiment in one click (recall at growing sequence lengths T for
each architecture, as one group), then test accuracy against T, refreshed while the group trains."""
from __future__ import annotations

import streamlit as st

from rnnkit.analysis.horizon import ARCHITECTURES, LENGTHS, horizon_configs, horizon_groups, horizon_table
from rnnkit.model.cells import get_cell
from rnnkit.runs.limits import QueueFull, queue_full_message
from rnnkit.ui import charts, safe
from rnnkit.ui.i18n import _
from rnnkit.ui.inside.common import Chosen, explain

NEEDS_MODEL = False  # it trains its own group
REFRESH_SECONDS = 5  # the results refresh while the group trains


def title() -> str:
    return _("Memory horizon")


def show(chosen: Chosen, key: str) -> None:
    store = chosen.store
    explain(_("recall accuracy on the test set against the sequence length T: the network sees a symbol at "
              "step 1 and must name it after T steps of noise."),
            _("where each line drops to chance (10 %) its memory ends: the RNN's within a few dozen steps, the "
              "LSTM's and GRU's beyond 150."))
    st.caption(_("One group: recall at T = {lengths} for {archs}; about 1-2 minutes on two cores.").format(
        lengths=", ".join(map(str, LENGTHS)), archs=", ".join(get_cell(arch).title for arch in ARCHITECTURES)))
    if st.button(_("Run the memory-horizon experiment"), type="primary", key=f"{key}_start"):
        try:
            store.start(horizon_configs())
        except QueueFull as error:
            safe.error(queue_full_message(error, _))
        except ValueError as error:
            safe.error(error)
    groups = horizon_groups(store)
    if store.user is not None:  # classroom mode: your own experiment first (Compare shows the class's)
        own = [group for group in groups if any(run.owner() == store.user.name for run in store.runs(group=group))]
        groups = own or groups
    if not groups:
        st.info(_("No memory-horizon experiment yet: start one with the button."))
        return
    running = any(run.is_active() for run in store.runs(group=groups[0]))

    @st.fragment(run_every=REFRESH_SECONDS if running else None)
    def results() -> None:
        runs = store.runs(group=groups[0])
        table = horizon_table(runs)
        finished = int(table["test_accuracy"].notna().sum())
        st.caption(_("Latest experiment: {done} of {total} runs tested.").format(done=finished, total=len(table)))
        st.plotly_chart(charts.horizon_figure(table), key=f"{key}_figure")
        pivot = table.pivot(index="sequence_length", columns="arch", values="test_accuracy") * 100
        pivot.index.name = _("sequence length T")
        pivot.columns = [get_cell(arch).title for arch in pivot.columns]
        st.dataframe(pivot.round(1), key=f"{key}_table")
        if running and not any(run.is_active() for run in runs):
            st.rerun()  # the group has ended (finished, stopped or failed): stop refreshing

    results()
