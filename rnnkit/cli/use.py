"""Using trained models from the command line: `eval`, `predict` and `inside`.

    python -m rnnkit predict demo:names-lstm Nakamura Dvořák 王      # one line per input
    python -m rnnkit predict RUN --examples 5                         # synthetic and weather tasks
    python -m rnnkit predict demo:poems-lstm --start 春风 --samples 3   # poems
    ... --json                                                        # the same as JSON
    python -m rnnkit inside demo:names-lstm --text Nakamura            # gradients, gates, attributions
    python -m rnnkit inside RUN --example 3 --json                     # (the Inside page's data)

A run is named by its id, or a shipped demo as `demo:NAME`. An input the model cannot read is
reported on its own line; the others are still predicted (exit status 1 if any input failed).
"""
from __future__ import annotations

import argparse
import sys

import torch

from rnnkit.analysis.ensemble import evaluate_ensembles
from rnnkit.analysis.inference import Predictor, evaluate_run
from rnnkit.analysis.inside import inspect
from rnnkit.cli.flags import add_count_flag, counts_from_args
from rnnkit.cli.help_text import examples
from rnnkit.cli.runs import find
from rnnkit.cli.summary import ensemble_lines, eval_lines
from rnnkit.cli.terminal import json_text, shown
from rnnkit.data.tasks.poems import as_lines, check_poem
from rnnkit.runs.store import RunError, RunStore


def add_eval(evaluate: argparse.ArgumentParser) -> None:
    evaluate.epilog = examples("python -m rnnkit eval RUN --split validation --checkpoint last",
                               "python -m rnnkit eval GROUP --ensemble      # probabilities averaged per architecture")
    evaluate.add_argument("run_id", help="run to evaluate (or demo:NAME); with --ensemble a group id")
    evaluate.add_argument("--split", choices=("test", "validation", "train"), default="test", help="which split")
    evaluate.add_argument("--checkpoint", choices=("best", "last"), default="best", help="which checkpoint")
    evaluate.add_argument("--ensemble", action="store_true",
                          help="the group's runs of each architecture predict together (probabilities averaged): "
                               "the ensemble's scores beside the members' mean and the best member, chosen by "
                               "best-epoch validation score (its --split score shown for the record)")
    evaluate.add_argument("--json", action="store_true",
                          help="print every number as JSON (per-class lists, the confusion matrix, calibration bins) "
                               "instead of the summary")


def command_eval(args: argparse.Namespace, store: RunStore) -> int:
    if args.ensemble:
        runs = store.runs(group=args.run_id)
        if not runs:
            raise RunError(f"no group {args.run_id!r} in {store.root}; `python -m rnnkit runs` shows the groups")
        results = evaluate_ensembles(runs, split=args.split, progress=_to_stderr)
        _print_json_or_lines(args, results, lambda: ensemble_lines(results, args.split))
        return 0
    from rnnkit.analysis.frames import class_names
    from rnnkit.analysis.reports import chance_accuracy

    run = find(store, args.run_id)
    metrics = evaluate_run(run, split=args.split, checkpoint=args.checkpoint, progress=_to_stderr)
    starts = run.metrics("start")
    spec = starts[-1].get("spec", {}) if starts else {}
    count = len(metrics["per_class"]["support"]) if isinstance(metrics.get("per_class"), dict) else 0
    _print_json_or_lines(args, metrics, lambda: eval_lines(
        args.run_id, metrics, args.split, args.checkpoint, spec.get("selection_metric", ""),
        class_names(run, count) if count else None, chance_accuracy(run)))
    return 0


def _print_json_or_lines(args: argparse.Namespace, document: dict, lines) -> None:
    """--json: the document as JSON; otherwise the summary lines (`lines()`), control characters escaped."""
    if args.json:
        print(json_text(document))
    else:
        print("\n".join(shown(line) for line in lines()))


