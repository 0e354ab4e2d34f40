"""Every `RNNKIT_*` environment variable, declared once and read here (docs/settings.md lists them).

    variable                 default                         read by
    RNNKIT_CHECKPOINTS_DIR   <project>/checkpoints           the run store (CLI, dashboard, workers)
                             (an installed package without its checkout: ~/.rnnkit/checkpoints)
    RNNKIT_DATA_DIR          (none)                          the data sources: where datasets are looked for
    RNNKIT_CACHE_DIR         ~/.rnnkit                       downloads (data/), preprocessing cache, uploads/
    RNNKIT_OFFLINE           (off)                           any value: never download, say what is missing
    RNNKIT_QUEUE_CAPACITY    one run per CPU core            the fair queue: training runs at once
    RNNKIT_WORKER_NICE       10                              workers' CPU priority (0: as the dashboard)
    RNNKIT_THREADS_PER_RUN   auto: cores / runs at once      torch's CPU threads in each run of a group
    RNNKIT_RAY_ADDRESS       (none: local processes)         the launcher: a Ray cluster's dashboard address
    RNNKIT_RAY_PYTHON        python                          the interpreter Ray jobs run on the nodes

Every other part asks these functions, never `os.environ`, so the table above is the whole list.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # the folder holding rnnkit/, app.py and checkpoints/


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable
    default: str  # what applies when it is unset, in words
    help: str  # one line: what it changes


SETTINGS = (
    Setting("RNNKIT_CHECKPOINTS_DIR", "<project>/checkpoints (installed without the checkout: ~/.rnnkit/checkpoints)",
            "where run folders are kept"),
    Setting("RNNKIT_DATA_DIR", "none", "a folder with the real datasets, searched before the download cache"),
    Setting("RNNKIT_CACHE_DIR", "~/.rnnkit", "downloads (data/), the preprocessing cache and uploads (uploads/)"),
    Setting("RNNKIT_OFFLINE", "off", "any value: never download a dataset; a missing one is an error saying where"),
    Setting("RNNKIT_QUEUE_CAPACITY", "one per CPU core", "training runs the queue lets run at once"),
    Setting("RNNKIT_WORKER_NICE", "10", "background training's nice value: 0 (as the dashboard) to 19"),
    Setting("RNNKIT_THREADS_PER_RUN", "auto: the cores divided among the runs that train at once (at least 1)",
            "torch's CPU threads in each run a Start or `train --seeds` launches (a run's own num_threads wins)"),
    Setting("RNNKIT_WARM_WORKER", "on", "off: every run starts a new Python (cold, seconds slower) instead of a "
            "fork of the warm worker"),
    Setting("RNNKIT_RAY_ADDRESS", "none (local processes)", "run the queue's groups as jobs of this Ray cluster"),
    Setting("RNNKIT_RAY_PYTHON", "python", "the Python interpreter Ray jobs start on the nodes"),
)
NAMES = tuple(setting.name for setting in SETTINGS)


def _value(name: str) -> str:
    assert name in NAMES, name  # a programming error: every variable is declared in SETTINGS
    return os.environ.get(name, "").strip()


def checkpoints_dir() -> Path:
    """$RNNKIT_CHECKPOINTS_DIR, else the checkout's checkpoints/ (beside app.py), else, for a package
    installed without its checkout (`pip install .`), ~/.rnnkit/checkpoints: never site-packages."""
    configured = _value("RNNKIT_CHECKPOINTS_DIR")
    if configured:
        return Path(configured).expanduser()
    if (PROJECT_ROOT / "app.py").is_file():
        return PROJECT_ROOT / "checkpoints"
    return cache_dir() / "checkpoints"


def data_dir() -> Path | None:
    configured = _value("RNNKIT_DATA_DIR")
    return Path(configured).expanduser() if configured else None


def cache_dir() -> Path:
    configured = _value("RNNKIT_CACHE_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".rnnkit"


def offline() -> bool:
    return bool(_value("RNNKIT_OFFLINE"))


def queue_capacity() -> int | None:
    """The configured capacity, or None (then one run per core); a bad value is a clear error."""
    configured = _value("RNNKIT_QUEUE_CAPACITY")
    if not configured:
        return None
    try:
        value = int(configured)
    except ValueError:
        raise ValueError(f"RNNKIT_QUEUE_CAPACITY must be a whole number of runs, not {configured!r}") from None
    if value < 1:
        raise ValueError("RNNKIT_QUEUE_CAPACITY must be at least 1")
    return value


WORKER_NICE_DEFAULT = 10  # below the dashboard and the terminal, so the page stays quick while runs train


def worker_nice() -> int:
    """How much lower than normal background training runs (Unix nice, 0-19): default 10, which keeps the
    dashboard quick but lets any other program on the machine come first; 0 trains at normal priority
    (a class server where other programs also run). A bad value is a clear error."""
    configured = _value("RNNKIT_WORKER_NICE")
    if not configured:
        return WORKER_NICE_DEFAULT
    try:
        value = int(configured)
    except ValueError:
        raise ValueError(f"RNNKIT_WORKER_NICE must be a whole number from 0 to 19, not {configured!r}") from None
    if not 0 <= value <= 19:
        raise ValueError(f"RNNKIT_WORKER_NICE must be from 0 (normal priority) to 19 (lowest), not {value}")
    return value


def threads_per_run() -> int | None:
    """torch's CPU threads in each run of a group (RNNKIT_THREADS_PER_RUN): None (unset or `auto`) divides the
    cores among the runs that train at once; a bad value is a clear error."""
    configured = _value("RNNKIT_THREADS_PER_RUN")
    if not configured or configured.lower() == "auto":
        return None
    try:
        value = int(configured)
    except ValueError:
        raise ValueError(f"RNNKIT_THREADS_PER_RUN must be auto or a whole number of threads, not {configured!r}"
                         ) from None
    if not 1 <= value <= 1024:
        raise ValueError(f"RNNKIT_THREADS_PER_RUN must be from 1 to 1024 threads (or auto), not {value}")
    return value


def warm_worker() -> bool:
    """Whether runs start as forks of the warm worker (`rnnkit.runs.warm_client`): on unless RNNKIT_WARM_WORKER
    is off, 0, no or false."""
    return _value("RNNKIT_WARM_WORKER").lower() not in ("off", "0", "no", "false")


def ray_address() -> str:
    return _value("RNNKIT_RAY_ADDRESS")


def ray_python() -> str:
    return _value("RNNKIT_RAY_PYTHON") or "python"


def passed_to_workers() -> dict[str, str]:
    """The settings a worker started elsewhere (a Ray node) must see as this process does."""
    return {name: os.environ[name] for name in NAMES if os.environ.get(name)}
