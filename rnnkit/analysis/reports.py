"""Run folders -> tables: the summaries, curves and comparisons that the CLI and the dashboard show.

Everything here reads runs through `rnnkit.runs.store`; nothing trains and nothing draws.
"""
from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd

from rnnkit.core.metrics import METRICS
from rnnkit.model.cells import CELLS
from rnnkit.runs.store import Run, RunError

UNKNOWN_COLOUR = "#7f7f7f"


def arch_colour(arch: str) -> str:
    """The architecture's own colour (declared by its cell class), the same on every chart and page."""
    return CELLS[arch].colour if arch in CELLS else UNKNOWN_COLOUR


def run_label(run: Run) -> str:
    """Short name for legends: 'lstm', 'gru bi', 'lstm scratch', ..."""
    try:
        model = run.config().model
    except RunError:
        return run.run_id
    parts = [model.arch]
    if model.bidirectional:
        parts.append("bi")
    if model.num_layers > 1:
        parts.append(f"{model.num_layers}L")
    if model.impl == "scratch" and CELLS.get(model.arch) is not None and CELLS[model.arch].fused_layer:
        parts.append("scratch")
    return " ".join(parts)


def run_colour(run: Run) -> str:
    return arch_colour(arch_of(run))


def progress(run: Run) -> dict[str, Any]:
    """Where a run is now, as fields the dashboard words in its language: state, phase, epoch and
    step, fraction done, ETA, where a resume continues, the test score when finished, errors."""
    status = run.status()
    state = status.get("state", "queued")
    epochs = int(status.get("epochs") or _safe_epochs(run))
    epoch_records = run.metrics("epoch")
    steps = run.metrics("step")
    done_epochs = epoch_records[-1]["epoch"] if epoch_records else 0
    step = steps[-1] if steps and (not epoch_records or steps[-1]["epoch"] > done_epochs) else None
    fraction = done_epochs / epochs if epochs else 0.0
    if step is not None and epochs:
        fraction = (step["epoch"] - 1 + step["step"] / step["steps_per_epoch"]) / epochs
    if state == "completed":
        fraction = 1.0
    eta = (step or (epoch_records[-1] if epoch_records else {})).get("eta_seconds")
    tests = run.metrics("test")
    return {"state": state, "phase": status.get("phase", ""), "epoch": done_epochs, "epochs": epochs,
            "step": step["step"] if step else None, "steps_per_epoch": step["steps_per_epoch"] if step else None,
            "fraction": min(max(fraction, 0.0), 1.0), "eta_seconds": eta if state == "running" else None,
            "resume_step": status.get("resume_step") or 0, "test": tests[-1]["test"] if tests else {},
            "monitor": epoch_records[-1]["monitor"] if epoch_records else "",
            "error": status.get("error", ""), "stop_reason": status.get("stop_reason", "")}


def test_calibration(run: Run) -> dict | None:
    """The reliability bins and ECE of a finished classification run's test split (None: not recorded)."""
    tests = run.metrics("test")
    found = tests[-1]["test"].get("calibration") if tests else None
    if not isinstance(found, dict) or not all(isinstance(found.get(key), list) for key in
                                              ("count", "confidence", "accuracy")):
        return None
    return found if isinstance(found.get("ece"), (int, float)) else None


def reliability_rows(runs: list[Run]) -> list[tuple[str, str, dict]]:
    """(label, arch, test calibration) of every run that recorded one: the reliability diagram's input.
    A run calibrated after training (rnnkit.training.posthoc) adds a second row, 'label · T=1.23', marked
    `calibrated`: the same test predictions with the fitted temperature."""
    rows = []
    for run in runs:
        found = test_calibration(run)
        if not found:
            continue
        rows.append((run_label(run), arch_of(run), found))
        posthoc = run.metrics("posthoc")
        if posthoc and "ece_calibrated_bins" in posthoc[-1]["test"]:
            rows.append((f"{run_label(run)} · T={posthoc[-1]['temperature']:.2f}", arch_of(run),
                         {**posthoc[-1]["test"]["ece_calibrated_bins"], "calibrated": True}))
    return rows


def chance_accuracy(run: Run) -> float | None:
    """1 / number of classes for a classification run (from its start record), else None."""
    starts = run.metrics("start")
    if not starts or starts[-1]["spec"].get("job") != "classify":
        return None
    classes = len(starts[-1]["spec"].get("class_names", ())) or starts[-1]["spec"].get("output_size", 0)
    return 1.0 / classes if classes else None


def _safe_epochs(run: Run) -> int:
    try:
        config = run.config()
    except RunError:
        return 0
    return 1 if config.train.dry_run else config.train.epochs


