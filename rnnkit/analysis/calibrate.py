"""Calibrate a run after the fact: `python -m rnnkit calibrate RUN` for runs (and demos) trained before
the worker fitted the post-hoc temperature and balanced decision itself (`rnnkit.training.posthoc`).
The fit is the worker's own; its result goes into best.pt and a `posthoc` line of metrics.jsonl."""
from __future__ import annotations

import time

from rnnkit.config.run import RunConfig
from rnnkit.config.spec import TaskSpec
from rnnkit.data.tasks import get_task
from rnnkit.runs.folder import Run
from rnnkit.training.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from rnnkit.training.evaluator import Evaluator, resolve_device
from rnnkit.training.posthoc import fit_model, posthoc_record


def calibrate_run(run: Run) -> dict:
    """Fit the temperature and the balanced decision of `run`'s best model on its validation split, store
    them in best.pt and log them; returns the fit. A run that is not a classifier is a ValueError."""
    started = time.perf_counter()
    payload = load_checkpoint(run.best_path)
    config, spec = RunConfig.from_dict(payload["config"]), TaskSpec.from_dict(payload["spec"])
    if spec.job != "classify":
        raise ValueError(f"run {run.run_id} is not a classifier: there is nothing to calibrate")
    data = get_task(config.task.name).load(config.task, config.train.split_seed)
    device = resolve_device(config.train.device)
    evaluator = Evaluator(spec, device, config.train.batch_size * 2)
    fitted = fit_model(evaluator, model_from_checkpoint(payload, device), data)
    save_checkpoint(run.best_path, {**payload, "posthoc": fitted})
    run.append_metrics(posthoc_record(payload.get("epoch", 0), fitted, time.perf_counter() - started))
    return fitted
