"""The training engine: optimise, evaluate, and tell callbacks what happened. No file I/O, no UI.

    for each epoch:
        for each batch:  forward -> loss -> backward -> clip -> step     (on_batch_end every step,
                                                                          on_log every N steps)
        evaluate on validation                                            (on_log, on_epoch_end,
                                                                           checkpoints best / last)
    evaluate the best epoch's weights on test                             (on_log, on_test_end,
                                                                           checkpoint best, on_train_end)

The hooks, their phases and what a callback may do in each are the contract of `rnnkit.training.events`:
every callback sees every event, so the order of the callback list changes nothing. A callback ends
training early by raising `StopTraining` (stop requests, early stopping); the engine finishes cleanly and
reports the reason. A loss that stops being finite raises `Diverged`. What differs between jobs (loss,
metrics) comes from `rnnkit.model.jobs`; validation and test go through the same `Evaluator` that
inference uses; the optimiser, its schedule and clipping come from `rnnkit.training.optimizer`.
"""
from __future__ import annotations

import copy
import math
import time
from typing import Any

import torch
from torch import nn

from rnnkit.config.run import TrainConfig
from rnnkit.core.metrics import is_better
from rnnkit.data.datasets import SequenceDataset, TaskData
from rnnkit.model.jobs import get_job
from rnnkit.training.evaluator import Evaluator, autocast_dtype, resolve_device
from rnnkit.training.events import (
    Callback,
    Diverged,
    StopRequested,
    StopTraining,
    TestResult,
    call_all,
    call_all_on_exception,
)
from rnnkit.training.optimizer import clip_gradients, gradient_norm, make_optimizer, schedule_learning_rate
from rnnkit.training.progress import LossWindow, eta_seconds
from rnnkit.training.state import TrainingState

DRY_RUN_BATCHES = 2  # batches per split in a dry run
CHECKPOINTS = ("best", "last")  # the best epoch's weights; the latest state, to resume from


