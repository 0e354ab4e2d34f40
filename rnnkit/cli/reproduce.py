"""`python -m rnnkit reproduce`: the lab reports' comparisons again, with seeds. For each architecture a report
compared (with one run each), the report's single number beside rnnkit's mean ± std over seeds, then the
verdict of every pair (paired t-test over the seeds, Holm-corrected).

    python -m rnnkit reproduce --comparison 004 --seeds 2 --epochs 2     # shopping, reduced
    python -m rnnkit reproduce --comparison 000 --seeds 3                # IMDB LSTM vs GRU, full

Every comparison runs its task's `report` preset (the report's recipe); --epochs shortens it and --patience
stops a run early (say so when you quote the numbers). All runs of one comparison form one group in the folder
of runs (as `train` does: --checkpoints-dir or $RNNKIT_CHECKPOINTS_DIR), trained one after the other in this
process, so Compare shows the group with its verdict afterwards. A variant that another comparison of the same
invocation already trained with the same recipe and seed (000's and 002's LSTM) is not trained twice: its runs
stay in the first comparison's group and are counted in both tables.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import time

from rnnkit.analysis import seeds
from rnnkit.analysis.html_report import verdict_sentence
from rnnkit.cli.flags import add_count_flag, counts_from_args
from rnnkit.cli.help_text import examples
from rnnkit.data.presets import build_config, seeded
from rnnkit.runs.folder import Run, exit_status
from rnnkit.runs.store import RunStore, new_group_id

# report -> (task, metric, variants: name -> (model overrides, the report's number or None))
COMPARISONS: dict[str, tuple[str, str, dict[str, tuple[dict, float | None]]]] = {
    "000": ("imdb", "accuracy", {"lstm": ({"arch": "lstm"}, 0.8262), "gru": ({"arch": "gru"}, 0.8438)}),
    "002": ("imdb", "accuracy", {"lstm": ({"arch": "lstm"}, 0.8145),
                                 "reslstm": ({"arch": "reslstm", "impl": "scratch"}, 0.8030)}),
    "004": ("shopping", "macro_f1", {"rnn": ({"arch": "rnn"}, 0.7198), "gru": ({"arch": "gru"}, 0.8123),
                                     "lstm": ({"arch": "lstm"}, 0.8308),
                                     "bilstm": ({"arch": "lstm", "bidirectional": True}, None)}),
}


def add_reproduce(reproduce: argparse.ArgumentParser) -> None:
    summary = __doc__.split("\n\n")[0].split(": ", 1)[1]
    reproduce.description = summary[0].upper() + summary[1:]
    reproduce.epilog = examples(*(line.strip() for line in __doc__.split("\n\n")[1].splitlines()))
    reproduce.add_argument("--comparison", choices=sorted(COMPARISONS), action="append", default=None,
                           help="which report's comparison: 000 IMDB LSTM vs GRU, 002 IMDB LSTM vs residual LSTM, "
                                "004 shopping RNN/GRU/LSTM/BiLSTM (repeat; default: all)")
    add_count_flag(reproduce, "seeds", "runs per architecture, seeds 0, 1, ... (default: 3)", default=3)
    reproduce.add_argument("--epochs", type=int, default=None, help="fewer epochs than the report's recipe")
    reproduce.add_argument("--patience", type=int, default=None,
                           help="early stopping: epochs without a better validation score")
    reproduce.add_argument("--dry-run", action="store_true",
                           help="one epoch of two batches per split: checks the whole path quickly")


def command_reproduce(args: argparse.Namespace, store: RunStore) -> int:
    from rnnkit.worker.execute import execute  # imports torch: only a command that trains pays for it

    counts_from_args(args)  # --seeds within the bounds every face declares
    print(f"{os.cpu_count()} CPU cores; {args.seeds} seeds; epochs: {args.epochs or 'as the report preset'}; "
          f"patience: {args.patience if args.patience is not None else 'as the report preset'}; "
          f"runs in {store.root}", flush=True)
    trained: dict[str, tuple[Run, str]] = {}  # the recipe and seed as JSON -> its run and outcome
    for name in args.comparison or sorted(COMPARISONS):
        task, metric, variants = COMPARISONS[name]
        group = new_group_id()
        runs: dict[str, list[Run]] = {variant: [] for variant in variants}
        started = time.perf_counter()
        for seed in range(args.seeds):
            for variant, (model, _number) in variants.items():
                config = seeded(build_config(task, "report", {"model": model, "train": _train_overrides(args)},
                                             group=group), seed)
                recipe = json.dumps({**config.to_dict(), "group": None}, sort_keys=True, default=str)
                if recipe not in trained:
                    run = store.create(config)
                    run_started = time.perf_counter()
                    trained[recipe] = run, execute(run, stream=io.StringIO(), install_signals=False)
                    print(f"  {name} {variant} seed {config.train.seed}: {trained[recipe][1]} in "
                          f"{(time.perf_counter() - run_started) / 60:.1f} min", flush=True)
                else:
                    print(f"  {name} {variant} seed {config.train.seed}: trained above", flush=True)
                runs[variant].append(trained[recipe][0])
        print(f"\nreport {name}: {task}, test {metric}, {args.seeds} seeds, "
              f"{(time.perf_counter() - started) / 60:.0f} min")
        for line in comparison_lines(runs, variants, metric):
            print(line)
        print(f"  group {group} in {store.root}")
    return exit_status([outcome for _run, outcome in trained.values()])


def comparison_lines(runs: dict[str, list[Run]], variants: dict, metric: str) -> list[str]:
    """The table (variant, the report's number, mean ± std over the seeds, each seed's score) and the verdicts."""
    lines = [f"{'variant':10} {'report':>8} {'rnnkit mean ± std':>20}   per seed"]
    for variant, (_model, number) in variants.items():
        values = [run.metrics("test")[-1]["test"][metric] for run in runs[variant] if run.metrics("test")]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        shown = f"{statistics.mean(values):.4f} ± {spread:.4f}" if values else "-"
        report = f"{number:.4f}" if number is not None else "-"
        lines.append(f"{variant:10} {report:>8} {shown:>20}   {' '.join(f'{value:.4f}' for value in values)}")
    groups = seeds.variants([run for members in runs.values() for run in members])
    lines += ["  " + verdict_sentence(verdict, metric) for verdict in seeds.seed_verdicts(groups, metric)]
    return lines


def _train_overrides(args: argparse.Namespace) -> dict:
    train: dict = {"epochs": args.epochs} if args.epochs else {}
    if args.patience is not None:
        train["patience"] = args.patience
    if args.dry_run:
        train["dry_run"] = True
    return train


COMMANDS = {  # name -> (adds its flags, runs it); the one-line helps are in rnnkit.cli.parser
    "reproduce": (add_reproduce, command_reproduce),
}
