"""The lab reports' comparisons, reproduced with seeds: the report's single number beside rnnkit's
mean ± std over seeds, for each architecture the report compared.

    python benchmarks/reproduce.py --comparison 004 --seeds 2 --epochs 2     # shopping, reduced
    python benchmarks/reproduce.py --comparison 000 --seeds 3                # IMDB LSTM vs GRU, full

Every comparison runs its task's `report` preset (the report's recipe); --epochs shortens it and
--patience stops a run early (say so when you quote the numbers). All runs of one comparison form
one group in --checkpoints-dir (a temporary folder by default), trained one after the other in this
process, so Compare shows the group with its verdict afterwards. A variant that another comparison
of the same invocation already trained with the same recipe and seed (000's and 002's LSTM) is not
trained twice: its runs stay in the first comparison's group and are counted in both tables.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from rnnkit.analysis import seeds
from rnnkit.data.presets import build_config, seeded
from rnnkit.runs.store import RunStore, new_group_id
from rnnkit.ui.seeds import verdict_sentence
from rnnkit.worker.execute import execute

COMPARISONS = {  # report -> task, metric, variants: name -> (model overrides, the report's number)
    "000": ("imdb", "accuracy", {"lstm": ({"arch": "lstm"}, 0.8262), "gru": ({"arch": "gru"}, 0.8438)}),
    "002": ("imdb", "accuracy", {"lstm": ({"arch": "lstm"}, 0.8145),
                                 "reslstm": ({"arch": "reslstm", "impl": "scratch"}, 0.8030)}),
    "004": ("shopping", "macro_f1", {"rnn": ({"arch": "rnn"}, 0.7198), "gru": ({"arch": "gru"}, 0.8123),
                                     "lstm": ({"arch": "lstm"}, 0.8308),
                                     "bilstm": ({"arch": "lstm", "bidirectional": True}, None)}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comparison", choices=sorted(COMPARISONS), action="append", default=None,
                        help="which report's comparison (repeat; default: all)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=None, help="fewer epochs than the report's recipe")
    parser.add_argument("--patience", type=int, default=None,
                        help="early stopping: epochs without a better validation score")
    parser.add_argument("--checkpoints-dir", default=None)
    args = parser.parse_args()
    store = RunStore(args.checkpoints_dir or tempfile.mkdtemp(prefix="reproduce-"))
    print(f"{os.cpu_count()} CPU cores; {args.seeds} seeds; epochs: {args.epochs or 'as the report preset'}; "
          f"patience: {args.patience if args.patience is not None else 'as the report preset'}", flush=True)
    trained: dict[str, object] = {}  # the recipe and seed as JSON -> its run
    for name in args.comparison or sorted(COMPARISONS):
        task, metric, variants = COMPARISONS[name]
        group = new_group_id()
        runs: dict[str, list] = {variant: [] for variant in variants}
        started = time.perf_counter()
        for seed in range(args.seeds):
            for variant, (model, _number) in variants.items():
                train = {"epochs": args.epochs} if args.epochs else {}
                if args.patience is not None:
                    train["patience"] = args.patience
                config = seeded(build_config(task, "report", {"model": model, "train": train}, group=group), seed)
                recipe = json.dumps({**config.to_dict(), "group": None}, sort_keys=True, default=str)
                if recipe in trained:
                    print(f"  {name} {variant} seed {config.train.seed}: trained above", flush=True)
                    runs[variant].append(trained[recipe])
                    continue
                run = store.create(config)
                run_started = time.perf_counter()
                state = execute(run, stream=io.StringIO(), install_signals=False)
                print(f"  {name} {variant} seed {config.train.seed}: {state} in "
                      f"{(time.perf_counter() - run_started) / 60:.1f} min", flush=True)
                trained[recipe] = run
                runs[variant].append(run)
        minutes = (time.perf_counter() - started) / 60
        print(f"\nreport {name}: {task}, test {metric}, {args.seeds} seeds, {minutes:.0f} min")
        print(f"{'variant':10} {'report':>8} {'rnnkit mean ± std':>20}   per seed")
        for variant, (_model, number) in variants.items():
            values = [run.metrics("test")[-1]["test"][metric] for run in runs[variant] if run.metrics("test")]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            shown = f"{statistics.mean(values):.4f} ± {spread:.4f}" if values else "-"
            report = f"{number:.4f}" if number is not None else "-"
            print(f"{variant:10} {report:>8} {shown:>20}   {' '.join(f'{value:.4f}' for value in values)}")
        groups = seeds.variants([run for members in runs.values() for run in members])
        for verdict in seeds.seed_verdicts(groups, metric):
            print("  " + verdict_sentence(verdict, metric))
        print(f"  group {group} in {store.root}")


if __name__ == "__main__":
    main()
