"""Callbacks that connect the engine to the run folder and the terminal.

The order matters at the end of an epoch: `MetricsWriter` appends the epoch line first, then
`Checkpointer` saves last.pt and records how long metrics.jsonl was at that moment, so `resume`
can cut off the lines written after it and no epoch or step is ever recorded twice. Within long
epochs last.pt is also saved every `checkpoint_every_seconds` and when a user stops the run, with the
step it had reached, so resume continues from that step instead of redoing the epoch.
"""
from __future__ import annotations

import signal
import sys
import time
from typing import TextIO

from rnnkit.config.run import RunConfig
from rnnkit.core.metrics import METRICS, is_better
from rnnkit.runs.store import Run
from rnnkit.training.checkpoint import save_checkpoint
from rnnkit.training.engine import Callback, StopRequested, StopTraining, Trainer


class MetricsWriter(Callback):
    """Appends step, epoch and test records to metrics.jsonl and keeps status.json fresh."""

    def __init__(self, run: Run, heartbeat_seconds: float = 2.0) -> None:
        self.run = run
        self.heartbeat_seconds = heartbeat_seconds
        self.last_beat = 0.0

    def on_train_start(self, trainer: Trainer) -> None:
        # what live charts need before any checkpoint exists: class names, baselines
        self.run.append_metrics({"kind": "start", "spec": trainer.spec.to_dict(),
                                 "baselines": {"validation": trainer.data.validation_baselines,
                                               "test": trainer.data.baselines}, "time": time.time()})

    def on_log(self, trainer: Trainer, record: dict) -> None:
        self.run.append_metrics({**record, "time": time.time()})
        now = time.monotonic()
        if now - self.last_beat >= self.heartbeat_seconds:
            self.last_beat = now
            self.run.write_status("running", epoch=record["epoch"], step=record["step"],
                                  steps_per_epoch=record["steps_per_epoch"], epochs=trainer.epochs,
                                  eta_seconds=record["eta_seconds"])

    def on_epoch_end(self, trainer: Trainer, record: dict) -> None:
        self.run.append_metrics({**record, "time": time.time()}, durable=True)
        self.run.write_status("running", epoch=record["epoch"], step=trainer.steps_per_epoch,
                              steps_per_epoch=trainer.steps_per_epoch, epochs=trainer.epochs,
                              eta_seconds=record["eta_seconds"])

    def on_train_end(self, trainer: Trainer, record: dict) -> None:
        self.run.append_metrics({**record, "time": time.time()}, durable=True)


class GradientProbe(Callback):
    """After every epoch: ||dL/dh_t|| of the top layer on a fixed batch of validation sequences, at ~20
    log-spaced distances from the last step, as a `probe` line of metrics.jsonl (the live view draws
    how far back the gradient reaches, epoch by epoch). Runs on a scratch copy of the model, so
    training is untouched; a probe that fails is reported once and switched off, never the run."""

    def __init__(self, run: Run, stream) -> None:
        self.run, self.stream, self.probe = run, stream, None

    def on_train_start(self, trainer: Trainer) -> None:
        from rnnkit.analysis.inside import PROBE_SEQUENCES

        self.probe = next(iter(trainer.data.validation.batches(
            PROBE_SEQUENCES, trim_targets=trainer.job.per_step_targets)), None)

    def on_epoch_end(self, trainer: Trainer, record: dict) -> None:
        from rnnkit.analysis.inside import gradient_flow, probe_summary

        if self.probe is None:
            return
        started = time.perf_counter()
        try:
            batch = self.probe
            inputs, targets = batch.inputs.to(trainer.device), batch.targets.to(trainer.device)
            flow = gradient_flow(trainer.model, lambda outputs: trainer.job.loss(outputs, targets), inputs,
                                 batch.lengths)
            summary = probe_summary(flow, trainer.model.backbone.directions)
        except Exception as error:  # noqa: BLE001 - a probe must never end a training run
            self.stream.write(f"gradient probe switched off: {type(error).__name__}: {error}\n")
            self.probe = None
            return
        self.run.append_metrics({"kind": "probe", "epoch": record["epoch"], **summary,
                                 "seconds": round(time.perf_counter() - started, 4)})


class PosthocFit(Callback):
    """Classifiers, once tested: fit the temperature and the balanced decision's tau on the validation
    split (rnnkit.training.posthoc), log them as a `posthoc` line (raw and calibrated test ECE, the balanced test
    scores, the tau curves) and hand them to the Checkpointer for best.pt. Runs before it."""

    def __init__(self, run: Run, stream) -> None:
        self.run, self.stream = run, stream

    def on_train_end(self, trainer: Trainer, record: dict) -> None:
        from rnnkit.training.posthoc import fit_model

        if trainer.spec.job != "classify" or trainer.best_model_state is None or not len(trainer.data.validation):
            return
        started = time.perf_counter()
        try:  # the weights are the best epoch's (Trainer.test loaded them)
            result = fit_model(trainer.evaluator, trainer.model, trainer.data,
                               test=getattr(trainer.evaluator, "kept", None))
        except Exception as error:  # noqa: BLE001 - calibration must never fail a finished run
            self.stream.write(f"post-hoc calibration skipped: {type(error).__name__}: {error}\n")
            return
        record["posthoc"] = result
        self.run.append_metrics({"kind": "posthoc", "epoch": record["epoch"], **result,
                                 "seconds": round(time.perf_counter() - started, 3)})
        test = result["test"]
        self.stream.write(f"[{self.run.run_id}] calibrated: temperature {result['temperature']:.2f}, test ECE "
                          f"{test['ece']:.4f} -> {test['ece_calibrated']:.4f}; balanced decision tau "
                          f"{result['tau']:g}: test macro-F1 {test['balanced']['macro_f1']:.4f}\n")


