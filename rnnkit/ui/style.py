"""Projector mode: larger type and thicker lines for a class watching a projector.

The page CSS below is a fixed string of this module (never user text). Charts read `projector()`
for their height, font size and line widths (see rnnkit/ui/charts.py).
"""
from __future__ import annotations

import streamlit as st

PROJECTOR_CSS = """
<style>
  html, body, [data-testid="stAppViewContainer"] { font-size: 20px; }
  [data-testid="stMarkdownContainer"] p, label, [data-testid="stWidgetLabel"] p { font-size: 1.1rem; }
  h1 { font-size: 2.2rem !important; padding-top: 0 !important; }
  [data-testid="stMainBlockContainer"] { padding-top: 1rem; padding-left: 2rem; padding-right: 2rem;
                                         max-width: 100%; }
  [data-testid="stProgress"] > div > div { height: 0.8rem; }
</style>
"""


def projector() -> bool:
    return bool(st.session_state.get("app_projector"))


def apply() -> None:
    """Inject the projector CSS when projector mode is on (the app calls this on every run)."""
    if projector():
        st.markdown(PROJECTOR_CSS, unsafe_allow_html=True)
