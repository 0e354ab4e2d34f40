"""ETAs from measured step times (issue 30.2), on a fake clock: no test sleeps.

The engine's first guess came from the first step alone (the allocator, the kernels and the data loader
warming up, the group's other runs loading their libraries), so runs that ended in minutes said "ETA 178
min" at their start. Now the first steps after a start or resume are left out, no ETA is given until a few
are timed (the dashboard says "estimating…"), and the time of a step is the mean of the recent ones.
"""
from __future__ import annotations

import io
import statistics
from types import SimpleNamespace

import pytest

from rnnkit.analysis import reports
from rnnkit.data.presets import build_config
from rnnkit.training.progress import UNMEASURED_VALIDATION
from rnnkit.ui.live import progress_text
from rnnkit.worker import eta as eta_module
from rnnkit.worker.callbacks import ConsoleProgress, MetricsWriter
from rnnkit.worker.eta import MIN_MEASURED_STEPS, WARMUP_STEPS, EtaEstimator


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _steps(estimator: EtaEstimator, clock: FakeClock, durations: list[float]) -> None:
    for seconds in durations:
        clock.advance(seconds)
        estimator.step_done()


def test_no_estimate_from_the_warm_up_steps_then_the_measured_ones():
    clock = FakeClock()
    estimator = EtaEstimator(clock)
    estimator.start()
    _steps(estimator, clock, [30.0, 25.0, 20.0])  # the untimed first step, then the warm-up ones: slow
    assert 1 + WARMUP_STEPS == 3
    assert estimator.seconds_left(1, 3, 8, 100) is None  # nothing measured yet: "estimating…"
    _steps(estimator, clock, [0.5] * (MIN_MEASURED_STEPS - 1))
    assert estimator.seconds_left(1, 7, 8, 100) is None  # 4 timed steps are not enough
    _steps(estimator, clock, [0.5])
    # 5 steps of 0.5 s after 8 in all: 92 steps left of epoch 1, 7 epochs of 100 more, 8 validation passes estimated at
    # UNMEASURED_VALIDATION - 1 of an epoch's steps (0.15 x 50 s)
    expected = 0.5 * (92 + 700) + 0.5 * 100 * (UNMEASURED_VALIDATION - 1) * 8
    assert estimator.seconds_left(1, 8, 8, 100) == pytest.approx(expected)
    # the engine's way (elapsed / steps of this epoch) says 9.7 s a step here: an ETA 19 times too long
    engine_per_step = (30.0 + 25.0 + 20.0 + 0.5 * 5) / 8
    assert engine_per_step > 19 * 0.5


def test_the_mean_step_counts_the_steps_that_wait_for_a_core_and_the_pause_between_epochs_is_timed():
    """On a shared machine most steps are quick and some wait: the run lasts their sum, so the mean is used."""
    clock = FakeClock()
    estimator = EtaEstimator(clock)
    estimator.start()
    waits = [0.2, 0.2, 0.2, 0.2, 3.2] * 2  # one step in five waits 3 s for a core: 0.8 s a step on average
    _steps(estimator, clock, [9.0, 9.0, 9.0] + waits)
    assert statistics.median(waits) == pytest.approx(0.2)
    assert estimator.seconds_per_step() == pytest.approx(0.8)
    estimator.epoch_done()
    clock.advance(12.0 + 0.8)  # validation, probe and checkpoints, then the next epoch's first step
    estimator.step_done()
    assert estimator.seconds_per_step() == pytest.approx(0.8)  # that step is not a step time ...
    assert estimator.boundary_seconds == [pytest.approx(12.0)]  # ... but the pause, less one step
    assert estimator.seconds_left_after_epoch(1, 3, 10) == pytest.approx((10 * 0.8 + 12.0) * 2)
    assert estimator.seconds_left(2, 4, 3, 10) == pytest.approx(0.8 * (6 + 10) + 12.0 * 2)


