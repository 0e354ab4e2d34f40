"""Compare: finished (or running) runs side by side: curves, a table, confusion matrices, per-class F1."""
import streamlit as st

from rnnkit import charts, reports, ui

ui.require_entry_point("compare")

st.title("Compare")
store = ui.store()
runs = store.runs()
choices = ui.run_choices(runs)
if not choices:
    st.info("No runs yet: start some on the Train page.")
    st.stop()
if "compare_runs" not in st.session_state:
    latest = store.latest_group()
    st.session_state["compare_runs"] = [run.run_id for run in store.runs(group=latest)] if latest else list(choices)[:1]
selected_ids = st.multiselect("Runs (default: the latest group)", list(choices), format_func=choices.get,
                              key="compare_runs")
selected = [store.get(run_id) for run_id in selected_ids if run_id in choices]
if not selected:
    st.stop()

st.dataframe(reports.comparison_table(selected), hide_index=True, key="compare_table")
ui.metric_charts(selected, key="compare")

matrices = [(run, reports.confusion(run)) for run in selected]
matrices = [(run, found) for run, found in matrices if found]
if matrices:
    normalise = st.toggle("normalise confusion matrices (rows show recall)", key="compare_normalise")
    columns = st.columns(min(len(matrices), 3))
    for index, (run, (matrix, names, _)) in enumerate(matrices):
        columns[index % len(columns)].plotly_chart(
            charts.confusion_figure(matrix, names, normalise, reports.run_label(run)), key=f"compare_cm_{run.run_id}")
    bars = [(reports.run_label(run), reports.arch_of(run), names, per_class["f1"])
            for run, (_, names, per_class) in matrices]
    st.plotly_chart(charts.f1_bars(bars), key="compare_f1")

st.download_button("Download metrics (CSV)", reports.metrics_csv(selected), file_name="rnnkit-metrics.csv",
                   mime="text/csv", key="compare_download")
