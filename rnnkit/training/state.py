"""What a checkpoint must carry to continue training where it stopped: the counters, the optimiser and
gradient-scaler state, and the random number generator, as a plain dict (last.pt's "training" entry).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class TrainingState:
    """The engine's counters; with the optimiser and the RNG, enough to resume bit for bit."""

    epoch: int = 0  # epochs completed
    step: int = 0  # batches done in the epoch after `epoch` (a mid-epoch checkpoint resumes there)
    global_step: int = 0  # optimiser steps since the start (the cosine schedule reads it)
    best_value: float | None = None  # the best validation value of the monitored metric so far
    best_epoch: int = 0  # the epoch that reached it
    history_seconds: list[float] = field(default_factory=list)  # train+eval seconds per epoch

    def to_dict(self, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler) -> dict[str, Any]:
        """Plain-dict training state for a checkpoint (the model weights travel separately)."""
        return {
            "optimizer": optimizer.state_dict(),
            "scaler": scaler.state_dict(),
            "epoch": self.epoch,
            "step": self.step,
            "global_step": self.global_step,
            "best_value": self.best_value,
            "best_epoch": self.best_epoch,
            "history_seconds": list(self.history_seconds),
            "torch_rng": torch.get_rng_state(),
        }

    @classmethod
    def restore(cls, state: dict[str, Any], optimizer: torch.optim.Optimizer,
                scaler: torch.amp.GradScaler) -> TrainingState:
        """Load `state` (from `to_dict`) into the optimiser, the scaler and torch's RNG; return the counters."""
        optimizer.load_state_dict(state["optimizer"])
        if state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
        if state.get("torch_rng") is not None:
            torch.set_rng_state(state["torch_rng"])
        return cls(epoch=int(state["epoch"]), step=int(state.get("step", 0)), global_step=int(state["global_step"]),
                   best_value=state["best_value"], best_epoch=int(state["best_epoch"]),
                   history_seconds=list(state.get("history_seconds", [])))
