"""Streamlit components shared by the dashboard pages (the pages themselves stay short).

This is the dashboard's edge: widgets become configs here, and runs are read through the run store.
Nothing here trains: Start launches `python -m rnnkit train` processes, and the live panel polls
their folders from an `st.fragment` that reruns every second without redrawing the rest of the page.
"""
from __future__ import annotations

import hashlib
import os
import platform
from datetime import datetime
from pathlib import Path

import streamlit as st

from rnnkit import charts, reports
from rnnkit.config import ARCHITECTURES, DEVICES, GATE_INITS, IMPLEMENTATIONS, OPTIMIZERS, POOLINGS, RunConfig
from rnnkit.presets import build_config, preset_names
from rnnkit.runs import Run, RunError, RunStore, parallel_threads
from rnnkit.tasks import TASK_NAMES, get_task

APP_ROOT = Path(__file__).resolve().parent.parent
LIVE_REFRESH_SECONDS = 1.0
STARTUP_REFRESH_SECONDS = 0.5
UI_LOG_EVERY_STEPS = 5  # denser loss points than the CLI default: the class is watching


def require_entry_point(page: str) -> None:
    """Pages run only through app.py's navigation. On a cold server a deep link such as /train makes
    Streamlit fall back to its legacy pages/ discovery and run the page alone (no sidebar, no
    navigation); send such a session through app.py, which then opens the page that was asked for."""
    if not st.session_state.get("app_entry"):
        st.session_state["app_wanted"] = page
        st.switch_page("app.py")


def store() -> RunStore:
    return RunStore(os.environ.get("RNNKIT_CHECKPOINTS_DIR") or APP_ROOT / "checkpoints")


def demo_store() -> RunStore:
    return RunStore(APP_ROOT / "checkpoints" / "demo")


@st.cache_data
def device_summary() -> str:
    import torch

    if torch.cuda.is_available():
        return f"GPU: {torch.cuda.get_device_name(0)} (CUDA {torch.version.cuda})"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "Apple GPU (MPS)"
    return f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch uses {torch.get_num_threads()} threads"


def data_status(data_dir: str | None) -> list[dict]:
    """Per task and source: where its data was found, or what is missing and how to get it."""
    from rnnkit.data import locate, missing_message

    rows = []
    for name in TASK_NAMES:
        task = get_task(name)
        if not task.sources:
            rows.append({"task": name, "status": "ready", "where": "generated" if name != "csv" else "your own CSV file", "url": ""})
        for source in task.sources:
            found = locate(source, data_dir)
            rows.append({"task": f"{name} ({source.task.split('(')[-1].rstrip(')')})" if "(" in source.task else name,
                         "status": "found" if found else "missing",
                         "where": str(found) if found else missing_message(source, data_dir), "url": source.url})
    return rows


def task_title(name: str) -> str:
    return get_task(name).title


# ----------------------------------------------------------------------------- hyperparameters
MODEL_FIELDS = ("hidden_size", "num_layers", "bidirectional", "impl", "dropout", "embedding_size", "pooling", "gate_init")
TRAIN_FIELDS = ("epochs", "batch_size", "optimizer", "learning_rate", "weight_decay", "gradient_clip", "patience",
                "seed", "device")
CHOICES = {"impl": IMPLEMENTATIONS, "pooling": POOLINGS, "gate_init": GATE_INITS, "optimizer": OPTIMIZERS,
           "device": DEVICES, "source": ("beijing", "jena"), "line_length": (0, 5, 7)}
LABELS = {"hidden_size": "hidden size", "num_layers": "layers", "impl": "implementation", "embedding_size": "embedding size",
          "gate_init": "gate init", "batch_size": "batch size", "learning_rate": "learning rate",
          "weight_decay": "weight decay", "gradient_clip": "gradient clip", "patience": "early-stop patience",
          "sequence_length": "sequence length T", "num_samples": "sequences", "max_length": "max length (tokens)",
          "vocab_size": "vocabulary size (0 = default)", "word_vector_size": "word2vec size",
          "freeze_embeddings": "freeze word2vec", "class_weighted": "class-weighted loss",
          "line_length": "line length (0 = all)", "text_column": "text column", "label_column": "label column"}
HELP = {"gate_init": "chrono: forget/update gates start out remembering across the whole sequence (Tallec & "
                     "Ollivier 2018); the plain RNN has no gate, so it cannot profit",
        "impl": "fused: torch's nn.LSTM/GRU (cuDNN/oneDNN); scratch: rnnkit's hand-written cells (often faster on CPU "
                "with texts of mixed lengths; the residual LSTM exists only here)",
        "pooling": "how the sequence is summed up for the classifier: last state, mean or max over real steps",
        "patience": "stop after this many epochs without a better validation score (0 = never)"}