def _to_stderr(text: str) -> None:
    """Progress of a command whose standard output is JSON: on standard error, so the JSON stays parseable."""
    print(text, file=sys.stderr, flush=True)


def add_predict(predict: argparse.ArgumentParser) -> None:
    predict.description = ("Run a trained model (a run id, or a shipped demo as demo:NAME) on your own inputs: one "
                           "readable line per input. An input the model cannot read gets its own error line and the "
                           "others are still predicted (exit status 1). Options may come before or after the inputs.")
    predict.epilog = examples(
        "python -m rnnkit predict demo:names-lstm Nakamura Dvořák 王          # one line per input",
        "python -m rnnkit predict demo:names-lstm --decision balanced Nguyen  # rare classes get a fair chance",
        "python -m rnnkit predict RUN --examples 5                            # synthetic and weather tasks",
        "python -m rnnkit predict demo:poems-lstm --start 春风 --samples 3    # poems",
        "python -m rnnkit predict demo:imdb-gru \"a wonderful film\" --json     # JSON for scripts")
    predict.add_argument("run_id", help="run to use, or a shipped demo model as demo:NAME (e.g. demo:names-lstm)")
    predict.add_argument("inputs", nargs="*", help="texts or names to classify")
    add_count_flag(predict, "examples")
    predict.add_argument("--json", action="store_true", help="print JSON instead of readable lines")
    predict.add_argument("--decision", choices=("likely", "balanced"), default="likely",
                         help="classifiers: the most likely class (calibrated probabilities), or the balanced "
                              "decision that gives rare classes a fair chance (logit adjustment, tau fitted on "
                              "validation); default likely")
    poems = predict.add_argument_group("poems (language models)")
    poems.add_argument("--start", default="", help="starting phrase")
    poems.add_argument("--acrostic", default="", help="first character of each line (藏头诗)")
    add_count_flag(poems, "samples")  # these bounds are the Playground's too (rnnkit.config.counts)
    add_count_flag(poems, "temperature", "sampling temperature: lower is safer, higher more surprising (default "
                                         "0.7)")
    add_count_flag(poems, "top_k")
    add_count_flag(poems, "line_length", "5 or 7 characters per line (0, the default: as trained)")
    poems.add_argument("--rule", action="store_true", help="place the punctuation by rule")
    add_count_flag(poems, "sampling_seed")


def command_predict(args: argparse.Namespace, store: RunStore) -> int:
    counts_from_args(args)  # NaN, a negative top-k, 10**10 examples: one line, before the model loads
    predictor = Predictor.from_run(find(store, args.run_id))
    if predictor.spec.job == "language_model":
        rows = _poems(predictor, args)
        if rows[0]["replaced"] and not args.json:  # said once, as the Playground does
            print(shown(replaced_note(rows[0]["replaced"])))
    elif args.examples:
        rows = predictor.predict_examples(args.examples, decision=args.decision)
    else:
        rows = predictor.predict(args.inputs, strict=False, decision=args.decision)
    if args.json:
        print(json_text(rows))
    else:
        for row in rows:
            print(shown(_line(row, predictor.spec.unit), keep="\n"))
    return 1 if any("error" in row for row in rows) else 0


def _poems(predictor, args) -> list[dict]:
    if args.inputs or args.examples:
        raise ValueError("a poem model takes --start, --acrostic and --samples, not inputs or --examples")
    trained = predictor.artifacts.get("line_lengths") or [5, 7]
    line_length = args.line_length or trained[0]
    generator = torch.Generator().manual_seed(args.sampling_seed)
    rows, replaced = [], []
    for number in range(args.samples):
        poem = predictor.generate(start=args.start, acrostic=args.acrostic, line_length=line_length,
                                  temperature=args.temperature, top_k=args.top_k,
                                  enforce_form=args.rule, generator=generator,
                                  replaced=replaced if number == 0 else None)
        good, why = check_poem(poem, line_length)
        rows.append({"poem": poem, "lines": as_lines(poem).split("\n"), "well_formed": good, "check": why,
                     "replaced": [list(pair) for pair in replaced]})
    return rows


