"""Run folders -> what a run is and where it stands: labels, progress, one summary row per run, the
comparison table and every setting as columns. Light (no torch, pandas on first use), so `python -m
rnnkit runs` answers at once; chart frames are `rnnkit.analysis.frames`, statistics over seeds
`rnnkit.analysis.seeds`. A damaged run folder gives a row that says so (its config unreadable), never an
exception: the records `Run.metrics` returns have their kind's fields, the rest is checked here.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from rnnkit.core.i18n import translate
from rnnkit.core.metrics import METRICS
from rnnkit.runs.folder import Run, RunError

if TYPE_CHECKING:
    import pandas as pd


def run_label(run: Run, language: str = "en") -> str:
    """Short name for legends, tables and rows: 'lstm', 'gru bi', 'lstm scratch', ...; in a group whose runs
    differ in their seed (a seeds group, a sweep over seeds) with the seed, in `language`: 'lstm bi · seed 2'
    ('lstm bi · 种子 2')."""
    label = model_label(run)
    try:
        config = run.config()
    except RunError:
        return label
    if not _group_has_seeds(run, config.group):
        return label
    _ = functools.partial(translate, language=language)
    return _("{model} · seed {seed}").format(model=label, seed=config.train.seed)


def model_label(run: Run) -> str:
    """The model alone, without its seed: 'lstm', 'gru bi', 'lstm 2L scratch' (what the seeds of one variant
    share: Compare's views over seeds gather runs under it)."""
    try:
        model = run.config().model
    except RunError:
        return run.run_id
    parts = [model.arch]
    if model.bidirectional:
        parts.append("bi")
    if model.num_layers > 1:
        parts.append(f"{model.num_layers}L")
    if model.impl == "scratch":  # chosen (auto picks scratch only where a cell has no fused twin)
        parts.append("scratch")
    return " ".join(parts)


_SEEDED_GROUPS: dict[tuple[str, str], tuple[int, bool]] = {}  # (root, group) -> (root's mtime, seeds differ)


def _group_has_seeds(run: Run, group: str) -> bool:
    """Whether the runs of `group` (in `run`'s run store) have more than one seed. Looked up once per change
    of the run store's folder (a run added or deleted); configs do not change."""
    if not group:
        return False
    root = run.path.parent
    try:
        stamp = root.stat().st_mtime_ns
    except OSError:
        return False
    cached = _SEEDED_GROUPS.get((str(root), group))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    seeds = set()
    for path in root.iterdir():
        if not (path / "config.json").is_file():
            continue
        try:
            config = Run(path.name, path, run.launcher).config()
        except RunError:
            continue
        if config.group == group:
            seeds.add(config.train.seed)
    if len(_SEEDED_GROUPS) > 4096:
        _SEEDED_GROUPS.clear()
    _SEEDED_GROUPS[(str(root), group)] = (stamp, len(seeds) > 1)
    return len(seeds) > 1


def progress(run: Run) -> dict[str, Any]:
    """Where a run is now, as fields the dashboard words in its language: state, phase, epoch and
    step, fraction done, ETA (`eta_estimating` while too few steps are timed for one: rnnkit.worker.eta), where
    a resume continues, the test score when finished, errors."""
    status = run.status()
    state = status.get("state", "queued")
    epochs = int(status.get("epochs") or _safe_epochs(run))
    epoch_records = run.metrics("epoch")
    steps = run.metrics("step")
    done_epochs = epoch_records[-1]["epoch"] if epoch_records else 0
    step = steps[-1] if steps and (not epoch_records or steps[-1]["epoch"] > done_epochs) else None
    fraction = done_epochs / epochs if epochs else 0.0
    if step is not None and epochs and step["steps_per_epoch"] > 0:
        fraction = (step["epoch"] - 1 + step["step"] / step["steps_per_epoch"]) / epochs
    if state == "completed":
        fraction = 1.0
    eta = _number((step or (epoch_records[-1] if epoch_records else {})).get("eta_seconds"))
    estimating = state == "running" and eta is None and (step is not None or not epoch_records)  # too few steps
    tests = run.metrics("test")
    return {"state": state, "phase": status.get("phase", ""), "epoch": done_epochs, "epochs": epochs,
            "step": step["step"] if step else None, "steps_per_epoch": step["steps_per_epoch"] if step else None,
            "fraction": min(max(fraction, 0.0), 1.0), "eta_seconds": eta if state == "running" else None,
            "eta_estimating": estimating,
            "resume_step": status.get("resume_step") or 0, "test": tests[-1]["test"] if tests else {},
            "monitor": epoch_records[-1]["monitor"] if epoch_records else "",
            "error": status.get("error", ""), "stop_reason": status.get("stop_reason", "")}


def chance_accuracy(run: Run) -> float | None:
    """1 / number of classes for a classification run (from its start record), else None."""
    starts = run.metrics("start")
    if not starts or starts[-1]["spec"].get("job") != "classify":
        return None
    names, size = starts[-1]["spec"].get("class_names"), starts[-1]["spec"].get("output_size")
    classes = len(names) if isinstance(names, list) and names else size if isinstance(size, int) else 0
    return 1.0 / classes if classes > 0 else None


# the names of the trivial baselines; MAJORITY is rnnkit.data.datasets.MAJORITY_BASELINE (importing it loads torch)
MAJORITY = "majority class"  # the training split's commonest class, scored on each split (recorded by new runs)
MAJORITY_OF_TEST = "majority class (test split)"  # old runs: the test split's own commonest class, from its support


def chart_baselines(run: Run, split: str = "validation") -> dict[str, dict[str, float]]:
    """The flat lines a metric chart draws for `split` (name -> metrics): what the run recorded at its start
    (weather's baselines, a classifier's majority class), and for a classifier that recorded no majority
    class (runs from before it was recorded) the test split's majority class, worked out from the test
    record's per-class support: accuracy = its share, macro-F1 = its F1 (2 share / (1 + share), as recall
    is 1) / the number of classes present."""
    starts = run.metrics("start")
    if not starts:
        return {}
    recorded = starts[-1]["baselines"].get(split)
    lines = dict(recorded) if isinstance(recorded, dict) else {}
    if starts[-1]["spec"].get("job") != "classify" or MAJORITY in lines:
        return lines
    tests = run.metrics("test")
    per_class = tests[-1]["test"].get("per_class") if tests else None
    support = per_class.get("support") if isinstance(per_class, dict) else None
    if isinstance(support, list) and support and all(_number(count) is not None and count >= 0 for count in support) \
            and sum(support) > 0:
        share = max(support) / sum(support)
        present = sum(1 for count in support if count > 0)
        lines[MAJORITY_OF_TEST] = {"accuracy": share, "macro_f1": 2 * share / (1 + share) / present}
    return lines


def _safe_epochs(run: Run) -> int:
    try:
        config = run.config()
    except RunError:
        return 0
    return 1 if config.train.dry_run else config.train.epochs


def run_summary(run: Run, language: str = "en") -> dict[str, Any]:
    """One row per run: the figures `rnnkit runs` and the dashboard tables show (its label in `language`)."""
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
        "label": run_label(run, language), "impl": config.model.impl, "group": config.group,
        "epoch": epochs[-1]["epoch"] if epochs else 0, "epochs": config.train.epochs, "monitor": monitor,
        "best_epoch": epochs[-1]["best_epoch"] if epochs else None,
        "best_validation": _number(epochs[-1].get("best_value")) if epochs else None,
        "test": {k: v for k, v in tests[-1]["test"].items() if isinstance(v, float)} if tests else {},
        "parameters": status.get("parameters"), "error": status.get("error", ""),
        "seconds_per_epoch": sum(r["epoch_seconds"] for r in epochs) / len(epochs) if epochs else None,
        "samples_per_second": sum(r["samples_per_second"] for r in epochs) / len(epochs) if epochs else None,
    }


