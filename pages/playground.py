"""Playground: try a trained model (your runs or the shipped demos) on your own input."""
import streamlit as st

from rnnkit import ui
from rnnkit.ui import models, playground
from rnnkit.ui.choices import relabel
from rnnkit.ui.i18n import _

ui.require_entry_point("playground")

st.title(_("Playground"))
relabel("play_task", "play_decision")  # after a language switch, the choices' labels in the new language
path = models.pick_model([("your run", ui.store()), ("demo", ui.demo_store())])
if path is None:
    st.info(_("No trained model yet: train one on the Train page "
              "(or regenerate the demos with `python -m rnnkit.worker.demos`)."))
    st.stop()
playground.show(path)
