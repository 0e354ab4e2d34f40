"""Results for other tools and readers: `report`, `export` and `calibrate`.

    python -m rnnkit report GROUP --html report.html        # one offline HTML file: figures and tables
    python -m rnnkit export GROUP --tensorboard tb/         # TensorBoard event files
    python -m rnnkit calibrate demo:names-lstm              # post-hoc fit of a run trained before it existed

A reference is a run id or a group id (`report`, `export`); `calibrate` takes a run or `demo:NAME`.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from rnnkit.cli.help_text import examples
from rnnkit.cli.runs import find
from rnnkit.core.files import write_atomic
from rnnkit.runs.store import RunError, RunStore


def add_report(report: argparse.ArgumentParser) -> None:
    report.description = ("A run or a comparison group as one HTML file that opens offline: the runs table, the "
                          "curves, the winner or the verdict over seeds, calibration and confusion matrices.")
    report.epilog = examples("python -m rnnkit report GROUP --html report.html",
                             "python -m rnnkit runs          # lists the groups")
    report.add_argument("reference", help="a run id or a group id")
    report.add_argument("--html", required=True, metavar="FILE", help="where to write the report")


def command_report(args: argparse.Namespace, store: RunStore) -> int:
    from rnnkit.analysis.html_report import html_report  # plotly; no streamlit
    from rnnkit.analysis.matching import matching_notes
    from rnnkit.analysis.vocabulary import perplexity_note

    runs = _run_or_group(store, args.reference)
    document = html_report(runs, f"rnnkit: {args.reference}")
    write_atomic(Path(args.html), lambda handle: handle.write(document.encode("utf-8")))
    print(f"wrote {args.html} ({len(runs)} run(s), {len(document) / 1e6:.1f} MB)")
    for note in filter(None, [*matching_notes(runs), perplexity_note(runs)]):
        print(f"note: {note}")
    return 0


def add_export(export: argparse.ArgumentParser) -> None:
    export.description = ("TensorBoard event files (scalars per step and epoch, hparams, the confusion matrix as an "
                          "image, the learned embedding for the projector) of a run or of every run of a group.")
    export.epilog = examples("python -m rnnkit export GROUP --tensorboard tb/",
                             "tensorboard --logdir tb/")
    export.add_argument("reference", help="a run id or a group id")
    export.add_argument("--tensorboard", required=True, metavar="DIR", help="folder for the event files "
                        "(then: tensorboard --logdir DIR)")


def command_export(args: argparse.Namespace, store: RunStore) -> int:
    from rnnkit.analysis.export import export_tensorboard

    runs = _run_or_group(store, args.reference)
    for folder in export_tensorboard(runs, Path(args.tensorboard)):
        print(f"wrote {folder}")
    print(f"view them with: tensorboard --logdir {args.tensorboard}")
    return 0


def add_calibrate(calibrate: argparse.ArgumentParser) -> None:
    calibrate.add_argument("run_id", help="run to calibrate, or a shipped demo model as demo:NAME")


def command_calibrate(args: argparse.Namespace, store: RunStore) -> int:
    from rnnkit.analysis.calibrate import calibrate_run

    run = find(store, args.run_id)
    result = calibrate_run(run)
    test = result["test"]
    print(f"{run.run_id}: temperature {result['temperature']:.3f}; test ECE {test['ece']:.4f} -> "
          f"{test['ece_calibrated']:.4f}, NLL {test['nll']:.4f} -> {test['nll_calibrated']:.4f}; balanced decision "
          f"tau {result['tau']:g}: test accuracy {test['balanced']['accuracy']:.4f}, "
          f"macro-F1 {test['balanced']['macro_f1']:.4f}")
    return 0


def _run_or_group(store: RunStore, reference: str) -> list:
    try:
        return [store.get(reference)]
    except RunError:
        runs = store.runs(group=reference)
        if not runs:
            raise RunError(f"no run or group {reference!r} in {store.root}; `python -m rnnkit runs` "
                           "lists them") from None
        return runs


COMMANDS = {  # name -> (adds its flags, runs it); the one-line helps are in rnnkit.cli.parser
    "report": (add_report, command_report),
    "export": (add_export, command_export),
    "calibrate": (add_calibrate, command_calibrate),
}
