"""Seconds left in a run, from the step times measured so far, or None while too few are measured.

The first steps after a start (or a resume) are slow for reasons that do not last: the allocator and the
kernels warm up, the data loader starts, other runs of the group load their libraries at the same time.
An estimate from them ("ETA 178 min" for a run that ends in three minutes) is wild, so they are left out,
and no estimate is given until a few steps are measured; the dashboard says "estimating…" meanwhile.

    step   1      2  3      4  5  6  7  8      9 ...
           |start | warm-up | measured ....... |
           not timed (it includes the start)     ready once MIN_MEASURED_STEPS are measured
                                                 (or MIN_MEASURED_SECONDS over at least 2 steps)

The time of one step is the median of the last RECENT_STEPS measured ones (a checkpoint write or a
moment the machine was busy moves a median little); the first step of every epoch is not timed either,
as it also holds the checkpoint written after the previous epoch. Each epoch adds its validation pass:
the mean of those measured, else UNMEASURED_VALIDATION of an epoch's training steps.
"""
from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Callable

from rnnkit.training.progress import UNMEASURED_VALIDATION

WARMUP_STEPS = 2  # timed steps after the first (untimed) one that are still left out
MIN_MEASURED_STEPS = 5  # an estimate from this many step times ...
MIN_MEASURED_SECONDS = 30.0  # ... or from at least 2 steps that took this long together (slow steps)
RECENT_STEPS = 50  # the median is over the last this many step times (the pace may change)


class EtaEstimator:
    """Fed the end of every step and epoch (by a callback); says the seconds left, or None while estimating.
    `clock` is time.monotonic (a test gives a fake one)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.step_seconds: deque[float] = deque(maxlen=RECENT_STEPS)
        self.validation_seconds: list[float] = []
        self.measured_seconds = 0.0  # all measured step times together (the deque keeps only the recent)
        self.measured_steps = 0
        self.last_step_end: float | None = None
        self.timed_since_start = 0  # steps timed since the start or resume, warm-up included

    def start(self) -> None:
        """Training starts or resumes: the next steps are warm-up again."""
        self.last_step_end, self.timed_since_start = None, 0

    def step_done(self) -> None:
        now = self.clock()
        if self.last_step_end is not None:
            self.timed_since_start += 1
            if self.timed_since_start > WARMUP_STEPS:
                seconds = now - self.last_step_end
                self.step_seconds.append(seconds)
                self.measured_seconds += seconds
                self.measured_steps += 1
        self.last_step_end = now

    def epoch_done(self, validation_seconds: float | None) -> None:
        """An epoch ended after a validation pass of `validation_seconds` (None: not measured)."""
        if validation_seconds is not None and validation_seconds >= 0:
            self.validation_seconds.append(validation_seconds)
        self.last_step_end = None  # the next epoch's first step also holds this epoch's checkpoint

    def on_record(self, record: dict, epochs: int, steps_per_epoch: int) -> float | None:
        """The seconds left to write into the engine's step or epoch line `record` (an epoch line also
        counts its validation pass). An epoch line of a run with too few timed steps (a tiny epoch) keeps
        the engine's figure: that epoch's measured length times the epochs left."""
        if record["kind"] == "step":
            return self.seconds_left(record["epoch"], record["step"], epochs, steps_per_epoch)
        self.epoch_done(validation_seconds(record))
        estimate = self.seconds_left_after_epoch(record["epoch"], epochs, steps_per_epoch)
        return estimate if estimate is not None else record.get("eta_seconds")

    def ready(self) -> bool:
        return self.measured_steps >= MIN_MEASURED_STEPS or \
            (self.measured_steps >= 2 and self.measured_seconds >= MIN_MEASURED_SECONDS)

    def seconds_per_step(self) -> float | None:
        return statistics.median(self.step_seconds) if self.ready() else None

    def seconds_left(self, epoch: int, step: int, epochs: int, steps_per_epoch: int) -> float | None:
        """After `step` of `epoch` (both counted from 1; step = steps_per_epoch: the epoch's steps are done
        but not its validation): the rest of this epoch, its validation, and every later epoch."""
        per_step = self.seconds_per_step()
        if per_step is None:
            return None
        later_epochs = max(epochs - epoch, 0)
        steps_left = max(steps_per_epoch - step, 0) + steps_per_epoch * later_epochs
        return per_step * steps_left + self._validation(per_step, steps_per_epoch) * (later_epochs + 1)

    def seconds_left_after_epoch(self, epoch: int, epochs: int, steps_per_epoch: int) -> float | None:
        """Once `epoch` has ended (validation included): the later epochs."""
        per_step = self.seconds_per_step()
        if per_step is None:
            return None
        later_epochs = max(epochs - epoch, 0)
        return (per_step * steps_per_epoch + self._validation(per_step, steps_per_epoch)) * later_epochs

    def _validation(self, per_step: float, steps_per_epoch: int) -> float:
        if self.validation_seconds:
            return sum(self.validation_seconds) / len(self.validation_seconds)
        return per_step * steps_per_epoch * (UNMEASURED_VALIDATION - 1)


def validation_seconds(record: dict) -> float | None:
    """How long an epoch line's validation pass took: the epoch's length less its training steps'."""
    epoch_seconds, train_seconds = record.get("epoch_seconds"), record.get("train_seconds")
    if isinstance(epoch_seconds, (int, float)) and isinstance(train_seconds, (int, float)):
        return max(epoch_seconds - train_seconds, 0.0)
    return None
