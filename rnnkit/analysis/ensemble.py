"""Ensembles: the runs of one architecture in a group (e.g. its seeds) predict together.

    python -m rnnkit eval GROUP --ensemble [--split test]

Each member's class probabilities (calibrated with its own temperature, where it has one) are
averaged; a forecast averages the predictions. The ensemble is scored like one model, beside the
members' mean, so the gain is visible, and beside the best member, chosen by its best-epoch VALIDATION score
(its score on the evaluated split is printed for the record: choosing it on that split would flatter it).
Members must have been tested on the same examples: the data split follows the data seed (the run's seed
unless `--data-seed` is given), so seeds trained with `--seeds 3 --data-seed 0` share one split; members with
different splits are refused, as their average would score examples some of them trained on.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict

import torch

from rnnkit.analysis.reports import model_label
from rnnkit.config.run import RunConfig
from rnnkit.config.spec import TaskSpec
from rnnkit.core.metrics import (
    best_epoch_record,
    calibration,
    classification_metrics,
    higher_is_better,
    regression_metrics,
)
from rnnkit.data.tasks import get_task
from rnnkit.runs.folder import Run
from rnnkit.training.checkpoint import load_checkpoint, model_from_checkpoint
from rnnkit.training.evaluator import Evaluator, resolve_device
from rnnkit.training.posthoc import fit_temperature


def average_probabilities(outputs: list[torch.Tensor], temperatures: list[float] | None = None) -> torch.Tensor:
    """Mean of softmax(logits / T) over members, (examples, classes)."""
    temperatures = temperatures or [1.0] * len(outputs)
    return torch.stack([(logits.float() / t).softmax(-1) for logits, t in zip(outputs, temperatures)]).mean(0)


def score(spec, outputs: list[torch.Tensor], targets: torch.Tensor, temperatures: list[float]) -> dict:
    """The ensemble's metrics: accuracy, macro-F1 and ECE of the averaged probabilities (classifiers),
    MAE and RMSE of the averaged forecast in the target's unit (regression)."""

    if spec.job == "classify":
        probabilities = average_probabilities(outputs, temperatures)
        confidence, predicted = probabilities.max(-1)
        result = classification_metrics(targets, predicted, spec.class_names)
        return {"accuracy": result["accuracy"], "macro_f1": result["macro_f1"],
                "ece": calibration(confidence, predicted == targets)["ece"]}
    if spec.job == "regress":
        mean = torch.stack(outputs).mean(0)
        shift, scale = spec.target_mean, spec.target_std
        return regression_metrics(targets * scale + shift, mean * scale + shift)
    raise ValueError("ensembles are for classifiers and forecasts, not for the poem model")


def calibrate_ensemble(validation: list[tuple[torch.Tensor, torch.Tensor]], outputs: list[torch.Tensor],
                       targets: torch.Tensor, temperatures: list[float]) -> dict:
    """The ensemble's own temperature, fitted on the validation split to the log of its averaged
    probabilities (averaging calibrated members makes it under-confident), and its test ECE with it."""

    members = [logits for logits, _targets in validation]
    validation_log = average_probabilities(members, temperatures).clamp_min(1e-12).log()
    temperature = round(fit_temperature(validation_log, validation[0][1]), 4)  # the T shown is the T used
    probabilities = (average_probabilities(outputs, temperatures).clamp_min(1e-12).log() / temperature).softmax(-1)
    confidence, predicted = probabilities.max(-1)
    ece = calibration(confidence, predicted == targets)["ece"]
    return {"temperature": temperature, "ece_calibrated": ece}


def evaluate_ensembles(runs: list[Run], split: str = "test", progress=print) -> dict[str, dict]:
    """Per architecture label of the group: the ensemble's scores, the members' mean, the member count."""

    members: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        if run.best_path.exists():
            members[model_label(run)].append(run)
    if not members:
        raise ValueError("no run of this group has a best.pt yet: nothing to ensemble")
    loaded: dict[str, object] = {}
    results = {}
    for label, group in members.items():
        outputs, temperatures, singles, fingerprints, targets, spec = [], [], [], set(), None, None
        validation_outputs: list[tuple[torch.Tensor, torch.Tensor]] = []
        validation_prints: set[str] = set()
        for run in group:
            payload = load_checkpoint(run.best_path)
            config = RunConfig.from_dict(payload["config"])
            spec = TaskSpec.from_dict(payload["spec"])
            key = json.dumps(config.task.to_dict(), sort_keys=True) + f"|{config.train.split_seed}"
            if key not in loaded:
                progress(f"loading {config.task.name} data for data seed {config.train.split_seed} ...")
                loaded[key] = get_task(config.task.name).load(config.task, config.train.split_seed, progress=progress)
            data = loaded[key]
            dataset = getattr(data, split)
            fingerprints.add(_fingerprint(dataset))
            device = resolve_device(config.train.device)
            evaluator = Evaluator(spec, device, config.train.batch_size * 2)
            model = model_from_checkpoint(payload, device)
            member_outputs, targets = evaluator.outputs(model, dataset)
            if spec.job == "classify" and split != "validation":  # for the ensemble's own temperature
                validation_outputs.append(evaluator.outputs(model, data.validation))
                validation_prints.add(_fingerprint(data.validation))
            outputs.append(member_outputs)
            temperatures.append(float((payload.get("posthoc") or {}).get("temperature", 1.0)))
            singles.append(score(spec, [member_outputs], targets, temperatures[-1:]))
        if len(fingerprints) > 1:
            raise ValueError(f"the {label} runs were tested on different {split} sets (their data seeds differ), so "
                             "their average would score examples some of them trained on; train the members with "
                             "one data seed (e.g. --seeds 3 --data-seed 0) to ensemble them")
        ensemble = score(spec, outputs, targets, temperatures)
        mean = {name: sum(single[name] for single in singles) / len(singles) for name in ensemble}
        results[label] = {"members": len(group), "ensemble": ensemble, "members_mean": mean,
                          "best_member": best_member(group, singles, spec.selection_metric, split)}
        if validation_outputs and len(validation_prints) == 1:  # one validation set (one data seed): its own T
            results[label].update(calibrate_ensemble(validation_outputs, outputs, targets, temperatures))
    return results


def best_member(group: list[Run], singles: list[dict], metric: str, split: str) -> dict | None:
    """The member with the best best-epoch validation `metric` (what its training selected its epoch by, so
    no split is used twice), with that score and its score on `split` for the record; None when no member
    recorded a validation score."""
    candidates = []
    for run, single in zip(group, singles):
        record = best_epoch_record(run.metrics("epoch"))
        value = (record or {}).get("validation", {}).get(metric)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            candidates.append((value, run.run_id, single[metric]))
    if not candidates:
        return None
    sign = -1.0 if higher_is_better(metric) else 1.0
    value, run_id, scored = min(candidates, key=lambda item: sign * item[0])  # the first on a tie
    return {"run": run_id, "chosen_by": f"best-epoch validation {metric}", "validation": value, split: scored}


def _fingerprint(dataset) -> str:
    digest = hashlib.sha256()
    for tensor in (dataset.inputs, dataset.lengths, dataset.targets):
        digest.update(tensor.contiguous().numpy().tobytes())
    return digest.hexdigest()
