"""Training from the command line: `train`, `resume` and `presets`.

    python -m rnnkit train --task recall --arch lstm,gru --seeds 3     # one comparison group, 6 runs
    python -m rnnkit train ... --detach                                # through the queue, in the background
    python -m rnnkit resume RUN                                        # on from last.pt
    python -m rnnkit presets --task imdb                               # the task's named hyperparameters

Training itself runs in `rnnkit.worker.execute` (it imports torch: loaded only when a run trains).
"""
from __future__ import annotations

import argparse
import os

from rnnkit.cli.flags import add_config_flags, add_count_flag, configs_from_args
from rnnkit.cli.help_text import examples
from rnnkit.cli.terminal import group_name
from rnnkit.data.presets import get_preset, preset_names
from rnnkit.data.tasks import task_names
from rnnkit.model.cells import cell_names
from rnnkit.runs.folder import exit_status
from rnnkit.runs.store import RunStore
from rnnkit.worker.allocator import keep_step_memory


def add_train(train: argparse.ArgumentParser) -> None:
    train.description = "Train a model; several --arch values start one run each, as one comparison group."
    train.epilog = examples(
        "python -m rnnkit train --task recall --arch lstm                     # one run here: 100 % in ~6 epochs",
        "python -m rnnkit train --task recall --arch rnn,lstm,gru --seeds 3   # a comparison group, 9 runs",
        "python -m rnnkit train --task imdb --preset best --detach            # in the background",
        "python -m rnnkit train --task names --dry-run                        # one epoch of two batches")
    train.add_argument("--task", choices=task_names(), default="recall", help="what to learn (default: recall)")
    train.add_argument("--arch", default=None,
                       help=f"architecture(s), comma-separated: {', '.join(cell_names())} (default: the "
                            "preset's, else lstm)")
    train.add_argument("--preset", default=None,
                       help="named hyperparameters of the task (`python -m rnnkit presets` lists each task's; "
                            "default: quick where the task has it); 'none' for plain defaults")
    add_count_flag(train, "seeds", "runs per architecture, seeds SEED, SEED+1, ... (paired: same split, order "
                                   "and initialisation per seed); Compare then shows mean ± std and a verdict")
    train.add_argument("--group", default=None,
                       help="comparison group id shared by the runs (default: new id when several archs)")
    train.add_argument("--detach", action="store_true",
                       help="start the runs as background processes and return at once")
    train.add_argument("--run-id", action="append", default=None,
                       help="train an existing queued run folder (what background workers use); "
                            "repeat to train several at once")
    train.add_argument("--resume", action="store_true", help=argparse.SUPPRESS)
    add_config_flags(train)


def command_train(args: argparse.Namespace, store: RunStore) -> int:
    from rnnkit.worker.execute import execute  # imports torch: only a command that trains pays for it

    if args.run_id:  # a launched worker (or a user) trains existing run folders
        runs = [store.get(run_id) for run_id in args.run_id]
        if len(runs) > 1 and hasattr(os, "fork"):
            from rnnkit.worker.execute import execute_group

            return execute_group(runs, resume=args.resume)
        from rnnkit.runs.queue import dispatch_after_run

        outcomes = []
        for run in runs:
            outcomes.append(execute(run, resume=args.resume, memory_limit=True))  # a background worker: limited
            dispatch_after_run(run)  # a background worker's run is done: room for the next waiting group
        return exit_status(outcomes)
    configs = configs_from_args(args)
    if args.detach:
        runs = store.start(configs)
        position = store.queue.positions().get(runs[0].run_id)
        for run in runs:
            print(f"{'queued' if position else 'started'} {run.run_id}")
        if position:
            print(f"the group waits in the queue at position {position}: `python -m rnnkit queue` shows it")
        if configs[0].group:
            print(f"group {group_name(store.root, configs[0].group, runs)}: watch with "
                  f"`python -m rnnkit runs --group {configs[0].group}`")
        return 0
    runs = [store.create(config) for config in configs]
    keep_step_memory()  # this process is the command line's own: see rnnkit.worker.allocator
    outcomes = [execute(run) for run in runs]
    for run, outcome in zip(runs, outcomes):
        print(f"{run.run_id}: {outcome} -> {run.path}")
    if configs[0].group:
        print(f"group {group_name(store.root, configs[0].group, runs)}: `python -m rnnkit runs --group "
              f"{configs[0].group}` lists it, Compare compares it")
    return exit_status(outcomes)


def add_resume(resume: argparse.ArgumentParser) -> None:
    resume.add_argument("run_id", help="run to continue")
    resume.add_argument("--detach", action="store_true", help="continue in the background")


def command_resume(args: argparse.Namespace, store: RunStore) -> int:
    if args.detach:
        run = store.resume(args.run_id)
        position = store.queue.positions().get(run.run_id)
        print(f"resumed {run.run_id} in the background"
              + (f" (waiting in the queue, position {position})" if position else ""))
        return 0
    run = store.prepare_resume(args.run_id)
    from rnnkit.worker.execute import execute

    keep_step_memory()
    outcome = execute(run, resume=True)
    print(f"{run.run_id}: {outcome}")
    return exit_status([outcome])


def add_presets(presets: argparse.ArgumentParser) -> None:
    presets.add_argument("--task", choices=task_names(), default=None, help="only this task")


def command_presets(args: argparse.Namespace, store: RunStore) -> int:
    for task in [args.task] if args.task else task_names():
        for name in preset_names(task):
            print(f"{task:10} {name:8} {get_preset(task, name).get('description', '')}")
    return 0


COMMANDS = {  # name -> (adds its flags, runs it); the one-line helps are in rnnkit.cli.parser
    "train": (add_train, command_train),
    "resume": (add_resume, command_resume),
    "presets": (add_presets, command_presets),
}
