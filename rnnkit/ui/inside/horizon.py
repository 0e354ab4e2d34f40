"""Inside view *Memory horizon*: the experiment in one click (recall at growing sequence lengths T for
each architecture, 3 seeds each, as one group), then test accuracy against T, mean over seeds with its
95 % t interval, refreshed while the group trains. An old group of one seed per point shows its single
values, without error bars, and says so."""
from __future__ import annotations

import streamlit as st

from rnnkit.analysis.horizon import (
    ARCHITECTURES,
    LENGTHS,
    SEEDS,
    estimated_minutes,
    horizon_cells,
    horizon_configs,
    horizon_groups,
    horizon_summary,
    horizon_table,
    one_seed_only,
    queue_horizon,
    seeds_within,
)
from rnnkit.analysis.horizon_figures import horizon_figure
from rnnkit.model.cells import cell_names, get_cell
from rnnkit.runs.limits import QueueFull, queue_full_message
from rnnkit.runs.store import new_group_id
from rnnkit.ui import safe
from rnnkit.ui.i18n import _, language
from rnnkit.ui.inside.common import Chosen, explain
from rnnkit.ui.style import projector

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
    chosen_archs = tuple(st.multiselect(_("Architectures"), cell_names(), default=list(ARCHITECTURES),
                                        format_func=lambda arch: get_cell(arch).title, key=f"{key}_archs"))
    if not chosen_archs:
        st.info(_("Choose at least one architecture."))
        return
    seeds = seeds_within(store.limits.max_group_runs, architectures=chosen_archs)  # a classroom may hold fewer
    runs = len(LENGTHS) * len(chosen_archs) * seeds
    st.caption(_("One group: recall at T = {lengths} for {archs}, {seeds} seeds each ({runs} runs); about "
                 "{minutes} minutes on two cores.").format(
        lengths=", ".join(map(str, LENGTHS)), archs=", ".join(get_cell(arch).title for arch in chosen_archs),
        seeds=seeds, runs=runs, minutes="{0}-{1}".format(*estimated_minutes(runs, chosen_archs))))
    if seeds < SEEDS:
        st.caption(safe.plain(_("Your classroom allows {limit} runs per group, so each point gets {seeds} seed(s) "
                                "instead of {wanted}; a teacher can raise max_group_runs to {needed}.").format(
            limit=store.limits.max_group_runs, seeds=seeds, wanted=SEEDS,
            needed=len(LENGTHS) * len(chosen_archs) * SEEDS)))
    if st.button(_("Run the memory-horizon experiment"), type="primary", key=f"{key}_start"):
        try:
            queue_horizon(store, horizon_configs(architectures=chosen_archs, seeds=seeds, group=new_group_id()))
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
        show_results(runs, key)
        if running and not any(run.is_active() for run in runs):
            st.rerun()  # the group has ended (finished, stopped or failed): stop refreshing

    results()


def show_results(runs: list, key: str) -> None:
    """One horizon group's result: how many runs are tested, accuracy against T, and the table (also the Lab
    page's *horizon* view)."""
    table = horizon_table(runs)
    summary = horizon_summary(table)
    finished = int(table["test_accuracy"].notna().sum())
    st.caption(_("Latest experiment: {done} of {total} runs tested.").format(done=finished, total=len(table)))
    st.plotly_chart(horizon_figure(summary, language=language(), projector=projector()), key=f"{key}_figure")
    if one_seed_only(summary):
        st.caption(_("One seed per point in this experiment: single values, no error bars."))
    cells = horizon_cells(summary)
    cells.index.name = _("sequence length T")
    cells.columns = [get_cell(arch).title for arch in cells.columns]
    st.caption(_("Test accuracy (%): mean ± standard deviation over the seeds (n = seeds tested); the "
                 "figure's bars are the 95 % t interval of the mean."))
    st.dataframe(cells, key=f"{key}_table")
