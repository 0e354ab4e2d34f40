"""How fast the command line answers: whole processes, timed beside a bare `python -c pass`.

    python -c pass                      the interpreter alone (the floor)
    python -c "import rnnkit"           the package's face: no torch, no streamlit
    python -m rnnkit --help             the command table only (goal <= 1.0 s)
    python -m rnnkit runs               lists a store of finished runs (goal <= 1.0 s)
    python -m rnnkit train --help       may load the tasks (and torch): printed for the record

Each command runs --repeats times, the commands taking turns so a slow moment of the machine hits all
of them; the median is kept. The store listed is a copy of the shipped demo runs (nine finished runs),
so `runs` reads real folders. With --before GIT_REF the same is timed on that commit (checked out in a
temporary worktree), so a change's effect is measured side by side.

Usage: python benchmarks/bench_import.py [--repeats 5] [--before GIT_REF]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 1.0
COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "import rnnkit": ["-c", "import rnnkit"],
    "rnnkit --help": ["-m", "rnnkit", "--help"],
    "rnnkit runs": ["-m", "rnnkit", "runs"],
    "rnnkit train --help": ["-m", "rnnkit", "train", "--help"],
}
GOALS = ("rnnkit --help", "rnnkit runs")


def time_commands(checkout: Path, store: Path, repeats: int) -> dict[str, float]:
    """Median wall time of each command, run from `checkout` against the run store `store`."""
    environment = {**os.environ, "PYTHONPATH": str(checkout), "RNNKIT_CHECKPOINTS_DIR": str(store),
                   "KERAS_BACKEND": "torch"}
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(repeats):
        for name, arguments in COMMANDS.items():
            start = time.perf_counter()
            result = subprocess.run([sys.executable, *arguments], cwd=checkout, env=environment,
                                    capture_output=True, text=True, timeout=600)
            elapsed = time.perf_counter() - start
            if result.returncode != 0:
                raise SystemExit(f"{name} failed in {checkout}: {result.stderr[-2000:]}")
            times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of each command (median kept)")
    parser.add_argument("--before", default=None, help="also time this git commit, side by side")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "store"
        shutil.copytree(ROOT / "checkpoints" / "demo", store)
        checkouts = {"now": ROOT}
        if args.before:
            before = Path(folder) / "before"
            subprocess.run(["git", "worktree", "add", "--detach", str(before), args.before], cwd=ROOT, check=True,
                           capture_output=True)
            checkouts = {f"before ({args.before})": before, "now": ROOT}
        try:
            results = {label: time_commands(path, store, args.repeats) for label, path in checkouts.items()}
        finally:
            if args.before:
                subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT, check=False)
    labels = list(results)
    print(f"{'command':22}" + "".join(f"{label:>22}" for label in labels) + "   (median of "
          f"{args.repeats}, seconds)")
    for name in COMMANDS:
        print(f"{name:22}" + "".join(f"{results[label][name]:>22.2f}" for label in labels))
    now = results["now"]
    missed = [name for name in GOALS if now[name] > GOAL_SECONDS]
    print("goal <= 1.0 s for " + ", ".join(GOALS) + ": " + ("met" if not missed else "missed by " + ", ".join(
        f"{name} ({now[name]:.2f} s)" for name in missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
