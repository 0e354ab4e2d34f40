"""Who this session is and which runs it sees: the entry-point guard and the run stores every page and
building block asks for (`from rnnkit import ui; ui.store()`)."""
from __future__ import annotations

import streamlit as st

from rnnkit.runs.store import RunStore, demo_root
from rnnkit.ui.auth import current_user, queue_limits, require_login


def require_entry_point(page: str) -> None:
    """Pages run only through app.py's navigation. On a cold server a deep link such as /train makes
    Streamlit fall back to its legacy pages/ discovery and run the page alone (no sidebar, no
    navigation); send such a session through app.py, which then opens the page that was asked for."""
    if not st.session_state.get("app_entry"):
        st.session_state["app_wanted"] = page
        st.switch_page("app.py")
    require_login()


def store() -> RunStore:
    """The runs of this installation: $RNNKIT_CHECKPOINTS_DIR, else the project's checkpoints/ (as the
    CLI), acting for the logged-in user in classroom mode (its checks apply to every change)."""
    user = current_user()
    return RunStore(user=user, limits=queue_limits(user))


def demo_store() -> RunStore:
    """The shipped demo runs (read-only examples for the Playground and Inside)."""
    return RunStore(demo_root())
