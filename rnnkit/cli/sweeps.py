"""Experiments over many runs: `sweep` (a grid, random or TPE search) and `horizon` (recall against T).

    python -m rnnkit sweep --task recall --arch lstm,gru --grid model.hidden_size=32,64 --detach
    python -m rnnkit sweep --task recall --sequence-length 30 --epochs 3 --grid train.learning_rate=0.001,0.01
    python -m rnnkit sweep ... --search tpe --trials 12 --objective macro_f1   # one trial after another
    python -m rnnkit horizon --lengths 10,50,100 --arch lstm,gru               # waits, prints a table

The configs come from `rnnkit.analysis.sweep` / `.search` / `.horizon`; this file parses and prints.
"""
from __future__ import annotations

import argparse
import time

from rnnkit.analysis.horizon import (
    ARCHITECTURES,
    LENGTHS,
    SEEDS,
    horizon_cells,
    horizon_configs,
    horizon_summary,
    horizon_table,
    horizon_verdicts,
    queue_horizon,
    verdict_line,
)
from rnnkit.analysis.search import Trial, tpe_sweep
from rnnkit.analysis.sweep import SEARCHES, parse_grid, random_configs, seed_mean_frame, sweep_configs, sweep_frame
from rnnkit.cli.flags import (
    add_config_flags,
    add_count_flag,
    chosen_preset,
    counts_from_args,
    overrides_from_args,
    parse_architectures,
)
from rnnkit.cli.help_text import examples
from rnnkit.cli.terminal import group_name
from rnnkit.core.metrics import higher_is_better
from rnnkit.data.tasks import task_names
from rnnkit.runs.folder import exit_status
from rnnkit.runs.groups import share_threads
from rnnkit.runs.store import RunStore, new_group_id
from rnnkit.worker.allocator import keep_step_memory


def add_sweep(sweep: argparse.ArgumentParser) -> None:
    sweep.description = ("A grid over any options: every combination of the --grid values (x architectures x seeds) "
                         "becomes one run of one group of kind 'sweep'. Compare then shows the sweep view (parallel "
                         "coordinates, the table ranked by validation score, the best configuration). Every option "
                         "`train` takes (--epochs, --sequence-length, ...) sets a fixed value under the grid.")
    sweep.epilog = examples(
        "python -m rnnkit sweep --task recall --arch lstm,gru --grid model.hidden_size=32,64 --detach",
        "python -m rnnkit sweep --task recall --sequence-length 30 --num-samples 1000 --epochs 3 \\",
        "    --grid train.learning_rate=0.001,0.01     # fixed values as train's flags, the grid on top",
        "python -m rnnkit sweep --task names --grid model.hidden_size=64,128,256 --grid model.ngrams=1,2,3 \\",
        "    --search tpe --trials 6 --objective macro_f1     # one trial after another")
    sweep.add_argument("--task", choices=task_names(), default="recall", help="what to learn (default: recall)")
    sweep.add_argument("--preset", default=None, help="preset under the grid (default: quick where the task has it)")
    sweep.add_argument("--arch", default=None,
                       help="architecture(s), comma-separated (default: the preset's, else lstm)")
    sweep.add_argument("--grid", action="append", default=[], metavar="SECTION.OPTION=V1,V2",
                       help="a swept option and its values, e.g. model.hidden_size=32,64; repeat per option")
    add_count_flag(sweep, "seeds", "runs per grid point, seeds SEED, SEED+1, ... (default: 1)")
    sweep.add_argument("--search", choices=SEARCHES, default="grid",
                       help="grid: every point; random: --trials distinct points drawn at random; tpe: Optuna's "
                            "TPE picks each next point from the scores so far (trains in the foreground)")
    add_count_flag(sweep, "trials", "points to train with --search random|tpe (default: 8)")
    sweep.add_argument("--search-seed", type=int, default=0, help="seeds the random / TPE choice of points")
    sweep.add_argument("--objective", default=None,
                       help="--search tpe: the validation metric to optimise, read at each run's best epoch "
                            "(default: the task's selection metric, e.g. accuracy; names: try macro_f1)")
    sweep.add_argument("--detach", action="store_true", help="queue the runs in the background and return")
    add_config_flags(sweep)  # train's option flags: fixed values under the grid


