"""Run tables as a class reads them: scores in percent where they are fractions, '–' where a run
has no value yet (e.g. a stopped run's test score), headers and states in the session's language."""
from __future__ import annotations

import streamlit as st

from rnnkit.analysis import reports, run_text
from rnnkit.analysis.html_report import count_text
from rnnkit.analysis.vocabulary import perplexity_label, vocabularies
from rnnkit.runs.access import may_change
from rnnkit.runs.store import Run, RunError, delete_run
from rnnkit.ui import safe
from rnnkit.ui.i18n import _, language
from rnnkit.ui.labels import group_labels, state_word
from rnnkit.ui.session import store


def _header(column: str, vocabulary: int | None = None) -> str:
    """The column's title in the session's language (`run_text.column_title`, the HTML report's too)."""
    return run_text.column_title(column, language(), vocabulary)


def runs_table(runs: list[Run], key: str) -> None:
    """The comparison table (best epoch, its validation score, test score, size, speed) of `runs`."""
    frame = reports.comparison_table(runs, language())
    if frame.empty:
        return
    sizes = vocabularies(runs)  # language-model runs: perplexity is only read with its vocabulary
    shared = next(iter(sizes.values())) if len(set(sizes.values())) == 1 else None
    for column in frame.columns:
        if column.startswith(("best val ", "test ")):
            metric = column.split(" ")[-1]
            frame[column] = [_score(metric, value) for value in frame[column]]
            if metric == "perplexity" and len(set(sizes.values())) > 1:  # several: each cell says its own
                frame[column] = [text if text == "–" or run_id not in sizes else
                                 perplexity_label(sizes[run_id], language(), text)
                                 for run_id, text in zip(frame["run"], frame[column])]
    frame["state"] = frame["state"].map(lambda state: state_word(str(state)))
    groups = {reports.group_of(run) for run in runs}
    if len(groups) > 1:  # runs of several groups: which is which, by the names people read
        labels = group_labels()
        frame.insert(1, "group", [labels.get(reports.group_of(run), "–") for run in runs])
    if "seed" in frame:  # a seeds group: text, as a run without a readable config has none
        frame["seed"] = [str(int(seed)) if seed == seed and seed is not None else "–" for seed in frame["seed"]]
    if "parameters" in frame:  # one type per column: Arrow refuses ints mixed with "–"
        frame["parameters"] = count_text(frame["parameters"])
    frame = frame.rename(columns=lambda column: _header(column, shared))
    frame = frame.astype(object).where(frame.notna(), "–")
    st.dataframe(frame, hide_index=True, key=key)


def _score(metric: str, value) -> str:
    return run_text.format_score(metric, value, fixed=True)  # '8.8 %', errors with three decimals


def delete_section(runs: list[Run], key: str) -> None:
    """Delete the chosen runs for good: only those this user may change (their own; a teacher any)
    and that have ended, after a confirmation. The run store checks again."""
    run_store = store()
    mine = [run for run in runs if may_change(run_store.user, run.owner()) and not run.is_active()]
    with st.expander(_("Delete runs")):
        if not mine:
            st.caption(_("None of the chosen runs can be deleted by you: only your own runs that have "
                         "ended (a teacher: any run that has ended)."))
            return
        labels = {run.run_id: f"{reports.run_label(run, language())} · {run.run_id}" for run in mine}
        chosen = st.multiselect(_("Runs to delete"), list(labels), default=list(labels), format_func=labels.get,
                                key=f"{key}_delete_runs")
        sure = st.checkbox(_("Yes, delete these {count} run(s) with their checkpoints and metrics; this cannot "
                             "be undone").format(count=len(chosen)), key=f"{key}_delete_sure")
        if st.button(_("Delete"), key=f"{key}_delete", disabled=not (sure and chosen)):
            deleted = 0
            for run_id in chosen:
                try:
                    delete_run(run_store, run_id)
                    deleted += 1
                except RunError as error:
                    safe.error(error)
            st.session_state.pop(f"{key}_delete_sure", None)
            st.session_state["compare_deleted"] = deleted
            st.rerun()
