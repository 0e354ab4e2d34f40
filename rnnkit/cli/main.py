"""Command line: `python -m rnnkit train|runs|stop|resume|eval|predict|presets`.

This is an edge of the program: flags become configs here and nowhere else. Every flag has help;
every bad value ends with a one-line message that says what is allowed (exit status 2).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from rnnkit.analysis.horizon import ARCHITECTURES, LENGTHS
from rnnkit.cli import use as cli_use
from rnnkit.config.options import declared, flag_of, kind_of
from rnnkit.config.run import ModelConfig, TaskConfig, TrainConfig, architecture_names
from rnnkit.core.files import DiskFull
from rnnkit.core.metrics import higher_is_better
from rnnkit.data.presets import build_config, preset_names, seeded
from rnnkit.data.tasks import get_task, task_names
from rnnkit.runs.launcher import parallel_threads
from rnnkit.runs.store import RunError, RunStore, delete_run, new_group_id

_TASK_OPTION, _TASK_ALIAS = "task_option.", "task_alias."  # argparse dests of the generated task flags


_flag = flag_of


def _add_option(group, item, declaration, dest: str, flags: list[str], help_text: str) -> None:
    """One generated flag: a switch pair for booleans, a typed value otherwise; default None = not given."""
    kind = kind_of(item)
    choices = declaration.valid_choices()
    if choices:
        help_text += f" ({' | '.join(map(str, choices))})"
    help_text = help_text.replace("%", "%%")  # argparse formats help with %: "within 2 %" must stay text
    if kind is bool:
        group.add_argument(*flags, dest=dest, action=argparse.BooleanOptionalAction, default=None, help=help_text)
    else:
        group.add_argument(*flags, dest=dest, type=kind, default=None, help=help_text,
                           metavar=item.name.upper())


def add_config_flags(train: argparse.ArgumentParser) -> None:
    """Flags generated from the option declarations: every task's options, the model's, the training's."""
    data = train.add_argument_group("data (the task's own options; each says which tasks take it)")
    for item, declaration in declared(TaskConfig):
        _add_option(data, item, declaration, f"task.{item.name}", [_flag(item.name)], declaration.help)
    owners: dict[str, list[str]] = {}
    helps: dict[str, dict[str, list[str]]] = {}  # option -> help text -> tasks that declare it so
    first: dict[str, tuple] = {}
    for name in task_names():
        for item, declaration in declared(get_task(name).Options):
            helps.setdefault(item.name, {}).setdefault(declaration.help, []).append(name)
            first.setdefault(item.name, (item, declaration))
            for alias in declaration.flags:
                owners.setdefault(alias, []).append(name)
    for option_name, (item, declaration) in first.items():
        text = "; ".join(f"{', '.join(tasks)}: {help_text}" for help_text, tasks in helps[option_name].items())
        _add_option(data, item, declaration, _TASK_OPTION + option_name, [_flag(option_name)], text)
    aliases = {alias for item_decl in first.values() for alias in item_decl[1].flags}
    for alias in sorted(aliases):
        data.add_argument(alias, dest=_TASK_ALIAS + alias, default=None, metavar="VALUE",
                          help=f"{', '.join(owners[alias])}: the same as that task's own flag (kept for old scripts)")
    for section, part in (("model", ModelConfig), ("training", TrainConfig)):
        group = train.add_argument_group(section)
        for item, declaration in declared(part):
            if declaration.command_line:
                dest = f"{'model' if section == 'model' else 'train'}.{item.name}"
                _add_option(group, item, declaration, dest, [_flag(item.name), *declaration.flags], declaration.help)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rnnkit",
                                     description="Train, watch and compare recurrent networks.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--checkpoints-dir", default=None,
                        help="folder of run folders "
                             "(default: $RNNKIT_CHECKPOINTS_DIR, else the project's checkpoints/)")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    class Commands:  # every subcommand takes the common options
        @staticmethod
        def add_parser(name, **kwargs):
            return subparsers.add_parser(name, parents=[common], **kwargs)

    commands = Commands()

    train = commands.add_parser("train", help="train one run per architecture",
                                description="Train a model; several --arch values start one run each, "
                                            "as one comparison group.")
    train.add_argument("--task", choices=task_names(), default="recall", help="what to learn (default: recall)")
    train.add_argument("--arch", default=None,
                       help=f"architecture(s), comma-separated: {', '.join(architecture_names())} (default: the "
                            "preset's, else lstm)")
    train.add_argument("--preset", default=None,
                       help="named hyperparameters of the task (`python -m rnnkit presets` lists each task's; "
                            "default: quick where the task has it); 'none' for plain defaults")
    train.add_argument("--seeds", type=int, default=1,
                       help="runs per architecture, seeds SEED, SEED+1, ... (paired: same split, order and "
                            "initialisation per seed); Compare then shows mean ± std and a verdict")
    train.add_argument("--group", default=None,
                       help="comparison group id shared by the runs (default: new id when several archs)")
    train.add_argument("--detach", action="store_true",
                       help="start the runs as background processes and return at once")
    train.add_argument("--run-id", action="append", default=None,
                       help="train an existing queued run folder (what background workers use); "
                            "repeat to train several at once")
    train.add_argument("--resume", action="store_true", help=argparse.SUPPRESS)
    add_config_flags(train)

    runs = commands.add_parser("runs", help="list runs and their state")
    runs.add_argument("--group", default=None, help="only this comparison group")
    runs.add_argument("--json", action="store_true", help="print JSON instead of a table")

    stop = commands.add_parser("stop", help="ask a running run to stop after its current batch")
    stop.add_argument("run_id", help="run to stop")
    stop.add_argument("--wait", type=float, default=0.0, help="seconds to wait until it has stopped")

    logs = commands.add_parser("logs", help="a run's output (train.log, or the Ray job's log on a cluster)")
    logs.add_argument("run_id", help="run whose output to print")
    logs.add_argument("--tail", type=int, default=0, help="only the last N lines (0: all)")

    resume = commands.add_parser("resume", help="continue a stopped or interrupted run from last.pt")
    resume.add_argument("run_id", help="run to continue")
    resume.add_argument("--detach", action="store_true", help="continue in the background")

    cli_use.add_commands(commands)

    delete = commands.add_parser("delete", help="delete runs' folders (not while they train)")
    delete.add_argument("run_id", nargs="*", help="runs to delete")
    delete.add_argument("--group", default=None, help="delete every run of this comparison group")
    delete.add_argument("--yes", action="store_true", help="delete without asking")

    sweep = commands.add_parser("sweep", help="train a grid of settings as one group, ranked on validation",
                                description="A grid over any options: every combination of the --grid values (x "
                                            "architectures x seeds) becomes one run of one group of kind 'sweep'. "
                                            "Compare then shows the sweep view (parallel coordinates, the table "
                                            "ranked by validation score, the best configuration).")
    sweep.add_argument("--task", choices=task_names(), default="recall", help="what to learn (default: recall)")
    sweep.add_argument("--preset", default=None, help="preset under the grid (default: quick where the task has it)")
    sweep.add_argument("--arch", default=None,
                       help="architecture(s), comma-separated (default: the preset's, else lstm)")
    sweep.add_argument("--grid", action="append", default=[], metavar="SECTION.OPTION=V1,V2",
                       help="a swept option and its values, e.g. model.hidden_size=32,64; repeat per option")
    sweep.add_argument("--seeds", type=int, default=1, help="runs per grid point (default: 1)")
    sweep.add_argument("--search", choices=("grid", "random", "tpe"), default="grid",
                       help="grid: every point; random: --trials distinct points drawn at random; tpe: Optuna's "
                            "TPE picks each next point from the scores so far (trains in the foreground)")
    sweep.add_argument("--trials", type=int, default=8,
                       help="points to train with --search random|tpe (default: 8)")
    sweep.add_argument("--search-seed", type=int, default=0, help="seeds the random / TPE choice of points")
    sweep.add_argument("--objective", default=None,
                       help="--search tpe: the validation metric to optimise, read at each run's best epoch "
                            "(default: the task's selection metric, e.g. accuracy; names: try macro_f1)")
    sweep.add_argument("--detach", action="store_true", help="queue the runs in the background and return")

    horizon = commands.add_parser("horizon", help="the memory-horizon experiment: recall accuracy against T",
                                  description="recall at several sequence lengths T for each architecture, one "
                                              "group of kind 'horizon' through the queue (the recall task's "
                                              "'horizon' preset); waits for it and prints test accuracy per "
                                              "architecture and T.")
    horizon.add_argument("--lengths", default=",".join(map(str, LENGTHS)),
                         help=f"sequence lengths, comma-separated (default: {','.join(map(str, LENGTHS))})")
    horizon.add_argument("--arch", default=",".join(ARCHITECTURES),
                         help=f"architectures, comma-separated (default: {','.join(ARCHITECTURES)})")
    horizon.add_argument("--detach", action="store_true", help="queue the group and return")

    export = commands.add_parser("export", help="write a run's or a group's results for other tools",
                                 description="TensorBoard event files (scalars per step and epoch, hparams, the "
                                             "confusion matrix as an image, the learned embedding for the projector) "
                                             "of a run or of every run of a group.")
    export.add_argument("reference", help="a run id or a group id")
    export.add_argument("--tensorboard", required=True, metavar="DIR", help="folder for the event files "
                        "(then: tensorboard --logdir DIR)")

    report = commands.add_parser("report", help="a comparison as one HTML file (figures and tables, offline)")
    report.add_argument("reference", help="a run id or a group id")
    report.add_argument("--html", required=True, metavar="FILE", help="where to write the report")

    queue = commands.add_parser("queue", help="show the waiting groups and start those that may start",
                                description="The fair queue of the run store: waiting groups in order, and "
                                            "how many runs train. Starts every group there is room for.")
    queue.add_argument("--watch", type=float, default=0.0, metavar="SECONDS",
                       help="keep dispatching every SECONDS (a small service for a class server)")

    presets = commands.add_parser("presets", help="list the presets of each task")
    presets.add_argument("--task", choices=task_names(), default=None, help="only this task")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    store = RunStore(args.checkpoints_dir)
    try:
        return COMMANDS[args.command](args, store)
    except (ValueError, RunError, DiskFull) as error:  # user errors (and a full disk): one line, no traceback
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `... | head`: the reader has gone
        return 0


