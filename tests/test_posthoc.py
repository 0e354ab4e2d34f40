"""After training: temperature scaling, the balanced decision (logit adjustment), ensembles, and the
data seed that lets a group's seeds share one test set."""
import dataclasses
import io
import shutil

import pytest
import torch

from rnnkit.analysis.ensemble import average_probabilities, evaluate_ensembles, score
from rnnkit.config.spec import TaskSpec
from rnnkit.data.presets import build_config
from rnnkit.runs.store import RunStore
from rnnkit.training.posthoc import adjust, decide, fit_temperature, log_prior, nll
from rnnkit.worker.execute import execute


def overconfident(seed: int = 0, count: int = 400, classes: int = 4):
    """Logits 4x too sharp for how often they are right (a fixed fixture)."""
    generator = torch.Generator().manual_seed(seed)
    targets = torch.randint(0, classes, (count,), generator=generator)
    clean = torch.randn(count, classes, generator=generator)
    clean[torch.arange(count), targets] += 1.0
    return clean * 4.0, targets


def test_temperature_scaling_lowers_the_nll_and_keeps_the_predictions():
    logits, targets = overconfident()
    temperature = fit_temperature(logits, targets)
    assert temperature > 1.5  # it found the logits too sharp
    assert nll(logits, targets, temperature) < nll(logits, targets) - 0.1
    assert torch.equal((logits / temperature).argmax(-1), logits.argmax(-1))
    held_out, held_targets = overconfident(seed=1)  # and it carries over to data it was not fitted on
    assert nll(held_out, held_targets, temperature) < nll(held_out, held_targets)
    with pytest.raises(ValueError, match="no validation predictions"):
        fit_temperature(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long))


def test_logit_adjustment_with_tau_zero_is_the_plain_argmax_and_larger_tau_favours_rare_classes():
    logits, _ = overconfident()
    prior = log_prior(torch.tensor([0] * 90 + [1] * 5 + [2] * 4 + [3]), 4)
    assert torch.equal(adjust(logits, prior, 0.0).argmax(-1), logits.argmax(-1))
    frequent = (adjust(logits, prior, 2.0).argmax(-1) == 0).sum()
    assert frequent < (logits.argmax(-1) == 0).sum()  # class 0 (90 % of training) is chosen less often
    posthoc = {"temperature": 2.0, "log_prior": prior.tolist(), "tau": 0.0}
    assert torch.equal(decide(logits, posthoc, "balanced").argmax(-1), logits.argmax(-1))
    with pytest.raises(ValueError, match="valid: likely, balanced"):
        decide(logits, posthoc, "fair")
    with pytest.raises(ValueError, match="no class frequencies"):
        decide(logits, {}, "balanced")


def test_the_ensemble_of_identical_models_is_that_model():
    logits, targets = overconfident()
    spec = TaskSpec("classify", "features", 3, 4, 10, "accuracy", class_names=("a", "b", "c", "d"))
    assert torch.allclose(average_probabilities([logits, logits, logits], [2.0] * 3), (logits / 2.0).softmax(-1))
    assert score(spec, [logits] * 3, targets, [1.0] * 3) == pytest.approx(score(spec, [logits], targets, [1.0]))


@pytest.fixture(scope="module")
def seeds_group(tmp_path_factory):
    """recall, lstm, 2 seeds sharing data seed 0, plus one copy of the first run (identical weights)."""
    store = RunStore(tmp_path_factory.mktemp("posthoc") / "checkpoints")
    base = build_config("recall", None, {"task": {"sequence_length": 12, "num_samples": 300},
                                         "train": {"epochs": 2, "batch_size": 32, "data_seed": 0}}, group="gseeds")
    runs = []
    for seed in (0, 1):
        config = dataclasses.replace(base, train=dataclasses.replace(base.train, seed=seed))
        run = store.create(config)
        assert execute(run, stream=io.StringIO(), install_signals=False) == "completed"
        runs.append(run)
    return store, runs


def test_a_finished_classifier_logs_and_stores_its_calibration(seeds_group):
    from rnnkit.analysis.inference import Predictor
    from rnnkit.training.checkpoint import load_checkpoint

    _, runs = seeds_group
    record = runs[0].metrics("posthoc")[-1]
    assert record["temperature"] > 0 and "ece_calibrated" in record["test"] and len(record["validation_curve"]) == 13
    assert record["validation"]["nll_calibrated"] <= record["validation"]["nll"] + 1e-6  # fitted on validation
    assert load_checkpoint(runs[0].best_path)["posthoc"]["tau"] == record["tau"]
    predictor = Predictor.from_run(runs[0])
    likely = predictor.predict_examples(5)
    balanced = predictor.predict_examples(5, decision="balanced")
    assert len(likely) == len(balanced) == 5 and all(row["top"] for row in balanced)


