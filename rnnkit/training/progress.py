"""What the engine's step lines report besides the step itself: the mean training loss and the throughput
since the last line (kept on the device, so no step waits for the GPU), and the seconds left.
"""
from __future__ import annotations

import time

import torch

UNMEASURED_VALIDATION = 1.15  # an epoch lasts its training steps x this, before one was measured


class LossWindow:
    """Training loss and throughput since the last logged step, kept on the device (no sync per step)."""

    def __init__(self, device: torch.device) -> None:
        self.loss = torch.zeros((), device=device)
        self.steps, self.samples, self.started = 0, 0, time.perf_counter()

    def add(self, loss: torch.Tensor, samples: int) -> None:
        self.loss += loss
        self.steps += 1
        self.samples += samples

    def take(self) -> tuple[float, float]:
        """(mean loss, samples per second) of the window, then start a new one."""
        mean_loss = float(self.loss) / max(self.steps, 1)
        rate = self.samples / max(time.perf_counter() - self.started, 1e-9)
        self.loss.zero_()
        self.steps, self.samples, self.started = 0, 0, time.perf_counter()
        return mean_loss, rate


def eta_seconds(epoch: int, step: int, epochs: int, steps_per_epoch: int, elapsed: float, done: int,
                history_seconds: list[float]) -> float:
    """Seconds left after `step` of `epoch`: this epoch's pace (`elapsed` seconds for the `done` steps
    trained since it began or resumed) for the rest of it, past epochs' mean length for the others."""
    per_step = elapsed / max(done, 1)
    rest_of_epoch = per_step * (steps_per_epoch - step)
    if history_seconds:
        per_epoch = sum(history_seconds) / len(history_seconds)
    else:
        per_epoch = per_step * steps_per_epoch * UNMEASURED_VALIDATION
    return rest_of_epoch + per_epoch * (epochs - epoch)