def _key(section: str, name: str) -> str:
    return f"train_{section}_{name}"


def apply_preset() -> None:
    """Fill the form from the chosen task's preset (a widget callback)."""
    task, preset = st.session_state["train_task"], st.session_state.get("train_preset", "none")
    if preset not in (*preset_names(task), "none"):
        preset = preset_names(task)[0] if preset_names(task) else "none"
        st.session_state["train_preset"] = preset
    config = build_config(task, None if preset == "none" else preset)
    for section in ("task", "model", "train"):
        for field, value in vars(getattr(config, section)).items():
            st.session_state[_key(section, field)] = value


def hyperparameter_form(task_name: str) -> dict[str, dict]:
    """Widgets for the task's options, the model and training; returns config overrides."""
    task = get_task(task_name)
    overrides: dict[str, dict] = {"task": {}, "model": {}, "train": {}}
    sections = [("task", task.settings), ("model", _model_fields(task_name)), ("train", TRAIN_FIELDS)]
    for section, fields in sections:
        if not fields:
            continue
        st.markdown(f"**{ {'task': 'Data', 'model': 'Model', 'train': 'Training'}[section] }**")
        columns = st.columns(4)
        for index, field in enumerate(fields):
            with columns[index % 4]:
                value = _widget(section, field, task_name)
                if value is not None:
                    overrides[section][field] = value
    return overrides


def _model_fields(task_name: str) -> tuple[str, ...]:
    fields = list(MODEL_FIELDS)
    if task_name in ("recall", "adding", "weather", "shopping"):
        fields.remove("embedding_size")  # feature inputs, or word2vec decides the width
    if task_name == "poems":
        fields.remove("pooling")
    return tuple(fields)


def _widget(section: str, field: str, task_name: str):
    key, label = _key(section, field), LABELS.get(field, field.replace("_", " "))
    if key not in st.session_state:
        apply_preset()
    current = st.session_state.get(key)
    if field == "source" and task_name == "csv":
        return _csv_source(key)
    if field in CHOICES:
        return st.selectbox(label, CHOICES[field], key=key, help=HELP.get(field))
    if isinstance(current, bool):
        return st.toggle(label, key=key, help=HELP.get(field))
    if isinstance(current, float):
        step = 0.05 if field == "dropout" else None
        return st.number_input(label, min_value=0.0, step=step, format="%.4g", key=key, help=HELP.get(field))
    if isinstance(current, int):
        return st.number_input(label, min_value=0, step=1, key=key, help=HELP.get(field))
    return st.text_input(label, key=key, help=HELP.get(field)) or None


def _csv_source(key: str) -> str | None:
    upload = st.file_uploader("CSV file", type=["csv"], key="train_csv_upload")
    if upload is not None:
        data = upload.getvalue()
        folder = Path(os.environ.get("RNNKIT_CACHE_DIR", Path.home() / ".rnnkit")) / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{hashlib.sha256(data).hexdigest()[:12]}-{Path(upload.name).name}"
        path.write_bytes(data)
        st.session_state[key] = str(path)
    return st.text_input("or a path on this machine", key=key) or None


def start_runs(task: str, preset: str, architectures: list[str], overrides: dict[str, dict]) -> str:
    """Launch one background run per architecture as one group; returns the group id."""
    if not architectures:
        raise ValueError("choose at least one architecture")
    group = f"g{datetime.now():%Y%m%d-%H%M%S}"
    overrides = {section: dict(values) for section, values in overrides.items()}
    overrides["train"].setdefault("log_every_steps", UI_LOG_EVERY_STEPS)
    overrides["train"]["num_threads"] = parallel_threads(len(architectures))
    configs = []
    for arch in architectures:
        model = {**overrides["model"], "arch": arch}
        if arch == "reslstm":
            model["impl"] = "scratch"
        configs.append(build_config(task, None if preset == "none" else preset, {**overrides, "model": model}, group=group))
    store().start(configs)
    return group


# ---------------------------------------------------------------------------------- live view
def _ordered(runs: list[Run]) -> list[Run]:
    order = {arch: index for index, arch in enumerate(ARCHITECTURES)}
    return sorted(runs, key=lambda run: (order.get(reports._arch(run), 9), run.run_id))


