"""Home: what rnnkit is, where training runs, which data is ready, and the latest runs."""
import streamlit as st

from rnnkit import ui
from rnnkit.data.sources import DataNotFound, resolve
from rnnkit.data.tasks import get_task
from rnnkit.ui import auth, safe, tables
from rnnkit.ui.i18n import _

ui.require_entry_point("home")

st.title(":material/cycle: rnnkit")
st.markdown(_(
    "Train recurrent networks — **RNN, LSTM, GRU, bidirectional and residual LSTM** — on classic tasks "
    "and watch them learn side by side. Pick a task and several architectures on **Train** and press "
    "Start: each architecture trains in its own background process while the curves update live. "
    "**Compare** lines finished runs up; the **Playground** tries a model on your own input."
))
st.markdown(_("**Inside** opens the network: how far back the gradient reaches, what each gate does at each "
              "word, which inputs mattered, what the embedding learnt, and where each architecture's memory ends."))
st.info(_("Classroom tip: on *Train*, keep the task **recall** with the **quick** preset and the architectures "
          "rnn, lstm, gru. In under a minute the LSTM and GRU reach 100 % while the RNN stays at chance (10 %)."))

st.subheader(_("Training device"))
st.write(ui.device_summary())
cluster = ui.cluster_summary()
if cluster:
    st.text(cluster)  # the address is configuration, shown as typed

st.subheader(_("Data"))
data_dir = st.session_state.get("app_data_dir") or None
rows = ui.data_status(data_dir)
statuses = {"ready": _("ready"), "found": _("found"), "missing": _("missing")}
shown = [{_("task"): row["task"], _("status"): statuses[row["status"]], _("where"): row["where"]} for row in rows]
st.dataframe(shown, hide_index=True, key="home_data")
missing = [row for row in rows if row["status"] == "missing" and row["url"]]
for row in missing:
    if st.button(_("Download data for {task}").format(task=row["task"]), key=f"home_download_{row['task']}"):
        task = get_task(row["task"].split(" ")[0])
        source = next(s for s in task.sources if s.url == row["url"])
        with st.spinner(_("Downloading {url} ...").format(url=row["url"])):
            try:
                st.success(_("Saved to {path}").format(path=resolve(source, data_dir, progress=lambda text: None)))
            except DataNotFound as error:
                safe.error(error)

if auth.current_user() is not None and auth.current_user().is_teacher:
    auth.lockouts()  # names and addresses locked out after failed logins, each with Unlock
    auth.logins()  # how long a login lasts, and "Log everyone out"

st.subheader(_("Latest runs"))
runs = ui.store().runs()[:10]
if runs:
    tables.runs_table(runs, key="home_runs")
else:
    st.write(_("No runs yet: start one on the Train page."))
