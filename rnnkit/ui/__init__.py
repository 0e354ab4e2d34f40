"""The dashboard's building blocks; the pages in pages/ stay short descriptions of the UI.

    ui/__init__.py   entry-point guard, the run stores
    ui/status.py     training device, where each task's data is
    ui/form.py       the Train page's hyperparameter form, generated from the option declarations
    ui/upload.py     file widgets (a CSV upload saved on the server)
    ui/launch.py     Start: one background run per architecture, as one group
    ui/live.py       the live view of a group, and run pickers
    ui/playground.py try a trained model, one section per kind of Playground input

This is the dashboard's edge: widgets become configs here, runs are read through the run store and
started through the launcher. Nothing here imports the training engine.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from rnnkit.runs.store import RunStore, demo_root

APP_ROOT = Path(__file__).resolve().parent.parent.parent


def require_entry_point(page: str) -> None:
    """Pages run only through app.py's navigation. On a cold server a deep link such as /train makes
    Streamlit fall back to its legacy pages/ discovery and run the page alone (no sidebar, no
    navigation); send such a session through app.py, which then opens the page that was asked for."""
    if not st.session_state.get("app_entry"):
        st.session_state["app_wanted"] = page
        st.switch_page("app.py")
    from rnnkit.ui.auth import require_login

    require_login()


def store() -> RunStore:
    """The runs of this installation: $RNNKIT_CHECKPOINTS_DIR, else the project's checkpoints/ (as the
    CLI), acting for the logged-in user in classroom mode (its checks apply to every change)."""
    from rnnkit.ui.auth import current_user, queue_limits

    user = current_user()
    return RunStore(user=user, limits=queue_limits(user))


def demo_store() -> RunStore:
    return RunStore(demo_root())


from rnnkit.ui import safe, style  # noqa: E402 - the pages' API
from rnnkit.ui.form import apply_preset, apply_shared_link, hyperparameter_form, share_query  # noqa: E402
from rnnkit.ui.launch import queue_full_message, start_runs, start_sweep  # noqa: E402
from rnnkit.ui.live import group_options, live_view, metric_charts, run_choices  # noqa: E402
from rnnkit.ui.status import cluster_summary, data_status, device_summary, task_title  # noqa: E402

__all__ = ["safe", "style", "require_entry_point", "store", "demo_store", "apply_preset", "hyperparameter_form",
           "start_runs", "start_sweep", "queue_full_message", "apply_shared_link", "share_query",
           "group_options", "live_view", "metric_charts", "run_choices", "data_status", "device_summary",
           "cluster_summary",
           "task_title"]
