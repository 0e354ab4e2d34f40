"""Run folders -> the frames and records the charts draw: curves per step and per epoch, confusion
matrices, calibration bins, the weather baselines, and the metrics as CSV. Colours are the cells' own.
"""
from __future__ import annotations

import io
from typing import Any

import pandas as pd

from rnnkit.analysis.reports import arch_of, run_label
from rnnkit.config.options import declared
from rnnkit.core.metrics import best_epoch_record
from rnnkit.data.tasks import get_task
from rnnkit.model.cells import CELLS
from rnnkit.runs.folder import Run, RunError

UNKNOWN_COLOUR = "#7f7f7f"


def arch_colour(arch: str) -> str:
    """The architecture's own colour (declared by its cell class), the same on every chart and page."""
    return CELLS[arch].colour if arch in CELLS else UNKNOWN_COLOUR


def run_colour(run: Run) -> str:
    return arch_colour(arch_of(run))


MAX_STEP_POINTS = 1500  # per run on a chart: a screen shows no more, and a browser draws fast


def step_frame(runs: list[Run], language: str = "en") -> pd.DataFrame:
    """Step-level training loss: x = epochs elapsed (fractional), so curves move within an epoch.
    A long run is thinned to at most `MAX_STEP_POINTS` evenly spaced points (the newest always kept)."""
    rows = []
    for run in runs:
        label = run_label(run, language)
        records = run.metrics("step")
        if len(records) > MAX_STEP_POINTS:
            stride = -(-len(records) // MAX_STEP_POINTS)
            records = records[::-1][::stride][::-1]
        for record in records:
            rows.append({"run": run.run_id, "label": label, "arch": arch_of(run),
                         "epoch": record["epoch"] - 1 + record["step"] / record["steps_per_epoch"],
                         "loss": record["loss"]})
    return pd.DataFrame(rows, columns=["run", "label", "arch", "epoch", "loss"])


def epoch_frame(runs: list[Run], language: str = "en") -> pd.DataFrame:
    """Per-epoch scalars: train_/val_ loss and the job's metrics."""
    rows = []
    for run in runs:
        label = run_label(run, language)
        for record in run.metrics("epoch"):
            row = {"run": run.run_id, "label": label, "arch": arch_of(run), "epoch": record["epoch"],
                   "seconds": record["epoch_seconds"], "best": record["epoch"] == record["best_epoch"]}
            for split, key in (("train", "train"), ("val", "validation")):
                for name, value in record[key].items():
                    if isinstance(value, (int, float)):
                        row[f"{split}_{name}"] = value
            rows.append(row)
    return pd.DataFrame(rows)


def confusion(run: Run, epoch: int | None = None) -> tuple[list[list[int]], list[str], dict] | None:
    """(matrix, class names, per-class metrics) of the validation split at `epoch` (default: best)."""
    records = run.metrics("epoch")
    if not records or "confusion_matrix" not in records[-1]["validation"]:
        return None
    record = (next((r for r in records if r["epoch"] == epoch), records[-1]) if epoch
              else best_epoch_record(records))
    names = class_names(run, len(record["validation"]["confusion_matrix"]))
    return record["validation"]["confusion_matrix"], names, record["validation"]["per_class"]


def class_names(run: Run, count: int) -> list[str]:
    """Class names from the run's start record, else 0..count-1."""
    starts = run.metrics("start")
    names = starts[-1]["spec"].get("class_names", []) if starts else []
    return list(names) if len(names) == count else [str(index) for index in range(count)]


def test_calibration(run: Run) -> dict | None:
    """The reliability bins and ECE of a finished classification run's test split (None: not recorded)."""
    tests = run.metrics("test")
    found = tests[-1]["test"].get("calibration") if tests else None
    if not isinstance(found, dict) or not all(isinstance(found.get(key), list) for key in
                                              ("count", "confidence", "accuracy")):
        return None
    return found if isinstance(found.get("ece"), (int, float)) else None


def reliability_rows(runs: list[Run], language: str = "en") -> list[tuple[str, str, dict]]:
    """(label, arch, test calibration) of every run that recorded one: the reliability diagram's input.
    A run calibrated after training (rnnkit.training.posthoc) adds a second row, 'label · T=1.23', marked
    `calibrated`: the same test predictions with the fitted temperature."""
    rows = []
    for run in runs:
        found = test_calibration(run)
        if not found:
            continue
        rows.append((run_label(run, language), arch_of(run), found))
        posthoc = run.metrics("posthoc")
        if posthoc and "ece_calibrated_bins" in posthoc[-1]["test"]:
            rows.append((f"{run_label(run, language)} · T={posthoc[-1]['temperature']:.2f}", arch_of(run),
                         {**posthoc[-1]["test"]["ece_calibrated_bins"], "calibrated": True}))
    return rows


def baselines(run: Run, split: str = "validation") -> dict[str, dict[str, float]]:
    """Baseline metrics (name -> metrics) a regression run recorded for `split`."""
    records = run.metrics("start")
    return records[-1]["baselines"].get(split, {}) if records else {}


def run_settings(run: Run) -> dict[str, Any]:
    """Every option of the run as flat columns (task.*, model.*, train.* with the seed), plus group
    and kind: what a spreadsheet needs to tell runs apart. Paths on the server (a user's uploaded
    file) are left out: the table is shared with the whole class."""
    try:
        config = run.config()
    except RunError:
        return {}
    document = config.to_dict()
    paths = {item.name for item, declaration in declared(get_task(config.task.name).Options) if declaration.path}
    flat: dict[str, Any] = {"task": document["task"]["name"], "group": document["group"],
                            "kind": document.get("kind", "") or "comparison"}
    flat.update({f"task.{name}": value for name, value in document["task"]["options"].items() if name not in paths})
    for section in ("model", "train"):
        flat.update({f"{section}.{name}": value for name, value in document[section].items()})
    return flat


def metrics_csv(runs: list[Run]) -> str:
    """All epoch records of `runs` as CSV, one row per run and epoch: the epoch's metrics, the run's
    test scores (on every row of the run) and every option, the seed among them."""
    frame = epoch_frame(runs)
    if not frame.empty:
        extra = {}
        for run in runs:
            tests = run.metrics("test")
            scores = {f"test_{name}": value for name, value in (tests[-1]["test"].items() if tests else ())
                      if isinstance(value, (int, float)) and not isinstance(value, bool)}
            extra[run.run_id] = {**scores, **run_settings(run)}
        columns = sorted({column for values in extra.values() for column in values})
        for column in columns:
            frame[column] = [extra.get(run_id, {}).get(column) for run_id in frame["run"]]
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue()
