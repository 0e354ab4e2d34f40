"""Hyperparameter search with rnnkit's own sweeps, ranked by VALIDATION score; the test score is
printed for the record but never used to choose (that keeps the `best` presets honest).

    python benchmarks/sweep.py --task shopping --preset best --grid train.epochs=3 \
        --grid model.hidden_size=64,128 --grid train.learning_rate=0.001,0.003
    python benchmarks/sweep.py --task imdb --config '{"model": {"arch": "gru", "pooling": "max"}}' \
        --config '{"model": {"arch": "lstm", "bidirectional": true}}'

`--grid` lines are those of `python -m rnnkit sweep`; each `--config` (JSON overrides over the
preset) is one more candidate. All candidates form one group of kind sweep in a temporary folder
(or --checkpoints-dir), trained one after the other in this process, so `python -m rnnkit runs`
and Compare's sweep view show them like any sweep.
"""
from __future__ import annotations

import argparse
import dataclasses
import io
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnkit.analysis.sweep import parse_grid, sweep_configs, sweep_frame
from rnnkit.core.metrics import higher_is_better
from rnnkit.data.presets import build_config
from rnnkit.runs.store import RunStore, new_group_id
from rnnkit.worker.execute import execute


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", required=True, help="task to search")
    parser.add_argument("--preset", default=None, help="preset under the candidates (default: none)")
    parser.add_argument("--grid", action="append", default=[], help="SECTION.OPTION=V1,V2 (as rnnkit sweep)")
    parser.add_argument("--config", action="append", default=[], help="JSON overrides; one candidate each")
    parser.add_argument("--data-dir", default=None, help="data folder (default: $RNNKIT_DATA_DIR)")
    parser.add_argument("--checkpoints-dir", default=None, help="where the runs go (default: a temporary folder)")
    args = parser.parse_args()
    store = RunStore(args.checkpoints_dir or tempfile.mkdtemp(prefix="sweep-"))
    group = new_group_id()
    base = {"task": {"data_dir": args.data_dir}} if args.data_dir else {}
    configs = sweep_configs(args.task, args.preset, parse_grid(args.task, args.grid), base, group=group) \
        if args.grid else []
    for text in args.config:
        overrides = json.loads(text)
        overrides.setdefault("task", {}).update(base.get("task", {}))
        configs.append(dataclasses.replace(build_config(args.task, args.preset, overrides, group=group), kind="sweep"))
    if not configs:
        parser.error("give --grid lines or --config candidates")
    runs = []
    for config in configs:
        run = store.create(config)
        started = time.perf_counter()
        state = execute(run, stream=io.StringIO(), install_signals=False)
        print(f"{run.run_id}: {state} in {time.perf_counter() - started:.1f} s", flush=True)
        runs.append(run)
    frame = sweep_frame(runs)
    monitor = next((name for name in frame["monitor"] if name), "")
    if monitor:
        frame = frame.sort_values("best validation", ascending=not higher_is_better(monitor), na_position="last")
    print(frame.to_string(index=False))
    print(f"group {group} in {store.root}: ranked by validation {monitor}; the first line is the choice")


if __name__ == "__main__":
    main()
