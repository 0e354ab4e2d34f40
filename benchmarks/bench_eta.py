"""How honest the ETAs of a finished run were: per step line, the ETA it recorded (rnnkit.worker.eta, from
measured step times), what the engine's own formula (rnnkit.training.progress.eta_seconds, from this epoch's
pace since its start) says for the same moment, and the seconds that were actually left (to the last
epoch's line). Run a real training first, alone or beside others, then point this at its folder:

    python -m rnnkit train --task recall --arch lstm --epochs 3 --checkpoints-dir /tmp/eta
    python benchmarks/bench_eta.py /tmp/eta/<run id>
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnkit.runs.store import RunStore
from rnnkit.training.progress import eta_seconds as engine_eta


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_folder", type=Path, help="a finished run's folder (checkpoints/<run id>)")
    arguments = parser.parse_args()
    folder = arguments.run_folder
    run = RunStore(folder.parent).get(folder.name)
    starts, epochs, steps = run.metrics("start"), run.metrics("epoch"), run.metrics("step")
    if not starts or not epochs:
        print(f"{folder.name}: no finished epoch to compare with", file=sys.stderr)
        return 1
    epoch_start, end, total = {1: starts[-1]["time"]}, epochs[-1]["time"], epochs[-1]["epochs"]
    for record in epochs:
        epoch_start[record["epoch"] + 1] = record["time"]
    history = {record["epoch"]: record["epoch_seconds"] for record in epochs}
    print("epoch  step  recorded ETA  engine's formula  seconds left")
    for record in steps:
        past = [history[epoch] for epoch in sorted(history) if epoch < record["epoch"]]
        engine = engine_eta(record["epoch"], record["step"], total, record["steps_per_epoch"],
                            record["time"] - epoch_start[record["epoch"]], record["step"], past)
        recorded = "estimating" if record.get("eta_seconds") is None else f"{record['eta_seconds']:.0f}"
        print(f"{record['epoch']:5d} {record['step']:5d} {recorded:>13} {engine:17.0f} {end - record['time']:13.0f}")
    print(f"training and validation: {end - starts[-1]['time']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