def test_seeds_with_one_data_seed_share_the_split_and_ensemble(seeds_group, tmp_path):
    store, runs = seeds_group
    assert runs[0].config().train.split_seed == runs[1].config().train.split_seed == 0
    results = evaluate_ensembles(runs, progress=lambda text: None)
    assert results["lstm"]["members"] == 2 and 0 <= results["lstm"]["ensemble"]["accuracy"] <= 1
    assert results["lstm"]["temperature"] > 0 and 0 <= results["lstm"]["ece_calibrated"] <= 1  # its own T
    copy = RunStore(tmp_path / "copy")  # two copies of one run: the ensemble is that run
    for name in ("a", "b"):
        shutil.copytree(runs[0].path, copy.root / name)
    twins = evaluate_ensembles(copy.runs(), progress=lambda text: None)["lstm"]
    assert twins["ensemble"] == pytest.approx(twins["members_mean"])


def test_an_ensemble_of_different_splits_is_refused(tmp_path):
    store = RunStore(tmp_path / "checkpoints")
    for seed in (0, 1):  # no data seed: each seed generates its own sequences
        config = build_config("recall", None, {"task": {"sequence_length": 8, "num_samples": 120},
                                               "train": {"epochs": 1, "seed": seed}}, group="gsplit")
        assert execute(store.create(config), stream=io.StringIO(), install_signals=False) == "completed"
    with pytest.raises(ValueError, match="data seed"):
        evaluate_ensembles(store.runs(), progress=lambda text: None)


def test_an_ensemble_whose_validation_sets_differ_gets_no_temperature(tmp_path, monkeypatch):
    """A task with a fixed test set but a seed-dependent validation carve-out (IMDB without --data-seed):
    the ensemble is scored, but no temperature is fitted across different validation sets."""
    import rnnkit.analysis.ensemble as ensemble

    store = RunStore(tmp_path / "checkpoints")
    for seed in (0, 1):
        config = build_config("recall", None, {"task": {"sequence_length": 8, "num_samples": 120},
                                               "train": {"epochs": 1, "seed": seed}}, group="gval")
        assert execute(store.create(config), stream=io.StringIO(), install_signals=False) == "completed"
    real, calls = ensemble._fingerprint, []

    def test_sets_alike(dataset):  # per member: its test set first, then its validation set
        calls.append(dataset)
        return "one test set" if len(calls) % 2 else real(dataset)

    monkeypatch.setattr(ensemble, "_fingerprint", test_sets_alike)
    result = evaluate_ensembles(store.runs(), progress=lambda text: None)["lstm"]
    assert result["members"] == 2 and "temperature" not in result


def test_compare_scores_the_ensembles_on_request(seeds_group, monkeypatch):
    from tests.apptest import page

    store, runs = seeds_group
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(store.root))
    app = page("compare", compare_runs=[run.run_id for run in runs]).run()
    assert not app.exception
    app.button(key="compare_seeds_ensemble").click().run()
    assert not app.exception and not app.error
    table = app.dataframe[-1].value
    assert set(table.iloc[:, 0]) == {"lstm"} and (table.iloc[:, 1] == 2).all()


def test_the_balanced_loss_trains_on_logits_plus_tau_log_prior():
    import torch.nn.functional as F

    from rnnkit.data.tasks import get_task
    from rnnkit.model.heads import build_model
    from rnnkit.training.engine import Trainer
    from rnnkit.training.posthoc import log_prior

    config = build_config("recall", None, {"task": {"sequence_length": 6, "num_samples": 100},
                                           "train": {"balanced_loss": 0.5}})
    data = get_task("recall").load(config.task, 0, progress=lambda text: None)
    trainer = Trainer(build_model(config.model, data.spec), data, config.train, [])
    expected = 0.5 * log_prior(data.train.targets, 10)
    assert torch.allclose(trainer.logit_offset, expected)
    outputs, targets = torch.randn(8, 10), torch.randint(0, 10, (8,))
    assert torch.isclose(trainer.loss(outputs, targets), F.cross_entropy(outputs + expected, targets))
    off = dataclasses.replace(config.train, balanced_loss=0.0)
    plain = Trainer(build_model(config.model, data.spec), data, off, [])
    assert plain.logit_offset is None


def test_eval_ensemble_prints_json_and_its_progress_on_stderr(seeds_group, capsys):
    import json

    from rnnkit.cli.main import main

    store, runs = seeds_group
    assert main(["eval", runs[0].config().group, "--ensemble", "--json", "--checkpoints-dir", str(store.root)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["lstm"]["members"] == 2  # standard output is JSON only
    assert "loading recall data" in captured.err
