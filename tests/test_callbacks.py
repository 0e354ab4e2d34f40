"""Callbacks have a contract, not an order: shuffling the callback list leaves the run folder as it was."""
import io
import json
import random

import pytest
import torch

import rnnkit.worker.execute as worker
from rnnkit.config.run import ModelConfig, TaskConfig, TrainConfig
from rnnkit.data.presets import build_config
from rnnkit.data.tasks import get_task
from rnnkit.model.heads import build_model
from rnnkit.runs.store import RunStore
from rnnkit.training.checkpoint import load_checkpoint
from rnnkit.training.engine import Callback, StopTraining, Trainer
from rnnkit.worker.execute import execute

TIME_FIELDS = {"time", "created_at", "seconds", "train_seconds", "epoch_seconds", "samples_per_second", "eta_seconds"}
ORDERS = ("as built", "reversed", "shuffled 1", "shuffled 2")


def arrange(callbacks: list, order: str) -> list:
    if order == "as built":
        return callbacks
    if order == "reversed":
        return callbacks[::-1]
    shuffled = list(callbacks)
    random.Random(order).shuffle(shuffled)
    return shuffled


def without_time(value):
    """A record with its clock readings left out (they differ from one run to the next)."""
    if isinstance(value, dict):
        return {key: without_time(item) for key, item in value.items() if key not in TIME_FIELDS}
    if isinstance(value, list):
        return [without_time(item) for item in value]
    return value


def lines_before(run, offset: int) -> int:
    """How many metrics.jsonl lines lie before byte `offset` (what resume keeps)."""
    return run.metrics_path.read_bytes()[:offset].count(b"\n")


def tensors_equal(first: dict, second: dict) -> bool:
    return first.keys() == second.keys() and all(torch.equal(first[key], second[key]) for key in first)


def train_in_order(root, train: dict, order: str, monkeypatch):
    """One tiny recall run (gradient probe and post-hoc fit included), its callbacks in `order`."""
    built = worker.run_callbacks
    monkeypatch.setattr(worker, "run_callbacks", lambda *arguments: arrange(built(*arguments), order))
    config = build_config("recall", None, {"task": {"sequence_length": 8, "num_samples": 200},
                                           "model": {"hidden_size": 16},
                                           "train": {"batch_size": 32, "log_every_steps": 2, **train}})
    run = RunStore(root / order.replace(" ", "-")).create(config, run_id="shuffle")
    assert execute(run, stream=io.StringIO(), install_signals=False) == "completed"
    monkeypatch.setattr(worker, "run_callbacks", built)
    return run


@pytest.mark.parametrize("train", [{"epochs": 2}, {"epochs": 3, "stop_at_score": 0.01}],
                         ids=["two epochs", "early stop at epoch 1"])
def test_the_order_of_the_callbacks_changes_nothing_in_the_run_folder(tmp_path, monkeypatch, train):
    runs = {order: train_in_order(tmp_path, train, order, monkeypatch) for order in ORDERS}
    reference = runs["as built"]
    kinds = [record["kind"] for record in reference.metrics()]
    assert {"start", "step", "epoch", "probe", "test", "posthoc"} <= set(kinds)
    assert kinds.index("posthoc") > kinds.index("test")
    best, last = load_checkpoint(reference.best_path), load_checkpoint(reference.last_path)
    assert best["posthoc"] and best["test"] and best["metrics"]["epoch"] == best["epoch"]
    if "stop_at_score" in train:  # early stopping ended the run, and the stopping epoch was still kept
        assert "reached" in reference.metrics("test")[0]["stop_reason"] and last["epoch"] == 1
    for order, run in runs.items():
        assert without_time(run.metrics()) == without_time(reference.metrics()), order
        for name in ("best.pt", "last.pt"):
            ours, theirs = load_checkpoint(run.path / name), load_checkpoint(reference.path / name)
            assert tensors_equal(ours["model"], theirs["model"]), (order, name)
            assert ours.keys() == theirs.keys(), (order, name)
            for key in ("epoch", "config", "spec", "artifacts", "test", "baselines", "posthoc"):
                assert ours.get(key) == theirs.get(key), (order, name, key)
            assert without_time(ours["metrics"]) == without_time(theirs["metrics"]), (order, name)
        ours, theirs = load_checkpoint(run.last_path)["training"], load_checkpoint(reference.last_path)["training"]
        assert lines_before(run, ours["metrics_offset"]) == lines_before(reference, theirs["metrics_offset"])
        assert lines_before(run, ours["metrics_offset"]) == len(run.metrics_path.read_bytes().splitlines()) - 2
        assert without_time(json.loads(run.config_path.read_text())) == without_time(
            json.loads(reference.config_path.read_text()))


class Recorder(Callback):
    """Notes which hooks it heard, and may stop training at the end of an epoch."""

    def __init__(self, stop: bool = False) -> None:
        self.heard, self.stop = [], stop

    def on_epoch_end(self, trainer, record):
        self.heard.append(("epoch", record["epoch"]))
        if self.stop:
            raise StopTraining("enough")

    def on_checkpoint(self, trainer, name, checkpoint):
        self.heard.append((name, checkpoint["epoch"]))

    def on_exception(self, trainer, error):
        self.heard.append(("exception", type(error).__name__))


def tiny_trainer(callbacks, epochs=2):
    task = TaskConfig(name="recall", options={"sequence_length": 6, "num_samples": 120})
    data = get_task("recall").load(task, 0, progress=lambda text: None)
    torch.manual_seed(0)
    return Trainer(build_model(ModelConfig(hidden_size=8), data.spec), data,
                   TrainConfig(epochs=epochs, batch_size=32, gradient_probe=False), callbacks)


def test_a_stop_raised_first_still_lets_every_callback_see_the_epoch_and_its_checkpoints():
    stopper, listener = Recorder(stop=True), Recorder()
    result = tiny_trainer([stopper, listener], epochs=3).fit()
    assert result["stop_reason"] == "enough"
    assert listener.heard == stopper.heard == [("epoch", 1), ("best", 1), ("last", 1), ("best", 1)]


def test_every_callback_hears_of_a_failure_and_the_error_propagates():
    class Broken(Callback):
        def on_epoch_end(self, trainer, record):
            raise RuntimeError("broken callback")

    first, second = Recorder(), Recorder()
    with pytest.raises(RuntimeError, match="broken callback"):
        tiny_trainer([first, Broken(), second]).fit()
    assert first.heard[-1] == second.heard[-1] == ("exception", "RuntimeError")
