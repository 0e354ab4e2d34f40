"""12 runs through a local Ray cluster against the same 12 through this machine's queue.

    python benchmarks/bench_cluster.py [--groups 4]

Four groups of three (rnn, lstm, gru on a small recall: T = 50, 1,500 sequences, 3 epochs), started
through the run store as the dashboard's Start does: once with the local launcher, once with
RNNKIT_RAY_ADDRESS pointing at a `ray start --head` on 127.0.0.1 with 2 CPUs (this machine's cores)
and 1 declared GPU. Prints, per launcher, the wall time from the first Start to the last finished
run, the ratio Ray / local, and the median seconds from a run's Start to its first metric line: for
the first group (nothing ahead of it: submission, process start, data) and over all runs (with the
time spent waiting in the queue), each as a `name: value` line.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnkit.runs.launcher import LocalLauncher
from rnnkit.runs.ray_jobs import RayLauncher
from rnnkit.runs.store import RunStore
from rnnkit.ui.launch import group_configs
from tests.ray_cluster import local_cluster

SETTINGS = {"task": {"sequence_length": 50, "num_samples": 1500}, "model": {"hidden_size": 32},
            "train": {"epochs": 3}}


def run_groups(store: RunStore, groups: int) -> tuple[float, list[float]]:
    """(wall seconds, seconds from Start to the first metric line per run)."""
    started, runs = {}, []
    begin = time.monotonic()
    for _ in range(groups):
        for run in store.start(group_configs("recall", "none", ["rnn", "lstm", "gru"], SETTINGS)):
            started[run.run_id] = time.monotonic()
            runs.append(run)
    first: dict[str, float] = {}
    while any(run.is_active() for run in runs):
        store.queue.dispatch()
        for run in runs:
            if run.run_id not in first and run.metrics_path.exists() and run.metrics("step"):
                first[run.run_id] = time.monotonic() - started[run.run_id]
        time.sleep(0.2)
    wall = time.monotonic() - begin
    failed = [run.run_id for run in runs if run.status()["state"] != "completed"]
    if failed:
        raise SystemExit(f"runs did not complete: {failed}")
    return wall, [first.get(run.run_id, wall) for run in runs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=4, help="groups of three runs (default 4: 12 runs)")
    parser.add_argument("--sequence-length", type=int, default=50, help="recall T (default 50; 150 = longer runs)")
    parser.add_argument("--num-samples", type=int, default=1500, help="recall sequences (default 1500)")
    args = parser.parse_args()
    SETTINGS["task"].update(sequence_length=args.sequence_length, num_samples=args.num_samples)
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    root = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    local_wall, local_first = run_groups(RunStore(root / "local", launcher=LocalLauncher()), args.groups)
    with local_cluster(cpus=os.cpu_count() or 2, gpus=1) as address:
        launcher = RayLauncher(address, python=sys.executable)
        ray_wall, ray_first = run_groups(RunStore(root / "ray", launcher=launcher), args.groups)
    print(f"runs: {3 * args.groups}")
    print(f"local wall: {local_wall:.1f} s")
    print(f"ray wall: {ray_wall:.1f} s")
    print(f"ray / local wall: {ray_wall / local_wall:.2f}")
    print(f"local start to first metric line, first group (median): {statistics.median(local_first[:3]):.1f} s")
    print(f"ray start to first metric line, first group (median): {statistics.median(ray_first[:3]):.1f} s")
    print(f"local start to first metric line, all runs with queueing (median): {statistics.median(local_first):.1f} s")
    print(f"ray start to first metric line, all runs with queueing (median): {statistics.median(ray_first):.1f} s")


if __name__ == "__main__":
    main()