def _fixed_values(args: argparse.Namespace, grid: dict) -> dict[str, dict]:
    """The option flags given (as `train` reads them); an option both fixed and swept is an error."""
    overrides = overrides_from_args(args)
    both = [f"{section}.{name}" for section, name in grid if name in overrides.get(section, {})]
    if both:
        raise ValueError(f"{', '.join(both)} is both a fixed value (its flag) and in --grid; give it once")
    return overrides


def command_sweep(args: argparse.Namespace, store: RunStore) -> int:
    counts_from_args(args)  # --seeds and --trials within their declared bounds
    preset = chosen_preset(args)
    group = new_group_id()
    architectures = parse_architectures(args.arch) if args.arch is not None else None
    grid = parse_grid(args.task, args.grid)
    fixed = _fixed_values(args, grid)
    given = [flag for flag, value, default in (("--trials", args.trials, 8), ("--search-seed", args.search_seed, 0),
                                               ("--objective", args.objective, None)) if value != default]
    if args.search == "grid" and given:
        raise ValueError(f"{', '.join(given)} only apply to --search random or tpe; a grid trains every point")
    if args.search == "random" and args.objective is not None:
        raise ValueError("--objective only applies to --search tpe (a random search does not look at scores)")
    if args.search == "tpe":
        return _tpe(args, store, preset, grid, fixed, architectures, group)
    if args.search == "random":
        configs = random_configs(args.task, preset, grid, args.trials, fixed, architectures=architectures,
                                 seeds=args.seeds, group=group, seed=args.search_seed)
    else:
        configs = sweep_configs(args.task, preset, grid, fixed, architectures=architectures, seeds=args.seeds,
                                group=group)
    if args.detach:  # the group trains at once: its runs share the cores
        runs = store.start(share_threads(configs))
        print(f"sweep {group_name(store.root, group, runs)}: {len(configs)} runs queued; watch with "
              f"`python -m rnnkit runs --group {group}`")
        return 0
    from rnnkit.worker.execute import execute

    runs = [store.create(config) for config in configs]
    print(f"sweep {group_name(store.root, group, runs)}: {len(runs)} runs, one after another", flush=True)
    keep_step_memory()  # this process is the command line's own: see rnnkit.worker.allocator
    outcomes = [execute(run) for run in runs]
    _print_sweep(runs)
    print(f"group {group_name(store.root, group, runs)}: `python -m rnnkit report {group} --html sweep.html`, or "
          "Compare")
    return exit_status(outcomes)


def _tpe(args: argparse.Namespace, store: RunStore, preset: str | None, grid: dict, fixed: dict[str, dict],
         architectures: list[str] | None, group: str) -> int:
    """--search tpe: one trial at a time in this process (`rnnkit.analysis.search`), a line per trial."""
    if args.detach:
        raise ValueError("--search tpe chooses each trial from the scores before it, so it trains in the "
                         "foreground; leave out --detach, or use --search random")
    from rnnkit.worker.execute import execute

    print(f"sweep {group}: {args.trials} trials, one after another", flush=True)
    result = tpe_sweep(store, args.task, preset, grid, args.trials, execute, architectures=architectures,
                       overrides=fixed, seeds=args.seeds, group=group, objective=args.objective, seed=args.search_seed,
                       on_trial=_print_trial)
    if result.stopped:
        print("the search was stopped; the trials so far:")
    _print_sweep(result.runs)
    print(f"group {group_name(store.root, group, result.runs)}: `python -m rnnkit report {group} --html "
          "sweep.html`, or Compare")
    return exit_status(result.outcomes, accepted=("completed",))


