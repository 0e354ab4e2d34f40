"""A run's own process keeps the memory a training step frees for the next (`rnnkit.worker.allocator`): the
lesson's LSTM faulted in a fresh mapping of its oneDNN workspace at every step, a third of its CPU time.
glibc reports where a block came from (mallinfo2: bytes in blocks with a mapping of their own), so each check
runs in a new process and asks glibc, before and after."""
import json
import os
import platform
import subprocess
import sys
import textwrap

import pytest

from tests.apptest import ROOT
from tests.waits import patience


def _glibc_reports_blocks() -> bool:
    """glibc, and one new enough (2.33) to have mallinfo2, which the probe asks."""
    if platform.libc_ver()[0] != "glibc":
        return False
    import ctypes
    return hasattr(ctypes.CDLL("libc.so.6"), "mallinfo2")


pytestmark = pytest.mark.skipif(not _glibc_reports_blocks(), reason="glibc's malloc settings, glibc 2.33+ to ask")

PROBE = textwrap.dedent('''
    import ctypes, io, json, sys

    libc = ctypes.CDLL("libc.so.6")

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                    "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

    libc.mallinfo2.restype = MallInfo2
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, (ctypes.c_size_t,)
    libc.free.argtypes = (ctypes.c_void_p,)

    def own_mapping(size):  # whether glibc gives a block of `size` bytes a mapping of its own
        before = libc.mallinfo2().hblkhd
        block = libc.malloc(size)
        assert block, "malloc failed"
        mapped = libc.mallinfo2().hblkhd - before
        libc.free(block)
        return mapped >= size

    def kept_after_free(size):  # whether the heap keeps a freed block of `size` bytes at its top
        block = libc.malloc(size)
        assert block, "malloc failed"
        libc.free(block)
        return libc.mallinfo2().arena >= size

    from rnnkit.worker.allocator import MMAP_THRESHOLD, keep_step_memory
    size = MMAP_THRESHOLD - 2**20  # above glibc's own ceiling (32 MB) for its adaptive threshold
    found = {"before": own_mapping(size)}
    if sys.argv[1] == "call":
        found["set"] = keep_step_memory()
        if not found["set"]:  # an older glibc refuses a threshold above 32 MB: nothing is set, nothing to check
            print(json.dumps(found))
            sys.exit(0)
        found["larger block mapped"] = own_mapping(MMAP_THRESHOLD + 32 * 2**20)  # the threshold is not unbounded
        found["kept"] = kept_after_free(size)  # freed memory stays for the next step (the trim threshold)
    else:  # a run in this process: its own worker's (memory_limit=True) or a notebook's
        from rnnkit.data.presets import build_config
        from rnnkit.runs.store import RunStore
        from rnnkit.worker.execute import execute

        run = RunStore(sys.argv[2]).create(build_config("recall", None, {"train": {"dry_run": True}}))
        found["state"] = execute(run, stream=io.StringIO(), install_signals=False, memory_limit=sys.argv[1] == "worker")
    found["after"] = own_mapping(size)
    print(json.dumps(found))
''')


def _probe(*arguments: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, *arguments], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=patience(300))
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_keep_step_memory_takes_large_blocks_from_the_heap_and_keeps_them():
    found = _probe("call")
    if not found["set"]:
        pytest.skip("this glibc refuses an mmap threshold above 32 MB")
    assert found == {"before": True, "set": True, "larger block mapped": True, "kept": True, "after": False}


def test_a_runs_own_worker_keeps_step_memory_and_a_notebooks_process_is_left_alone(tmp_path):
    if not _probe("call")["set"]:
        pytest.skip("this glibc refuses an mmap threshold above 32 MB")
    assert _probe("worker", str(tmp_path / "worker")) == {"before": True, "state": "completed", "after": False}
    assert _probe("notebook", str(tmp_path / "notebook")) == {"before": True, "state": "completed", "after": True}


def test_the_command_lines_own_training_keeps_step_memory_too(tmp_path, monkeypatch):
    """`python -m rnnkit train`, `resume` and `sweep` run in the command line's own process: each sets the
    thresholds before it trains (recorded here, not set: this process is the test runner's)."""
    from rnnkit.cli import sweeps, training
    from rnnkit.cli.main import main
    from rnnkit.runs.store import RunStore

    calls: list[str] = []
    for module in (training, sweeps):
        monkeypatch.setattr(module, "keep_step_memory", lambda name=module.__name__: calls.append(name))
    root = ["--checkpoints-dir", str(tmp_path)]
    assert main(["train", "--dry-run", *root]) == 0
    assert calls == ["rnnkit.cli.training"]
    (run,) = RunStore(tmp_path).runs()
    run.write_status("stopped", stop_reason="stopped by the user")  # so that it may be resumed
    main(["resume", run.run_id, *root])
    assert calls == ["rnnkit.cli.training"] * 2
    assert main(["sweep", "--task", "recall", "--grid", "train.learning_rate=0.01", "--dry-run", *root]) == 0
    assert calls[-1] == "rnnkit.cli.sweeps"
