"""rnnkit dashboard entry point (the full dashboard arrives with the dashboard issue)."""
import streamlit as st

st.set_page_config(page_title="rnnkit", page_icon="🔁", layout="wide")
st.title("rnnkit")
st.write("Train and compare recurrent networks. For now, use the command line: "
         "`python -m rnnkit train --task recall --arch lstm,gru,rnn`.")
