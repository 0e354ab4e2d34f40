"""Results that leave the app: TensorBoard event files of runs (`python -m rnnkit export ... --tensorboard DIR`).

Per run, a folder `DIR/<run_id>/` with:
    scalars      loss/train at every logged step; <metric>/train and <metric>/validation per epoch;
                 test/<metric> at the last epoch
    hparams      the run's model and training options with its best validation and test scores
    images       the validation confusion matrix of the best epoch (rows: truth, brighter = more)
    embeddings   the learned token embedding of best.pt with its vocabulary (TensorBoard's projector)

`tensorboard --logdir DIR` shows them. Only the run folders are read; nothing is trained.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterable

import numpy as np

from rnnkit.core.metrics import best_epoch_record
from rnnkit.runs.store import Run, RunError

MAX_EMBEDDING_ROWS = 5000  # the projector gets slow beyond this; the most frequent tokens come first
CELL_PIXELS = 12


def confusion_image(matrix: list[list[int]]) -> np.ndarray:
    """The confusion matrix as a greyscale image (H x W, values 0-1), rows normalised, each cell a block."""
    values = np.asarray(matrix, dtype=np.float64)
    totals = values.sum(axis=1, keepdims=True)
    normalised = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
    return np.kron(normalised, np.ones((CELL_PIXELS, CELL_PIXELS))).astype(np.float32)


def _hparams(run: Run) -> dict:
    config = run.config()
    values = {"task": config.task.name, "seed": config.train.seed}
    for section, part in (("model", config.model), ("train", config.train)):
        for name, value in dataclasses.asdict(part).items():
            if isinstance(value, (bool, int, float, str)):
                values[f"{section}.{name}"] = value
    return values


def export_run(run: Run, folder: Path) -> Path:
    """Write one run's event files under `folder/<run_id>`; returns that folder."""
    from torch.utils.tensorboard import SummaryWriter

    target = folder / run.run_id
    epochs, steps, tests = run.metrics("epoch"), run.metrics("step"), run.metrics("test")
    with SummaryWriter(log_dir=str(target)) as writer:
        for record in steps:
            global_step = (record["epoch"] - 1) * record["steps_per_epoch"] + record["step"]
            writer.add_scalar("loss/train", record["loss"], global_step)
        for record in epochs:
            for split, name in (("train", "train"), ("validation", "validation")):
                for metric, value in record[split].items():
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        writer.add_scalar(f"{metric}/{name}", value, record["epoch"])
        final: dict[str, float] = {}
        if tests:
            for metric, value in tests[-1]["test"].items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    writer.add_scalar(f"test/{metric}", value, tests[-1]["epoch"])
                    final[f"test/{metric}"] = float(value)
        if epochs:
            best = best_epoch_record(epochs)
            matrix = best["validation"].get("confusion_matrix")
            if isinstance(matrix, list) and matrix:
                writer.add_image("confusion/validation", confusion_image(matrix), best["epoch"], dataformats="HW")
            if isinstance(best.get("best_value"), (int, float)):
                final[f"best_validation/{best['monitor']}"] = float(best["best_value"])
        writer.add_hparams(_hparams(run), final or {"epochs_done": float(len(epochs))}, run_name="hparams")
        _embedding(run, writer)
    return target


def _embedding(run: Run, writer) -> None:
    from rnnkit.training.checkpoint import CheckpointError, load_checkpoint

    if not run.best_path.exists():
        return
    try:
        checkpoint = load_checkpoint(run.best_path)
    except CheckpointError:
        return
    weights = checkpoint.get("model", {}).get("encoder.weight")
    vocabulary = (checkpoint.get("artifacts") or {}).get("vocabulary")
    if weights is None or not isinstance(vocabulary, list) or weights.ndim != 2:
        return
    rows = min(len(vocabulary), weights.shape[0], MAX_EMBEDDING_ROWS)
    labels = [str(token).replace("\t", " ").replace("\n", " ") or "<empty>" for token in vocabulary[:rows]]
    writer.add_embedding(weights[:rows].float(), metadata=labels, tag="embedding/learned")


def export_tensorboard(runs: Iterable[Run], folder: Path) -> list[Path]:
    """Event files for every run; a run that cannot be read is reported, the others are still written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written, problems = [], []
    for run in runs:
        try:
            written.append(export_run(run, folder))
        except (RunError, ValueError, KeyError, TypeError) as error:
            problems.append(f"{run.run_id}: {error}")
    if problems and not written:
        raise RunError("nothing to export: " + "; ".join(problems))
    return written
