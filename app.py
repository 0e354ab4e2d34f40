"""rnnkit dashboard: `streamlit run app.py`.

Page config, the shared sidebar (language, projector mode, data folder) and navigation over pages/.
Training never runs in this process: the Train page launches workers (forks of the warm worker, or
`python -m rnnkit train`) and watches their folders.
"""

import streamlit as st

from rnnkit.core import settings
from rnnkit.core.i18n import LANGUAGES
from rnnkit.ui import safe, style
from rnnkit.ui.auth import current_user, log_out, may_use_server_paths, require_valid_settings
from rnnkit.ui.i18n import _, browser_language
from rnnkit.ui.launch import keep_worker_warm

st.set_page_config(page_title="rnnkit", page_icon=":material/cycle:", layout="wide")
require_valid_settings()  # a secrets file that exists but is unusable keeps every page closed
st.session_state["app_entry"] = True  # pages check this: see rnnkit.ui.require_entry_point
keep_worker_warm()  # a Start forks its runs from a process that has torch loaded (rnnkit.runs.warm_client)
# the sidebar's choices live under plain keys: Streamlit resets a widget's own state when the page changes
SETTINGS = {"app_language": browser_language, "app_projector": lambda: False,
            "app_data_dir": lambda: str(settings.data_dir() or "")}
for name, default in SETTINGS.items():
    if name not in st.session_state:
        st.session_state[name] = default()
    st.session_state[f"{name}_widget"] = st.session_state[name]


def keep(name: str):
    return lambda: st.session_state.update({name: st.session_state[f"{name}_widget"]})


pages = {
    "home": st.Page("pages/home.py", title=_("Home"), icon=":material/home:", default=True),
    "train": st.Page("pages/train.py", title=_("Train"), icon=":material/model_training:"),
    "compare": st.Page("pages/compare.py", title=_("Compare"), icon=":material/compare_arrows:"),
    "playground": st.Page("pages/playground.py", title=_("Playground"), icon=":material/science:"),
    "inside": st.Page("pages/inside.py", title=_("Inside"), icon=":material/neurology:"),
    "lab": st.Page("pages/lab.py", title=_("Lab"), icon=":material/menu_book:"),
    "class": st.Page("pages/class.py", title=_("Class"), icon=":material/groups:"),
}
with st.sidebar:
    st.radio(_("Language"), list(LANGUAGES), format_func=LANGUAGES.get, key="app_language_widget", horizontal=True,
             on_change=keep("app_language"))
    st.toggle(_("Projector mode"), key="app_projector_widget", on_change=keep("app_projector"),
              help=_("Larger text and lines, and the running group's charts first: for a class watching a projector"))
    if may_use_server_paths():  # students of a class, and anyone before logging in, never see server paths
        st.text_input(_("Data folder"), key="app_data_dir_widget", on_change=keep("app_data_dir"), max_chars=1024,
                      help=_("Folder with the datasets (e.g. ../shared/data); "
                             "empty: $RNNKIT_DATA_DIR, then ~/.rnnkit/data"))
    else:
        st.session_state["app_data_dir"] = str(settings.data_dir() or "")
    if current_user() is not None:
        role = _("teacher") if current_user().is_teacher else _("student")
        st.caption(safe.plain(_("Logged in as {name} ({role})").format(name=current_user().name, role=role)))
        st.button(_("Log out"), on_click=log_out, key="app_logout")
style.apply()
current = st.navigation(list(pages.values()))
wanted = pages.get(st.session_state.pop("app_wanted", None))
if wanted is not None and wanted.url_path != current.url_path:
    st.switch_page(wanted)  # a deep link that came in before app.py had run: open what was asked for
current.run()
