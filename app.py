"""rnnkit dashboard: `streamlit run app.py`.

Page config, the shared sidebar (data folder) and navigation over pages/. Training never runs in
this process: the Train page launches `python -m rnnkit train` workers and watches their folders.
"""
import os

import streamlit as st

st.set_page_config(page_title="rnnkit", page_icon=":material/cycle:", layout="wide")
st.session_state["app_entry"] = True  # pages check this: see rnnkit.ui.require_entry_point

pages = {
    "home": st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    "train": st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    "compare": st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
    "playground": st.Page("pages/playground.py", title="Playground", icon=":material/science:"),
}
with st.sidebar:
    st.text_input("Data folder", value=os.environ.get("RNNKIT_DATA_DIR", ""), key="app_data_dir",
                  help="Folder with the datasets (e.g. ../shared/data); empty: $RNNKIT_DATA_DIR, then ~/.rnnkit/data")
current = st.navigation(list(pages.values()))
wanted = pages.get(st.session_state.pop("app_wanted", None))
if wanted is not None and wanted.url_path != current.url_path:
    st.switch_page(wanted)  # a deep link that came in before app.py had run: open what was asked for
current.run()
