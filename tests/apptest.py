"""Open a dashboard page under streamlit.testing.v1.AppTest as app.py's navigation would."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.waits import patience

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = patience(120)  # seconds one script run may take: a few on an idle machine, far more under load


def page(name: str, **state) -> AppTest:
    """pages/<name>.py (or app.py for "app"), with session `state` set before the first run."""
    path = ROOT / ("app.py" if name == "app" else f"pages/{name}.py")
    app = AppTest.from_file(str(path), default_timeout=TIMEOUT)
    app.session_state["app_entry"] = True  # as if app.py's navigation had run first
    for key, value in state.items():
        app.session_state[key] = value
    return app
