"""Data loading benchmark: each task's `load` on a cold preprocessing cache, then on the warm one.

    python benchmarks/bench_data.py                     # shopping and imdb (the two with a cache)
    python benchmarks/bench_data.py --task names poems

Prints `task cold seconds`, `task warm seconds` and their ratio. The cache goes to a temporary
folder (RNNKIT_CACHE_DIR), so the user's ~/.rnnkit is neither used nor changed.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnkit.data.presets import build_config
from rnnkit.data.tasks import get_task


def timed_load(task: str, preset: str) -> float:
    config = build_config(task, preset)
    start = time.perf_counter()
    with redirect_stdout(io.StringIO()):
        get_task(task).load(config.task, config.train.split_seed, progress=print)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", nargs="+", default=["shopping", "imdb"], help="tasks to load")
    parser.add_argument("--preset", default="best", help="preset whose data settings are used")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rnnkit-cache-") as cache:
        os.environ["RNNKIT_CACHE_DIR"] = cache
        for task in args.task:
            cold = timed_load(task, args.preset)
            warm = timed_load(task, args.preset)
            print(f"{task} cold seconds: {cold:.1f}", flush=True)
            print(f"{task} warm seconds: {warm:.1f}", flush=True)
            print(f"{task} cold / warm: {cold / warm:.1f}", flush=True)


if __name__ == "__main__":
    main()
