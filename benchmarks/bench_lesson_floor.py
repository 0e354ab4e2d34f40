"""The lesson's floor: its three runs (recall, a preset, rnn + lstm + gru) forked from one process that has
torch and rnnkit imported, one CPU thread each, with no dashboard, no launcher, no nice and no queue. Each child
is its run's own process, as a worker's is (`execute(memory_limit=True)`: the memory limit, and the allocator
settings of `rnnkit.worker.allocator`).

Prints when each run ended, its CPU seconds and its epochs' training seconds. What the dashboard's lesson takes
beyond this (`benchmarks/bench_app.py`) is the launcher's and the dashboard's share of the cores.

    python benchmarks/bench_lesson_floor.py [--preset quick] [--arch rnn,lstm,gru]
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick", help="recall preset (default: quick)")
    parser.add_argument("--arch", default="rnn,lstm,gru", help="comma-separated architectures")
    parser.add_argument("--allocator", choices=("rnnkit", "glibc"), default="rnnkit",
                        help="glibc: leave glibc's adaptive malloc thresholds (rnnkit.worker.allocator not applied)")
    args = parser.parse_args()

    import sklearn.metrics  # noqa: F401 - imported before forking, as the warm worker does
    import torch

    from rnnkit.data.presets import build_config
    from rnnkit.runs.store import RunStore, new_group_id
    from rnnkit.worker import execute as execute_module
    from rnnkit.worker.execute import execute

    if args.allocator == "glibc":  # as before rnnkit set its own thresholds: the run's process keeps glibc's
        execute_module.keep_step_memory = lambda: False

    torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))])  # torch._dynamo, once, as the warm worker does
    store = RunStore(Path(tempfile.mkdtemp()) / "checkpoints")
    group = new_group_id()
    runs = [store.create(build_config("recall", args.preset, {"model": {"arch": arch}, "train": {"num_threads": 1}},
                                      group=group)) for arch in args.arch.split(",")]
    started, children = time.perf_counter(), {}
    for run in runs:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                state = execute(run, stream=io.StringIO(), install_signals=False, memory_limit=True)
                code = 0 if state == "completed" else 1
            finally:
                os._exit(code)
        children[pid] = run
    total = 0.0
    for _ in children:
        pid, status, usage = os.wait4(-1, 0)
        run, cpu = children[pid], usage.ru_utime + usage.ru_stime
        total += cpu
        epochs = [round(record["train_seconds"], 2) for record in run.metrics("epoch")]
        print(f"{run.config().model.arch}: ended at {time.perf_counter() - started:.1f} s, {cpu:.1f} CPU seconds, "
              f"{run.status()['state']}, {len(epochs)} epochs, training seconds per epoch {epochs}")
    print(f"lesson floor: {time.perf_counter() - started:.1f} s, {total:.1f} CPU seconds on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
