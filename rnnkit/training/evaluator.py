"""Evaluate a model on a whole split: the loss and the job's metrics. Used by the training engine
(validation after every epoch, test at the end) and by inference (`python -m rnnkit eval`), so
both compute exactly the same numbers. No optimiser, no callbacks, no file I/O.
"""
from __future__ import annotations

import torch
from torch import nn

from rnnkit.config.spec import TaskSpec
from rnnkit.data.datasets import SequenceDataset
from rnnkit.model.jobs import get_job


def resolve_device(name: str) -> torch.device:
    """'auto' picks cuda, then mps, then cpu; an explicit device that is missing is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was requested but no CUDA GPU is available; use --device auto or cpu")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError("device 'mps' was requested but Apple's MPS backend is not available; use --device cpu")
    return torch.device(name)


def autocast_dtype(device: torch.device, amp: bool) -> torch.dtype | None:
    """The mixed-precision type on CUDA (bfloat16 where supported), None where AMP is off."""
    if not (amp and device.type == "cuda"):
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


class Evaluator:
    """Loss and metrics of a model on a split, batched as training batches it."""

    def __init__(self, spec: TaskSpec, device: torch.device, batch_size: int, bucket: bool = False,
                 amp_dtype: torch.dtype | None = None, class_weights: torch.Tensor | None = None,
                 batch_limit: int | None = None) -> None:
        self.spec = spec
        self.job = get_job(spec.job)
        self.device = device
        self.batch_size = batch_size
        self.bucket = bucket
        self.amp_dtype = amp_dtype
        self.class_weights = class_weights
        self.batch_limit = batch_limit  # dry runs: only this many batches

    def evaluate(self, model: nn.Module, dataset: SequenceDataset) -> dict:
        """The split's loss and metrics."""
        return self._evaluate(model, dataset, keep_outputs=False)[0]

    def evaluate_with_outputs(self, model: nn.Module, dataset: SequenceDataset
                              ) -> tuple[dict, tuple[torch.Tensor, torch.Tensor] | None]:
        """The split's loss and metrics, and every output and target (float32, CPU; None for an empty
        split), so post-hoc calibration needs no second pass over the test split."""
        return self._evaluate(model, dataset, keep_outputs=True)

    @torch.no_grad()
    def _evaluate(self, model: nn.Module, dataset: SequenceDataset, keep_outputs: bool
                  ) -> tuple[dict, tuple[torch.Tensor, torch.Tensor] | None]:
        was_training = model.training
        model.eval()
        kept_outputs, kept_targets = [], []
        collected = self.job.collector(self.spec, self.device)
        batches = dataset.batches(self.batch_size, bucket=self.bucket, limit=self.batch_limit,
                                  trim_targets=self.job.per_step_targets)
        for batch in batches:
            inputs, targets = batch.inputs.to(self.device), batch.targets.to(self.device)
            with torch.autocast(self.device.type, dtype=self.amp_dtype or torch.float32,
                                enabled=self.amp_dtype is not None):
                outputs = model(inputs, batch.lengths)
                loss = self.job.loss(outputs, targets, self.class_weights)
            collected.add(outputs, targets, loss, batch.lengths)
            if keep_outputs:
                kept_outputs.append(outputs.float().cpu())
                kept_targets.append(batch.targets)
        model.train(was_training)
        kept = (torch.cat(kept_outputs), torch.cat(kept_targets)) if kept_outputs else None
        return collected.metrics(brief=False), kept

    @torch.no_grad()
    def outputs(self, model: nn.Module, dataset: SequenceDataset) -> tuple[torch.Tensor, torch.Tensor]:
        """Every output and target of a split in the split's order, float32 on the CPU (post-hoc
        calibration and ensembles need the logits themselves, not only the metrics)."""
        was_training = model.training
        model.eval()
        outputs, targets = [], []
        for batch in dataset.batches(self.batch_size, limit=self.batch_limit, trim_targets=self.job.per_step_targets):
            with torch.autocast(self.device.type, dtype=self.amp_dtype or torch.float32,
                                enabled=self.amp_dtype is not None):
                outputs.append(model(batch.inputs.to(self.device), batch.lengths).float().cpu())
            targets.append(batch.targets)
        model.train(was_training)
        return torch.cat(outputs), torch.cat(targets)
