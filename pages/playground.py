"""Playground: try a trained model (your runs or the shipped demos) on your own input."""
import streamlit as st

from rnnkit import ui
from rnnkit.ui import playground

ui.require_entry_point("playground")

st.title("Playground")
choices = playground.model_choices([("your run", ui.store()), ("demo", ui.demo_store())])
if not choices:
    st.info("No trained model yet: train one on the Train page "
            "(or regenerate the demos with `python -m rnnkit.demos`).")
    st.stop()
path = st.selectbox("Model", list(choices), format_func=choices.get, key="play_model")
playground.show(path)
