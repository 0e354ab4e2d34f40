"""The memory allocator of a process that trains: keep the memory a training step frees for the next step.

glibc's malloc gives every block above its mmap threshold its own mapping and unmaps it when freed; that
threshold adapts to what the program frees, but never above 32 MB. A training step allocates and frees the
same large blocks every step: the LSTM's oneDNN workspace of the classroom lesson (recall, T = 150, batch 64,
hidden 64) lies above 32 MB, so every step mapped it anew and the kernel faulted in and zeroed its pages
again: 889,600 page faults in 2 epochs, 1.8 of its 5.3 CPU-seconds spent in the kernel
(`python benchmarks/bench_allocator.py`). With blocks up to `MMAP_THRESHOLD` taken from the heap and up to
`TRIM_THRESHOLD` of freed memory kept there, the same 2 epochs fault 51,600 times and take 3.5 CPU-seconds,
0.2 of them in the kernel (RNN and GRU: 0.99x and 0.98x their CPU seconds). The memory kept is what the next
step allocates again; the process's peak grew by 33 MB for the LSTM (422 to 455 MB, torch included) and by
less than 5 MB for the others.

Only glibc (Linux) has these settings, and older glibc refuses an mmap threshold above 32 MB (half its
HEAP_MAX_SIZE; glibc 2.36, on the machine measured, takes it); elsewhere `keep_step_memory` does nothing. Where the
mmap threshold is refused the trim threshold is left alone too: either setting turns glibc's adaptive thresholds
off, and a trim threshold alone would leave every block above 128 KB a mapping of its own (the lesson's LSTM then
faulted twice as often as with glibc's own). It changes this whole process, so it is called where the process is a
run's own: a background worker (`execute(memory_limit=True)`) and the command line's own training commands, never in
a notebook's or the dashboard's process.
"""
from __future__ import annotations

import ctypes

MMAP_THRESHOLD = 64 * 2**20  # bytes: blocks up to this size come from the heap, not a mapping of their own
TRIM_THRESHOLD = 128 * 2**20  # bytes: freed memory at the heap's top kept for reuse (glibc's rule: 2x the above)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, from glibc's malloc.h


def keep_step_memory() -> bool:
    """Set this process's malloc thresholds (see the module docstring); True where they were set."""
    try:
        libc = ctypes.CDLL(None)  # this process's own symbols, its C library's among them: no search on disk
        libc.gnu_get_libc_version  # noqa: B018 - glibc only: musl and macOS have no mallopt with these meanings
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    if not mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD):  # an older glibc: at most 32 MB; keep its own rules
        return False
    return bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))

