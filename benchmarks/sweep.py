"""Hyperparameter search: train several configurations of one task and rank them by VALIDATION score.

The test score is printed for the record but never used to choose: that is what keeps the `best`
presets honest. Usage:

    python benchmarks/sweep.py --task imdb --epochs 4 \
        --config '{"model": {"arch": "gru", "hidden_size": 128, "pooling": "max"}}' \
        --config '{"model": {"arch": "lstm", "bidirectional": true}}'

Each --config is layered over `--preset` (default: none) like the CLI's flags.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnkit.presets import build_config  # noqa: E402
from rnnkit.runner import execute  # noqa: E402
from rnnkit.runs import RunStore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", required=True, help="task to search")
    parser.add_argument("--preset", default=None, help="preset under the configs (default: none)")
    parser.add_argument("--config", action="append", default=[], help="JSON overrides; repeat for each candidate")
    parser.add_argument("--epochs", type=int, default=None, help="epochs for every candidate")
    parser.add_argument("--data-dir", default=None, help="data folder (default: $RNNKIT_DATA_DIR)")
    args = parser.parse_args()
    store = RunStore(tempfile.mkdtemp(prefix="sweep-"))
    results = []
    for text in args.config or ["{}"]:
        overrides = json.loads(text)
        overrides.setdefault("task", {})
        if args.data_dir:
            overrides["task"]["data_dir"] = args.data_dir
        if args.epochs:
            overrides.setdefault("train", {})["epochs"] = args.epochs
        config = build_config(args.task, args.preset, overrides)
        run = store.create(config)
        started = time.perf_counter()
        state = execute(run, stream=io.StringIO(), install_signals=False)
        seconds = time.perf_counter() - started
        epochs = run.metrics("epoch")
        tests = run.metrics("test")
        if state != "completed" or not epochs:
            print(f"FAILED {text}: {run.status().get('error')}", flush=True)
            continue
        monitor = epochs[-1]["monitor"]
        curve = [round(record["validation"][monitor], 4) for record in epochs]
        test = tests[0]["test"] if tests else {}
        row = {"config": overrides, "best_epoch": epochs[-1]["best_epoch"], "validation": epochs[-1]["best_value"],
               "test": {k: round(v, 4) for k, v in test.items() if isinstance(v, float)},
               "seconds": round(seconds, 1),
               "seconds_per_epoch": round(sum(r["epoch_seconds"] for r in epochs) / len(epochs), 1),
               "curve": curve}
        results.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    if results:
        mode = max if monitor in ("accuracy", "macro_f1") else min
        best = mode(results, key=lambda row: row["validation"])
        print("best by validation:", json.dumps(best, ensure_ascii=False))


if __name__ == "__main__":
    main()
