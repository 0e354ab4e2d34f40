"""Inside: what happens in the network: gradients per step, gates and states, which inputs mattered,
embeddings, and the memory-horizon experiment."""
import streamlit as st

from rnnkit import ui
from rnnkit.ui import inside, models
from rnnkit.ui.choices import relabel
from rnnkit.ui.i18n import _

ui.require_entry_point("inside")

st.title(_("Inside the network"))
st.caption(_("Pick a trained model (yours or a demo) and a view. Every view works for every task; "
             "the memory-horizon experiment trains its own group."))
stores = [("your run", ui.store()), ("demo", ui.demo_store())]
if "inside_view" not in st.session_state:
    st.session_state["inside_view"] = "gradients"
relabel("inside_view", "inside_task")  # after a language switch, the choices' labels in the new language
view = st.segmented_control(_("View"), list(inside.VIEWS), format_func=inside.view_title,
                            key="inside_view") or "gradients"
path = None
if inside.needs_model(view):
    path = models.pick_model(stores, prefix="inside")
    if path is None:
        st.info(_("No trained model yet: train one on the Train page "
                  "(or regenerate the demos with `python -m rnnkit.worker.demos`)."))
        st.stop()
inside.show(view, path, stores, ui.store())
