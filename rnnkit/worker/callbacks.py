"""Callbacks that connect the engine to the run folder and the terminal.

Their order does not matter (the contract of `rnnkit.training.events`): every hook reaches every
callback, in phases. At the end of an epoch the engine hands the epoch line to `on_log` (MetricsWriter
appends it), then `on_epoch_end` (GradientProbe appends its probe line, EarlyStopping decides), then
assembles last.pt, to which `Checkpointer` adds how long metrics.jsonl was at that moment, so `resume`
can cut off the lines written after it and no epoch or step is ever recorded twice. After the test,
`PosthocFit` gets the test outputs (`on_test_end`) and adds its fit to best.pt (`on_save_checkpoint`).
Within long epochs last.pt is also saved every `checkpoint_every_seconds` and when a user stops the run
or its time limit ends it (`TimeLimit`), with the step it had reached, so resume continues from that step
instead of redoing the epoch.
"""
from __future__ import annotations

import signal
import sys
import time
from typing import TextIO

from rnnkit.config.run import RunConfig
from rnnkit.core.metrics import METRICS, best_epoch_record, is_better
from rnnkit.runs.folder import Run
from rnnkit.training.checkpoint import save_checkpoint
from rnnkit.training.engine import Callback, StopRequested, StopTraining, TestResult, Trainer
from rnnkit.training.posthoc import fit_model, posthoc_record
from rnnkit.worker.eta import EtaEstimator


class MetricsWriter(Callback):
    """Appends the start line and every step, epoch and test line to metrics.jsonl; keeps status.json fresh.
    Their seconds left are `EtaEstimator`'s from measured steps (null while it estimates), not the engine's."""

    def __init__(self, run: Run, heartbeat_seconds: float = 2.0, clock=time.monotonic) -> None:
        self.run = run
        self.heartbeat_seconds = heartbeat_seconds
        self.clock, self.last_beat = clock, 0.0
        self.eta, self.eta_seconds = EtaEstimator(clock), None  # the estimator, its last estimate written

    def on_train_start(self, trainer: Trainer) -> None:
        self.eta.start()
        # what live charts need before any checkpoint exists: class names, baselines
        self.run.append_metrics({"kind": "start", "spec": trainer.spec.to_dict(),
                                 "baselines": {"validation": trainer.data.validation_baselines,
                                               "test": trainer.data.baselines}, "time": time.time()})

    def on_batch_end(self, trainer: Trainer) -> None:
        self.eta.step_done()

    def on_log(self, trainer: Trainer, record: dict) -> None:
        """Every line the engine reports (step, epoch, test); epoch and test lines are flushed to disk."""
        if record["kind"] in ("step", "epoch"):
            self.eta_seconds = self.eta.on_record(record, trainer.epochs, trainer.steps_per_epoch)
            record = {**record, "eta_seconds": self.eta_seconds}
        self.run.append_metrics({**record, "time": time.time()}, durable=record["kind"] != "step")
        if record["kind"] != "step":
            return
        now = self.clock()
        if now - self.last_beat >= self.heartbeat_seconds:
            self.last_beat = now
            self.run.write_status("running", epoch=record["epoch"], step=record["step"],
                                  steps_per_epoch=record["steps_per_epoch"], epochs=trainer.epochs,
                                  eta_seconds=self.eta_seconds)

    def on_epoch_end(self, trainer: Trainer, record: dict) -> None:
        self.run.write_status("running", epoch=record["epoch"], step=trainer.steps_per_epoch,
                              steps_per_epoch=trainer.steps_per_epoch, epochs=trainer.epochs,
                              eta_seconds=self.eta_seconds)


class GradientProbe(Callback):
    """After every epoch: ||dL_b/dh_t|| of the top layer on a fixed batch of validation sequences, each
    sequence's own loss measured from its own last real step, at ~20 log-spaced distances, as a `probe`
    line of metrics.jsonl with `"measure": "per-sequence"` (the live view draws how far back the
    gradient reaches, epoch by epoch). Runs on a scratch copy of the model, so training is untouched; a
    probe that fails is reported once and switched off, never the run."""

    def __init__(self, run: Run, stream) -> None:
        self.run, self.stream, self.probe = run, stream, None

    def on_train_start(self, trainer: Trainer) -> None:
        from rnnkit.analysis.inside import PROBE_SEQUENCES

        self.probe = next(iter(trainer.data.validation.batches(
            PROBE_SEQUENCES, trim_targets=trainer.job.per_step_targets)), None)

    def on_epoch_end(self, trainer: Trainer, record: dict) -> None:
        from rnnkit.analysis.inside import gradient_flow, probe_summary, sequence_losses

        if self.probe is None:
            return
        started = time.perf_counter()
        try:
            batch = self.probe
            inputs, targets = batch.inputs.to(trainer.device), batch.targets.to(trainer.device)
            flow = gradient_flow(trainer.model,
                                 lambda outputs: sequence_losses(trainer.job, outputs, batch.lengths, targets),
                                 inputs, batch.lengths)
            summary = probe_summary(flow, trainer.model.backbone.directions, batch.lengths)
        except Exception as error:  # noqa: BLE001 - a probe must never end a training run
            self.stream.write(f"gradient probe switched off: {type(error).__name__}: {error}\n")
            self.probe = None
            return
        self.run.append_metrics({"kind": "probe", "epoch": record["epoch"], **summary,
                                 "seconds": round(time.perf_counter() - started, 4)})


