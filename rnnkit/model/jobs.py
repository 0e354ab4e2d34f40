"""What a model is trained to do, one class per kind of job: classify, regress, language model.

A job knows everything that differs between them, so the engine, the evaluator, inference and the
reports ask the job instead of branching on its name:

    model class     which head sits on the backbone (rnnkit.model.heads)
    loss            cross-entropy (class weights), MSE, or token cross-entropy over real tokens
    collector       what an epoch keeps to compute its metrics, and the metrics themselves
    headline        the metrics the live charts show, most important first
    describe        model outputs -> what a person reads (top classes, forecasts in their unit)

A new kind of job is one class here, registered in `JOBS`.
"""
from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit.config.spec import IGNORE_INDEX, TaskSpec
from rnnkit.core.metrics import calibration, classification_metrics, perplexity, regression_metrics

TOP_CLASSES = 3  # classes a prediction lists


class Job:
    name: ClassVar[str] = ""
    headline: ClassVar[tuple[str, ...]] = ()  # metrics the charts show, most important first
    per_step_targets: ClassVar[bool] = False  # targets are per time step (trimmed with the inputs)

    def loss(self, outputs: Tensor, targets: Tensor, class_weights: Tensor | None = None,
             label_smoothing: float = 0.0) -> Tensor:
        """The training loss (`label_smoothing` only where targets are classes)."""
        raise NotImplementedError

    def collector(self, spec: TaskSpec, device: torch.device) -> "Collector":
        return Collector(self, spec, device)

    def summarise(self, spec: TaskSpec, outputs: list[Tensor], targets: list[Tensor], brief: bool,
                  mean_loss: float) -> dict:
        """The job's metrics (beside the loss) from what `keep` kept; `brief`: the headline only."""
        return {}

    def keep(self, outputs: Tensor) -> Tensor | None:
        """What to keep of a batch's outputs for the metrics (None: nothing)."""
        return outputs.float()

    def loss_weight(self, lengths: Tensor) -> int:
        """How much a batch's mean loss counts in the epoch's mean: 1 per batch, or its tokens."""
        return 1

    def describe(self, spec: TaskSpec, outputs: Tensor) -> list[dict[str, Any]]:
        raise ValueError(f"a {self.name} model's outputs cannot be described as predictions")

    def target(self, spec: TaskSpec, target: Tensor) -> Any:
        raise ValueError(f"a {self.name} task has no per-example target to show")

    def own_loss(self, outputs: Tensor, inputs: Tensor) -> Tensor:
        """A loss for an input without a truth (the Inside page's typed text): what the gradient of
        the model's own answer looks like."""
        raise NotImplementedError


class Classify(Job):
    name, headline = "classify", ("accuracy", "macro_f1")

    def loss(self, outputs, targets, class_weights=None, label_smoothing=0.0):
        return F.cross_entropy(outputs.float(), targets, weight=class_weights, label_smoothing=label_smoothing)

    def keep(self, outputs):
        """The predicted class and its probability (the confidence calibration is measured on)."""
        confidence, predicted = outputs.detach().float().softmax(dim=1).max(dim=1)
        return torch.stack([predicted.float(), confidence], dim=1)

    def summarise(self, spec, outputs, targets, brief, mean_loss):
        kept, truth = torch.cat(outputs).cpu(), torch.cat(targets).cpu()
        predicted = kept[:, 0].long()
        result = classification_metrics(truth, predicted, spec.class_names)
        if brief:
            return {"accuracy": result["accuracy"], "macro_f1": result["macro_f1"]}
        reliability = calibration(kept[:, 1], predicted == truth)
        return {**result, "ece": reliability["ece"], "calibration": reliability}

    def describe(self, spec, outputs):
        probabilities = outputs.softmax(dim=-1)
        top = probabilities.topk(min(TOP_CLASSES, probabilities.shape[-1]), dim=-1)
        return [
            {"label": spec.class_names[int(indices[0])],
             "top": [{"label": spec.class_names[int(i)], "probability": round(float(p), 4)}
                     for p, i in zip(values, indices)]}
            for values, indices in zip(top.values, top.indices)
        ]

    def target(self, spec, target):
        return spec.class_names[int(target)]

    def own_loss(self, outputs, inputs):
        # -log p of the predicted class: the gradient says what would change the model's mind
        return F.cross_entropy(outputs.float(), outputs.detach().argmax(-1))


class Regress(Job):
    name, headline = "regress", ("mae", "rmse")

    def loss(self, outputs, targets, class_weights=None, label_smoothing=0.0):
        return F.mse_loss(outputs.float(), targets)

    def summarise(self, spec, outputs, targets, brief, mean_loss):
        scale, shift = spec.target_std, spec.target_mean  # report in the target's own units
        return regression_metrics(torch.cat(targets).cpu() * scale + shift, torch.cat(outputs).cpu() * scale + shift)

    def describe(self, spec, outputs):
        values = outputs * spec.target_std + spec.target_mean
        return [{"prediction": [round(float(v), 4) for v in row]} for row in values]

    def target(self, spec, target):
        return [round(float(v) * spec.target_std + spec.target_mean, 4) for v in target.reshape(-1)]

    def own_loss(self, outputs, inputs):
        return outputs.float().mean()  # the mean forecast: which steps move it


class LanguageModelJob(Job):
    name, headline = "language_model", ("perplexity",)
    per_step_targets = True

    def loss(self, outputs, targets, class_weights=None, label_smoothing=0.0):
        # mean over real tokens only, so long and short sequences weigh by their length
        return F.cross_entropy(outputs.float().flatten(0, 1), targets.flatten(), ignore_index=IGNORE_INDEX,
                               label_smoothing=label_smoothing)

    def keep(self, outputs):
        return None

    def loss_weight(self, lengths):
        return int(lengths.sum())

    def summarise(self, spec, outputs, targets, brief, mean_loss):
        return {"perplexity": perplexity(mean_loss)}

    def own_loss(self, outputs, inputs):
        # the input's own next tokens, and at the last step the model's own choice
        targets = torch.cat([inputs[:, 1:], outputs[:, -1:].detach().argmax(-1)], dim=1)
        return self.loss(outputs, targets)


JOBS: dict[str, Job] = {job.name: job for job in (Classify(), Regress(), LanguageModelJob())}


def get_job(name: str) -> Job:
    if name not in JOBS:
        raise ValueError(f"unknown job {name!r}; valid: {', '.join(JOBS)}")
    return JOBS[name]


class Collector:
    """Accumulates what an epoch's metrics need, on the device, without a sync per batch."""

    def __init__(self, job: Job, spec: TaskSpec, device: torch.device) -> None:
        self.job, self.spec = job, spec
        self.outputs: list[Tensor] = []
        self.targets: list[Tensor] = []
        self.loss_sum = torch.zeros((), device=device)
        self.weight = 0  # batches, or tokens for a language model
        self.samples = 0

    def add(self, outputs: Tensor, targets: Tensor, loss: Tensor, lengths: Tensor) -> None:
        self.samples += lengths.shape[0]
        weight = self.job.loss_weight(lengths)
        self.loss_sum += loss.float() * weight
        self.weight += weight
        kept = self.job.keep(outputs)
        if kept is not None:
            self.outputs.append(kept)
            self.targets.append(targets)

    def metrics(self, brief: bool) -> dict:
        mean_loss = float(self.loss_sum) / max(self.weight, 1)
        return {"loss": mean_loss, **self.job.summarise(self.spec, self.outputs, self.targets, brief, mean_loss)}