# ------------------------------------------------------------------------------------------ train
def parse_architectures(text: str) -> list[str]:
    valid = architecture_names()
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in valid]
    if unknown or not names:
        raise ValueError(f"unknown architecture {', '.join(unknown) or repr(text)}; valid: {', '.join(valid)}")
    if len(set(names)) != len(names):
        raise ValueError(f"architecture listed twice in {text!r}")
    return names


def overrides_from_args(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The flags the user gave, as config overrides; a task option the chosen task lacks is an error."""
    overrides: dict[str, dict[str, Any]] = {"task": {}, "model": {}, "train": {}}
    task = get_task(args.task)
    own = {item.name: declaration for item, declaration in declared(task.Options)}
    for dest, value in vars(args).items():
        if value is None:
            continue
        if dest.startswith(_TASK_OPTION) or dest.startswith(_TASK_ALIAS):
            given = dest.split(".", 1)[1]
            name = given if dest.startswith(_TASK_OPTION) else next(
                (option for option, declaration in own.items() if given in declaration.flags), None)
            if name not in own:
                valid = ", ".join(_flag(option) for option in own) or "none"
                raise ValueError(f"{_flag(given) if not given.startswith('--') else given} does not apply to task "
                                 f"{task.name!r}; its options: {valid}")
            overrides["task"][name] = _absolute(value) if own[name].path and value else value
        elif "." in dest and dest.split(".", 1)[0] in overrides:
            section, name = dest.split(".", 1)
            overrides[section][name] = value
    if overrides["task"].get("data_dir"):  # a background worker may run elsewhere: store absolute paths
        overrides["task"]["data_dir"] = _absolute(overrides["task"]["data_dir"], always=True)
    return overrides


def _absolute(value: str, always: bool = False) -> str:
    expanded = os.path.expanduser(value)
    return os.path.abspath(expanded) if always or os.path.exists(expanded) else value


def configs_from_args(args: argparse.Namespace) -> list:
    preset = chosen_preset(args)
    archs = parse_architectures(args.arch) if args.arch is not None else [None]
    if args.seeds < 1:
        raise ValueError(f"--seeds must be at least 1, not {args.seeds}")
    group = args.group or (new_group_id() if len(archs) * args.seeds > 1 else "")
    overrides = overrides_from_args(args)
    if args.detach and len(archs) * args.seeds > 1 and "num_threads" not in overrides["train"]:
        overrides["train"]["num_threads"] = parallel_threads(len(archs) * args.seeds)
    return [seeded(build_config(args.task, preset, {**overrides, "model": {**overrides["model"],
                                                                           **({"arch": arch} if arch else {})}},
                                group=group), offset)
            for offset in range(args.seeds) for arch in archs]


def chosen_preset(args: argparse.Namespace) -> str | None:
    """--preset, else quick where the task has it; 'none' = plain defaults. Without --arch, the preset's
    own architecture trains (e.g. shopping's best preset is a BiGRU)."""
    available = preset_names(args.task)
    preset = args.preset if args.preset is not None else ("quick" if "quick" in available else None)
    return None if preset == "none" else preset


def command_train(args: argparse.Namespace, store: RunStore) -> int:
    from rnnkit.worker.execute import execute  # imports torch; keep `--help` fast

    if args.run_id:  # a launched worker (or a user) trains existing run folders
        runs = [store.get(run_id) for run_id in args.run_id]
        if len(runs) > 1 and hasattr(os, "fork"):
            from rnnkit.worker.execute import execute_group

            return execute_group(runs, resume=args.resume)
        from rnnkit.runs.queue import dispatch_after_run

        outcomes = []
        for run in runs:
            outcomes.append(execute(run, resume=args.resume))
            dispatch_after_run(run)  # a background worker's run is done: room for the next waiting group
        return 0 if all(outcome in ("completed", "stopped") for outcome in outcomes) else 1
    configs = configs_from_args(args)
    if args.detach:
        runs = store.start(configs)
        position = store.queue.positions().get(runs[0].run_id)
        for run in runs:
            print(f"{'queued' if position else 'started'} {run.run_id}")
        if position:
            print(f"the group waits in the queue at position {position}: `python -m rnnkit queue` shows it")
        if configs[0].group:
            print(f"group {configs[0].group}: watch with `python -m rnnkit runs --group {configs[0].group}`")
        return 0
    runs = [store.create(config) for config in configs]
    outcomes = [execute(run) for run in runs]
    for run, outcome in zip(runs, outcomes):
        print(f"{run.run_id}: {outcome} -> {run.path}")
    return 0 if all(outcome in ("completed", "stopped") for outcome in outcomes) else 1


# ------------------------------------------------------------------------------------ run control
def command_runs(args: argparse.Namespace, store: RunStore) -> int:
    from rnnkit.analysis.reports import run_summary

    store.queue.dispatch()
    positions = store.queue.positions()
    rows = [run_summary(run) for run in store.runs(group=args.group)]
    for row in rows:
        if row["run_id"] in positions:
            row["queue_position"] = positions[row["run_id"]]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"no runs in {store.root}")
        return 0
    print(f"{'run id':44} {'state':11} {'epoch':>7} {'best val':>16} {'test':>18}  group")
    for row in rows:
        if "task" not in row:
            print(f"{row['run_id']:44} {row['state']:11} {row['error']}")
            continue
        if row.get("queue_position"):
            row["state"] = f"queued #{row['queue_position']}"
        best = f"{row['monitor']} {row['best_validation']:.4f}" if row["best_validation"] is not None else "-"
        test = row["test"].get(row["monitor"]) if row["monitor"] else None
        test_text = f"{row['monitor']} {test:.4f}" if test is not None else "-"
        print(f"{row['run_id']:44} {row['state']:11} {row['epoch']:>3}/{row['epochs']:<3} "
              f"{best:>16} {test_text:>18}  {row['group']}")
        if row["error"] and row["state"] in ("failed", "interrupted"):
            print(f"{'':44} {row['error']}")
    return 0


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


def command_resume(args: argparse.Namespace, store: RunStore) -> int:
    if args.detach:
        run = store.resume(args.run_id)
        position = store.queue.positions().get(run.run_id)
        print(f"resumed {run.run_id} in the background"
              + (f" (waiting in the queue, position {position})" if position else ""))
        return 0
    run = store.prepare_resume(args.run_id)
    from rnnkit.worker.execute import execute

    outcome = execute(run, resume=True)
    print(f"{run.run_id}: {outcome}")
    return 0 if outcome in ("completed", "stopped") else 1


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


def command_sweep(args: argparse.Namespace, store: RunStore) -> int:
    from rnnkit.analysis.sweep import parse_grid, random_configs, sweep_configs

    if args.seeds < 1:
        raise ValueError(f"--seeds must be at least 1, not {args.seeds}")
    preset = chosen_preset(args)
    group = new_group_id()
    architectures = parse_architectures(args.arch) if args.arch is not None else None
    grid = parse_grid(args.task, args.grid)
    given = [flag for flag, value, default in (("--trials", args.trials, 8), ("--search-seed", args.search_seed, 0),
                                               ("--objective", args.objective, None)) if value != default]
    if args.search == "grid" and given:
        raise ValueError(f"{', '.join(given)} only apply to --search random or tpe; a grid trains every point")
    if args.search == "random" and args.objective is not None:
        raise ValueError("--objective only applies to --search tpe (a random search does not look at scores)")
    if args.search == "tpe":
        return _tpe_sweep(args, store, preset, grid, architectures, group)
    if args.search == "random":
        configs = random_configs(args.task, preset, grid, args.trials, architectures=architectures, seeds=args.seeds,
                                 group=group, seed=args.search_seed)
    else:
        configs = sweep_configs(args.task, preset, grid, architectures=architectures, seeds=args.seeds, group=group)
    if args.detach:  # the group trains at once: its runs share the cores
        threads = parallel_threads(len(configs))
        configs = [dataclasses.replace(config, train=dataclasses.replace(config.train, num_threads=threads))
                   for config in configs]
        store.start(configs)
        print(f"sweep {group}: {len(configs)} runs queued; watch with `python -m rnnkit runs --group {group}`")
        return 0
    from rnnkit.worker.execute import execute

    runs = [store.create(config) for config in configs]
    outcomes = [execute(run) for run in runs]
    _print_sweep(runs)
    return 0 if all(outcome in ("completed", "stopped") for outcome in outcomes) else 1


def _print_sweep(runs: list) -> None:
    from rnnkit.analysis.sweep import sweep_frame

    frame = sweep_frame(runs)
    monitor = next((name for name in frame["monitor"] if name), "")
    if monitor:
        frame = frame.sort_values("best validation", ascending=not higher_is_better(monitor), na_position="last")
    print(frame.drop(columns=["run"]).to_string(index=False))


def _tpe_sweep(args: argparse.Namespace, store: RunStore, preset: str | None, grid: dict,
               architectures: list[str] | None, group: str) -> int:
    """--search tpe: one trial at a time in this process; each trial trains --seeds runs of one point and
    tells TPE their mean best validation score."""
    from rnnkit.analysis.sweep import MAX_SWEEP_RUNS, best_epoch_validation, point_config, tpe_search
    from rnnkit.model.jobs import get_job
    from rnnkit.worker.execute import execute

    if args.detach:
        raise ValueError("--search tpe chooses each trial from the scores before it, so it trains in the "
                         "foreground; leave out --detach, or use --search random")
    if args.trials * args.seeds > MAX_SWEEP_RUNS:
        raise ValueError(f"{args.trials} trials x {args.seeds} seeds is more than {MAX_SWEEP_RUNS} runs")
    if architectures and len(architectures) > 1:
        grid = {**grid, ("model", "arch"): architectures}  # the architecture becomes one more searched option
    arch = architectures[0] if architectures and len(architectures) == 1 else None
    task = get_task(args.task)
    monitor = args.objective or task.selection_metric
    reported = ("loss", *get_job(task.job).headline)
    if monitor not in reported:  # before anything trains
        raise ValueError(f"--objective {monitor!r}: a {args.task} run's validation reports {', '.join(reported)}")
    runs: list = []
    outcomes: list[str] = []

    def score(point: dict) -> float | None:
        trial = [store.create(point_config(args.task, preset, point, arch=arch, offset=offset, group=group))
                 for offset in range(args.seeds)]
        runs.extend(trial)
        values = []
        for run in trial:
            outcomes.append(execute(run))
            if outcomes[-1] == "stopped":  # Ctrl-C or a Stop: the search ends here
                raise SearchStopped
            best = best_epoch_validation(run)
            if outcomes[-1] == "completed" and best.get(monitor) is not None:
                values.append(float(best[monitor]))
        value = sum(values) / len(values) if values else None
        shown = " ".join(f"{section}.{name}={point[(section, name)]}" for section, name in point)
        print(f"trial {len(runs) // args.seeds}: {shown} -> validation {monitor} "
              f"{'failed' if value is None else f'{value:.4f}'}", flush=True)
        return value

    try:
        tpe_search(grid, args.trials, score, maximise=higher_is_better(monitor), seed=args.search_seed)
    except SearchStopped:
        print("the search was stopped; the trials so far:")
    _print_sweep(runs)
    return 0 if outcomes and all(outcome == "completed" for outcome in outcomes) else 1


class SearchStopped(Exception):
    """A trial's run was stopped: a TPE search does not go on to the next trial."""


def command_horizon(args: argparse.Namespace, store: RunStore) -> int:
    from rnnkit.analysis.horizon import horizon_configs, horizon_table

    try:
        lengths = tuple(int(text) for text in args.lengths.split(",") if text.strip())
    except ValueError:
        raise ValueError("--lengths takes whole numbers separated by commas, e.g. 5,10,20,50,100,150") from None
    group = new_group_id()
    started = time.monotonic()
    runs = store.start(horizon_configs(lengths, tuple(parse_architectures(args.arch)), group=group))
    print(f"horizon {group}: {len(runs)} runs queued")
    if args.detach:
        print(f"watch with `python -m rnnkit runs --group {group}`")
        return 0
    while any(run.is_active() for run in runs):
        store.queue.dispatch()
        time.sleep(2.0)
    table = horizon_table(runs)
    print(table.pivot(index="sequence_length", columns="arch", values="test_accuracy").to_string())
    print(f"wall time: {time.monotonic() - started:.0f} s")
    return 0 if set(table["state"]) <= {"completed", "stopped"} else 1


def _run_or_group(store: RunStore, reference: str) -> list:
    try:
        return [store.get(reference)]
    except RunError:
        runs = store.runs(group=reference)
        if not runs:
            raise RunError(f"no run or group {reference!r} in {store.root}; `python -m rnnkit runs` "
                           "lists them") from None
        return runs


def command_report(args: argparse.Namespace, store: RunStore) -> int:
    from rnnkit.core.files import write_atomic
    from rnnkit.ui.report import html_report

    runs = _run_or_group(store, args.reference)
    document = html_report(runs, f"rnnkit: {args.reference}")
    write_atomic(Path(args.html), lambda handle: handle.write(document.encode("utf-8")))
    print(f"wrote {args.html} ({len(runs)} run(s), {len(document) / 1e6:.1f} MB)")
    return 0


def command_export(args: argparse.Namespace, store: RunStore) -> int:
    from rnnkit.analysis.export import export_tensorboard

    runs = _run_or_group(store, args.reference)
    for folder in export_tensorboard(runs, Path(args.tensorboard)):
        print(f"wrote {folder}")
    print(f"view them with: tensorboard --logdir {args.tensorboard}")
    return 0


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
                owner = f" ({entry.get('owner')})" if entry.get("owner") else ""
                print(f"{position:>3}. group {entry.get('group', '?')}{owner}: {len(entry['runs'])} run(s)")
            return 0
        time.sleep(args.watch)


def command_logs(args: argparse.Namespace, store: RunStore) -> int:
    if args.tail < 0:
        raise ValueError("--tail must be 0 (all) or more")
    text = store.get(args.run_id).log_text()
    lines = text.splitlines()
    print("\n".join(lines[-args.tail:] if args.tail else lines))
    return 0


def command_presets(args: argparse.Namespace, store: RunStore) -> int:
    from rnnkit.data.presets import get_preset

    for task in [args.task] if args.task else task_names():
        for name in preset_names(task):
            print(f"{task:10} {name:8} {get_preset(task, name).get('description', '')}")
    return 0


COMMANDS = {
    "train": command_train, "runs": command_runs, "stop": command_stop, "resume": command_resume,
    "eval": cli_use.command_eval, "predict": cli_use.command_predict, "inside": cli_use.command_inside,
    "calibrate": cli_use.command_calibrate,
    "presets": command_presets, "logs": command_logs,
    "delete": command_delete, "queue": command_queue, "export": command_export,
    "sweep": command_sweep, "report": command_report, "horizon": command_horizon,
}