class Checkpointer(Callback):
    """best.pt when validation improves, last.pt after every epoch, test metrics into best.pt at the end."""

    def __init__(self, run: Run, config: RunConfig, artifacts: dict) -> None:
        self.run = run
        self.config = config
        self.artifacts = artifacts
        self.every_seconds = config.train.checkpoint_every_seconds
        self.last_save = time.monotonic()

    def _payload(self, trainer: Trainer, model_state: dict, epoch: int, metrics: dict) -> dict:
        return {
            "model": model_state,
            "config": self.config.to_dict(),
            "spec": trainer.spec.to_dict(),
            "artifacts": self.artifacts,
            "epoch": epoch,
            "metrics": metrics,
        }

    def on_epoch_end(self, trainer: Trainer, record: dict) -> None:
        if record["improved"]:
            save_checkpoint(self.run.best_path,
                            self._payload(trainer, trainer.best_model_state, record["epoch"], record))
        self._save_last(trainer, record)

    def on_batch_end(self, trainer: Trainer) -> None:
        if self.every_seconds and time.monotonic() - self.last_save >= self.every_seconds:
            self._save_last(trainer, {})

    def on_stop(self, trainer: Trainer) -> None:
        if trainer.state.step or trainer.state.epoch:  # something was trained since the start
            self._save_last(trainer, {})

    def _save_last(self, trainer: Trainer, record: dict) -> None:
        """last.pt: weights, optimiser, RNG and counters (epoch and step), and where metrics.jsonl ended."""
        training = {**trainer.state_dict(), "metrics_offset": self.run.metrics_size()}
        payload = self._payload(trainer, trainer.model.state_dict(), trainer.state.epoch, record)
        save_checkpoint(self.run.last_path, {**payload, "training": training})
        self.last_save = time.monotonic()

    def on_train_end(self, trainer: Trainer, record: dict) -> None:
        if trainer.best_model_state is None:
            return
        best = self._payload(trainer, trainer.best_model_state, trainer.state.best_epoch, {})
        best["metrics"] = next((r for r in self.run.metrics("epoch") if r["epoch"] == trainer.state.best_epoch), {})
        extra = {"posthoc": record["posthoc"]} if record.get("posthoc") else {}
        save_checkpoint(self.run.best_path, {**best, "test": record["test"], "baselines": record["baselines"], **extra})


class StopCheck(Callback):
    """Ends training after the current batch when a stop was requested (file or SIGTERM)."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.signalled = False

    def install_signal_handler(self) -> None:
        def handle(signum, frame):  # noqa: ARG001 - signal handler signature
            self.signalled = True
        signal.signal(signal.SIGTERM, handle)

    def on_train_start(self, trainer: Trainer) -> None:
        self.on_batch_end(trainer)

    def on_batch_end(self, trainer: Trainer) -> None:
        if self.signalled or self.run.stop_requested():
            raise StopRequested("stop requested")


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
        self.stream = stream or sys.stdout
        self.prefix = prefix
        self.interactive = self.stream.isatty()
        self.quiet_seconds = quiet_seconds
        self.last_line = time.monotonic()
        self.bar = None

    def on_batch_end(self, trainer: Trainer) -> None:
        if not self.interactive:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=trainer.steps_per_epoch, initial=trainer.state.step - 1, file=self.stream,
                            desc=f"{self.prefix}epoch {trainer.state.epoch + 1}/{trainer.epochs}", unit="step",
                            leave=False, dynamic_ncols=True)
        self.bar.update(1)

    def on_log(self, trainer: Trainer, record: dict) -> None:
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{record['loss']:.4f}", refresh=False)
        elif not self.interactive and time.monotonic() - self.last_line >= self.quiet_seconds:
            self.last_line = time.monotonic()
            self.stream.write(f"{self.prefix}epoch {record['epoch']}/{trainer.epochs} step {record['step']}/"
                              f"{record['steps_per_epoch']} loss {record['loss']:.4f} "
                              f"{record['samples_per_second']:.0f} samples/s ETA {record['eta_seconds']:.0f}s\n")
            self.stream.flush()

    def _close_bar(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def on_stop(self, trainer: Trainer) -> None:
        self._close_bar()

    def on_epoch_end(self, trainer: Trainer, record: dict) -> None:
        self._close_bar()
        validation = record["validation"]
        shown = _scalars(validation)
        marker = " *" if record["improved"] else ""
        self.stream.write(
            f"{self.prefix}epoch {record['epoch']}/{trainer.epochs} "
            f"train loss {record['train']['loss']:.4f} | val {shown} | {record['epoch_seconds']:.1f}s{marker}\n"
        )
        self.stream.flush()

    def on_train_end(self, trainer: Trainer, record: dict) -> None:
        test = record["test"]
        shown = _scalars(test)
        reason = f" ({record['stop_reason']})" if record.get("stop_reason") else ""
        self.stream.write(f"{self.prefix}test (best epoch {record['epoch']}): {shown}{reason}\n")
        for name, metrics in record.get("baselines", {}).items():
            self.stream.write(f"{self.prefix}  baseline {name}: "
                              + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()) + "\n")
        self.stream.flush()


def _scalars(metrics: dict) -> str:
    """'loss 0.1234, accuracy 0.9876, ...' in the order of `rnnkit.core.metrics.METRICS`."""
    return ", ".join(f"{key} {metrics[key]:.4f}" for key in METRICS if key in metrics)
