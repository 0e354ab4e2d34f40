"""Training behaviour: it learns, it is reproducible, checkpoints round-trip, failures are reported."""
import io

import pytest
import torch

from rnnkit.config.run import ModelConfig, RunConfig, TaskConfig, TrainConfig
from rnnkit.data.presets import build_config
from rnnkit.data.tasks import get_task
from rnnkit.model.heads import build_model
from rnnkit.training.checkpoint import CheckpointError, load_checkpoint, model_from_checkpoint, save_checkpoint
from rnnkit.training.engine import Callback, StopTraining, Trainer
from rnnkit.worker.execute import execute

SMALL_TASK = TaskConfig(name="recall", options={"sequence_length": 12, "num_samples": 300})


def small_data(seed=0, task=SMALL_TASK):
    return get_task(task.name).load(task, seed, progress=lambda text: None)


def small_run_config(**train):
    train = {"epochs": 2, "batch_size": 32, "log_every_steps": 2, **train}
    return RunConfig(task=SMALL_TASK, model=ModelConfig(hidden_size=16), train=TrainConfig(**train))


@pytest.mark.parametrize("impl,arch", [("fused", "lstm"), ("scratch", "gru"), ("scratch", "reslstm")])
def test_overfits_one_batch(impl, arch):
    data = small_data()
    torch.manual_seed(0)
    model = build_model(ModelConfig(arch=arch, impl=impl, hidden_size=32), data.spec)
    trainer = Trainer(model, data, TrainConfig(learning_rate=0.01, batch_size=16))
    batch = data.train.batch(torch.arange(16))
    for _ in range(150):
        loss = trainer.loss(model(batch.inputs, batch.lengths), batch.targets)
        trainer.optimizer.zero_grad()
        loss.backward()
        trainer.optimizer.step()
    assert loss.item() < 0.05


def test_same_seed_gives_same_split_and_same_initial_weights():
    first, second, other = small_data(seed=3), small_data(seed=3), small_data(seed=4)
    assert torch.equal(first.train.inputs, second.train.inputs)
    assert torch.equal(first.test.targets, second.test.targets)
    assert not torch.equal(first.train.inputs, other.train.inputs)
    weights = []
    for _ in range(2):
        torch.manual_seed(3)
        weights.append(build_model(ModelConfig(), first.spec).state_dict())
    assert all(torch.equal(weights[0][name], weights[1][name]) for name in weights[0])


def test_checkpoint_round_trip_gives_identical_outputs(tmp_path):
    data = small_data()
    config = small_run_config()
    model = build_model(ModelConfig(arch="gru", impl="scratch", hidden_size=16, bidirectional=True), data.spec)
    config = RunConfig(task=config.task, model=model.config, train=config.train)
    path = tmp_path / "model.pt"
    save_checkpoint(path, {"model": model.state_dict(), "config": config.to_dict(), "spec": data.spec.to_dict(),
                           "artifacts": data.artifacts, "epoch": 1, "metrics": {}})
    restored = model_from_checkpoint(load_checkpoint(path))
    batch = data.test.batch(torch.arange(10))
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(batch.inputs, batch.lengths), restored(batch.inputs, batch.lengths))


def test_a_checkpoint_that_is_not_a_plain_dict_is_refused(tmp_path):
    path = tmp_path / "pickled_module.pt"
    torch.save(torch.nn.Linear(2, 2), path)  # a whole pickled module: could run code on load
    with pytest.raises(CheckpointError, match="weights_only"):
        load_checkpoint(path)


def test_corrupt_missing_and_foreign_checkpoints_are_refused(tmp_path):
    with pytest.raises(CheckpointError, match="missing.pt does not exist"):
        load_checkpoint(tmp_path / "missing.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x80\x02not really a checkpoint")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(corrupt)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(CheckpointError, match="not an rnnkit checkpoint"):
        load_checkpoint(foreign)


def test_training_learns_recall_and_tests_the_best_epoch():
    data = small_data(task=TaskConfig(name="recall", options={"sequence_length": 12, "num_samples": 800}))
    torch.manual_seed(0)
    model = build_model(ModelConfig(hidden_size=32, gate_init="chrono"), data.spec)
    records = []

    class Recorder(Callback):
        def on_epoch_end(self, trainer, record):
            records.append(record)

    trainer = Trainer(model, data, TrainConfig(epochs=6, batch_size=16, learning_rate=0.01), [Recorder()])
    result = trainer.fit()
    assert [record["epoch"] for record in records] == [1, 2, 3, 4, 5, 6]
    best = max(records, key=lambda record: record["validation"]["accuracy"])
    assert result["epoch"] == trainer.state.best_epoch == best["epoch"]
    assert result["test"]["accuracy"] > 0.5  # chance is 0.1
    validation = records[-1]["validation"]
    assert len(validation["confusion_matrix"]) == 10 and len(validation["per_class"]["f1"]) == 10
    assert sum(map(sum, validation["confusion_matrix"])) == len(data.validation)


