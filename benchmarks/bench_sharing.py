"""How a lesson's runs share the cores: the lesson's wall time for the default and for the alternatives.

The lesson is the classroom comparison (recall, quick preset, rnn + lstm + gru, as the Train page starts
it), watched live in Debian chromium on the Train page, so the dashboard redraws as it does in class.
Each way of sharing the cores trains the same three runs (same seed, same data), on a fresh dashboard:

    default      all three at once, the cores divided among them (RNNKIT_THREADS_PER_RUN=auto: 1 each on
                 2 cores), at nice 10 (RNNKIT_WORKER_NICE)
    two-threads  all three at once with 2 threads each (RNNKIT_THREADS_PER_RUN=2: more threads than cores)
    sequential   one run after another, each with all the cores (a queue of capacity 1, 2 threads)
    no-nice      as the default, at the dashboard's priority (RNNKIT_WORKER_NICE=0)

The ways are measured in turns (round 1: every way, then round 2 ...) so a change in what else the
machine does hits them alike; the load average is printed beside each lesson. Prints one line per
lesson, then per way the median lesson and its ratio to the default's.

    python benchmarks/bench_sharing.py                    # every way, 2 rounds
    python benchmarks/bench_sharing.py --ways default,sequential --rounds 1
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

from rnnkit.runs import warm_client
from rnnkit.runs.limits import Limits
from rnnkit.runs.store import RunStore
from rnnkit.ui.launch import group_configs
from tests import browser
from tests.waits import wait_until

WAYS = {  # environment, queue limits of the store that starts the group
    "default": ({"RNNKIT_THREADS_PER_RUN": "auto", "RNNKIT_WORKER_NICE": "10"}, Limits()),
    "two-threads": ({"RNNKIT_THREADS_PER_RUN": "2", "RNNKIT_WORKER_NICE": "10"}, Limits()),
    "sequential": ({"RNNKIT_THREADS_PER_RUN": str(os.cpu_count() or 1), "RNNKIT_WORKER_NICE": "10"},
                   Limits(capacity=1, within_capacity=True)),
    "no-nice": ({"RNNKIT_THREADS_PER_RUN": "auto", "RNNKIT_WORKER_NICE": "0"}, Limits()),
}
ARCHITECTURES = ["rnn", "lstm", "gru"]


def lesson(way: str, work: Path) -> tuple[float, dict[str, float | None]]:
    """One lesson the given way, watched in chromium; (seconds from Start to all three finished, test
    accuracy per architecture)."""
    environment, limits = WAYS[way]
    os.environ.update(environment)
    checkpoints = work / way / f"{time.time_ns()}"
    store = RunStore(checkpoints, limits=limits)
    with browser.dashboard(checkpoints, work / f"{way}.log") as url, browser.browser_page(height=1600) as page:
        started = time.monotonic()
        store.start(group_configs("recall", "quick", ARCHITECTURES, {"task": {}}))
        page.goto(url)
        page.get_by_role("heading", name="rnnkit").wait_for(timeout=60_000)
        browser.open_page(page, "Train")
        while any(run.is_active() for run in store.runs()):
            store.queue.dispatch()  # sequential: the next run starts as soon as the last one ends
            time.sleep(0.2)
        seconds = time.monotonic() - started
    accuracies = {}
    for run in store.runs():
        summary = run.metrics("test")
        accuracies[run.config().model.arch] = summary[0]["test"].get("accuracy") if summary else None
    return seconds, accuracies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ways", default=",".join(WAYS), help=f"which, in order: {', '.join(WAYS)}")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    ways = [way.strip() for way in args.ways.split(",") if way.strip()]
    if not ways or any(way not in WAYS for way in ways) or args.rounds < 1:
        parser.error(f"--ways takes some of {', '.join(WAYS)}; --rounds at least 1")
    warm_client.ensure_started()  # as the dashboard does: every way forks its runs from the warm worker
    wait_until(warm_client.is_running, 120, "the warm worker")
    work = Path(tempfile.mkdtemp(prefix="bench-sharing-"))
    print(f"{os.cpu_count()} cores; the lesson: recall quick, {'+'.join(ARCHITECTURES)}, watched in chromium")
    seconds: dict[str, list[float]] = {way: [] for way in ways}
    for round_number in range(1, args.rounds + 1):
        for way in ways:
            took, accuracies = lesson(way, work)
            seconds[way].append(took)
            load = os.getloadavg()[0]
            scores = ", ".join(f"{arch} {value:.3f}" if value is not None else f"{arch} -"
                               for arch, value in accuracies.items())
            print(f"round {round_number} {way:12s} {took:6.1f} s   load {load:4.1f}   test accuracy: {scores}",
                  flush=True)
    base = statistics.median(seconds[ways[0]])
    print(f"median lesson (ratio to {ways[0]}):")
    for way in ways:
        median = statistics.median(seconds[way])
        print(f"  {way:12s} {median:6.1f} s   x{median / base:.2f}")


if __name__ == "__main__":
    main()
