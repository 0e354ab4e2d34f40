"""Seconds left in a run, from the step times measured so far, or None while too few are measured.

The first steps after a start (or a resume) are slow for reasons that do not last: the allocator and the
kernels warm up, the data loader starts, other runs of the group load their libraries at the same time.
An estimate from them ("ETA 178 min" for a run that ends in three minutes) is wild, so they are left out,
and no estimate is given until a few steps are measured; the dashboard says "estimating…" meanwhile.

    step   1      2  3      4  5  6  7  8      9 ...
           |start | warm-up | measured ....... |
           not timed (it includes the start)     ready once MIN_MEASURED_STEPS are measured
                                                 (or MIN_MEASURED_SECONDS over at least 2 steps)

The time of one step is the MEAN of the last RECENT_STEPS measured ones, not their median: on a shared
machine most steps are quick and some wait for a core, and the run's length is the sum of both (on a
loaded 2-core machine the median said 35 s at the end of a recall run's first epoch; 179 s were left).
Between two epochs
the run validates, probes and writes checkpoints: that pause is timed too, from the last step of one epoch
to the first of the next (less one step), and each epoch left adds the mean of those measured, else
UNMEASURED_VALIDATION of an epoch's training steps.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from rnnkit.training.progress import UNMEASURED_VALIDATION

WARMUP_STEPS = 2  # timed steps after the first (untimed) one that are still left out
MIN_MEASURED_STEPS = 5  # an estimate from this many step times ...
MIN_MEASURED_SECONDS = 30.0  # ... or from at least 2 steps that took this long together (slow steps)
RECENT_STEPS = 50  # the mean is over the last this many step times (the pace may change)


class EtaEstimator:
    """Fed the end of every step and epoch (by a callback); says the seconds left, or None while estimating.
    `clock` is time.monotonic (a test gives a fake one)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.step_seconds: deque[float] = deque(maxlen=RECENT_STEPS)
        self.boundary_seconds: list[float] = []  # between epochs: validation, probe, checkpoints
        self.measured_seconds = 0.0  # all measured step times together (the deque keeps only the recent)
        self.measured_steps = 0
        self.last_step_end: float | None = None
        self.epoch_end: float | None = None  # the last step's end of an epoch that just ended
        self.timed_since_start = 0  # steps timed since the start or resume, warm-up included

    def start(self) -> None:
        """Training starts or resumes: the next steps are warm-up again."""
        self.last_step_end, self.epoch_end, self.timed_since_start = None, None, 0

    def step_done(self) -> None:
        now = self.clock()
        if self.epoch_end is not None:  # the first step of an epoch: the pause before it, less one step
            self.boundary_seconds.append(max(now - self.epoch_end - (self.seconds_per_step() or 0.0), 0.0))
            self.epoch_end = None
        elif self.last_step_end is not None:
            self.timed_since_start += 1
            if self.timed_since_start > WARMUP_STEPS:
                seconds = now - self.last_step_end
                self.step_seconds.append(seconds)
                self.measured_seconds += seconds
                self.measured_steps += 1
        self.last_step_end = now

    def epoch_done(self) -> None:
        """An epoch's steps and validation ended: the pause until the next epoch's first step is timed."""
        self.epoch_end, self.last_step_end = self.last_step_end, None

    def on_record(self, record: dict, epochs: int, steps_per_epoch: int) -> float | None:
        """The seconds left to write into the engine's step or epoch line `record`. An epoch line of a run
        with too few timed steps (a tiny epoch) keeps the engine's figure: that epoch's measured length
        times the epochs left."""
        if record["kind"] == "step":
            return self.seconds_left(record["epoch"], record["step"], epochs, steps_per_epoch)
        self.epoch_done()
        estimate = self.seconds_left_after_epoch(record["epoch"], epochs, steps_per_epoch)
        return estimate if estimate is not None else record.get("eta_seconds")

    def ready(self) -> bool:
        return self.measured_steps >= MIN_MEASURED_STEPS or \
            (self.measured_steps >= 2 and self.measured_seconds >= MIN_MEASURED_SECONDS)

    def seconds_per_step(self) -> float | None:
        return sum(self.step_seconds) / len(self.step_seconds) if self.ready() else None

    def seconds_left(self, epoch: int, step: int, epochs: int, steps_per_epoch: int) -> float | None:
        """After `step` of `epoch` (both counted from 1): the rest of this epoch, the pause after it (its
        validation) and every later epoch with its pause."""
        per_step = self.seconds_per_step()
        if per_step is None:
            return None
        later_epochs = max(epochs - epoch, 0)
        steps_left = max(steps_per_epoch - step, 0) + steps_per_epoch * later_epochs
        return per_step * steps_left + self._pause(per_step, steps_per_epoch) * (later_epochs + 1)

    def seconds_left_after_epoch(self, epoch: int, epochs: int, steps_per_epoch: int) -> float | None:
        """Once `epoch` has ended (validation included): the later epochs, each with its pause."""
        per_step = self.seconds_per_step()
        if per_step is None:
            return None
        later_epochs = max(epochs - epoch, 0)
        return (per_step * steps_per_epoch + self._pause(per_step, steps_per_epoch)) * later_epochs

    def _pause(self, per_step: float, steps_per_epoch: int) -> float:
        if self.boundary_seconds:
            return sum(self.boundary_seconds) / len(self.boundary_seconds)
        return per_step * steps_per_epoch * (UNMEASURED_VALIDATION - 1)
