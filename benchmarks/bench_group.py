"""The classroom comparison, timed as the dashboard runs it: one background group of rnn, lstm and gru
on `recall` (the same launcher the Train page uses), from start until all three have finished.

    python benchmarks/bench_group.py                       # the quick preset
    python benchmarks/bench_group.py --set train.epochs=6 --set task.sequence_length=100

Prints the wall seconds and each run's test accuracy and epochs. Goal (classroom issue): ≤ 45 s with
the RNN at chance and LSTM and GRU ≥ 95 % test accuracy, T ≥ 100.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnkit.data.presets import build_config
from rnnkit.runs.launcher import parallel_threads
from rnnkit.runs.store import RunStore, new_group_id

ARCHITECTURES = ("rnn", "lstm", "gru")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick", help="recall preset (default: quick)")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.NAME=VALUE",
                        help="override an option, e.g. train.epochs=6 (value as JSON)")
    args = parser.parse_args()
    overrides: dict[str, dict] = {"task": {}, "model": {}, "train": {"log_every_steps": 5,
                                                                     "num_threads": parallel_threads(3)}}
    for item in args.set:
        key, value = item.split("=", 1)
        section, name = key.split(".", 1)
        overrides[section][name] = json.loads(value)
    group = new_group_id()
    store = RunStore(Path(tempfile.mkdtemp(prefix="classroom-")) / "checkpoints")
    configs = [build_config("recall", args.preset, {**overrides, "model": {**overrides["model"], "arch": arch}},
                            group=group) for arch in ARCHITECTURES]
    started = time.perf_counter()
    runs = store.start(configs)
    while any(run.is_active() for run in runs):
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    print(f"classroom seconds: {seconds:.1f}")
    for run in runs:
        tests = run.metrics("test")
        accuracy = tests[-1]["test"]["accuracy"] if tests else float("nan")
        print(f"{run.config().model.arch}: test accuracy {accuracy:.3f}, epochs {len(run.metrics('epoch'))}, "
              f"{run.status()['state']}")


if __name__ == "__main__":
    main()