def run_summary(run: Run) -> dict[str, Any]:
    """One row per run: the figures `rnnkit runs` and the dashboard tables show."""
    status = run.status()
    try:
        config = run.config()
    except RunError as error:
        return {"run_id": run.run_id, "state": "failed", "error": str(error)}
    epochs = run.metrics("epoch")
    tests = run.metrics("test")
    monitor = epochs[-1]["monitor"] if epochs else ""
    return {
        "run_id": run.run_id, "state": status.get("state"), "task": config.task.name, "arch": config.model.arch,
        "label": run_label(run), "impl": config.model.impl, "group": config.group,
        "epoch": epochs[-1]["epoch"] if epochs else 0, "epochs": config.train.epochs, "monitor": monitor,
        "best_epoch": epochs[-1]["best_epoch"] if epochs else None,
        "best_validation": epochs[-1]["best_value"] if epochs else None,
        "test": {k: v for k, v in tests[-1]["test"].items() if isinstance(v, float)} if tests else {},
        "parameters": status.get("parameters"), "error": status.get("error", ""),
        "seconds_per_epoch": sum(r["epoch_seconds"] for r in epochs) / len(epochs) if epochs else None,
        "samples_per_second": sum(r["samples_per_second"] for r in epochs) / len(epochs) if epochs else None,
    }


def comparison_table(runs: list[Run]) -> pd.DataFrame:
    """Best epoch (not last), its validation score, the test score, size and speed, per run."""
    rows = []
    for run in runs:
        summary = run_summary(run)
        monitor = summary.get("monitor") or ""
        test = summary.get("test", {})
        rows.append({
            "run": run.run_id, "model": summary.get("label", ""), "state": summary.get("state"),
            "best epoch": summary.get("best_epoch"), f"best val {monitor}".strip(): summary.get("best_validation"),
            **{f"test {name}": test.get(name) for name in METRICS if name in test and name != "loss"},
            "parameters": summary.get("parameters"), "s / epoch": _round(summary.get("seconds_per_epoch"), 1),
            "samples / s": _round(summary.get("samples_per_second"), 0),
        })
    return pd.DataFrame(rows)


def _round(value, digits):
    return None if value is None else round(value, digits)


MAX_STEP_POINTS = 1500  # per run on a chart: a screen shows no more, and a browser draws fast


