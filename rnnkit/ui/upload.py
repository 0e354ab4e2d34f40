"""File widgets: a path option (e.g. the csv task's file) is an upload, or a path on the server.

Uploads are kept under the cache's uploads/ folder for `UPLOAD_DAYS` days after their last use
(a run that trains on one reads it when it starts), then removed, so they do not pile up. The size
limit is Streamlit's `server.maxUploadSize` (.streamlit/config.toml)."""
from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import streamlit as st

from rnnkit.ui.i18n import _


def upload_folder() -> Path:
    return Path(os.environ.get("RNNKIT_CACHE_DIR", Path.home() / ".rnnkit")) / "uploads"


UPLOAD_DAYS = 7


def save_upload(name: str, data: bytes) -> Path:
    """Store uploaded bytes under a content-addressed name (the same file twice is stored once), and
    remove uploads not used for `UPLOAD_DAYS` days."""
    folder = upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    remove_old_uploads(folder)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:12]}-{Path(name).name}"
    path.write_bytes(data)
    return path


def remove_old_uploads(folder: Path, days: float = UPLOAD_DAYS) -> int:
    cutoff = time.time() - days * 86_400
    removed = 0
    for path in folder.glob("*"):
        if path.is_file() and max(path.stat().st_mtime, path.stat().st_atime) < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def path_widget(key: str, label: str, help_text: str, server_paths: bool = True) -> str | None:
    """An uploader (saved on the server) and, where allowed, a text box for a path on the server;
    returns the path to use. Students in classroom mode get the uploader only."""
    upload = st.file_uploader(label, type=["csv"], key=f"{key}_upload", help=help_text)
    if upload is not None:
        st.session_state[key] = str(save_upload(upload.name, upload.getvalue()))
    if not server_paths:
        return st.session_state.get(key) if upload is not None else None
    return st.text_input(_("or a path on this machine"), key=key) or None
