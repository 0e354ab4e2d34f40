"""File widgets: a path option (e.g. the csv task's file) is an upload, or a path on the server."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import streamlit as st

from rnnkit.ui.i18n import _


def upload_folder() -> Path:
    return Path(os.environ.get("RNNKIT_CACHE_DIR", Path.home() / ".rnnkit")) / "uploads"


def save_upload(name: str, data: bytes) -> Path:
    """Store uploaded bytes under a content-addressed name (the same file twice is stored once)."""
    folder = upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:12]}-{Path(name).name}"
    path.write_bytes(data)
    return path


def path_widget(key: str, label: str, help_text: str) -> str | None:
    """An uploader (saved on the server) and a text box for a path; returns the path to use."""
    upload = st.file_uploader(label, type=["csv"], key=f"{key}_upload", help=help_text)
    if upload is not None:
        st.session_state[key] = str(save_upload(upload.name, upload.getvalue()))
    return st.text_input(_("or a path on this machine"), key=key) or None
