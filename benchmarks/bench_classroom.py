"""A class on one server: 30 students each start a 3-architecture recall group at once, while 5 real
browser sessions (logged-in students, who had opened Train and Compare once before the class
started) keep switching between Train and Compare (each looks at a page for `--think` seconds, 8 by
default, then opens the other).

    python benchmarks/bench_classroom.py                    # 30 students, quick preset cut to 2 epochs
    python benchmarks/bench_classroom.py --students 6       # a shorter try

The students go through the run store exactly as the Train page's Start does (`group_configs` +
`RunStore(user=student, limits=student limits).start`), so the fair queue admits their groups. Before
the load, each architecture's run is timed alone (same config, launched the same way): its CPU
seconds from launch to finish, start-up included. Prints:

    ideal seconds   = sum over all runs of those CPU seconds / CPU cores
    wall seconds    = from the first Start until the last run has finished   (goal: <= 1.2 x ideal)
    page switches   = sidebar click -> next page drawn and idle, during the load (goal: max <= 2 s)
    runs completed / failed, and metrics lines that do not parse (goal: all completed, 0, 0)
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnkit.runs.access import User, hash_code
from rnnkit.runs.limits import Limits, default_capacity
from rnnkit.runs.store import RunStore
from rnnkit.ui.launch import group_configs
from tests import browser

ARCHITECTURES = ["rnn", "lstm", "gru"]
FINAL = ("completed", "failed", "stopped", "interrupted")


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_busy_seconds() -> float:
    """CPU seconds all processes of this machine have used since boot (from /proc/stat)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def processes_cpu_seconds(pattern: str) -> float:
    """CPU seconds (with their waited-for children) of the live processes whose command line holds `pattern`."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if pattern not in (entry / "cmdline").read_bytes().decode("utf-8", "replace"):
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def wait_until_finished(runs, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while any(run.status()["state"] not in FINAL for run in runs):
        if time.monotonic() > deadline:
            raise TimeoutError(f"runs still active after {timeout:.0f} s")
        time.sleep(0.2)


def solo_cpu_seconds(root: Path, overrides: dict, repeats: int) -> dict[str, float]:
    """CPU seconds of each architecture's run alone, launched as the queue launches it (one worker
    process, start-up included), with the very config it has inside a 3-architecture group; the
    mean of `repeats` runs."""
    seconds = {}
    for config in group_configs("recall", "quick", ARCHITECTURES, overrides):
        measured = []
        for attempt in range(repeats):
            store = RunStore(root / f"{config.model.arch}-{attempt}", limits=Limits(capacity=1))
            before = children_cpu_seconds()
            run = store.start([config])[0]
            wait_until_finished([run], timeout=600)
            pid = run.worker().get("pid")
            while pid and os.path.exists(f"/proc/{pid}"):  # reaped: its CPU time is in RUSAGE_CHILDREN now
                time.sleep(0.05)
            measured.append(children_cpu_seconds() - before)
        seconds[config.model.arch] = statistics.mean(measured)
        print(f"alone: {config.model.arch} {' '.join(f'{value:.1f}' for value in measured)} CPU s, "
              f"{run.status()['state']}")
    return seconds


def write_roster(folder: Path, students: int) -> tuple[Path, list[tuple[str, str]]]:
    users = [(f"student{number:02d}", f"code-{number:02d}-x") for number in range(1, students + 1)]
    lines = ['[rnnkit]', 'mode = "classroom"', '']
    for name, code in users:
        lines += [f"[rnnkit.users.{name}]", 'role = "student"', f'code_hash = "{hash_code(code)}"', ""]
    path = folder / "secrets.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path, users


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--browsers", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2, help="solo runs per architecture for the ideal")
    parser.add_argument("--think", type=float, default=8.0,
                        help="seconds a student looks at a page before opening the other (default 8)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-classroom-"))
    overrides = {"task": {}, "model": {}, "train": {"epochs": args.epochs}}
    cores = os.cpu_count() or 1
    print(f"{args.students} students x {len(ARCHITECTURES)} architectures, recall quick preset, {args.epochs} epochs; "
          f"{cores} cores, queue capacity {default_capacity()} runs")
    solo = solo_cpu_seconds(work / "solo", overrides, args.repeats)
    ideal = args.students * sum(solo.values()) / cores

    checkpoints = work / "checkpoints"
    secrets, users = write_roster(work, args.students)
    switches: list[float] = []
    options = ("--secrets.files", str(secrets))
    with browser.dashboard(checkpoints, work / "streamlit.log", options=options) as url, \
            browser.browser_page(height=1600) as first:
        sessions = [first] + [first.context.browser.new_page(viewport={"width": 1400, "height": 1600})
                              for _ in range(args.browsers - 1)]
        for page, (name, code) in zip(sessions, users):  # the class opens the dashboard before Start
            page.goto(url)
            browser.log_in(page, name, code)
            for target in ("Train", "Compare"):  # a first visit loads the charts' JavaScript: before class
                browser.open_page(page, target)
        started, busy_before = time.monotonic(), machine_busy_seconds()
        server_before, browsers_before = processes_cpu_seconds("streamlit"), processes_cpu_seconds("chromium")
        runs = []
        for name, _code in users:  # the class presses Start
            student = RunStore(checkpoints, user=User(name, "student"), limits=Limits.for_student())
            runs += student.start(group_configs("recall", "quick", ARCHITECTURES, overrides))
        print(f"{len(runs)} runs queued in {time.monotonic() - started:.1f} s")
        targets = ("Train", "Compare")
        due = [started + args.think * index / len(sessions) for index in range(len(sessions))]  # staggered
        visits = [0] * len(sessions)
        while any(run.status()["state"] not in FINAL for run in runs):
            index = min(range(len(sessions)), key=due.__getitem__)
            time.sleep(max(0.0, due[index] - time.monotonic()))
            target = targets[visits[index] % 2]
            begun = time.perf_counter()
            browser.open_page(sessions[index], target)
            switches.append(time.perf_counter() - begun)
            if switches[-1] > 1.5:
                print(f"  slow switch: session {index} -> {target} {switches[-1]:.2f} s "
                      f"at +{time.monotonic() - started:.0f} s")
            visits[index] += 1
            due[index] = time.monotonic() + args.think
        wall = time.monotonic() - started
        busy = machine_busy_seconds() - busy_before
        server = processes_cpu_seconds("streamlit") - server_before
        browsers = processes_cpu_seconds("chromium") - browsers_before
        dashboard = server + browsers

    states = [run.status()["state"] for run in runs]
    bad_lines = 0
    for run in runs:
        for line in run.metrics_path.read_bytes().splitlines():
            try:
                if not isinstance(json.loads(line), dict):
                    bad_lines += 1
            except ValueError:
                bad_lines += 1
    print(f"runs completed: {states.count('completed')} of {len(runs)}, failed: {states.count('failed')}, "
          f"other: {len(runs) - states.count('completed') - states.count('failed')}")
    print(f"metrics lines that do not parse: {bad_lines}")
    print(f"page switches during the load: {len(switches)}, median {statistics.median(switches):.2f} s, "
          f"95th percentile {sorted(switches)[int(0.95 * (len(switches) - 1))]:.2f} s, max {max(switches):.2f} s")
    print(f"ideal seconds: {ideal:.1f} ({' + '.join(f'{arch} {cpu:.1f}' for arch, cpu in solo.items())} CPU s "
          f"per group x {args.students} / {cores} cores)")
    print(f"wall seconds: {wall:.1f}")
    print(f"CPU seconds used during the load: {busy:.0f} of {wall * cores:.0f} available; the dashboard server "
          f"{server:.0f}, the browsers {browsers:.0f}; training (the rest): {busy - dashboard:.0f} "
          f"(alone it would be {ideal * cores:.0f})")
    print(f"wall / ideal: {wall / ideal:.2f}")


if __name__ == "__main__":
    main()