class PosthocFit(Callback):
    """Classifiers, once tested: fit the temperature and the balanced decision's tau on the validation
    split (rnnkit.training.posthoc) with the test outputs the engine hands over, log them as a `posthoc`
    line (raw and calibrated test ECE, the balanced test scores, the tau curves) and add them to best.pt."""

    def __init__(self, run: Run, stream) -> None:
        self.run, self.stream = run, stream
        self.result: dict | None = None

    def on_test_end(self, trainer: Trainer, result: TestResult) -> None:
        if trainer.spec.job != "classify" or trainer.best_model_state is None or not len(trainer.data.validation):
            return
        started = time.perf_counter()
        try:  # the weights are the best epoch's (Trainer.test loaded them)
            fitted = fit_model(trainer.evaluator, trainer.model, trainer.data, test=result.outputs)
        except Exception as error:  # noqa: BLE001 - calibration must never fail a finished run
            self.stream.write(f"post-hoc calibration skipped: {type(error).__name__}: {error}\n")
            return
        self.result = fitted
        self.run.append_metrics(posthoc_record(result.record["epoch"], fitted, time.perf_counter() - started))
        test = fitted["test"]
        self.stream.write(f"[{self.run.run_id}] calibrated: temperature {fitted['temperature']:.2f}, test ECE "
                          f"{test['ece']:.4f} -> {test['ece_calibrated']:.4f}; balanced decision tau "
                          f"{fitted['tau']:g}: test macro-F1 {test['balanced']['macro_f1']:.4f}\n")

    def on_save_checkpoint(self, trainer: Trainer, name: str, checkpoint: dict) -> None:
        if name == "best" and "test" in checkpoint and self.result:
            checkpoint["posthoc"] = self.result


class Checkpointer(Callback):
    """Keeps the engine's checkpoints in the run folder: best.pt when validation improves and once more
    with the test figures, last.pt after every epoch, every `checkpoint_every_seconds` within an epoch,
    and when a user stops the run. Adds what rebuilding the model needs, and where metrics.jsonl ended."""

    def __init__(self, run: Run, config: RunConfig, artifacts: dict) -> None:
        self.run = run
        self.config = config
        self.artifacts = artifacts
        self.every_seconds = config.train.checkpoint_every_seconds
        self.last_save = time.monotonic()

    def on_save_checkpoint(self, trainer: Trainer, name: str, checkpoint: dict) -> None:
        checkpoint.update(config=self.config.to_dict(), spec=trainer.spec.to_dict(), artifacts=self.artifacts)
        if name == "last":  # resume cuts metrics.jsonl back to this length
            checkpoint["training"]["metrics_offset"] = self.run.metrics_size()
        elif "test" in checkpoint:  # the tested best: its epoch's line, also when that epoch ran before a resume
            checkpoint["metrics"] = best_epoch_record(self.run.metrics("epoch")) or {}

    def on_checkpoint(self, trainer: Trainer, name: str, checkpoint: dict) -> None:
        save_checkpoint(self.run.best_path if name == "best" else self.run.last_path, checkpoint)
        if name == "last":
            self.last_save = time.monotonic()

    def on_batch_end(self, trainer: Trainer) -> None:
        if self.every_seconds and time.monotonic() - self.last_save >= self.every_seconds:
            trainer.emit_checkpoint("last")