def test_a_cosine_schedule_falls_from_the_learning_rate_to_zero_and_smoothing_softens_the_loss():
    data = small_data()
    torch.manual_seed(0)
    model = build_model(ModelConfig(hidden_size=8), data.spec)
    rates = []

    class Recorder(Callback):
        def on_batch_end(self, trainer):
            rates.append(trainer.optimizer.param_groups[0]["lr"])

    config = TrainConfig(epochs=3, batch_size=32, learning_rate=0.01, schedule="cosine", label_smoothing=0.2)
    trainer = Trainer(model, data, config, [Recorder()])
    trainer.fit()
    planned = 3 * trainer.steps_per_epoch
    assert len(rates) == planned and rates[0] == pytest.approx(0.01)
    assert all(later < earlier for earlier, later in zip(rates, rates[1:]))
    assert rates[planned // 2] == pytest.approx(0.005, rel=0.1) and rates[-1] < 0.01 * 0.01
    outputs, targets = torch.randn(5, 10), torch.tensor([1, 2, 3, 4, 5])
    assert trainer.loss(outputs, targets) == pytest.approx(
        float(torch.nn.functional.cross_entropy(outputs, targets, label_smoothing=0.2)))
    model.eval()  # validation losses stay plain cross-entropy
    batch = next(iter(data.validation.batches(len(data.validation))))
    with torch.no_grad():
        plain = torch.nn.functional.cross_entropy(model(batch.inputs, batch.lengths), batch.targets)
    assert trainer.evaluate(data.validation)["loss"] == pytest.approx(float(plain), rel=1e-4)


@pytest.mark.parametrize("option,bad", [("schedule", "linear"), ("label_smoothing", 1.0), ("label_smoothing", -0.1)])
def test_bad_schedules_and_smoothing_are_refused(option, bad):
    with pytest.raises(ValueError, match=option.replace("_", " ") + "|" + option):
        TrainConfig(**{option: bad})


def test_regression_reports_mae_rmse_and_the_baseline():
    task = TaskConfig(name="adding", options={"sequence_length": 10, "num_samples": 300})
    data = small_data(task=task)
    trainer = Trainer(build_model(ModelConfig(hidden_size=16), data.spec), data, TrainConfig(epochs=1, batch_size=32))
    result = trainer.fit()
    assert {"mae", "rmse", "loss"} <= set(result["test"])
    assert result["baselines"]["always 1.0"]["rmse"] == pytest.approx(0.41, abs=0.08)


def test_early_stopping_ends_training_and_still_tests(store):
    config = build_config("recall", None, {"task": {"sequence_length": 8, "num_samples": 200},
                                           "train": {"epochs": 30, "patience": 1, "learning_rate": 1e-9}})
    run = store.create(config)
    assert execute(run, stream=io.StringIO(), install_signals=False) == "completed"
    epochs = run.metrics("epoch")
    assert len(epochs) < 30
    assert "early stopping" in run.metrics("test")[0]["stop_reason"]


def test_batch_larger_than_the_data_is_a_clear_error():
    data = small_data()
    with pytest.raises(ValueError, match="batch_size 5000 is larger than the training split"):
        Trainer(build_model(ModelConfig(), data.spec), data, TrainConfig(batch_size=5000))


def test_a_nan_loss_fails_the_run_as_diverged_and_keeps_checkpoints(store):
    class Poison(Callback):  # after epoch 1, break the weights the way a too-large step would
        def on_epoch_end(self, trainer, record):
            with torch.no_grad():
                next(trainer.model.parameters()).fill_(float("nan"))

    run = store.create(small_run_config(epochs=3))
    assert execute(run, stream=io.StringIO(), install_signals=False, extra_callbacks=(Poison(),)) == "failed"
    status = run.status()
    assert status["state"] == "failed" and "diverged" in status["error"]
    assert load_checkpoint(run.best_path)["epoch"] == 1
    assert load_checkpoint(run.last_path)["epoch"] == 1


def test_dry_run_uses_two_batches_and_one_epoch():
    data = small_data()
    steps = []

    class Counter(Callback):
        def on_batch_end(self, trainer):
            steps.append(1)

    Trainer(build_model(ModelConfig(hidden_size=8), data.spec), data,
            TrainConfig(epochs=5, batch_size=8, dry_run=True), [Counter()]).fit()
    assert len(steps) == 2


def test_stop_training_from_a_callback_is_clean():
    data = small_data()

    class StopAfterFirstEpoch(Callback):
        def on_epoch_end(self, trainer, record):
            raise StopTraining("enough")

    trainer = Trainer(build_model(ModelConfig(hidden_size=8), data.spec), data,
                      TrainConfig(epochs=5, batch_size=32), [StopAfterFirstEpoch()])
    assert trainer.fit()["stop_reason"] == "enough"
    assert trainer.state.epoch == 1


def test_an_empty_split_is_a_clear_error():
    data = small_data()
    data.validation = data.validation.subset(torch.tensor([], dtype=torch.long))
    with pytest.raises(ValueError, match="the validation split is empty"):
        Trainer(build_model(ModelConfig(), data.spec), data, TrainConfig())


class StopAtStep(Callback):
    """Stops the run as a user would, after a given optimiser step."""

    def __init__(self, global_step: int) -> None:
        self.global_step = global_step

    def on_batch_end(self, trainer):
        if trainer.state.global_step == self.global_step:
            from rnnkit.training.engine import StopRequested

            raise StopRequested("stop requested")


def _resume_config(**train):
    return build_config("recall", None, {"task": {"sequence_length": 10, "num_samples": 400},
                                         "model": {"hidden_size": 16, "dropout": 0.3},
                                         "train": {"epochs": 2, "batch_size": 16, "log_every_steps": 4, **train}})


@pytest.mark.parametrize("train", [{}, {"schedule": "cosine", "label_smoothing": 0.1}])
def test_a_stop_mid_epoch_resumes_at_that_step_with_identical_results(store, train):
    """A stop saves the step it ended on (weights, optimiser, RNG); resume skips the batches already
    trained, so the result equals an uninterrupted run's, bit for bit (a cosine schedule included)."""
    straight = store.create(_resume_config(**train))
    assert execute(straight, stream=io.StringIO(), install_signals=False) == "completed"
    stopped = store.create(_resume_config(**train))
    assert execute(stopped, stream=io.StringIO(), install_signals=False, extra_callbacks=(StopAtStep(7),)) == "stopped"
    status = stopped.status()
    assert status["epoch"] == 0 and status["resume_step"] == 7
    assert load_checkpoint(stopped.last_path)["training"]["step"] == 7
    store.prepare_resume(stopped.run_id)
    assert execute(stopped, resume=True, stream=io.StringIO(), install_signals=False) == "completed"
    for name in ("last.pt", "best.pt"):
        ours, theirs = load_checkpoint(stopped.path / name)["model"], load_checkpoint(straight.path / name)["model"]
        assert all(torch.equal(ours[key], theirs[key]) for key in theirs), name
    steps = [(r["epoch"], r["step"]) for r in stopped.metrics("step")]
    assert len(steps) == len(set(steps))  # no step recorded twice
    assert [r["epoch"] for r in stopped.metrics("epoch")] == [1, 2]


def test_a_stop_before_training_starts_ends_stopped_not_failed(store):
    run = store.create(_resume_config())
    run.request_stop()  # e.g. Stop pressed while the run was still loading its data
    run.write_status("queued")
    assert execute(run, stream=io.StringIO(), install_signals=False) == "stopped"
    assert run.status()["state"] == "stopped" and "error" not in run.status()


def test_compiled_training_steps_train_the_same_weights():
    """`compile`: the training steps run under torch.compile and give what the eager steps give. Four steps:
    torch.compile unrolls the cell loop, and its compile time grows with the length (22 s at 12 steps here)."""
    data = small_data(task=TaskConfig(name="recall", options={"sequence_length": 4, "num_samples": 300}))
    weights = []
    for compile_steps in (False, True):
        torch.manual_seed(0)
        model = build_model(ModelConfig(arch="lstm", impl="scratch", hidden_size=8), data.spec)
        trainer = Trainer(model, data, TrainConfig(epochs=1, batch_size=100, compile=compile_steps,
                                                   gradient_probe=False))
        assert (trainer.forward is not model) == compile_steps
        trainer.fit()
        weights.append(model.state_dict())
    for name, value in weights[0].items():
        assert torch.allclose(value, weights[1][name], atol=1e-4), name


def test_compile_refuses_sequences_of_different_lengths(tmp_path):
    from tests import fixtures

    fixtures.write_names(tmp_path)
    task = TaskConfig(name="names", data_dir=str(tmp_path))
    data = get_task("names").load(task, 0, progress=lambda text: None)
    model = build_model(ModelConfig(hidden_size=8), data.spec)
    with pytest.raises(ValueError, match="compile needs sequences of one length"):
        Trainer(model, data, TrainConfig(epochs=1, batch_size=8, compile=True))
