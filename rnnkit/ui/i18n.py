"""The dashboard's translation function `_()`: every UI string goes through it.

The language is the sidebar's switch (`app_language` in the session), at first the browser's
language where Streamlit reports it (`st.context.locale`), else English.
"""
from __future__ import annotations

import streamlit as st

from rnnkit.core.i18n import LANGUAGES, translate


def browser_language() -> str:
    try:
        locale = str(st.context.locale or "")
    except Exception:  # noqa: BLE001 - outside a browser session (tests, bare mode)
        locale = ""
    return "zh" if locale.lower().startswith("zh") else "en"


def language() -> str:
    chosen = st.session_state.get("app_language")
    return chosen if chosen in LANGUAGES else browser_language()


def _(message: str) -> str:
    """`message` (English) in the session's language."""
    return translate(message, language())
