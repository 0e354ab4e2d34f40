"""A class on one server: 30 students each start a 3-architecture recall group at once, while 5 real
browser sessions (logged-in students, who had opened Train and Compare once before the class
started) keep switching between Train and Compare (each looks at a page for `--think` seconds, 8 by
default, then opens the other).

    python benchmarks/bench_classroom.py                    # 30 students, quick preset cut to 2 epochs
    python benchmarks/bench_classroom.py --students 6       # a shorter try
    python benchmarks/bench_classroom.py --assignment       # the class as one experiment (below)

The students go through the run store exactly as the Train page's Start does (`group_configs` +
`RunStore(user=student, limits=student limits).start`), so the fair queue admits their groups. Before
the load, each architecture's run is timed alone (same config, launched the same way): its CPU
seconds from launch to finish, start-up included. Prints:

    ideal seconds   = sum over all runs of those CPU seconds / CPU cores
    wall seconds    = from the first Start until the last run has finished   (goal: <= 1.2 x ideal)
    page switches   = sidebar click -> next page drawn and idle, during the load (goal: max <= 2 s)
    runs completed / failed, and metrics lines that do not parse (goal: all completed, 0, 0)

With `--assignment` (no browsers): a teacher hands out the recall assignment (RNN, LSTM, GRU, one seed per
student, the quick preset made tiny by `--epochs`, `--samples` and `--length`, all locked), and the students
start it as the Train page does (`assignment_configs` + `RunStore.start`, so the run store checks every
Start). When every run has ended it prints the runs completed / failed / stopped, the class's result (the
mean over students per architecture and the verdict paired by student, `rnnkit.analysis.class_results`), and
the render time of the Class page opened by the teacher under streamlit's AppTest (the first run, which
imports the page's modules, and the median of the reruns after it; goal: <= 1 s), and of the result view alone.
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


def render_seconds(app, reruns: int) -> tuple[float, float]:
    """(first run, median of `reruns` reruns) of an AppTest, in seconds; an exception on the page is an error."""
    begun = time.perf_counter()
    app.run()
    first = time.perf_counter() - begun
    if app.exception:
        raise RuntimeError("; ".join(str(error.value) for error in app.exception))
    timed = []
    for _ in range(reruns):
        begun = time.perf_counter()
        app.run()
        timed.append(time.perf_counter() - begun)
    return first, statistics.median(timed)


def _view_script():
    import streamlit as st

    from rnnkit.runs.assignments import Assignments
    from rnnkit.runs.class_runs import assignment_runs
    from rnnkit.runs.store import RunStore
    from rnnkit.ui.class_result import class_result_view

    store = RunStore(st.session_state["bench_root"])
    assignment = Assignments(store.root).get(st.session_state["bench_assignment"])
    class_result_view(assignment, assignment_runs(store, assignment.assignment_id), None, True, False)


def assignment_main(args) -> None:
    """The class as one experiment: see the module docstring (`--assignment`)."""
    from streamlit.testing.v1 import AppTest

    from rnnkit.analysis import class_figures
    from rnnkit.analysis.class_results import class_result
    from rnnkit.runs.access import User
    from rnnkit.runs.assignment_settings import assignment_configs, locked_settings
    from rnnkit.runs.assignments import Assignments
    from rnnkit.runs.class_runs import assignment_runs

    checkpoints = Path(tempfile.mkdtemp(prefix="bench-class-")) / "checkpoints"
    teacher = User("teacher", "teacher")
    overrides = {"task": {"sequence_length": args.length, "num_samples": args.samples},
                 "train": {"epochs": args.epochs}}
    assignment = Assignments(checkpoints, teacher).create(
        "Why LSTMs remember", "Start, then read the class's result.", "recall", "quick", ARCHITECTURES, 1,
        locked_settings("recall", "quick", overrides, []))
    _secrets, users = write_roster(checkpoints.parent, args.students)
    print(f"{args.students} students x {len(ARCHITECTURES)} architectures, assignment {assignment.assignment_id}: "
          f"recall quick, T = {args.length}, {args.samples} sequences, {args.epochs} epoch(s); "
          f"{os.cpu_count()} cores, queue capacity {default_capacity()} runs")
    started = time.monotonic()
    runs = []
    for name, _code in users:  # the class presses Start
        student = RunStore(checkpoints, user=User(name, "student"), limits=Limits.for_student())
        runs += student.start(assignment_configs(assignment, name))
    print(f"{len(runs)} runs queued in {time.monotonic() - started:.1f} s")
    wait_until_finished(runs, timeout=args.timeout)
    print(f"wall seconds until the last run ended: {time.monotonic() - started:.1f}")
    states = [run.status()["state"] for run in runs]
    print(f"runs completed: {states.count('completed')} of {len(runs)}, failed: {states.count('failed')}, "
          f"stopped: {states.count('stopped')}, interrupted: {states.count('interrupted')}")

    store = RunStore(checkpoints, user=teacher)
    begun = time.perf_counter()
    result = class_result(assignment, assignment_runs(store, assignment.assignment_id))
    print(f"class result computed in {time.perf_counter() - begun:.2f} s (reading {len(result.rows)} run folders)")
    print(class_figures.summary_frame(result).to_string(index=False))
    for line in class_figures.verdict_lines(result) + class_figures.notes(result):
        print(line)
    for architecture, band in result.flow.items():  # the gradient flow over the class: median at the ends
        print(f"gradient flow, {architecture}: median ||dL/dh|| {band.median[0]:.3g} at the last step, "
              f"{band.median[-1]:.3g} at {band.distance[-1]} steps back ({band.students[-1]} students; "
              f"middle half {band.low[-1]:.3g}-{band.high[-1]:.3g})")

    os.environ["RNNKIT_CHECKPOINTS_DIR"] = str(checkpoints)
    roster = {"mode": "classroom", "users": {name: {"role": "student", "code_hash": hash_code(code)}
                                             for name, code in users}}
    roster["users"]["teacher"] = {"role": "teacher", "code_hash": hash_code("teacher-code")}
    view = AppTest.from_function(_view_script, default_timeout=600)
    view.session_state["bench_root"] = str(checkpoints)
    view.session_state["bench_assignment"] = assignment.assignment_id
    first, median = render_seconds(view, args.reruns)
    print(f"the class result view alone (teacher, names shown): first run {first:.2f} s, "
          f"reruns median {median:.2f} s")
    page = Path(__file__).resolve().parent.parent / "pages" / "class.py"
    app = AppTest.from_file(str(page), default_timeout=600)
    app.secrets["rnnkit"] = roster
    app.session_state["app_entry"] = True  # as if app.py's navigation had run first
    app.session_state["app_user"] = {"name": "teacher", "role": "teacher"}
    first, median = render_seconds(app, args.reruns)
    shows = any(heading.value == "The class's result" for heading in app.subheader)
    print(f"Class page as the teacher (pages/class.py: grid{' and result' if shows else ', no result shown'}): "
          f"first run {first:.2f} s, reruns median {median:.2f} s (goal: <= 1 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--browsers", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=None, help="epochs per run (default 2; --assignment: 4)")
    parser.add_argument("--repeats", type=int, default=2, help="solo runs per architecture for the ideal")
    parser.add_argument("--think", type=float, default=8.0,
                        help="seconds a student looks at a page before opening the other (default 8)")
    parser.add_argument("--assignment", action="store_true",
                        help="the class as one experiment: the recall assignment, its result and the Class page")
    parser.add_argument("--samples", type=int, default=4000, help="--assignment: recall sequences per run")
    parser.add_argument("--length", type=int, default=20, help="--assignment: recall sequence length T")
    parser.add_argument("--reruns", type=int, default=5, help="--assignment: page reruns timed after the first")
    parser.add_argument("--timeout", type=float, default=3600, help="--assignment: seconds to wait for the runs")
    args = parser.parse_args()
    if args.assignment:
        args.epochs = args.epochs or 4  # at T = 20 and 4,000 sequences, LSTM and GRU reach ~100 %, the RNN not
        return assignment_main(args)
    args.epochs = args.epochs or 2
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