class Trainer:
    """Trains one model on one task's data with one training config; `fit()` runs it all."""

    def __init__(
        self,
        model: nn.Module,
        data: TaskData,
        config: TrainConfig,
        callbacks: list[Callback] = (),
        device: torch.device | None = None,
    ) -> None:
        data.check_splits()
        data.check_batch_size(config.batch_size)
        self.data = data
        self.spec = data.spec
        self.config = config
        self.device = device or resolve_device(config.device)
        self.model = model.to(self.device)
        self.forward = self._compiled(data) if config.compile else self.model  # what the training steps call
        self.optimizer = make_optimizer(self.model, config)
        self.callbacks = list(callbacks)
        self.state = TrainingState()
        self.best_model_state: dict[str, torch.Tensor] | None = None
        self.epochs = 1 if config.dry_run else config.epochs
        self.batch_limit = DRY_RUN_BATCHES if config.dry_run else None
        self.steps_per_epoch = data.train.num_batches(config.batch_size, self.batch_limit)
        self.planned_steps = max(1, self.epochs * self.steps_per_epoch)  # the cosine schedule's length
        self.job = get_job(self.spec.job)
        self.class_weights = data.class_weights.to(self.device) if data.class_weights is not None else None
        self.logit_offset = None  # the balanced loss: tau x log prior added to the logits in training only
        if config.balanced_loss and self.spec.job == "classify":
            from rnnkit.training.posthoc import log_prior

            prior = log_prior(data.train.targets, self.spec.output_size)
            self.logit_offset = config.balanced_loss * prior.to(self.device)
        self.amp_dtype = autocast_dtype(self.device, config.amp)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        self.evaluator = Evaluator(self.spec, self.device, config.batch_size * 2, bucket=data.bucket,
                                   amp_dtype=self.amp_dtype, class_weights=self.class_weights,
                                   batch_limit=self.batch_limit)
        self.stop_reason = ""

    # ----------------------------------------------------------------------------------- training
    def fit(self) -> dict | None:
        """Train the remaining epochs, then test the best weights and return the test record.
        Returns None when a user stopped the run (`StopRequested`), also during start-up; the
        callbacks then get `on_stop`, and the state of the last finished step is checkpointed."""
        try:
            try:
                self._emit("on_train_start")
                while self.state.epoch < self.epochs:
                    self._run_epoch(self.state.epoch + 1)
            except StopRequested as stop:
                self.stop_reason = str(stop) or "stopped"
                call_all(self.callbacks, "on_stop", self)
                if self.state.step or self.state.epoch:  # something was trained since the start
                    self.emit_checkpoint("last")
                return None
            except StopTraining as stop:  # early stopping: the best epoch is known, so test it
                self.stop_reason = str(stop)
            return self.test()
        except BaseException as error:  # a failure (or Ctrl-C): the callbacks hear of it, then it propagates
            call_all_on_exception(self.callbacks, self, error)
            raise

    def _run_epoch(self, epoch: int) -> None:
        self.model.train()
        started = time.perf_counter()
        collected = self._train_steps(epoch, started)
        train_seconds = time.perf_counter() - started
        validation = self.evaluate(self.data.validation)
        monitored = validation[self.spec.selection_metric]
        improved = is_better(self.spec.selection_metric, monitored, self.state.best_value)
        if improved:
            self.state.best_value, self.state.best_epoch = monitored, epoch
            self.best_model_state = copy.deepcopy(self.model.state_dict())
        self.state.epoch, self.state.step = epoch, 0
        epoch_seconds = time.perf_counter() - started
        self.state.history_seconds.append(epoch_seconds)
        record = {
            "kind": "epoch", "epoch": epoch, "epochs": self.epochs, "train": collected.metrics(brief=True),
            "validation": validation, "improved": improved, "best_epoch": self.state.best_epoch,
            "best_value": self.state.best_value, "monitor": self.spec.selection_metric,
            "train_seconds": train_seconds, "epoch_seconds": epoch_seconds,
            "samples_per_second": collected.samples / max(train_seconds, 1e-9),
            "learning_rate": self.optimizer.param_groups[0]["lr"],
            "eta_seconds": epoch_seconds * (self.epochs - epoch),
        }
        self._emit("on_log", record)
        stop = call_all(self.callbacks, "on_epoch_end", self, record)  # held: the epoch is checkpointed first
        if improved:
            self.emit_checkpoint("best", record)
        self.emit_checkpoint("last", record)
        if stop is not None:
            raise stop

    def _compiled(self, data: TaskData) -> nn.Module:
        """The model under torch.compile for the training steps (evaluation stays eager: its batches have
        other shapes, each would compile again). The unrolled loop is compiled for one sequence length,
        so tasks whose lengths vary are refused rather than recompiled batch after batch."""
        lengths = data.train.lengths
        if len(lengths) and int(lengths.min()) != int(lengths.max()):
            raise ValueError(f"compile needs sequences of one length; this task's run from {int(lengths.min())} to "
                             f"{int(lengths.max())} steps: train without compile")
        return torch.compile(self.model, dynamic=False)

    def epoch_batches(self, epoch: int):
        """The training batches of `epoch`, in an order fixed by the seed and the epoch only: every
        architecture trained with the same seed sees the same batches in the same order."""
        generator = torch.Generator().manual_seed(self.config.seed * 1_000_003 + epoch)
        return self.data.train.batches(
            self.config.batch_size, shuffle=True, generator=generator, bucket=self.data.bucket,
            limit=self.batch_limit, trim_targets=self.job.per_step_targets,
        )

    def _train_steps(self, epoch: int, started: float):
        """One pass over the training split; returns what the epoch's training metrics need. After a
        mid-epoch resume the batches already trained (`state.step`) are skipped: the batch order is
        fixed by the seed and the epoch, so training continues exactly where it stopped, and the
        epoch's training metrics cover the batches after the resume."""
        batches = self.epoch_batches(epoch)
        collected = self.job.collector(self.spec, self.device)
        window = LossWindow(self.device)
        skip = self.state.step
        for step, batch in enumerate(batches, start=1):
            if step <= skip:
                continue
            inputs, targets = batch.inputs.to(self.device), batch.targets.to(self.device)
            with torch.autocast(self.device.type, dtype=self.amp_dtype or torch.float32,
                                enabled=self.amp_dtype is not None):
                outputs = self.forward(inputs, batch.lengths)
                loss = self.loss(outputs, targets)
            self.optimizer.zero_grad(set_to_none=True)
            schedule_learning_rate(self.optimizer, self.config, self.state.global_step, self.planned_steps)
            self.scaler.scale(loss).backward()
            grad_norm = clip_gradients(self.model, self.optimizer, self.scaler, self.config.gradient_clip)
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.state.global_step += 1
            self.state.step = step
            if self.config.label_smoothing:  # the epoch's training metrics report the plain loss
                with torch.no_grad():
                    loss = self.job.loss(outputs.detach(), targets, self.class_weights)
            window.add(loss.detach(), batch.lengths.shape[0])
            collected.add(outputs.detach(), targets, loss.detach(), batch.lengths)
            if step % self.config.log_every_steps == 0 or step in (1, self.steps_per_epoch):  # 1: a point at once
                self._log(epoch, step, window, grad_norm, time.perf_counter() - started, step - skip)
            self._emit("on_batch_end")
        return collected

    def _log(self, epoch: int, step: int, window: LossWindow, grad_norm, elapsed: float, done: int) -> None:
        mean_loss, samples_per_second = window.take()
        if not math.isfinite(mean_loss):
            raise Diverged(f"diverged: the training loss became {mean_loss} at epoch {epoch}, step {step}")
        record = {
            "kind": "step", "epoch": epoch, "step": step, "steps_per_epoch": self.steps_per_epoch,
            "global_step": self.state.global_step, "loss": mean_loss,
            "grad_norm": float(grad_norm if grad_norm is not None else gradient_norm(self.model)),
            "samples_per_second": samples_per_second,
            "learning_rate": self.optimizer.param_groups[0]["lr"],
            "eta_seconds": eta_seconds(epoch, step, self.epochs, self.steps_per_epoch, elapsed, done,
                                       self.state.history_seconds),
        }
        self._emit("on_log", record)

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if self.logit_offset is not None:
            outputs = outputs + self.logit_offset
        return self.job.loss(outputs, targets, self.class_weights, self.config.label_smoothing)

    # --------------------------------------------------------------------------------- evaluation
    def evaluate(self, dataset: SequenceDataset) -> dict:
        """Loss and the job's metrics on a whole split (the same `Evaluator` inference uses)."""
        return self.evaluator.evaluate(self.model, dataset)

    def test(self) -> dict:
        """Evaluate the best epoch's weights (not the last) on the test split; the callbacks get the test
        line, then the outputs (`on_test_end`), then the best checkpoint with the test figures in it."""
        if self.best_model_state is not None:
            self.model.load_state_dict(self.best_model_state)
        if self.spec.job == "classify":  # post-hoc calibration fits on these outputs
            metrics, outputs = self.evaluator.evaluate_with_outputs(self.model, self.data.test)
        else:
            metrics, outputs = self.evaluator.evaluate(self.model, self.data.test), None
        record = {"kind": "test", "epoch": self.state.best_epoch, "test": metrics,
                  "baselines": self.data.baselines, "stop_reason": self.stop_reason}
        call_all(self.callbacks, "on_log", self, record)  # training is over: a stop raised now stops nothing
        call_all(self.callbacks, "on_test_end", self, TestResult(record, outputs))
        if self.best_model_state is not None:
            self.emit_checkpoint("best", record)
        call_all(self.callbacks, "on_train_end", self, record)
        return record

    # ----------------------------------------------------------------------------------- checkpoints
    def emit_checkpoint(self, name: str, record: dict | None = None) -> dict:
        """Assemble checkpoint `name` ("best" or "last") as a plain dict, let every callback add its entries,
        then hand it to those that keep it; return it. The engine itself writes nothing.

        best: the best epoch's weights and number, with the epoch's `record`; after the test, with the test
              `record`'s figures instead (the best epoch's line is then for the run folder to add)
        last: the current weights, the epochs completed, the epoch's `record` ({} mid-epoch), the training state
        """
        record = record or {}
        if name == "best" and record.get("kind") == "test":
            checkpoint = {"model": self.best_model_state, "epoch": self.state.best_epoch,
                          "test": record["test"], "baselines": record["baselines"]}
        elif name == "best":
            checkpoint = {"model": self.best_model_state, "epoch": self.state.best_epoch, "metrics": record}
        elif name == "last":
            checkpoint = {"model": self.model.state_dict(), "epoch": self.state.epoch, "metrics": record,
                          "training": self.state_dict()}
        else:
            raise ValueError(f"unknown checkpoint {name!r}; valid: {', '.join(CHECKPOINTS)}")
        self._emit("on_save_checkpoint", name, checkpoint)
        self._emit("on_checkpoint", name, checkpoint)
        return checkpoint

    def _emit(self, hook: str, *arguments) -> None:
        """Call `hook` on every callback, then raise the stop one of them raised (if any)."""
        stop = call_all(self.callbacks, hook, self, *arguments)
        if stop is not None:
            raise stop

    # -------------------------------------------------------------------------------- persistence
    def state_dict(self) -> dict[str, Any]:
        """Plain-dict training state for a checkpoint (the model weights travel separately)."""
        return self.state.to_dict(self.optimizer, self.scaler)

    def load_state_dict(self, state: dict[str, Any], best_model_state: dict | None) -> None:
        """Continue from `state_dict()`'s output and the best epoch's weights (None: none kept)."""
        self.state = TrainingState.restore(state, self.optimizer, self.scaler)
        self.best_model_state = best_model_state


__all__ = ["Callback", "Diverged", "StopRequested", "StopTraining", "TestResult", "Trainer", "make_optimizer",
           "resolve_device"]
