"""Train: pick a task, architectures and hyperparameters; Start launches background runs, watched live."""
import streamlit as st

from rnnkit import ui
from rnnkit.config import architecture_names
from rnnkit.presets import get_preset, preset_names
from rnnkit.tasks import get_task, task_names

ui.require_entry_point("train")

if "train_task" not in st.session_state:
    st.session_state["train_task"] = "recall"
    st.session_state["train_preset"] = "quick"
    st.session_state["train_archs"] = ["rnn", "lstm", "gru"]

st.title("Train")
task = st.selectbox("Task", task_names(), format_func=ui.task_title, key="train_task", on_change=ui.apply_preset)
st.caption(get_task(task).description)
left, right = st.columns([1, 2])
preset = left.selectbox("Preset", [*preset_names(task), "none"], key="train_preset", on_change=ui.apply_preset)
if preset != "none":
    left.caption(get_preset(task, preset).get("description", ""))
architectures = right.multiselect("Architectures: one run each, same data, seed and settings", architecture_names(),
                                  key="train_archs",
                                  help="reslstm is the residual LSTM of the IMDB lab report")

with st.expander("Hyperparameters", expanded=False):
    overrides = ui.hyperparameter_form(task)
overrides["task"]["data_dir"] = st.session_state.get("app_data_dir") or None

if st.button("Start", type="primary", key="train_start"):
    try:
        st.session_state["train_watch"] = ui.start_runs(task, preset, architectures, overrides)
    except ValueError as error:
        st.error(str(error))

groups = ui.group_options()
if groups:
    if st.session_state.get("train_watch") not in groups:
        st.session_state["train_watch"] = groups[0]
    st.divider()
    group = st.selectbox("Watching", groups, key="train_watch", help="runs started together form a group")
    ui.live_view(group)
else:
    st.write("Runs you start appear here, live.")