def comparison_table(runs: list[Run], language: str = "en") -> pd.DataFrame:
    """Best epoch (not last), its validation score, the test score, size and speed, per run; with a seed column
    where the runs' seeds differ (a seeds group: which run is which seed)."""
    import pandas as pd

    seeds = {run.run_id: _seed_of(run) for run in runs}
    show_seeds = len(set(seeds.values()) - {None}) > 1
    rows = []
    for run in runs:
        summary = run_summary(run, language)
        monitor = summary.get("monitor") or ""
        test = summary.get("test", {})
        rows.append({
            "run": run.run_id, "model": summary.get("label", ""), **({"seed": seeds[run.run_id]} if show_seeds else {}),
            "state": summary.get("state"),
            "best epoch": summary.get("best_epoch"), f"best val {monitor}".strip(): summary.get("best_validation"),
            **{f"test {name}": test.get(name) for name in METRICS if name in test and name != "loss"},
            "parameters": summary.get("parameters"), "s / epoch": _round(summary.get("seconds_per_epoch"), 1),
            "samples / s": _round(summary.get("samples_per_second"), 0),
        })
    return pd.DataFrame(rows)


def _number(value: Any) -> float | None:
    """A figure from a metrics line, or None when the line holds something else there."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _round(value, digits):
    return None if value is None else round(value, digits)


def _seed_of(run: Run) -> int | None:
    try:
        return run.config().train.seed
    except RunError:
        return None


def group_of(run: Run) -> str:
    """The run's group id ('' for none, or an unreadable config)."""
    try:
        return run.config().group
    except RunError:
        return ""


def arch_of(run: Run) -> str:
    try:
        return run.config().model.arch
    except RunError:
        return ""