class StopCheck(Callback):
    """Ends training after the current batch when a stop was requested (file or SIGTERM)."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.signalled = False

    def install_signal_handler(self) -> None:
        def handle(signum, frame):  # the signal handler signature
            self.signalled = True
        signal.signal(signal.SIGTERM, handle)

    def on_train_start(self, trainer: Trainer) -> None:
        self.on_batch_end(trainer)

    def on_batch_end(self, trainer: Trainer) -> None:
        if self.signalled or self.run.stop_requested():
            raise StopRequested("stop requested")


class TimeLimit(Callback):
    """Ends the run like a user stop once `seconds` of wall time have passed since the worker started it
    (loading the data counts): after the current batch, as `stopped` with stop_reason "time limit" and
    last.pt at the step reached, so `resume` continues. It is checked after each batch, so a run that
    starts past its limit still trains one batch and keeps a checkpoint."""

    REASON = "time limit"

    def __init__(self, seconds: float, clock=time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self.started = clock()

    def on_batch_end(self, trainer: Trainer) -> None:
        if self.clock() - self.started >= self.seconds:
            raise StopRequested(self.REASON)


class EarlyStopping(Callback):
    """Stops after `patience` epochs without a better validation metric, or once the validation
    metric reaches `stop_at_score` (nothing left to learn: the class need not wait)."""

    def __init__(self, patience: int, stop_at_score: float = 0.0) -> None:
        self.patience = patience
        self.stop_at_score = stop_at_score

    def on_epoch_end(self, trainer: Trainer, record: dict) -> None:
        value = record["validation"][record["monitor"]]
        if self.stop_at_score and not is_better(record["monitor"], self.stop_at_score, value):
            raise StopTraining(f"validation {record['monitor']} reached {value:.4g} at epoch {record['epoch']} "
                               f"(target {self.stop_at_score:g})")
        if self.patience and record["epoch"] - trainer.state.best_epoch >= self.patience:
            raise StopTraining(
                f"early stopping: no better validation {record['monitor']} for {self.patience} epochs "
                f"(best at epoch {trainer.state.best_epoch})"
            )


class ConsoleProgress(Callback):
    """Progress in a terminal: a tqdm bar within each epoch and one line per epoch. Into a log file
    (not a terminal) it writes a progress line at most every `quiet_seconds` instead of a bar, so a
    long epoch never looks like a hang."""

    def __init__(self, stream: TextIO | None = None, prefix: str = "", quiet_seconds: float = 30.0) -> None:
        self.stream, self.prefix = stream or sys.stdout, prefix
        self.interactive = self.stream.isatty()
        self.quiet_seconds = quiet_seconds
        self.last_line, self.bar = time.monotonic(), None
        self.eta = EtaEstimator()  # the log line's ETA, from measured steps (as metrics.jsonl's)

    def on_train_start(self, trainer: Trainer) -> None:
        self.eta.start()

    def on_batch_end(self, trainer: Trainer) -> None:
        self.eta.step_done()
        if not self.interactive:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=trainer.steps_per_epoch, initial=trainer.state.step - 1, file=self.stream,
                            desc=f"{self.prefix}epoch {trainer.state.epoch + 1}/{trainer.epochs}", unit="step",
                            leave=False, dynamic_ncols=True)
        self.bar.update(1)

    def on_log(self, trainer: Trainer, record: dict) -> None:
        if record["kind"] not in ("step", "epoch"):
            return
        eta = self.eta.on_record(record, trainer.epochs, trainer.steps_per_epoch)
        if record["kind"] != "step":
            return
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{record['loss']:.4f}", refresh=False)
        elif not self.interactive and time.monotonic() - self.last_line >= self.quiet_seconds:
            self.last_line = time.monotonic()
            self.stream.write(f"{self.prefix}epoch {record['epoch']}/{trainer.epochs} step {record['step']}/"
                              f"{record['steps_per_epoch']} loss {record['loss']:.4f} "
                              f"{record['samples_per_second']:.0f} samples/s ETA "
                              + (f"{eta:.0f}s\n" if eta is not None else "estimating\n"))
            self.stream.flush()

    def _close_bar(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def on_stop(self, trainer: Trainer) -> None:
        self._close_bar()

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        self._close_bar()

    def on_epoch_end(self, trainer: Trainer, record: dict) -> None:
        self._close_bar()
        shown = _scalars(record["validation"])
        marker = " *" if record["improved"] else ""
        self.stream.write(
            f"{self.prefix}epoch {record['epoch']}/{trainer.epochs} "
            f"train loss {record['train']['loss']:.4f} | val {shown} | {record['epoch_seconds']:.1f}s{marker}\n"
        )
        self.stream.flush()

    def on_train_end(self, trainer: Trainer, record: dict) -> None:
        reason = f" ({record['stop_reason']})" if record.get("stop_reason") else ""
        self.stream.write(f"{self.prefix}test (best epoch {record['epoch']}): {_scalars(record['test'])}{reason}\n")
        for name, metrics in record.get("baselines", {}).items():
            self.stream.write(f"{self.prefix}  baseline {name}: "
                              + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()) + "\n")
        self.stream.flush()


def _scalars(metrics: dict) -> str:
    """'loss 0.1234, accuracy 0.9876, ...' in the order of `rnnkit.core.metrics.METRICS`."""
    return ", ".join(f"{key} {metrics[key]:.4f}" for key in METRICS if key in metrics)
