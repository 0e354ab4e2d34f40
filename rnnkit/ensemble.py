"""Ensembles: the runs of one architecture in a group (e.g. its seeds) predict together.

    python -m rnnkit eval GROUP --ensemble [--split test]

Each member's class probabilities (calibrated with its own temperature, where it has one) are
averaged; a forecast averages the predictions. The ensemble is scored like one model, beside the
members' mean, so the gain is visible. Members must have been tested on the same examples: the data
split follows the data seed (the run's seed unless `--data-seed` is given), so seeds trained with
`--seeds 3 --data-seed 0` share one split; members with different splits are refused, as their
average would score examples some of them trained on.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict

import torch

from rnnkit.runs import Run


def average_probabilities(outputs: list[torch.Tensor], temperatures: list[float] | None = None) -> torch.Tensor:
    """Mean of softmax(logits / T) over members, (examples, classes)."""
    temperatures = temperatures or [1.0] * len(outputs)
    return torch.stack([(logits.float() / t).softmax(-1) for logits, t in zip(outputs, temperatures)]).mean(0)


def score(spec, outputs: list[torch.Tensor], targets: torch.Tensor, temperatures: list[float]) -> dict:
    """The ensemble's metrics: accuracy, macro-F1 and ECE of the averaged probabilities (classifiers),
    MAE and RMSE of the averaged forecast in the target's unit (regression)."""
    from rnnkit.metrics import calibration, classification_metrics, regression_metrics

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


def evaluate_ensembles(runs: list[Run], split: str = "test", progress=print) -> dict[str, dict]:
    """Per architecture label of the group: the ensemble's scores, the members' mean, the member count."""
    from rnnkit.checkpoint import load_checkpoint, model_from_checkpoint
    from rnnkit.config import RunConfig
    from rnnkit.evaluator import Evaluator, resolve_device
    from rnnkit.metrics import higher_is_better
    from rnnkit.reports import run_label
    from rnnkit.spec import TaskSpec
    from rnnkit.tasks import get_task

    members: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        if run.best_path.exists():
            members[run_label(run)].append(run)
    if not members:
        raise ValueError("no run of this group has a best.pt yet: nothing to ensemble")
    loaded: dict[str, object] = {}
    results = {}
    for label, group in members.items():
        outputs, temperatures, singles, fingerprints, targets, spec = [], [], [], set(), None, None
        for run in group:
            payload = load_checkpoint(run.best_path)
            config = RunConfig.from_dict(payload["config"])
            spec = TaskSpec.from_dict(payload["spec"])
            key = json.dumps(config.task.to_dict(), sort_keys=True) + f"|{config.train.split_seed}"
            if key not in loaded:
                progress(f"loading {config.task.name} data for data seed {config.train.split_seed} ...")
                loaded[key] = getattr(get_task(config.task.name).load(config.task, config.train.split_seed,
                                                                      progress=progress), split)
            dataset = loaded[key]
            fingerprints.add(_fingerprint(dataset))
            device = resolve_device(config.train.device)
            evaluator = Evaluator(spec, device, config.train.batch_size * 2)
            member_outputs, targets = evaluator.outputs(model_from_checkpoint(payload, device), dataset)
            outputs.append(member_outputs)
            temperatures.append(float((payload.get("posthoc") or {}).get("temperature", 1.0)))
            singles.append(score(spec, [member_outputs], targets, temperatures[-1:]))
        if len(fingerprints) > 1:
            raise ValueError(f"the {label} runs were tested on different {split} sets (their data seeds differ), so "
                             "their average would score examples some of them trained on; train the members with "
                             "one data seed (e.g. --seeds 3 --data-seed 0) to ensemble them")
        ensemble = score(spec, outputs, targets, temperatures)
        mean = {name: sum(single[name] for single in singles) / len(singles) for name in ensemble}
        best = max if higher_is_better(spec.selection_metric) else min
        results[label] = {"members": len(group), "ensemble": ensemble, "members_mean": mean,
                          "best_member": best(single[spec.selection_metric] for single in singles)}
    return results


def _fingerprint(dataset) -> str:
    digest = hashlib.sha256()
    for tensor in (dataset.inputs, dataset.lengths, dataset.targets):
        digest.update(tensor.contiguous().numpy().tobytes())
    return digest.hexdigest()