def test_a_few_slow_steps_are_enough_after_half_a_minute():
    clock = FakeClock()
    estimator = EtaEstimator(clock)
    estimator.start()
    _steps(estimator, clock, [60.0, 50.0, 50.0, 20.0])
    assert estimator.seconds_left(1, 4, 1, 10) is None  # one slow step is no estimate
    _steps(estimator, clock, [20.0])
    assert eta_module.MIN_MEASURED_SECONDS <= 40.0
    assert estimator.seconds_left(1, 5, 1, 10) == pytest.approx(20.0 * 5 + 20.0 * 10 * (UNMEASURED_VALIDATION - 1))


def test_a_resume_warms_up_again():
    clock = FakeClock()
    estimator = EtaEstimator(clock)
    estimator.start()
    _steps(estimator, clock, [1.0] * 10)
    assert estimator.seconds_per_step() == pytest.approx(1.0)
    estimator.start()  # a new process: its first steps are slow again, and left out
    _steps(estimator, clock, [30.0, 30.0, 30.0])
    assert estimator.seconds_per_step() == pytest.approx(1.0)


def _trainer(epochs: int, steps_per_epoch: int):
    spec = SimpleNamespace(to_dict=lambda: {"job": "classify"})
    return SimpleNamespace(epochs=epochs, steps_per_epoch=steps_per_epoch, spec=spec,
                           data=SimpleNamespace(validation_baselines={}, baselines={}))


def _step(epoch: int, step: int, steps_per_epoch: int, engine_eta: float) -> dict:
    return {"kind": "step", "epoch": epoch, "step": step, "steps_per_epoch": steps_per_epoch, "global_step": step,
            "loss": 1.0, "grad_norm": 1.0, "samples_per_second": 10.0, "learning_rate": 0.001,
            "eta_seconds": engine_eta}


def test_the_run_folder_says_estimating_then_the_measured_eta(store):
    """MetricsWriter writes its estimate (null while estimating) into metrics.jsonl and status.json in place of
    the engine's first guess; the live row says "ETA estimating…", then the measured figure."""
    run = store.create(build_config("recall", None, {"train": {"epochs": 2}}))
    run.write_status("running", epochs=2)
    clock = FakeClock()
    writer = MetricsWriter(run, heartbeat_seconds=0.0, clock=clock)
    trainer = _trainer(epochs=2, steps_per_epoch=20)
    writer.on_train_start(trainer)
    durations = [40.0, 8.0, 8.0] + [1.0] * 8  # a first step slowed by the other runs starting, then 1 s
    for step, seconds in enumerate(durations, start=1):
        clock.advance(seconds)
        writer.on_log(trainer, _step(1, step, 20, engine_eta=10_000.0))  # the engine's wild guess
        writer.on_batch_end(trainer)
        if step == 2:
            status = reports.progress(run)
            assert status["eta_seconds"] is None and status["eta_estimating"]
            assert progress_text(status) == "epoch 1/2 · step 2/20 · ETA estimating…"
            assert run.status().get("eta_seconds") is None
    written = [record["eta_seconds"] for record in run.metrics("step")]
    assert written[:1 + WARMUP_STEPS + MIN_MEASURED_STEPS] == [None] * (1 + WARMUP_STEPS + MIN_MEASURED_STEPS)
    status = reports.progress(run)
    expected = 1.0 * (9 + 20) + 1.0 * 20 * (UNMEASURED_VALIDATION - 1) * 2  # after step 11: 9 + 20 steps left
    assert status["eta_seconds"] == pytest.approx(expected) and not status["eta_estimating"]
    assert progress_text(status) == "epoch 1/2 · step 11/20 · ETA 35 s"
    assert run.status()["eta_seconds"] == pytest.approx(expected)


def test_the_log_line_says_estimating_too():
    stream = io.StringIO()
    console = ConsoleProgress(stream, quiet_seconds=0.0)
    trainer = _trainer(epochs=1, steps_per_epoch=10)
    console.on_train_start(trainer)
    console.on_log(trainer, _step(1, 1, 10, engine_eta=10_000.0))
    assert stream.getvalue().endswith("ETA estimating\n") and "10000" not in stream.getvalue()
