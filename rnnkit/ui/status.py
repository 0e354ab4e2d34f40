"""What the Home page reports: the device training will use, and where each task's data is."""
from __future__ import annotations

import os
import platform

import streamlit as st

from rnnkit.data.tasks import get_task, task_names
from rnnkit.ui.i18n import _


def device_summary() -> str:
    device = _device()
    if device["kind"] == "cpu":
        return _("CPU: {name}, {cores} cores, torch uses {threads} threads").format(**device)
    return device["name"]


@st.cache_data
def _device() -> dict:
    import torch

    if torch.cuda.is_available():
        return {"kind": "gpu", "name": f"GPU: {torch.cuda.get_device_name(0)} (CUDA {torch.version.cuda})"}
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return {"kind": "gpu", "name": "Apple GPU (MPS)"}
    return {"kind": "cpu", "name": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "threads": torch.get_num_threads()}


def cluster_summary() -> str | None:
    """The Ray cluster runs go to (RNNKIT_RAY_ADDRESS): nodes, CPUs, GPUs, what is free; None on one machine."""
    from rnnkit.runs.launcher import default_launcher
    from rnnkit.runs.ray_jobs import ClusterError, RayLauncher

    launcher = default_launcher()
    if not isinstance(launcher, RayLauncher):
        return None
    try:
        found = launcher.summary()
    except ClusterError as error:
        return _("Ray cluster at {address}: not reachable ({error})").format(address=launcher.address, error=error)
    return _("Ray cluster at {address}: {nodes} node(s), {cpus:g} CPUs ({free_cpus:g} free), {gpus:g} GPUs "
             "({free_gpus:g} free). Runs are queued here and trained where Ray finds room.").format(
        address=launcher.address, **found)


def data_status(data_dir: str | None) -> list[dict]:
    """Per task and source: where its data was found, or what is missing and how to get it."""
    from rnnkit.data.sources import locate, missing_message

    rows = []
    for name in task_names():
        task = get_task(name)
        if not task.sources:
            where = _("your own file") if any(d.path for _item, d in _declared(task)) else _("generated")
            rows.append({"task": name, "status": "ready", "where": where, "url": ""})
        for source in task.sources:
            found = locate(source, data_dir)
            rows.append({"task": f"{name} ({source.task.split('(')[-1].rstrip(')')})" if "(" in source.task else name,
                         "status": "found" if found else "missing",
                         "where": str(found) if found else missing_message(source, data_dir), "url": source.url})
    return rows


def _declared(task):
    from rnnkit.config.options import declared

    return declared(task.Options)


def task_title(name: str) -> str:
    return get_task(name).title
