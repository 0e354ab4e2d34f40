"""Command line: `python -m rnnkit train|runs|stop|resume|eval|predict|presets`.

This is an edge of the program: flags become configs here and nowhere else. Every flag has help;
every bad value ends with a one-line message that says what is allowed (exit status 2).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime
from typing import Any, Sequence

from rnnkit.config import ARCHITECTURES, DEVICES, GATE_INITS, IMPLEMENTATIONS, OPTIMIZERS, POOLINGS
from rnnkit.presets import build_config, preset_names
from rnnkit.runs import RunError, RunStore, parallel_threads
from rnnkit.tasks import TASK_NAMES

# flag destination -> (config section, field)
CONFIG_FLAGS = {
    "data_dir": ("task", "data_dir"), "sequence_length": ("task", "sequence_length"),
    "num_samples": ("task", "num_samples"), "max_length": ("task", "max_length"),
    "vocab_size": ("task", "vocab_size"), "class_weighted": ("task", "class_weighted"),
    "freeze_embeddings": ("task", "freeze_embeddings"), "source": ("task", "source"),
    "text_column": ("task", "text_column"), "label_column": ("task", "label_column"),
    "line_length": ("task", "line_length"), "word_vector_size": ("task", "word_vector_size"),
    "hidden_size": ("model", "hidden_size"), "num_layers": ("model", "num_layers"),
    "bidirectional": ("model", "bidirectional"), "dropout": ("model", "dropout"),
    "embedding_size": ("model", "embedding_size"), "pooling": ("model", "pooling"),
    "gate_init": ("model", "gate_init"),
    "epochs": ("train", "epochs"), "batch_size": ("train", "batch_size"), "optimizer": ("train", "optimizer"),
    "learning_rate": ("train", "learning_rate"), "weight_decay": ("train", "weight_decay"),
    "gradient_clip": ("train", "gradient_clip"), "patience": ("train", "patience"), "seed": ("train", "seed"),
    "device": ("train", "device"), "amp": ("train", "amp"), "log_every_steps": ("train", "log_every_steps"),
    "num_threads": ("train", "num_threads"), "dry_run": ("train", "dry_run"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rnnkit", description="Train, watch and compare recurrent networks.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--checkpoints-dir", default=None, help="folder of run folders (default: $RNNKIT_CHECKPOINTS_DIR or ./checkpoints)")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    class Commands:  # every subcommand takes the common options
        @staticmethod
        def add_parser(name, **kwargs):
            return subparsers.add_parser(name, parents=[common], **kwargs)

    commands = Commands()

    train = commands.add_parser("train", help="train one run per architecture", description="Train a model; several --arch values start one run each, as one comparison group.")
    train.add_argument("--task", choices=TASK_NAMES, default="recall", help="what to learn (default: recall)")
    train.add_argument("--arch", default="lstm", help=f"architecture(s), comma-separated: {', '.join(ARCHITECTURES)} (default: lstm)")
    train.add_argument("--impl", choices=IMPLEMENTATIONS, default=None, help="fused: torch's nn.LSTM etc.; scratch: rnnkit's hand-written cells (default: fused; scratch for reslstm)")
    train.add_argument("--preset", default=None, help="named hyperparameters for the task: quick, report, best (default: quick); 'none' for plain defaults")
    train.add_argument("--group", default=None, help="comparison group id shared by the runs (default: new id when several archs)")
    train.add_argument("--detach", action="store_true", help="start the runs as background processes and return at once")
    train.add_argument("--run-id", action="append", default=None,
                       help="train an existing queued run folder (what background workers use); repeat to train several at once")
    train.add_argument("--resume", action="store_true", help=argparse.SUPPRESS)
    data = train.add_argument_group("data")
    data.add_argument("--data-dir", default=None, help="folder with the task's data files (default: $RNNKIT_DATA_DIR, then the download cache)")
    data.add_argument("--sequence-length", type=int, default=None, help="synthetic tasks: time steps T")
    data.add_argument("--num-samples", type=int, default=None, help="synthetic tasks: sequences generated")
    data.add_argument("--max-length", type=int, default=None, help="text tasks: tokens kept per text")
    data.add_argument("--vocab-size", type=int, default=None, help="text tasks: vocabulary size")
    data.add_argument("--class-weighted", action=argparse.BooleanOptionalAction, default=None, help="weight the loss by inverse class frequency")
    data.add_argument("--freeze-embeddings", action=argparse.BooleanOptionalAction, default=None, help="keep pretrained embeddings fixed")
    data.add_argument("--source", default=None, help="task data variant (weather: beijing|jena; csv: path of the CSV file)")
    data.add_argument("--text-column", default=None, help="csv task: text column name")
    data.add_argument("--label-column", default=None, help="csv task: label column name")
    data.add_argument("--line-length", type=int, default=None, help="poems: 5 or 7 characters per line (0: all)")
    data.add_argument("--word-vector-size", type=int, default=None, help="shopping: word2vec dimensions (= embedding width)")
    model = train.add_argument_group("model")
    model.add_argument("--hidden-size", type=int, default=None, help="units per layer and direction")
    model.add_argument("--num-layers", type=int, default=None, help="stacked recurrent layers")
    model.add_argument("--bidirectional", action=argparse.BooleanOptionalAction, default=None, help="also read sequences backwards")
    model.add_argument("--dropout", type=float, default=None, help="dropout between layers and before the head, in [0, 1)")
    model.add_argument("--embedding-size", type=int, default=None, help="token embedding width")
    model.add_argument("--pooling", choices=POOLINGS, default=None, help="classification: sequence summary")
    model.add_argument("--gate-init", choices=GATE_INITS, default=None, help="chrono: gate biases that remember across long sequences")
    optimisation = train.add_argument_group("training")
    optimisation.add_argument("--epochs", type=int, default=None, help="passes over the training data")
    optimisation.add_argument("--batch-size", type=int, default=None, help="sequences per step")
    optimisation.add_argument("--optimizer", choices=OPTIMIZERS, default=None, help="optimiser")
    optimisation.add_argument("--lr", dest="learning_rate", type=float, default=None, help="learning rate (> 0)")
    optimisation.add_argument("--weight-decay", type=float, default=None, help="weight decay (≥ 0)")
    optimisation.add_argument("--clip", dest="gradient_clip", type=float, default=None, help="max gradient norm (0: off)")
    optimisation.add_argument("--patience", type=int, default=None, help="early stopping patience in epochs (0: off)")
    optimisation.add_argument("--seed", type=int, default=None, help="seed for split, weights and batch order")
    optimisation.add_argument("--device", choices=DEVICES, default=None, help="where to train (default: auto)")
    optimisation.add_argument("--amp", action=argparse.BooleanOptionalAction, default=None, help="mixed precision on CUDA")
    optimisation.add_argument("--log-every", dest="log_every_steps", type=int, default=None, help="steps between loss points")
    optimisation.add_argument("--threads", dest="num_threads", type=int, default=None, help="CPU threads (0: torch default)")
    optimisation.add_argument("--dry-run", action="store_true", default=None, help="one epoch of two batches per split: checks the whole path")

    runs = commands.add_parser("runs", help="list runs and their state")
    runs.add_argument("--group", default=None, help="only this comparison group")
    runs.add_argument("--json", action="store_true", help="print JSON instead of a table")

    stop = commands.add_parser("stop", help="ask a running run to stop after its current batch")
    stop.add_argument("run_id", help="run to stop")
    stop.add_argument("--wait", type=float, default=0.0, help="seconds to wait until it has stopped")

    resume = commands.add_parser("resume", help="continue a stopped or interrupted run from last.pt")
    resume.add_argument("run_id", help="run to continue")
    resume.add_argument("--detach", action="store_true", help="continue in the background")

    evaluate = commands.add_parser("eval", help="evaluate a run's checkpoint on a split")
    evaluate.add_argument("run_id", help="run to evaluate")
    evaluate.add_argument("--split", choices=("test", "validation", "train"), default="test", help="which split")
    evaluate.add_argument("--checkpoint", choices=("best", "last"), default="best", help="which checkpoint")

    predict = commands.add_parser("predict", help="run a trained model on your own input")
    predict.add_argument("run_id", help="run (or demo model) to use")
    predict.add_argument("inputs", nargs="*", help="texts or names to classify, or a poem start")
    predict.add_argument("--examples", type=int, default=0, help="synthetic/forecast tasks: predict N held-out examples")

    presets = commands.add_parser("presets", help="list the presets of each task")
    presets.add_argument("--task", choices=TASK_NAMES, default=None, help="only this task")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    store = RunStore(args.checkpoints_dir)
    try:
        return COMMANDS[args.command](args, store)
    except (ValueError, RunError) as error:  # user errors: one line, no traceback
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


# ------------------------------------------------------------------------------------------ train
def parse_architectures(text: str) -> list[str]:
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in ARCHITECTURES]
    if unknown or not names:
        raise ValueError(f"unknown architecture {', '.join(unknown) or repr(text)}; valid: {', '.join(ARCHITECTURES)}")
    if len(set(names)) != len(names):
        raise ValueError(f"architecture listed twice in {text!r}")
    return names


def configs_from_args(args: argparse.Namespace) -> list:
    archs = parse_architectures(args.arch)
    available = preset_names(args.task)
    preset = args.preset if args.preset is not None else ("quick" if "quick" in available else None)
    if preset == "none":
        preset = None
    group = args.group or (f"g{datetime.now():%Y%m%d-%H%M%S}" if len(archs) > 1 else "")
    overrides: dict[str, dict[str, Any]] = {"task": {}, "model": {}, "train": {}}
    for flag, (section, name) in CONFIG_FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            overrides[section][name] = value
    for key in ("data_dir", "source"):  # a background worker may run elsewhere: store absolute paths
        value = overrides["task"].get(key)
        if value and (key == "data_dir" or os.path.exists(value)):
            overrides["task"][key] = os.path.abspath(os.path.expanduser(value))
    if args.detach and len(archs) > 1 and "num_threads" not in overrides["train"]:
        overrides["train"]["num_threads"] = parallel_threads(len(archs))
    configs = []
    for arch in archs:
        impl = args.impl or ("scratch" if arch == "reslstm" else None)
        model = {**overrides["model"], "arch": arch, **({"impl": impl} if impl else {})}
        configs.append(build_config(args.task, preset, {**overrides, "model": model}, group=group))
    return configs


def command_train(args: argparse.Namespace, store: RunStore) -> int:
    from rnnkit.runner import execute  # imports torch; keep `--help` fast

    if args.run_id:  # a launched worker (or a user) trains existing run folders
        runs = [store.get(run_id) for run_id in args.run_id]
        if len(runs) > 1 and hasattr(os, "fork"):
            from rnnkit.runner import execute_group

            return execute_group(runs, resume=args.resume)
        return 0 if all(execute(run, resume=args.resume) in ("completed", "stopped") for run in runs) else 1
    configs = configs_from_args(args)
    if args.detach:
        for run in store.start(configs):
            print(f"started {run.run_id}")
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
    from rnnkit.reports import run_summary

    rows = [run_summary(run) for run in store.runs(group=args.group)]
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
        best = f"{row['monitor']} {row['best_validation']:.4f}" if row["best_validation"] is not None else "-"
        test = row["test"].get(row["monitor"]) if row["monitor"] else None
        test_text = f"{row['monitor']} {test:.4f}" if test is not None else "-"
        print(f"{row['run_id']:44} {row['state']:11} {row['epoch']:>3}/{row['epochs']:<3} {best:>16} {test_text:>18}  {row['group']}")
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
    run = store.prepare_resume(args.run_id)
    if args.detach:
        pid = store.launch(run, extra_args=("--resume",))
        print(f"resumed {run.run_id} in the background (pid {pid})")
        return 0
    from rnnkit.runner import execute

    outcome = execute(run, resume=True)
    print(f"{run.run_id}: {outcome}")
    return 0 if outcome in ("completed", "stopped") else 1


def command_eval(args: argparse.Namespace, store: RunStore) -> int:
    from rnnkit.inference import evaluate_run

    metrics = evaluate_run(store.get(args.run_id), split=args.split, checkpoint=args.checkpoint)
    print(json.dumps(metrics, indent=2, ensure_ascii=False))
    return 0


def command_predict(args: argparse.Namespace, store: RunStore) -> int:
    from rnnkit.inference import Predictor

    predictor = Predictor.from_run(store.get(args.run_id))
    results = predictor.predict_examples(args.examples) if args.examples else predictor.predict(args.inputs)
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


def command_presets(args: argparse.Namespace, store: RunStore) -> int:
    from rnnkit.presets import get_preset

    for task in [args.task] if args.task else TASK_NAMES:
        for name in preset_names(task):
            print(f"{task:10} {name:8} {get_preset(task, name).get('description', '')}")
    return 0


COMMANDS = {
    "train": command_train, "runs": command_runs, "stop": command_stop, "resume": command_resume,
    "eval": command_eval, "predict": command_predict, "presets": command_presets,
}
