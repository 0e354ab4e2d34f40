"""The training engine: optimise, evaluate, and tell callbacks what happened. No file I/O, no UI.

    for each epoch:
        for each batch:  forward -> loss -> backward -> clip -> step     (on_batch_end every step,
                                                                          on_log every N steps)
        evaluate on validation                                            (on_epoch_end)
    evaluate the best epoch's weights on test                             (on_train_end)

A callback ends training early by raising `StopTraining` (stop requests, early stopping); the engine
finishes cleanly and reports the reason. A loss that stops being finite raises `Diverged`.
What differs between jobs (loss, metrics) comes from `rnnkit.model.jobs`; validation and test go through
the same `Evaluator` that inference uses.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from rnnkit.config.run import TrainConfig
from rnnkit.core.metrics import is_better
from rnnkit.data.datasets import SequenceDataset, TaskData
from rnnkit.model.jobs import get_job
from rnnkit.training.evaluator import Evaluator, autocast_dtype, resolve_device

DRY_RUN_BATCHES = 2  # batches per split in a dry run


class StopTraining(Exception):
    """Raised by a callback to end training after the current batch; the message is the reason."""


class StopRequested(StopTraining):
    """A user asked the run to stop: end now, without the test evaluation (run `eval` later)."""


class Diverged(RuntimeError):
    """The training loss became NaN or infinite."""


class Callback:
    """Receives training events; override what you need."""

    def on_train_start(self, trainer: "Trainer") -> None: ...
    def on_batch_end(self, trainer: "Trainer") -> None: ...  # every step: keep it cheap
    def on_log(self, trainer: "Trainer", record: dict) -> None: ...  # every `log_every_steps` steps
    def on_epoch_end(self, trainer: "Trainer", record: dict) -> None: ...
    def on_train_end(self, trainer: "Trainer", record: dict) -> None: ...
    def on_stop(self, trainer: "Trainer") -> None: ...  # a user stopped the run (state is at a step boundary)


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    parameters = [parameter for parameter in model.parameters() if parameter.requires_grad]
    if config.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=config.learning_rate, weight_decay=config.weight_decay)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=config.weight_decay)
    if config.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=config.learning_rate, momentum=0.9, weight_decay=config.weight_decay)
    raise ValueError(f"unknown optimizer {config.optimizer!r}; valid: adam, adamw, sgd")


@dataclass
class TrainingState:
    """What a checkpoint must carry to continue training where it stopped."""

    epoch: int = 0  # epochs completed
    step: int = 0  # batches done in the epoch after `epoch` (a mid-epoch checkpoint resumes there)
    global_step: int = 0
    best_value: float | None = None
    best_epoch: int = 0
    history_seconds: list[float] = field(default_factory=list)  # train+eval seconds per epoch


class Trainer:
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
        callbacks then get `on_stop`, so the state of the last finished step can be saved."""
        try:
            for callback in self.callbacks:
                callback.on_train_start(self)
            while self.state.epoch < self.epochs:
                self._run_epoch(self.state.epoch + 1)
        except StopRequested as stop:
            self.stop_reason = str(stop) or "stopped"
            for callback in self.callbacks:
                callback.on_stop(self)
            return None
        except StopTraining as stop:  # early stopping: the best epoch is known, so test it
            self.stop_reason = str(stop)
        return self.test()

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
        for callback in self.callbacks:
            callback.on_epoch_end(self, record)

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
        window = _Window(self.device)
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
            self._schedule()
            self.scaler.scale(loss).backward()
            grad_norm = self._clip()
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
            for callback in self.callbacks:
                callback.on_batch_end(self)
        return collected

    def _log(self, epoch: int, step: int, window: "_Window", grad_norm, elapsed: float, done: int) -> None:
        mean_loss, samples_per_second = window.take()
        if not math.isfinite(mean_loss):
            raise Diverged(f"diverged: the training loss became {mean_loss} at epoch {epoch}, step {step}")
        record = {
            "kind": "step", "epoch": epoch, "step": step, "steps_per_epoch": self.steps_per_epoch,
            "global_step": self.state.global_step, "loss": mean_loss,
            "grad_norm": float(grad_norm if grad_norm is not None else self._grad_norm()),
            "samples_per_second": samples_per_second,
            "learning_rate": self.optimizer.param_groups[0]["lr"],
            "eta_seconds": self._eta(epoch, step, elapsed, done),
        }
        for callback in self.callbacks:
            callback.on_log(self, record)

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if self.logit_offset is not None:
            outputs = outputs + self.logit_offset
        return self.job.loss(outputs, targets, self.class_weights, self.config.label_smoothing)

    def _schedule(self) -> None:
        """The learning rate of the coming step. Cosine: from `learning_rate` to 0 over the planned steps;
        read from the global step alone, so a resumed run continues the curve where it stopped."""
        if self.config.schedule != "cosine":
            return
        planned = max(1, self.epochs * self.steps_per_epoch)
        progress = min(1.0, self.state.global_step / planned)
        for group in self.optimizer.param_groups:
            group["lr"] = self.config.learning_rate * 0.5 * (1.0 + math.cos(math.pi * progress))

    def _clip(self) -> torch.Tensor | None:
        if self.config.gradient_clip <= 0:
            return None
        self.scaler.unscale_(self.optimizer)
        return nn.utils.clip_grad_norm_(self.model.parameters(), self.config.gradient_clip)

    def _grad_norm(self) -> float:
        grads = [p.grad for p in self.model.parameters() if p.grad is not None]
        return float(torch.nn.utils.get_total_norm(grads)) if grads else 0.0

    def _eta(self, epoch: int, step: int, elapsed: float, done: int) -> float:
        """Seconds left: this epoch's pace for the rest of it, past epochs' length for the others."""
        per_step = elapsed / max(done, 1)
        rest_of_epoch = per_step * (self.steps_per_epoch - step)
        if self.state.history_seconds:
            per_epoch = sum(self.state.history_seconds) / len(self.state.history_seconds)
        else:
            per_epoch = per_step * self.steps_per_epoch * 1.15  # + validation, before it was measured
        return rest_of_epoch + per_epoch * (self.epochs - epoch)

    # --------------------------------------------------------------------------------- evaluation
    def evaluate(self, dataset: SequenceDataset) -> dict:
        """Loss and the job's metrics on a whole split (the same `Evaluator` inference uses)."""
        return self.evaluator.evaluate(self.model, dataset)

    def test(self) -> dict:
        """Evaluate the best epoch's weights (not the last) on the test split."""
        if self.best_model_state is not None:
            self.model.load_state_dict(self.best_model_state)
        record = {
            "kind": "test", "epoch": self.state.best_epoch,
            "test": self.evaluator.evaluate(self.model, self.data.test, keep_outputs=self.spec.job == "classify"),
            "baselines": self.data.baselines, "stop_reason": self.stop_reason,
        }
        for callback in self.callbacks:
            callback.on_train_end(self, record)
        return record

    # -------------------------------------------------------------------------------- persistence
    def state_dict(self) -> dict[str, Any]:
        """Plain-dict training state for a checkpoint (the model weights travel separately)."""
        return {
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict(),
            "epoch": self.state.epoch,
            "step": self.state.step,
            "global_step": self.state.global_step,
            "best_value": self.state.best_value,
            "best_epoch": self.state.best_epoch,
            "history_seconds": list(self.state.history_seconds),
            "torch_rng": torch.get_rng_state(),
        }

    def load_state_dict(self, state: dict[str, Any], best_model_state: dict | None) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.state = TrainingState(
            epoch=int(state["epoch"]), step=int(state.get("step", 0)), global_step=int(state["global_step"]),
            best_value=state["best_value"], best_epoch=int(state["best_epoch"]),
            history_seconds=list(state.get("history_seconds", [])),
        )
        if state.get("torch_rng") is not None:
            torch.set_rng_state(state["torch_rng"])
        self.best_model_state = best_model_state


class _Window:
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


__all__ = ["Callback", "Diverged", "StopRequested", "StopTraining", "Trainer", "resolve_device"]
