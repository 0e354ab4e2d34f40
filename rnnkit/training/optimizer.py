"""The optimiser side of a training step: which optimiser, the learning-rate schedule, gradient clipping.

Each is a small function of the training config and the step counter, so a resumed run (same config,
same global step) continues exactly where it stopped.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from rnnkit.config.run import OPTIMIZERS, TrainConfig


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """The optimiser named by `config.optimizer` over the trainable parameters."""
    parameters = [parameter for parameter in model.parameters() if parameter.requires_grad]
    if config.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=config.learning_rate, weight_decay=config.weight_decay)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=config.weight_decay)
    if config.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=config.learning_rate, momentum=0.9, weight_decay=config.weight_decay)
    raise ValueError(f"unknown optimizer {config.optimizer!r}; valid: {', '.join(OPTIMIZERS)}")


def schedule_learning_rate(optimizer: torch.optim.Optimizer, config: TrainConfig, global_step: int,
                           planned_steps: int) -> None:
    """Set the learning rate of the coming step. Cosine: from `learning_rate` to 0 over the planned steps,
    read from the global step alone, so a resumed run continues the curve where it stopped. A constant
    schedule leaves the rate alone."""
    if config.schedule != "cosine":
        return
    progress = min(1.0, global_step / max(1, planned_steps))
    for group in optimizer.param_groups:
        group["lr"] = config.learning_rate * 0.5 * (1.0 + math.cos(math.pi * progress))


def clip_gradients(model: nn.Module, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler,
                   max_norm: float) -> torch.Tensor | None:
    """Clip the gradients' total norm to `max_norm` (unscaled first under float16 AMP); return the norm
    before clipping, or None when clipping is off (`max_norm` <= 0)."""
    if max_norm <= 0:
        return None
    scaler.unscale_(optimizer)
    return nn.utils.clip_grad_norm_(model.parameters(), max_norm)


def gradient_norm(model: nn.Module) -> float:
    """The total norm of the current gradients (what the step lines report when nothing was clipped)."""
    grads = [parameter.grad for parameter in model.parameters() if parameter.grad is not None]
    return float(torch.nn.utils.get_total_norm(grads)) if grads else 0.0