def step_frame(runs: list[Run]) -> pd.DataFrame:
    """Step-level training loss: x = epochs elapsed (fractional), so curves move within an epoch.
    A long run is thinned to at most `MAX_STEP_POINTS` evenly spaced points (the newest always kept)."""
    rows = []
    for run in runs:
        label = run_label(run)
        records = run.metrics("step")
        if len(records) > MAX_STEP_POINTS:
            stride = -(-len(records) // MAX_STEP_POINTS)
            records = records[::-1][::stride][::-1]
        for record in records:
            rows.append({"run": run.run_id, "label": label, "arch": arch_of(run),
                         "epoch": record["epoch"] - 1 + record["step"] / record["steps_per_epoch"],
                         "loss": record["loss"]})
    return pd.DataFrame(rows, columns=["run", "label", "arch", "epoch", "loss"])


def epoch_frame(runs: list[Run]) -> pd.DataFrame:
    """Per-epoch scalars: train_/val_ loss and the job's metrics."""
    rows = []
    for run in runs:
        label = run_label(run)
        for record in run.metrics("epoch"):
            row = {"run": run.run_id, "label": label, "arch": arch_of(run), "epoch": record["epoch"],
                   "seconds": record["epoch_seconds"], "best": record["epoch"] == record["best_epoch"]}
            for split, key in (("train", "train"), ("val", "validation")):
                for name, value in record[key].items():
                    if isinstance(value, (int, float)):
                        row[f"{split}_{name}"] = value
            rows.append(row)
    return pd.DataFrame(rows)


def arch_of(run: Run) -> str:
    try:
        return run.config().model.arch
    except RunError:
        return ""


def confusion(run: Run, epoch: int | None = None) -> tuple[list[list[int]], list[str], dict] | None:
    """(matrix, class names, per-class metrics) of the validation split at `epoch` (default: best)."""
    records = run.metrics("epoch")
    if not records or "confusion_matrix" not in records[-1]["validation"]:
        return None
    chosen = epoch or records[-1]["best_epoch"]
    record = next((r for r in records if r["epoch"] == chosen), records[-1])
    names = class_names(run, len(record["validation"]["confusion_matrix"]))
    return record["validation"]["confusion_matrix"], names, record["validation"]["per_class"]


def class_names(run: Run, count: int) -> list[str]:
    """Class names from the run's start record, else 0..count-1."""
    starts = run.metrics("start")
    names = starts[-1]["spec"].get("class_names", []) if starts else []
    return list(names) if len(names) == count else [str(index) for index in range(count)]


def run_settings(run: Run) -> dict[str, Any]:
    """Every option of the run as flat columns (task.*, model.*, train.* with the seed), plus group
    and kind: what a spreadsheet needs to tell runs apart. Paths on the server (a user's uploaded
    file) are left out: the table is shared with the whole class."""
    from rnnkit.config.options import declared
    from rnnkit.data.tasks import get_task

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


def baselines(run: Run, split: str = "validation") -> dict[str, dict[str, float]]:
    """Baseline metrics (name -> metrics) a regression run recorded for `split`."""
    records = run.metrics("start")
    return records[-1]["baselines"].get(split, {}) if records else {}


# ------------------------------------------------------------------------------------ over seeds
def variants(runs: list[Run]) -> dict[str, list[Run]]:
    """The runs that differ only in their seed, together: label -> runs (in seed order). Two variants
    that would share a label (e.g. two hidden sizes of one architecture) get a number added."""
    by_key: dict[str, list[Run]] = {}
    labels: dict[str, str] = {}
    for run in runs:
        try:
            document = run.config().to_dict()
        except RunError:
            continue
        seedless = {**document, "group": "", "train": {key: value for key, value in document["train"].items()
                                                       if key not in ("seed", "num_threads")}}
        key = json.dumps(seedless, sort_keys=True)
        by_key.setdefault(key, []).append(run)
        labels.setdefault(key, run_label(run))
    seen: dict[str, int] = {}
    named: dict[str, list[Run]] = {}
    for key, members in by_key.items():
        label = labels[key]
        seen[label] = seen.get(label, 0) + 1
        name = label if seen[label] == 1 else f"{label} #{seen[label]}"
        named[name] = sorted(members, key=lambda run: run.config().train.seed)
    return named


def best_epoch_record(epochs: list[dict[str, Any]]) -> dict[str, Any]:
    """The epoch record of the run's best epoch (as the LAST record says: earlier records name the
    best epoch so far)."""
    best = epochs[-1]["best_epoch"]
    return next((record for record in epochs if record["epoch"] == best), epochs[-1])


def seed_scores(runs: list[Run], metric: str) -> dict[int, dict[str, float]]:
    """seed -> {"validation": best-epoch validation value, "test": test value} of `metric`, finished runs."""
    scores = {}
    for run in runs:
        epochs, tests = run.metrics("epoch"), run.metrics("test")
        if not epochs or not tests or metric not in tests[-1]["test"]:
            continue
        best = best_epoch_record(epochs)
        validation = best["validation"].get(metric)
        scores[run.config().train.seed] = {"validation": validation, "test": tests[-1]["test"][metric]}
    return scores


def seed_table(groups: dict[str, list[Run]], metric: str) -> pd.DataFrame:
    """Per variant: seeds finished, parameters, and mean ± std with a 95 % interval of the best-epoch
    validation score and the test score."""
    from rnnkit.analysis.stats import summarise

    rows = []
    for name, members in groups.items():
        scores = seed_scores(members, metric)
        row: dict[str, Any] = {"model": name, "seeds": f"{len(scores)}/{len(members)}",
                               "hidden size": _hidden(members),
                               "recurrent + head parameters": _parameters(members, "core_parameters"),
                               "parameters": _parameters(members, "parameters")}
        for split in ("validation", "test"):
            values = [score[split] for score in scores.values() if isinstance(score[split], (int, float))]
            summary = summarise(values) if values else None
            row[f"{split} mean"] = summary.mean if summary else None
            row[f"{split} std"] = summary.std if summary else None
            row[f"{split} 95% low"] = summary.low if summary else None
            row[f"{split} 95% high"] = summary.high if summary else None
        rows.append(row)
    return pd.DataFrame(rows)


def seed_verdicts(groups: dict[str, list[Run]], metric: str) -> list:
    """A paired comparison (rnnkit.analysis.stats.Verdict) of every two variants on the test `metric`, over the
    seeds both have finished; `a` is the better of the two on average."""
    from rnnkit.analysis.stats import compare
    from rnnkit.core.metrics import higher_is_better

    detectable = 0.01 if metric in ("accuracy", "macro_f1", "micro_f1") else None
    scores = {name: seed_scores(members, metric) for name, members in groups.items()}
    names = list(groups)
    verdicts = []
    for index, first in enumerate(names):
        for second in names[index + 1:]:
            seeds = sorted(set(scores[first]) & set(scores[second]))
            a = [scores[first][seed]["test"] for seed in seeds]
            b = [scores[second][seed]["test"] for seed in seeds]
            better_first = (sum(a) >= sum(b)) == higher_is_better(metric)
            if not better_first:
                first_name, second_name, a, b = second, first, b, a
            else:
                first_name, second_name = first, second
            size = detectable if detectable is not None else 0.05 * abs(sum(a + b) / max(len(a + b), 1))
            verdicts.append(compare(first_name, second_name, a, b, size))
    return verdicts


def _parameters(runs: list[Run], field: str) -> int | None:
    """The parameter count the worker recorded (`parameters`: all; `core_parameters`: without embeddings)."""
    for run in runs:
        count = run.raw_status().get(field)
        if isinstance(count, int):
            return count
    return None


def _hidden(runs: list[Run]) -> int | None:
    try:
        return runs[0].config().model.hidden_size
    except (RunError, IndexError):
        return None
