"""Train: pick a task, architectures and hyperparameters; Start launches background runs, watched live.
In projector mode the setup folds away once a group exists, so the live charts fill the screen."""
from urllib.parse import urlencode

import streamlit as st

from rnnkit import ui
from rnnkit.config.counts import maximum
from rnnkit.data.presets import get_preset, preset_names
from rnnkit.data.tasks import get_task, task_names
from rnnkit.model.cells import cell_names
from rnnkit.runs.limits import QueueFull, queue_full_message
from rnnkit.ui import sweep as sweep_view
from rnnkit.ui.assignment_form import assignment_panel
from rnnkit.ui.choices import relabel
from rnnkit.ui.i18n import _
from rnnkit.ui.lesson import why_note
from rnnkit.ui.live import watching_labels

ui.require_entry_point("train")

if "train_task" not in st.session_state:
    st.session_state["train_task"] = "recall"
    st.session_state["train_preset"] = "quick"
    st.session_state["train_archs"] = ["rnn", "lstm", "gru"]
    st.session_state["train_seeds"] = 1

# a teacher's link (or Compare's "Train this") opens the same settings
link_problem = ui.apply_shared_link(st.session_state.pop("train_pending_link", None) or dict(st.query_params))
compact = ui.style.projector() and bool(ui.group_options())
if not compact:  # projector mode gives the screen to the running group
    st.title(_("Train"))
setup = st.expander(_("Setup: task, architectures, settings, group"), expanded=False) if compact else st.container()
with setup:
    if assignment_panel():  # classroom mode: a class assignment's instruction, the teacher's settings, one Start
        st.divider()
    relabel("train_task", "train_preset")  # after a language switch, the boxes' labels in the new language
    task = st.selectbox(_("Task"), task_names(), format_func=lambda name: _(ui.task_title(name)), key="train_task",
                        on_change=ui.apply_preset)
    st.caption(_(get_task(task).description))
    left, right = st.columns([1, 2])
    preset = left.selectbox(_("Preset"), [*preset_names(task), "none"], key="train_preset", on_change=ui.apply_preset,
                            format_func=lambda name: _("none (plain defaults)") if name == "none" else name)
    if preset != "none":
        left.caption(_(get_preset(task, preset).get("description", "")))
    architectures = right.multiselect(_("Architectures: one run each, same data, seed and settings"),
                                      cell_names(), key="train_archs",
                                      help=_("reslstm is the residual LSTM of the IMDB lab report"))
    seed_count = right.number_input(_("Seeds per architecture"), min_value=1, max_value=maximum("seeds"), step=1,
                                    key="train_seeds",
                                    help=_("3 or more: Compare shows mean ± std over seeds and says whether the "
                                           "difference between architectures is real (paired t-test)"))
    with st.expander(_("Hyperparameters"), expanded=False):
        overrides = ui.hyperparameter_form(task)
    overrides["task"]["data_dir"] = st.session_state.get("app_data_dir") or None
    st.caption(ui.status.sharing_note(len(architectures) * int(seed_count)))  # threads per run, nice: in words
    if st.button(_("Start"), type="primary", key="train_start"):
        try:
            st.session_state["train_watch"] = ui.start_runs(task, preset, architectures, overrides,
                                                            seeds=int(seed_count))
        except QueueFull as error:
            ui.safe.error(queue_full_message(error, _))
        except (ValueError, OSError) as error:  # bad settings, or no space left for the run folders
            ui.safe.error(error)
    with st.expander(_("Sweep: a grid of settings")):
        grid = sweep_view.grid_box(task)
        points = st.number_input(_("Combinations to train (0 = all of them)"), min_value=0,
                                 max_value=maximum("trials"), step=1, value=0, key="train_sweep_points",
                                 help=_("N > 0: N different combinations drawn at random (random search), for a "
                                        "grid too large to train whole"))
        if st.button(_("Start sweep"), key="train_sweep_start", disabled=not grid):
            try:
                st.session_state["train_watch"] = ui.start_sweep(task, preset, architectures, overrides,
                                                                 int(seed_count), grid, points=int(points))
            except QueueFull as error:
                ui.safe.error(queue_full_message(error, _))
            except (ValueError, OSError) as error:
                ui.safe.error(error)
    if link_problem:
        ui.safe.error(link_problem)
    if st.button(_("Link to these settings"), key="train_share",
                 help=_("Puts the task, preset, architectures, seeds and every changed setting in the address, "
                        "so whoever opens the link gets the same form (paths on the server are left out)")):
        query = ui.share_query(task, preset, architectures, int(seed_count), overrides)
        st.query_params.from_dict(query)
        st.session_state["train_link"] = query  # already applied: this form is the link's
        st.caption(_("The address bar now holds the link; copy it from there or here:"))
        st.code(f"{(st.context.url or '').split('?')[0]}?{urlencode(query)}", language=None)

with setup if compact else st.container():  # projector mode: inside the folded setup, the charts stay in view
    ui.load_warning()  # other programs keep the cores busy: say that a lesson will be slow, and why
groups = ui.group_options()
if groups:
    if st.session_state.get("train_watch") not in groups:
        st.session_state["train_watch"] = groups[0]
    with setup if compact else st.container():
        if not compact:
            st.divider()
        run_store = ui.store()
        watching = watching_labels(run_store.runs(), run_store.root)  # each group's name, and its owner
        group = st.selectbox(_("Watching"), groups, key="train_watch",
                             format_func=lambda found: watching.get(found, found),
                             help=_("runs started together form a group"))
    ui.live_view(group)
    why_note(ui.store().runs(group=group))  # once the group has finished: the result in words, where it holds
else:
    st.write(_("Runs you start appear here, live."))