def run_rows(runs: list[Run], key: str) -> None:
    """Per run: name, progress bar with epoch/step/ETA, a stop or resume button."""
    for run in runs:
        status = reports.progress(run)
        name, bar, action = st.columns([2, 6, 1.3])
        name.markdown(f"<span style='color:{reports.run_colour(run)}'>●</span> **{reports.run_label(run)}**",
                      unsafe_allow_html=True, help=run.run_id)
        bar.progress(status["fraction"], text=status["text"])
        if status["state"] in ("running", "queued"):
            if action.button("Stop", key=f"{key}_stop_{run.run_id}"):
                store().stop(run.run_id)
        elif status["state"] in ("stopped", "interrupted", "failed"):
            if action.button("Resume", key=f"{key}_resume_{run.run_id}"):
                try:
                    store().resume(run.run_id)
                except RunError as error:
                    st.error(str(error))
        if status["state"] in ("failed", "interrupted") and status["error"]:
            st.error(f"{reports.run_label(run)}: {status['error']}")


def metric_charts(runs: list[Run], key: str) -> None:
    """Loss (step-level) and the job's headline metrics, all runs overlaid."""
    epochs = reports.epoch_frame(runs)
    left, right = st.columns(2)
    left.plotly_chart(charts.loss_figure(reports.step_frame(runs), epochs), key=f"{key}_loss")
    job = _job(runs[0])
    metrics = reports.HEADLINE.get(job, ())
    if epochs.empty:
        right.info("Validation metrics appear after the first epoch.")
        return
    right.plotly_chart(charts.metric_figure(epochs, metrics[0], reports.baselines(runs[0])), key=f"{key}_metric0")
    if len(metrics) > 1:
        st.plotly_chart(charts.metric_figure(epochs, metrics[1], reports.baselines(runs[0])), key=f"{key}_metric1")


def _job(run: Run) -> str:
    """classify | regress | language_model, from the task spec the run recorded when it started."""
    starts = run.metrics("start")
    return starts[-1]["spec"]["job"] if starts else "classify"


def _epoch_slider(epochs: list[int], key: str) -> int:
    """An epoch slider that follows new epochs while the run trains, unless the user moved it back."""
    latest = f"{key}_latest"
    if key not in st.session_state or st.session_state[key] == st.session_state.get(latest):
        st.session_state[key] = epochs[-1]
    st.session_state[latest] = epochs[-1]
    return st.select_slider("epoch", epochs, key=key)


def confusion_panel(runs: list[Run], key: str) -> None:
    """Confusion matrix of one run at a chosen epoch, and its per-class precision/recall/F1."""
    finished = [run for run in runs if run.metrics("epoch")]
    if not finished or _job(finished[0]) != "classify":
        return
    labels = {run.run_id: reports.run_label(run) for run in finished}
    chosen = st.selectbox("Confusion matrix of", list(labels), format_func=labels.get, key=f"{key}_cm_run")
    run = next(r for r in finished if r.run_id == chosen)
    epochs = [record["epoch"] for record in run.metrics("epoch")]
    epoch = epochs[0] if len(epochs) == 1 else _epoch_slider(epochs, f"{key}_cm_epoch_{chosen}")
    normalise = st.toggle("normalise rows (recall)", key=f"{key}_cm_norm")
    matrix, names, per_class = reports.confusion(run, epoch)
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.confusion_figure(matrix, names, normalise, f"{labels[chosen]}, epoch {epoch}"), key=f"{key}_cm")
    right.dataframe(charts.per_class_frame(per_class, names), hide_index=True, key=f"{key}_pc")


def live_view(group: str) -> None:
    """The group's runs, refreshed every second (only this part of the page reruns). While a run is
    still starting, it polls faster, so the first loss point shows up as soon as it is written."""
    waiting = _waiting_for_first_point(store().runs(group=group))

    @st.fragment(run_every=STARTUP_REFRESH_SECONDS if waiting else LIVE_REFRESH_SECONDS)
    def panel() -> None:
        runs = _ordered(store().runs(group=group))
        if not runs:
            st.info("No runs in this group yet.")
            return
        run_rows(runs, key="live")
        if waiting:  # nothing to chart yet; drawing empty charts would only take CPU from the starting runs
            if not _waiting_for_first_point(runs):
                st.rerun()  # every run has its first point: rerun once, with charts and the calmer interval
            return
        metric_charts(runs, key="live")
        confusion_panel(runs, key="live")

    panel()


def _waiting_for_first_point(runs: list[Run]) -> bool:
    return any(run.is_active() and not run.metrics_size() for run in runs)


def group_options() -> list[str]:
    seen: list[str] = []
    for run in store().runs():
        try:
            group = run.config().group
        except RunError:
            continue
        if group and group not in seen:
            seen.append(group)
    return seen


def run_choices(runs: list[Run]) -> dict[str, str]:
    """run id -> 'lstm · recall · 2026-11-22 12:01' for pickers."""
    choices = {}
    for run in runs:
        try:
            config: RunConfig = run.config()
        except RunError:
            continue
        stamp = run.run_id[:15]
        choices[run.run_id] = f"{reports.run_label(run)} · {config.task.name} · {stamp[:8]} {stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}"
    return choices
