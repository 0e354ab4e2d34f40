"""Compare: finished (or running) runs side by side: a table, curves, confusion matrices, per-class F1."""
import streamlit as st

from rnnkit import ui
from rnnkit.analysis import frames, matching, reports
from rnnkit.analysis.html_report import html_report
from rnnkit.analysis.retrain import reproduce_command
from rnnkit.analysis.robust_tasks import has_several_tasks
from rnnkit.analysis.vocabulary import perplexity_note
from rnnkit.runs.access import may_change
from rnnkit.runs.store import RunError
from rnnkit.ui import charts, lesson, seeds, tables
from rnnkit.ui import robust as robust_view
from rnnkit.ui import sweep as sweep_view
from rnnkit.ui.i18n import _, language

ui.require_entry_point("compare")

st.title(_("Compare"))
store, runs = lesson.runs_or_demo(ui.store(), ui.demo_store())  # none of yours yet: the shipped demo comparison
choices = ui.run_choices(runs)
if not choices:
    st.info(_("No runs yet: start some on the Train page."))
    st.stop()
deleted = st.session_state.pop("compare_deleted", None)
if deleted:
    st.success(_("Deleted {count} run(s).").format(count=deleted))
if "compare_runs" in st.session_state:  # runs deleted since (here or elsewhere) leave the selection
    st.session_state["compare_runs"] = [run_id for run_id in st.session_state["compare_runs"] if run_id in choices]
if "compare_runs" not in st.session_state:
    latest = store.latest_group()
    st.session_state["compare_runs"] = [run.run_id for run in store.runs(group=latest)] if latest else list(choices)[:1]
selected_ids = st.multiselect(_("Runs (default: the latest group)"), list(choices), format_func=choices.get,
                              key="compare_runs")
selected = [store.get(run_id) for run_id in selected_ids if run_id in choices]
if not selected:
    st.stop()

tables.runs_table(selected, key="compare_table")
for note in matching.matching_notes(selected, language()):  # equal parameter budgets: how close, or why not
    st.caption(ui.safe.plain(note))
lesson.why_note(selected)  # the result tied to the gradients, in words, where the numbers support it
vocabulary_note = perplexity_note(selected, language())  # perplexities over different vocabularies
if vocabulary_note:  # say so, and neither rank them nor give a verdict on them
    st.warning(ui.safe.plain(vocabulary_note))
if sweep_view.is_sweep(selected) and not vocabulary_note:  # a grid of settings: parallel coordinates, ranking
    sweep_view.sweep_section(selected, key="compare_sweep")
    robust_view.evp_section(selected, key="compare_evp")
if seeds.has_seeds(selected) and not vocabulary_note:  # several seeds per architecture: bands, verdict
    seeds.seeds_section(selected, key="compare_seeds")
    robust_view.robust_section(selected, key="compare_robust")
    seeds.ensemble_section(selected, key="compare_seeds")
if has_several_tasks(selected) and not vocabulary_note:  # the same architectures on several tasks
    robust_view.across_tasks_section(selected, key="compare_tasks")
if seeds.has_seeds(selected) and not vocabulary_note:
    st.subheader(_("Every run"))
ui.metric_charts(selected, key="compare")

matrices = [(run, frames.confusion(run)) for run in selected]
matrices = [(run, found) for run, found in matrices if found]
if matrices:
    normalise = st.toggle(_("normalise confusion matrices (rows show recall)"), key="compare_normalise")
    columns = st.columns(min(len(matrices), 3))
    for index, (run, (matrix, names, _per_class)) in enumerate(matrices):
        title = _("{run}, best epoch, validation split").format(run=reports.run_label(run, language()))
        columns[index % len(columns)].plotly_chart(charts.confusion_figure(matrix, names, normalise, title),
                                                   key=f"compare_cm_{run.run_id}")
    bars = [(reports.run_label(run, language()), reports.arch_of(run), names, per_class["f1"])
            for run, (_matrix, names, per_class) in matrices]
    st.plotly_chart(charts.f1_bars(bars), key="compare_f1")

reliability = frames.reliability_rows(selected, language())
if reliability:
    st.subheader(_("Calibration"))
    st.caption(_("How sure a model is against how often it is right: on the diagonal a model is as sure as it is "
                 "right; below it, over-confident. ECE is the average gap, weighted by how many predictions fall "
                 "in each confidence bin (lower is better). Dashed, where a run has one: the same predictions with "
                 "the temperature T fitted on the validation split after training (temperature scaling)."))
    st.plotly_chart(charts.reliability_figure(reliability), key="compare_reliability")

left, right = st.columns(2)
left.download_button(_("Download metrics (CSV)"), frames.metrics_csv(selected), file_name="rnnkit-metrics.csv",
                     mime="text/csv", key="compare_download")
if right.button(_("Prepare an HTML report"), key="compare_report",
                help=_("One file with these runs' tables and figures (seeds, sweep, calibration where they "
                       "apply) that opens in any browser, offline")):
    right.download_button(_("Download the report (HTML)"), html_report(selected, _("rnnkit comparison"), language()),
                          file_name="rnnkit-report.html", mime="text/html", key="compare_report_download")
with st.expander(_("Commands that train these runs again")):
    st.caption(_("Each line trains the run again from the command line, with every setting it had (same seed: "
                 "same data split, order and initial weights). The copy button is at the right of each line."))
    for run in selected:
        if not may_change(store.user, run.owner()):  # another student's command would show their file's path
            st.caption(ui.safe.plain(_("{run}: only its owner and the teachers see its command.").format(
                run=run.run_id)))
            continue
        try:
            st.code(f"# {reports.run_label(run)} ({run.run_id})\n{reproduce_command(run.config())}", language="bash")
        except (RunError, ValueError) as error:
            ui.safe.error(error)
if not lesson.is_shipped(store):  # the shipped demos stay
    tables.delete_section(selected, key="compare")