def _line(row: dict, unit: str) -> str:
    """One readable line (or block) per result."""
    if "poem" in row:
        return "\n".join(row["lines"]) + f"\n  ({row['check']})\n"
    head = f"{row['input']} → " if "input" in row else ""
    if "error" in row:
        return f"{head}error: {row['error']}"
    note = f"  ({replaced_note(row['replaced'])})" if row.get("replaced") else ""
    if "top" in row:
        first, *others = row["top"]
        rest = ", ".join(f"{other['label']} {other['probability']:.1%}" for other in others)
        truth = f"; truth {row['target']}" if "target" in row else ""
        return f"{head}{first['label']} {first['probability']:.1%}" + (f" ({rest})" if rest else "") + truth + note
    values = row["prediction"]
    shown = ", ".join(f"{value:.2f}" for value in values[:6]) + (" ..." if len(values) > 6 else "")
    text = f"{head}prediction {shown} {unit}".rstrip()
    if "target" in row:
        error = sum(abs(p - t) for p, t in zip(values, row["target"])) / len(values)
        text += f"; mean absolute error against the truth {error:.3f} {unit}".rstrip()
    return text


def replaced_note(pairs: list) -> str:
    """What the model read differently, in the Playground's words: 'the model never saw some characters; they
    were read as: 风 → 風' (simplified to traditional for poems, folded letters for names)."""
    return "the model never saw some characters; they were read as: " + ", ".join(
        f"{source} → {target}" for source, target in pairs)


def add_inside(inside: argparse.ArgumentParser) -> None:
    inside.description = ("For one input: ||dL/dh_t|| per step (top layer; against the truth for an example, else "
                          "the model's own answer), every gate's mean per step, the PCA path of h_t, and "
                          "integrated-gradients attributions per step. Readable summary, or everything with --json.")
    inside.epilog = examples("python -m rnnkit inside demo:names-lstm --text Nakamura",
                             "python -m rnnkit inside RUN --example 3 --json      # recall, adding, weather")
    inside.add_argument("run_id", help="run to look into, or a shipped demo model as demo:NAME")
    source = inside.add_mutually_exclusive_group()
    source.add_argument("--text", default=None, help="a text, name or poem line (default: the task's example)")
    source.add_argument("--example", type=int, default=None, help="a ready-made example by number (recall, "
                        "adding, weather)")
    inside.add_argument("--json", action="store_true", help="print every number as JSON")


def command_inside(args: argparse.Namespace, store: RunStore) -> int:
    predictor = Predictor.from_run(find(store, args.run_id))
    report = inspect(predictor, text=args.text, example=args.example)
    if args.json:
        print(json_text(report, indent=1))
        return 0
    steps = report["steps"]
    print(f"{report['arch']}: {len(steps)} steps; {report['output']}")
    gradient = report["gradient"]["h"]
    print(f"||dL/dh_t|| at step 1: {gradient[0]:.3e}, at the last step: {gradient[-1]:.3e} "
          f"(ratio {report['gradient_ratio']:.2e})")
    for gate, means in report["gate_means"].items():
        print(f"mean {gate:9} first {means[0]:+.3f}  last {means[-1]:+.3f}  lowest {min(means):+.3f}")
    if report.get("attribution"):
        ranked = sorted(zip(steps, report["attribution"]["per_step"]), key=lambda pair: -abs(pair[1]))[:5]
        print("attribution (top 5 steps): " + ", ".join(f"{step} {score:+.3f}" for step, score in ranked))
    return 0


COMMANDS = {  # name -> (adds its flags, runs it); the one-line helps are in rnnkit.cli.parser
    "eval": (add_eval, command_eval),
    "predict": (add_predict, command_predict),
    "inside": (add_inside, command_inside),
}
