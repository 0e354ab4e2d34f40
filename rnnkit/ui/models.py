"""The model picker of the Playground and the Inside page: every trained model this session may try
(your runs first, then the shipped demos), a task then a model widget, and the cached loader.

Pick a task first; the model defaults to your best finished run of that task by its best-epoch VALIDATION
score (the test score is shown for the record, never used to choose), else the task's shipped demo. In
classroom mode a student tries only their own models (a model carries what it was trained on: vocabulary,
class names).
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import streamlit as st

from rnnkit.analysis import reports
from rnnkit.analysis.inference import Predictor
from rnnkit.core.metrics import higher_is_better, metric_title
from rnnkit.data.tasks import get_task, task_names
from rnnkit.runs.access import may_change
from rnnkit.runs.store import RunStore
from rnnkit.ui import safe
from rnnkit.ui.i18n import _, language
from rnnkit.ui.labels import format_score, unique_labels


class Model(NamedTuple):
    path: str  # best.pt
    task: str
    label: str  # for the picker
    score: float | None  # test score of the task's selection metric (None: not tested yet), for the record
    demo: bool
    validation: float | None = None  # best-epoch validation score of that metric: what the default is chosen by


def available_models(stores: list[tuple[str, RunStore]]) -> list[Model]:
    """Every run with a best.pt (your runs first, then the shipped demos), in `stores` order."""
    models = []
    for origin, store in stores:
        for run in store.runs():
            if not run.best_path.exists():
                continue
            if origin != "demo" and not may_change(store.user, run.owner()):
                continue
            try:
                summary = reports.run_summary(run)
            except ValueError:
                continue
            if "task" not in summary:
                continue
            score = summary["test"].get(summary["monitor"]) if summary["monitor"] else None
            validation = summary.get("best_validation") if summary["monitor"] else None
            where = _("demo") if origin == "demo" else _("your run")
            label = f"{where}: {reports.run_label(run, language())} · {run.run_id}"
            if validation is not None:
                label += " · " + _("validation {metric} {value}").format(
                    metric=_(metric_title(summary["monitor"])), value=format_score(summary["monitor"], validation))
            if score is not None:
                label += " · " + _("test {metric} {value}").format(metric=_(metric_title(summary["monitor"])),
                                                                   value=format_score(summary["monitor"], score))
            models.append(Model(str(run.best_path), summary["task"], label, score, origin == "demo", validation))
    return models


def default_model(models: list[Model]) -> Model:
    """The best finished run of the task by its best-epoch validation score (never by its test score), else
    the task's demo, else the first."""
    task = get_task(models[0].task)
    better = higher_is_better(task.selection_metric)
    finished = [model for model in models if model.score is not None and model.validation is not None
                and not model.demo]
    if finished:
        return sorted(finished, key=lambda model: model.validation, reverse=better)[0]
    demos = [model for model in models if model.demo]
    return (demos or models)[0]


def pick_model(stores: list[tuple[str, RunStore]], prefix: str = "play") -> str | None:
    """Task, then model widgets (keys `<prefix>_task`, `<prefix>_model`); returns the chosen best.pt path
    (None when nothing is trained)."""
    models = available_models(stores)
    tasks = [name for name in task_names() if any(model.task == name for model in models)]
    if not tasks:
        return None
    task_key, model_key = f"{prefix}_task", f"{prefix}_model"
    if st.session_state.get(task_key) not in tasks:  # first visit: the task of your latest run, else the first
        st.session_state[task_key] = next((model.task for model in models if not model.demo), tasks[0])
    task = st.selectbox(_("Task"), tasks, format_func=lambda name: _(get_task(name).title), key=task_key)
    of_task = [model for model in models if model.task == task]
    paths = [model.path for model in of_task]
    if st.session_state.get(model_key) not in paths:
        st.session_state[model_key] = default_model(of_task).path
    labels = unique_labels({model.path: model.label for model in of_task})
    return st.selectbox(_("Model (default: your best finished run by validation score, else the demo)"), paths,
                        format_func=labels.get, key=model_key)


@st.cache_resource(max_entries=6)
def load_predictor(path: str, modified: float) -> Predictor:
    """Cached per file and modification time, so a newer best.pt is picked up."""
    return Predictor.from_file(path)


def predictor_of(path: str) -> Predictor | None:
    """The model at `path`, ready for input; None after a shown error (a broken best.pt keeps the page working).
    The error names the model by run id and file name (the checkpoint's own messages do), never by its path
    on the server."""
    try:
        return load_predictor(path, Path(path).lstat().st_mtime)
    except ValueError as error:  # CheckpointError: "run ID: best.pt is corrupt or truncated", and the like
        safe.error(_("This model cannot be loaded: {error}").format(error=error))
    except OSError as error:  # gone since the list was made, or unreadable
        reason = error.strerror or type(error).__name__
        safe.error(_("This model cannot be loaded: run {run}: {file} cannot be read ({reason})").format(
            run=Path(path).parent.name, file=Path(path).name, reason=reason))
    return None
