"""Run control from the command line: `runs`, `stop`, `logs`, `delete` and `queue`.

    python -m rnnkit runs --group GROUP          # a table (or --json) of runs and their state
    python -m rnnkit runs --demos                # the shipped demo models (demo:NAME)
    python -m rnnkit stop RUN --wait 30          # stop after the current batch
    python -m rnnkit logs RUN --tail 20          # train.log, or the Ray job's log
    python -m rnnkit delete --group GROUP --yes  # all or nothing, never while a run trains
    python -m rnnkit queue --watch 5             # the fair queue; dispatches what may start

Everything goes through the run store (`rnnkit.runs.store`).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from rnnkit.cli.terminal import group_name, named, shown
from rnnkit.runs.store import DEMO_PREFIX, RunError, RunStore, delete_run, demo_root, find_run


def add_runs(runs: argparse.ArgumentParser) -> None:
    runs.add_argument("--group", default=None, help="only this comparison group (its id)")
    runs.add_argument("--demos", action="store_true",
                      help="the shipped demo models instead (use them as demo:NAME with predict, eval, inside)")
    runs.add_argument("--json", action="store_true", help="print JSON instead of a table")


def command_runs(args: argparse.Namespace, store: RunStore) -> int:
    from rnnkit.analysis.reports import run_summary  # reads metrics: `stop`, `logs`, `queue` do without

    if args.demos:
        return _demos(args)
    store.queue.dispatch()
    positions = store.queue.positions()
    listed = store.runs(group=args.group)
    rows = [run_summary(run) for run in listed]
    for row in rows:
        if row["run_id"] in positions:
            row["queue_position"] = positions[row["run_id"]]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"no runs in {shown(store.root)}")
        return 0
    names = _group_names(store, listed)
    print(f"{'run id':44} {'state':11} {'epoch':>7} {'best val':>16} {'test':>18}  group")
    for row in rows:
        if "task" not in row:
            print(shown(f"{row['run_id']:44} {row['state']:11} {row['error']}"))
            continue
        if row.get("queue_position"):
            row["state"] = f"queued #{row['queue_position']}"
        best = f"{row['monitor']} {row['best_validation']:.4f}" if row["best_validation"] is not None else "-"
        test = row["test"].get(row["monitor"]) if row["monitor"] else None
        test_text = f"{row['monitor']} {test:.4f}" if test is not None else "-"
        print(shown(f"{row['run_id']:44} {row['state']:11} {row['epoch']:>3}/{row['epochs']:<3} "
                    f"{best:>16} {test_text:>18}  {names.get(row['group'], row['group'])}"))
        if row["error"] and row["state"] in ("failed", "interrupted"):
            print(shown(f"{'':44} {row['error']}"))
    return 0


def _demos(args: argparse.Namespace) -> int:
    """The shipped demo models: name, task, architecture and test score (what `predict demo:NAME` uses)."""
    from rnnkit.analysis.reports import run_summary
    from rnnkit.analysis.run_text import format_score
    from rnnkit.core.metrics import metric_title

    rows = [run_summary(run) for run in RunStore(demo_root()).runs()]
    for row in rows:
        row["run_id"] = DEMO_PREFIX + row["run_id"]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'demo':20} {'task':9} {'arch':8} test")
    for row in sorted(rows, key=lambda row: row["run_id"]):
        monitor = row.get("monitor") or ""
        score = (row.get("test") or {}).get(monitor)
        test = f"{metric_title(monitor)} {format_score(monitor, score)}" if score is not None else "-"
        print(shown(f"{row['run_id']:20} {row.get('task', '?'):9} {row.get('arch', '?'):8} {test}"))
    print("use one as demo:NAME: python -m rnnkit predict demo:names-lstm Nakamura")
    return 0


def _group_names(store: RunStore, listed: list) -> dict[str, str]:
    """group id -> 'name (id)' for the groups of the listed runs (each named from all of its runs)."""
    from rnnkit.runs.group_names import group_labels

    groups = {run_group for run_group in (_group_of(run) for run in listed) if run_group}
    if not groups:
        return {}
    labels = group_labels([run for run in store.runs() if _group_of(run) in groups], store.root)
    return {group: named(group, labels.get(group, "")) for group in groups}


def _group_of(run) -> str:
    try:
        return run.config().group
    except RunError:
        return ""


def add_stop(stop: argparse.ArgumentParser) -> None:
    stop.add_argument("run_id", help="run to stop")
    stop.add_argument("--wait", type=float, default=0.0, help="seconds to wait until it has stopped")


def command_stop(args: argparse.Namespace, store: RunStore) -> int:
    run = store.stop(args.run_id)
    print(f"stop requested for {run.run_id}")
    deadline = time.monotonic() + args.wait
    while args.wait and time.monotonic() < deadline:
        if not run.is_active():
            break
        time.sleep(0.2)
    print(f"{run.run_id}: {run.status()['state']}")
    return 0


def add_logs(logs: argparse.ArgumentParser) -> None:
    logs.add_argument("run_id", help="run whose output to print")
    logs.add_argument("--tail", type=int, default=0, help="only the last N lines (0: all)")


def command_logs(args: argparse.Namespace, store: RunStore) -> int:
    if args.tail < 0:
        raise ValueError("--tail must be 0 (all) or more")
    text = store.get(args.run_id).log_text()
    lines = text.splitlines()
    print(shown("\n".join(lines[-args.tail:] if args.tail else lines), keep="\n\t"))  # no terminal escapes
    return 0


def add_delete(delete: argparse.ArgumentParser) -> None:
    delete.add_argument("run_id", nargs="*", help="runs to delete")
    delete.add_argument("--group", default=None, help="delete every run of this comparison group")
    delete.add_argument("--yes", action="store_true", help="delete without asking")


def command_delete(args: argparse.Namespace, store: RunStore) -> int:
    runs = [store.get(run_id) for run_id in args.run_id]
    if args.group:
        runs += [run for run in store.runs(group=args.group) if run not in runs]
        if not runs:
            raise ValueError(f"no runs in group {args.group!r}")
    if not runs:
        raise ValueError("name the runs to delete, or --group GROUP")
    for run in runs:  # check everything first: delete all or nothing
        store.check_may_change(run, "delete")
        if run.is_active():
            raise RunError(f"run {run.run_id} is {run.status()['state']}; stop it before deleting it")
    names = runs[0].run_id if len(runs) == 1 else f"{len(runs)} runs"
    if not args.yes:
        if not sys.stdin.isatty():
            raise ValueError(f"deleting {names} cannot be undone; add --yes to confirm")
        if input(f"delete {names} ({', '.join(str(run.path) for run in runs)}) and everything in them? "
                 "[y/N] ").strip().lower() not in ("y", "yes"):
            print("not deleted")
            return 1
    for run in runs:
        delete_run(store, run.run_id)
        print(f"deleted {run.run_id}")
    return 0


def add_queue(queue: argparse.ArgumentParser) -> None:
    queue.description = ("The fair queue of the run store: waiting groups in order, and how many runs train. "
                         "Starts every group there is room for.")
    queue.add_argument("--watch", type=float, default=0.0, metavar="SECONDS",
                       help="keep dispatching every SECONDS (a small service for a class server)")


def command_queue(args: argparse.Namespace, store: RunStore) -> int:
    if args.watch < 0:
        raise ValueError("--watch takes a number of seconds (0 or leave it out: look once)")
    while True:
        started = store.queue.dispatch()
        if started:
            print(f"started {started} run(s)")
        summary = store.queue.summary()
        print(f"{summary['training_runs']} run(s) training (room for {summary['capacity']} at once), "
              f"{summary['waiting_groups']} group(s) with {summary['waiting_runs']} run(s) waiting")
        if not args.watch:
            for position, (_path, entry) in enumerate(store.queue.entries(), start=1):
                owner = f" by {entry.get('owner')}" if entry.get("owner") else ""
                group = entry.get("group", "?")
                name = group_name(store.root, group, store.runs(group=group)) if isinstance(group, str) else "?"
                print(shown(f"{position:>3}. group {name}{owner}: {len(entry['runs'])} run(s)"))
            return 0
        time.sleep(args.watch)


def find(store: RunStore, reference: str):
    """The run `reference` names (`rnnkit.runs.store.find_run`); for a demo:NAME that is not shipped, an error that
    lists the demos."""
    try:
        return find_run(store, reference)
    except RunError:
        demos = demo_names()
        if not reference.startswith(DEMO_PREFIX) or reference[len(DEMO_PREFIX):] in demos:
            raise
        names = ", ".join(DEMO_PREFIX + name for name in demos) or "none (checkpoints/demo is empty)"
        raise RunError(f"no shipped demo {reference[len(DEMO_PREFIX):]!r}; the demos: {names} "
                       "(`python -m rnnkit runs --demos` describes them)") from None


def demo_names() -> list[str]:
    """The shipped demo models, by name (demo:NAME)."""
    return sorted(run.run_id for run in RunStore(demo_root()).runs())


COMMANDS = {  # name -> (adds its flags, runs it); the one-line helps are in rnnkit.cli.parser
    "runs": (add_runs, command_runs),
    "stop": (add_stop, command_stop),
    "logs": (add_logs, command_logs),
    "delete": (add_delete, command_delete),
    "queue": (add_queue, command_queue),
}
