"""The memory limit a worker runs under, so that a runaway run dies alone, never the dashboard.

A background worker (a launched `python -m rnnkit train --run-id ...`, a child forked by `execute_group`)
calls `apply_memory_limit` before it loads any data or builds the model. On Linux it sets the soft
`RLIMIT_AS` (the address space) of its own process to

    what the process already maps          Python and torch loaded: ~0.6 GB, mostly never resident
  + VIRTUAL_SLACK                          libraries and reservations a run maps later (pandas, torch's
                                           compiler, allocator arenas): a tiny weather run maps 1.6 GB
                                           more than it makes resident
  + THREAD_RESERVE x CPU cores             a malloc arena and a stack per thread (OpenMP, OpenBLAS)
  + the run's allowance                    `rnnkit.model.memory.run_allowance`: the machine's memory less
                                           the dashboard's reserve, shared by the queue capacity, never
                                           less than twice the run's estimate or 2 GB

so the address space is measured, not guessed, and only the allowance bounds what becomes resident. A run
that grows past it gets an allocation error instead of the kernel's OOM killer; the worker records it as
`failed` with "out of memory: ..." (`out_of_memory_message`), and the rest of the machine never notices.
The worker also raises its own `oom_score_adj`, so if memory still runs out (several runs together), the
kernel ends a worker before the dashboard. Only the soft limit is set: the hard limit stays where it was.
Where the platform has no RLIMIT_AS (Windows) or no /proc (macOS: it does not enforce it), nothing is set;
nor for a run on a GPU (CUDA reserves far more address space than memory; the GPU's memory bounds it).
"""
from __future__ import annotations

import os
from pathlib import Path

from rnnkit.config.run import RunConfig
from rnnkit.model.memory import GIB, format_bytes, run_allowance
from rnnkit.runs.groups import memory_needed
from rnnkit.runs.limits import default_capacity

VIRTUAL_SLACK = 4 * GIB  # address space a run maps beyond what it uses (measured: 0.6-1.6 GB for tiny runs)
THREAD_RESERVE = 256 << 20  # per CPU core: a 64 MB malloc arena, an 8 MB stack, OpenBLAS's buffers
OOM_SCORE = 1000  # the kernel's OOM killer picks the process with the highest score first
ALLOCATION_ERRORS = ("can't allocate memory", "cannot allocate memory", "out of memory", "bad_alloc",
                     "not enough memory")


def memory_limit_for(config: RunConfig, capacity: int | None = None) -> tuple[int, int] | None:
    """(the address-space limit a worker training `config` runs under, the run's allowance within it; see
    the module docstring), or None where the machine's memory or this process's address space is unknown."""
    mapped = address_space()
    allowance = run_allowance(capacity or default_capacity(), memory_needed(config))
    if mapped is None or allowance is None:
        return None
    return mapped + VIRTUAL_SLACK + THREAD_RESERVE * (os.cpu_count() or 1) + allowance, allowance


def apply_memory_limit(limit: int | None) -> int | None:
    """Set this process's soft RLIMIT_AS to `limit` bytes (never above the hard limit) and make it the
    kernel's first choice when memory runs out; returns the limit set, None where nothing was set."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    if limit is None or not hasattr(resource, "RLIMIT_AS") or not Path("/proc/self").is_dir():
        return None
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        Path("/proc/self/oom_score_adj").write_text(str(OOM_SCORE))
    except OSError:
        pass
    return limit


def address_space() -> int | None:
    """Bytes this process maps now (VmSize of /proc/self/status), None where there is no /proc."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def out_of_memory_message(error: BaseException, allowance: int | None) -> str | None:
    """The message of a run that ran out of memory (`error` was an allocation failure), else None. The
    allocator's own text (sizes in bytes, a C++ location) is left out: it says nothing a student can act on."""
    text = str(error).lower()
    if not isinstance(error, MemoryError) and not any(marker in text for marker in ALLOCATION_ERRORS):
        return None
    if "cuda" in text:
        where = "the GPU's memory"
    elif allowance:
        where = f"the {format_bytes(allowance)} a run may use on this machine"
    else:
        where = "the memory this machine has"
    return (f"out of memory: the run needed more than {where}; lower the hidden size, the batch size or the "
            f"sequence length")
