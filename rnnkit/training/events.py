"""The callback contract: the hooks the engine calls, when, and what a callback may do in each.

The engine calls each hook on EVERY callback before it acts on a stop one of them raised, so the order
of the callback list changes nothing. Where one event has several hooks, they run in phases:

    start        on_train_start
    each step    on_log(step record)   every `log_every_steps` steps    a line for the record
                 on_batch_end                                            every step: keep it cheap
    each epoch   on_log(epoch record)                                    the engine's line first ...
                 on_epoch_end(record)                                    ... then what callbacks measure
                 checkpoint "best" (if validation improved), "last"      see below
    the end      on_log(test record)
                 on_test_end(TestResult)                                 the test outputs, for post-hoc fits
                 checkpoint "best", now with the test figures
                 on_train_end(record)
    a user stop  on_stop, then checkpoint "last" (if anything was trained)
    a failure    on_exception(error), then the error propagates

A checkpoint is assembled by the engine (weights, epoch, metrics, training state), then
`on_save_checkpoint` lets every callback add its own entries, then `on_checkpoint` hands the finished
dict to whoever keeps it (the worker writes it to the run folder). A callback that wants a checkpoint
between these points (e.g. every few minutes) calls `trainer.emit_checkpoint("last")`.

A callback ends training by raising `StopTraining` (early stopping) or `StopRequested` (a user's
stop); the engine finishes calling the hook on the other callbacks first, then stops. A user's stop
outranks early stopping; between two stops of one kind the first raised wins. Once the test has begun
there is nothing left to stop, and a stop raised then is ignored.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


class StopTraining(Exception):
    """Raised by a callback to end training after the current event; the message is the reason."""


class StopRequested(StopTraining):
    """A user asked the run to stop: end now, without the test evaluation (run `eval` later)."""


class Diverged(RuntimeError):
    """The training loss became NaN or infinite."""


@dataclass(frozen=True)
class TestResult:
    """What the test of the best epoch's weights gave: its line for the record, and (classifiers) every
    test output and target, float32 on the CPU, so post-hoc fits need no second pass over the split."""

    __test__ = False  # not a pytest test class, whatever its name says

    record: dict  # kind "test": epoch, test metrics, baselines, stop_reason
    outputs: tuple[torch.Tensor, torch.Tensor] | None  # (outputs, targets); None for other jobs


class Callback:
    """Receives training events; override what you need. Every hook gets the `Trainer` first
    (rnnkit.training.engine; not imported here, which imports this). No hook may depend on another
    callback having run before it: each sees the same event, and hands its results on through the hooks."""

    def on_train_start(self, trainer) -> None: ...
    def on_log(self, trainer, record: dict) -> None: ...  # a line for the record: step, epoch, test
    def on_batch_end(self, trainer) -> None: ...  # every step: keep it cheap
    def on_epoch_end(self, trainer, record: dict) -> None: ...
    def on_test_end(self, trainer, result: TestResult) -> None: ...
    def on_train_end(self, trainer, record: dict) -> None: ...
    def on_stop(self, trainer) -> None: ...  # a user stopped the run (state is at a step boundary)
    def on_exception(self, trainer, error: BaseException) -> None: ...  # training failed with `error`

    def on_save_checkpoint(self, trainer, name: str, checkpoint: dict) -> None:
        """Add this callback's entries to checkpoint `name` ("best" or "last") before it is kept."""

    def on_checkpoint(self, trainer, name: str, checkpoint: dict) -> None:
        """Checkpoint `name` is complete: keep it (write it somewhere); do not change it."""


def call_all(callbacks: list[Callback], hook: str, trainer, *arguments) -> StopTraining | None:
    """Call `hook` on every callback; return the stop one of them raised (see the module docstring for
    which wins), instead of raising it halfway through the list."""
    stop = None
    for callback in callbacks:
        try:
            getattr(callback, hook)(trainer, *arguments)
        except StopTraining as raised:
            if stop is None or (isinstance(raised, StopRequested) and not isinstance(stop, StopRequested)):
                stop = raised
    return stop


def call_all_on_exception(callbacks: list[Callback], trainer, error: BaseException) -> None:
    """`on_exception` on every callback; a callback failing there is noted on `error`, which stays the one raised."""
    for callback in callbacks:
        try:
            callback.on_exception(trainer, error)
        except Exception as failure:  # noqa: BLE001 - the first error is the one to report
            error.add_note(f"{type(callback).__name__}.on_exception failed too: {type(failure).__name__}: {failure}")
