"""What the Home page reports: the device training will use, and where each task's data is; and the Train
page's warning when other programs keep this machine busy, and how a Start's runs share the cores."""
from __future__ import annotations

import os
import platform

import streamlit as st

from rnnkit.core import settings
from rnnkit.data.tasks import get_task, task_names
from rnnkit.runs import limits, machine
from rnnkit.runs.groups import run_threads
from rnnkit.ui.i18n import _
from rnnkit.ui.session import store


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


def load_warning() -> None:
    """One line when other programs keep this machine's cores busy (`rnnkit.runs.machine`), so a lesson's runs
    train slowly here; nothing on a cluster (runs train on its nodes) or an idle machine."""
    if settings.ray_address():
        return
    training = 0 if machine.has_proc() else _training_runs()  # without /proc the load average counts our runs
    load = machine.current_load(training)
    if not load.busy:
        return
    text = _("This machine is busy: other programs use {used:.1f} of its {cores} cores, so training is slower "
             "than usual.").format(used=load.other_cores, cores=load.cores)
    try:
        nice = settings.worker_nice()
    except ValueError:
        nice = 0
    if nice:
        text += " " + _("Runs train at low priority (nice {nice}), after those programs; RNNKIT_WORKER_NICE=0 "
                        "gives them an equal share (docs/settings.md).").format(nice=nice)
    st.warning(text, icon=":material/speed:")


def sharing_note(runs: int) -> str:
    """How a Start of `runs` runs shares this machine's cores, in words: runs at once (a student's group only
    as far as the queue's capacity, anyone else's whole), threads each, nice value, and the settings that
    change them (docs/settings.md); "" on a cluster (its nodes decide)."""
    if settings.ray_address() or runs < 1:
        return ""
    try:
        capacity = store().limits.capacity or limits.default_capacity()
        at_once = min(runs, capacity) if store().limits.within_capacity else runs
        threads, nice = run_threads(runs), settings.worker_nice()
    except ValueError as error:  # a bad setting: say which, as the Start would
        return str(error)
    cores = os.cpu_count() or 1
    text = _("{runs} runs on {cores} cores: {at_once} train at once, each with {threads} CPU thread(s)").format(
        runs=runs, cores=cores, at_once=at_once, threads=threads)
    text += ", " + (_("at low priority (nice {nice}) so this page stays quick").format(nice=nice) if nice
                    else _("at the dashboard's priority (nice 0)"))
    return text + ". " + _("RNNKIT_THREADS_PER_RUN, RNNKIT_WORKER_NICE and RNNKIT_QUEUE_CAPACITY change it "
                           "(docs/settings.md).")


def _training_runs() -> int:
    try:
        return store().queue.summary()["training_runs"]
    except ValueError:  # a bad RNNKIT_QUEUE_CAPACITY: the live view says so
        return 0


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
