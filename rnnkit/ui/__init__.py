"""The dashboard's building blocks; the pages in pages/ stay short descriptions of the UI.

    ui/session.py    entry-point guard, the run stores (`ui.store()`, `ui.demo_store()`)
    ui/auth.py       classroom mode: who is logged in, the login form
    ui/i18n.py       the translation function `_()` (the session's language)
    ui/safe.py       user text as plain text; ui/style.py projector mode
    ui/status.py     training device, where each task's data is, the Train page's busy-machine line
    ui/form.py       the Train page's hyperparameter form, generated from the option declarations
    ui/upload.py     file widgets (a CSV upload saved on the server)
    ui/launch.py     Start: one background run per architecture, as one group
    ui/live.py       the live view of a group; ui/curves.py its charts; ui/labels.py words and pickers
    ui/tables.py     run tables; ui/seeds.py, ui/sweep.py Compare's views of seeds and sweeps
    ui/charts.py     the analysis figures in the session's language and projector mode
    ui/models.py     the model picker (Playground, Inside); ui/playground.py one section per kind of input
    ui/inside/       one file per Inside view, dispatched from one table

This is the dashboard's edge: widgets become configs here, runs are read through the run store and
started through the launcher. Nothing here imports the training engine or the worker.
"""
from __future__ import annotations

from rnnkit.ui import safe, style
from rnnkit.ui.curves import metric_charts
from rnnkit.ui.form import apply_preset, apply_shared_link, hyperparameter_form, share_query
from rnnkit.ui.labels import group_labels, group_options, run_choices
from rnnkit.ui.launch import start_runs, start_sweep
from rnnkit.ui.live import live_view
from rnnkit.ui.session import demo_store, require_entry_point, store
from rnnkit.ui.status import cluster_summary, data_status, device_summary, load_warning, task_title

__all__ = ["safe", "style", "require_entry_point", "store", "demo_store", "apply_preset", "hyperparameter_form",
           "start_runs", "start_sweep", "apply_shared_link", "share_query", "group_options", "live_view",
           "metric_charts", "run_choices", "data_status", "device_summary", "cluster_summary", "task_title",
           "load_warning", "group_labels"]