def _print_trial(trial: Trial) -> None:
    shown = " ".join(f"{section}.{name}={value}" for (section, name), value in trial.point.items())
    print(f"trial {trial.number}: {shown} -> validation {trial.monitor} "
          f"{'failed' if trial.value is None else f'{trial.value:.4f}'}", flush=True)


def _print_sweep(runs: list) -> None:
    """The sweep's table, best validation first; with several seeds per point, one row per point ranked by
    the mean of its seeds (the best single run of many is the luckiest: the winner's curse)."""
    frame, by_seeds = seed_mean_frame(sweep_frame(runs))
    if frame.empty:
        print("no run of this sweep has a readable config")
        return
    monitor = next((name for name in frame["monitor"] if name), "")
    if monitor:
        frame = frame.sort_values("best validation", ascending=not higher_is_better(monitor), na_position="last")
    print(frame.drop(columns=["run"]).to_string(index=False))
    if by_seeds:
        print(f"ranked by the mean best-epoch validation {monitor} over each point's seeds, not by single runs; "
              "test is the seeds' mean, for the record")


def add_horizon(horizon: argparse.ArgumentParser) -> None:
    horizon.description = ("recall at several sequence lengths T for each architecture and seed, one group of kind "
                           "'horizon' through the queue (the recall task's 'horizon' preset); waits for it and prints "
                           "test accuracy per architecture and T as mean ± std over the seeds (n = seeds tested).")
    horizon.epilog = examples("python -m rnnkit horizon --lengths 10,50,100 --arch lstm,gru   # waits, prints a table",
                              "python -m rnnkit horizon --seeds 5 --detach                    # Compare shows it")
    horizon.add_argument("--lengths", default=",".join(map(str, LENGTHS)),
                         help=f"sequence lengths, comma-separated (default: {','.join(map(str, LENGTHS))})")
    horizon.add_argument("--arch", default=",".join(ARCHITECTURES),
                         help=f"architectures, comma-separated (default: {','.join(ARCHITECTURES)})")
    add_count_flag(horizon, "seeds", f"runs per (T, architecture), seeds SEED, SEED+1, ... (default: {SEEDS}); "
                                     "the table gives mean ± std over them", default=SEEDS)
    horizon.add_argument("--detach", action="store_true", help="queue the group and return")


def command_horizon(args: argparse.Namespace, store: RunStore) -> int:
    try:
        lengths = tuple(int(text) for text in args.lengths.split(",") if text.strip())
    except ValueError:
        raise ValueError("--lengths takes whole numbers separated by commas, e.g. 5,10,20,50,100,150") from None
    group = new_group_id()
    started = time.monotonic()
    counts_from_args(args)
    configs = horizon_configs(lengths, tuple(parse_architectures(args.arch)), group=group, seeds=args.seeds)
    runs = queue_horizon(store, configs)  # one group, in slices of the queue's capacity
    print(f"horizon {group_name(store.root, group, runs)}: {len(runs)} runs queued")
    if args.detach:
        print(f"watch with `python -m rnnkit runs --group {group}`")
        return 0
    while any(run.is_active() for run in runs):
        store.queue.dispatch()
        time.sleep(2.0)
    table = horizon_table(runs)
    print("test accuracy (%), mean ± std over seeds (n = seeds tested):")
    print(horizon_cells(horizon_summary(table)).to_string())
    verdicts = horizon_verdicts(table)
    if verdicts:
        print("verdicts per T (paired on the seeds, Holm-corrected over the pairs of each T):")
        for length, verdict in verdicts:
            print(verdict_line(length, verdict))
    print(f"wall time: {time.monotonic() - started:.0f} s")
    return exit_status(table["state"])


COMMANDS = {  # name -> (adds its flags, runs it); the one-line helps are in rnnkit.cli.parser
    "sweep": (add_sweep, command_sweep),
    "horizon": (add_horizon, command_horizon),
}
