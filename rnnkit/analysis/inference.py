"""Use a trained model: evaluate a checkpoint on a split, or predict on new input.

The model, its sizes and everything needed to encode input (vocabulary, scaling) come from the
checkpoint itself, so prediction needs neither the training data nor the original config file.
Evaluation uses the same `Evaluator` as training (not the Trainer: no optimiser, no callbacks), and
what the outputs mean comes from the task's job (`rnnkit.model.jobs`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from rnnkit.config.run import RunConfig
from rnnkit.config.spec import TaskSpec
from rnnkit.data.tasks import get_task
from rnnkit.model.jobs import get_job
from rnnkit.runs.store import Run, RunError
from rnnkit.training.checkpoint import load_checkpoint, model_from_checkpoint
from rnnkit.training.evaluator import Evaluator, autocast_dtype, resolve_device


def evaluate_run(run: Run, split: str = "test", checkpoint: str = "best", progress=print) -> dict:
    """Metrics of a run's checkpoint on one split, with the run's own data settings."""
    path = run.best_path if checkpoint == "best" else run.last_path
    payload = load_checkpoint(path)
    config = RunConfig.from_dict(payload["config"])
    data = get_task(config.task.name).load(config.task, config.train.split_seed, progress=progress)
    device = resolve_device(config.train.device)
    class_weights = data.class_weights.to(device) if data.class_weights is not None else None
    evaluator = Evaluator(data.spec, device, config.train.batch_size * 2, bucket=data.bucket,
                          amp_dtype=autocast_dtype(device, config.train.amp), class_weights=class_weights)
    return evaluator.evaluate(model_from_checkpoint(payload, device), getattr(data, split))


class Predictor:
    """A trained model ready for input: `predict(texts)` or `predict_examples(n)`."""

    def __init__(self, payload: dict[str, Any], device: str | torch.device = "cpu") -> None:
        self.config = RunConfig.from_dict(payload["config"])
        self.spec = TaskSpec.from_dict(payload["spec"])
        self.artifacts = payload.get("artifacts", {})
        self.test_metrics = payload.get("test", {})
        self.device = torch.device(device)
        self.model = model_from_checkpoint(payload, self.device)
        self.task = get_task(self.config.task.name)
        self.job = get_job(self.spec.job)
        self.posthoc = payload.get("posthoc") or {}  # temperature and balanced decision (classifiers)

    @classmethod
    def from_file(cls, path: str | Path, device: str = "cpu") -> "Predictor":
        return cls(load_checkpoint(path), device)

    @classmethod
    def from_run(cls, run: Run, checkpoint: str = "best", device: str = "cpu") -> "Predictor":
        path = run.best_path if checkpoint == "best" else run.last_path
        if not path.exists():
            raise RunError(f"run {run.run_id} has no {path.name} yet: no epoch has finished")
        return cls.from_file(path, device)

    @torch.no_grad()
    def outputs(self, inputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.model(inputs.to(self.device), lengths).float().cpu()

    def scores(self, inputs: torch.Tensor, lengths: torch.Tensor, decision: str = "likely") -> torch.Tensor:
        """What predictions are read from: classifiers' calibrated logits (temperature from best.pt), logit
        adjusted for decision='balanced'; other jobs' outputs as they are."""
        outputs = self.outputs(inputs, lengths)
        if self.spec.job != "classify":
            return outputs
        from rnnkit.training.posthoc import decide

        return decide(outputs, self.posthoc, decision)

    def predict(self, texts: list[str], strict: bool = True, decision: str = "likely") -> list[dict[str, Any]]:
        """Encode raw input with the task's own tokeniser and vocabulary, then describe the outputs.
        Each result says which characters were replaced to read the input (`replaced`). An input the
        model cannot read raises ValueError when `strict`; otherwise its row holds the `error` and the
        other inputs are still predicted."""
        if not hasattr(self.task, "encode"):
            raise ValueError(f"task {self.task.name!r} takes no text input; "
                             "use --examples N to predict held-out examples")
        if not texts:
            raise ValueError("give at least one input to predict")
        rows: list[dict[str, Any]] = []
        readable: list[tuple[int, str]] = []
        for text in texts:
            try:
                prepared, replaced = self.task.prepare(text, self.artifacts)
                self.task.encode([prepared], self.artifacts)  # refuses what the model cannot read
            except ValueError as error:
                if strict:
                    raise
                rows.append({"input": text, "error": str(error)})
                continue
            readable.append((len(rows), prepared))
            rows.append({"input": text, "replaced": [list(pair) for pair in replaced]})
        if readable:
            inputs, lengths = self.task.encode([prepared for _, prepared in readable], self.artifacts)
            for (index, _), described in zip(readable, self.describe(self.scores(inputs, lengths, decision))):
                rows[index].update(described)
        return rows

    def predict_examples(self, count: int, seed: int = 12345, decision: str = "likely") -> list[dict[str, Any]]:
        """Predictions on `count` examples the task generates or holds out, next to the truth."""
        if count < 1:
            raise ValueError("--examples must be at least 1")
        if not hasattr(self.task, "examples"):
            raise ValueError(f"task {self.task.name!r} has no ready-made examples; give your own input")
        dataset = self.task.examples(self.artifacts, count, seed)
        described = self.describe(self.scores(dataset.inputs, dataset.lengths, decision))
        for row, target in zip(described, dataset.targets):
            row["target"] = self._target(target)
        return described

    def generate(self, **options) -> str:
        """Language models: sample a text (options as in the task's `generate`)."""
        if not hasattr(self.task, "generate"):
            raise ValueError(f"task {self.task.name!r} does not generate text")
        return self.task.generate(self.model, self.artifacts, **options)

    def describe(self, outputs: torch.Tensor) -> list[dict[str, Any]]:
        """What a person reads: top classes with probabilities, or forecasts in the target's unit."""
        return self.job.describe(self.spec, outputs)

    def _target(self, target: torch.Tensor) -> Any:
        return self.job.target(self.spec, target)
