"""File widgets: a path option (e.g. the csv task's file) is an upload, or a path on the server.

Uploads are stored per user (`rnnkit.runs.uploads`): removed with the last run that uses them, or
`UPLOAD_DAYS` days after their last use. The size limit is Streamlit's `server.maxUploadSize`
(.streamlit/config.toml); in classroom mode uploads count against the student's disk quota."""
from __future__ import annotations

import streamlit as st

from rnnkit.runs.limits import QueueFull, queue_full_message
from rnnkit.runs.uploads import save_upload
from rnnkit.ui import safe
from rnnkit.ui.auth import current_user
from rnnkit.ui.i18n import _
from rnnkit.ui.session import store


def path_widget(key: str, label: str, help_text: str, server_paths: bool = True) -> str | None:
    """An uploader (saved on the server, in this user's folder) and, where allowed, a text box for a
    path on the server; returns the path to use. Students in classroom mode get the uploader only."""
    upload = st.file_uploader(label, type=["csv"], key=f"{key}_upload", help=help_text)
    if upload is not None:
        try:
            store().check_disk_quota(extra_bytes=upload.size)
        except QueueFull as error:
            safe.error(queue_full_message(error, _))
            return None
        st.session_state[key] = str(save_upload(upload.name, upload.getvalue(), current_user()))
    if not server_paths:
        return st.session_state.get(key) if upload is not None else None
    return st.text_input(_("or a path on this machine"), key=key) or None
