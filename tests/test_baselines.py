"""Baselines and choices that never look at the test split (issue 23, points 8 and 9): the majority-class
baseline beside 1/classes (recorded by the data layer, worked out from the test support for old runs),
drawn on the accuracy and macro-F1 charts; the live "Best" line, the Playground's default model, the
ensemble's best member and a seeded sweep's ranking chosen by validation score. The run folders here are
crafted (metrics lines written by hand), so each expected figure is known independently of the code."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from rnnkit.analysis import reports
from rnnkit.config.spec import TaskSpec
from rnnkit.data.datasets import MAJORITY_BASELINE, SequenceDataset, TaskData
from rnnkit.data.presets import build_config
from rnnkit.runs.store import RunStore

ROOT = Path(__file__).resolve().parent.parent
SPEC = TaskSpec(job="classify", input_kind="tokens", input_size=5, output_size=3, max_steps=2,
                selection_metric="accuracy", class_names=("a", "b", "c"))


def dataset(targets: list[int]) -> SequenceDataset:
    count = len(targets)
    return SequenceDataset(torch.ones(count, 2, dtype=torch.long), torch.full((count,), 2), torch.tensor(targets))


# ------------------------------------------------------------------ the majority-class baseline
def test_the_majority_class_comes_from_training_and_is_scored_on_validation_and_test():
    # training: class b 5 times (a 2, c 1) -> always answer b
    data = TaskData(SPEC, dataset([0, 0, 1, 1, 1, 1, 1, 2]), dataset([1, 1, 0, 2]), dataset([0, 0, 0, 1]))
    # validation: b is 2 of 4 -> accuracy 1/2; F1(b) = 2 * (1/2 * 1) / (1/2 + 1) = 2/3 over 3 present classes
    assert data.validation_baselines[MAJORITY_BASELINE] == pytest.approx({"accuracy": 0.5, "macro_f1": 2 / 9})
    # test: b is 1 of 4 (the test split's own majority is a: not used) -> 1/4; F1(b) = 0.4 over 2 present classes
    assert data.baselines[MAJORITY_BASELINE] == pytest.approx({"accuracy": 0.25, "macro_f1": 0.2})
    assert MAJORITY_BASELINE == reports.MAJORITY  # the analysis layer reads the name the data layer writes
    regression = TaskSpec(job="regress", input_kind="features", input_size=1, output_size=1, max_steps=2,
                          selection_metric="mae")
    series = SequenceDataset(torch.ones(3, 2, 1), torch.full((3,), 2), torch.ones(3, 1))
    assert TaskData(regression, series, series, series).baselines == {}  # only classifiers get one


@pytest.mark.skipif(not (Path(os.environ.get("RNNKIT_DATA_DIR", "")) / "names").is_dir(),
                    reason="the real names data is not in RNNKIT_DATA_DIR")
def test_names_test_split_majority_is_the_audits_51_8_percent():
    from rnnkit.data.tasks import get_task

    config = build_config("names", None, {})
    data = get_task("names").load(config.task, config.train.split_seed, progress=lambda text: None)
    russian = list(data.spec.class_names).index("Russian")
    share = float((data.test.targets == russian).float().mean())  # counted here, not by the data layer
    assert share == pytest.approx(0.518, abs=5e-4)
    assert data.baselines[MAJORITY_BASELINE]["accuracy"] == pytest.approx(share)
    assert 1 / len(data.spec.class_names) == pytest.approx(0.0556, abs=1e-4)  # the chance line it replaces


def test_an_old_run_falls_back_to_the_test_splits_majority_from_its_confusion_matrix():
    run = RunStore(ROOT / "checkpoints" / "demo").runs()
    run = next(item for item in run if item.run_id == "names-lstm")
    matrix = run.metrics("test")[-1]["test"]["confusion_matrix"]
    rows = [sum(row) for row in matrix]  # the true classes' counts, another field than the support
    share = max(rows) / sum(rows)
    precision, recall = share, 1.0
    expected = {"accuracy": share,
                "macro_f1": 2 * precision * recall / (precision + recall) / sum(1 for count in rows if count)}
    assert reports.chart_baselines(run) == {reports.MAJORITY_OF_TEST: pytest.approx(expected)}
    assert share == pytest.approx(0.518, abs=5e-4)  # the audit's figure, from the demo's own test record
    legacy = RunStore(ROOT / "tests" / "legacy" / "v1").runs()
    legacy = next(item for item in legacy if item.run_id == "legacy-names-lstm")
    assert reports.chart_baselines(legacy)[reports.MAJORITY_OF_TEST]["accuracy"] == pytest.approx(2 / 5)


def annotations(figure) -> dict[str, float]:
    """Flat line label -> its height, from a plotly figure's horizontal lines and their annotations."""
    return {note.text.rsplit(":", 1)[0]: shape.y0 for note, shape in zip(figure.layout.annotations,
                                                                         figure.layout.shapes)}


def test_the_charts_carry_chance_and_the_majority_class_and_macro_f1_its_own():
    from rnnkit.analysis.figure_set import figure_set

    run = next(item for item in RunStore(ROOT / "checkpoints" / "demo").runs() if item.run_id == "names-lstm")
    support = run.metrics("test")[-1]["test"]["per_class"]["support"]
    share = max(support) / sum(support)
    drawn = figure_set([run])
    accuracy, macro = annotations(drawn["accuracy"]), annotations(drawn["macro_f1"])
    assert accuracy == pytest.approx({"chance (1/classes)": 100 / 18, "majority class (test split)": 100 * share})
    assert macro == pytest.approx({"majority class (test split)": 100 * 2 * share / (1 + share) / 18})
    assert "majority class (test split): 51.8 %" in [note.text for note in drawn["accuracy"].layout.annotations]


# ------------------------------------------------------------------ crafted runs
def crafted_run(store: RunStore, arch: str, seed: int, validation: list[float], test: float, best_epoch: int = 0,
                hidden: int = 16, kind: str = "comparison"):
    """A finished recall run whose epoch lines hold `validation` (one per epoch; the best epoch is the
    highest unless `best_epoch` is given) and whose test line holds `test` (accuracy)."""
    import dataclasses

    config = build_config("recall", None, {"model": {"arch": arch, "hidden_size": hidden}, "train": {"seed": seed}},
                          group="gcrafted")
    run = store.create(dataclasses.replace(config, kind=kind))
    spec = {**SPEC.to_dict(), "output_size": 10, "class_names": [str(number) for number in range(10)]}
    run.append_metrics({"kind": "start", "spec": spec, "baselines": {
        "validation": {MAJORITY_BASELINE: {"accuracy": 0.11, "macro_f1": 0.02}},
        "test": {MAJORITY_BASELINE: {"accuracy": 0.12, "macro_f1": 0.02}}}})
    best = best_epoch or 1 + max(range(len(validation)), key=validation.__getitem__)
    for epoch, value in enumerate(validation, start=1):
        run.append_metrics({"kind": "epoch", "epoch": epoch, "epochs": len(validation), "train": {"loss": 1.0},
                            "validation": {"accuracy": value}, "best_epoch": best, "best_value": validation[best - 1],
                            "monitor": "accuracy", "epoch_seconds": 1.0, "samples_per_second": 10.0})
    run.append_metrics({"kind": "test", "epoch": best, "test": {"accuracy": test}, "baselines": {},
                        "stop_reason": ""})
    run.write_status("completed", epochs=len(validation))
    return run


def test_the_live_line_names_the_validation_winner_where_the_test_split_disagrees(tmp_path):
    from rnnkit.ui.live import result_line

    store = RunStore(tmp_path / "checkpoints")
    for seed, offset in enumerate((0.0, 0.01, 0.02)):  # lstm: better on validation, worse on test
        crafted_run(store, "lstm", seed, [0.80 + offset], 0.70 + offset)
        crafted_run(store, "gru", seed, [0.70 + offset], 0.90 + offset)
    line = result_line(store.runs())
    # 95 % t intervals: 0.81 ± 4.303 * 0.01 / √3 = ± 0.025 and 0.71 ± 0.025, apart: a winner, named by validation
    assert "Best by validation accuracy: lstm (validation 81.0 %, test 71.0 %)." in line, line
    assert line.index("lstm 71.0 %") < line.index("gru 91.0 %")  # listed in validation order
    assert "(chance: 10.0 %; majority class: 12.0 %)" in line  # the test split's baselines beside the scores


def test_the_live_line_says_tied_when_the_seeds_intervals_overlap(tmp_path):
    from rnnkit.ui.live import result_line

    store = RunStore(tmp_path / "checkpoints")
    for seed, (lstm, gru) in enumerate(((0.80, 0.78), (0.81, 0.80), (0.82, 0.82))):
        crafted_run(store, "lstm", seed, [lstm], 0.5)
        crafted_run(store, "gru", seed, [gru], 0.9)
    line = result_line(store.runs())  # lstm 0.81 ± 0.025 overlaps gru 0.80 ± 0.05
    assert "Tied on validation accuracy: lstm, gru" in line and "Best by" not in line, line


def test_the_playground_default_is_the_best_by_validation():
    from rnnkit.ui.models import Model, default_model

    models = [Model("a/best.pt", "names", "a", score=0.90, demo=False, validation=0.70),
              Model("b/best.pt", "names", "b", score=0.80, demo=False, validation=0.85),
              Model("c/best.pt", "names", "c", score=None, demo=False, validation=0.99),  # not tested: unfinished
              Model("d/best.pt", "names", "d", score=0.95, demo=True, validation=0.95)]
    assert default_model(models).path == "b/best.pt"
    assert default_model([models[2], models[3]]).path == "d/best.pt"  # nothing finished: the demo


def test_the_ensembles_best_member_is_chosen_by_validation(tmp_path):
    from rnnkit.analysis.ensemble import best_member

    store = RunStore(tmp_path / "checkpoints")
    first = crafted_run(store, "lstm", 0, [0.60, 0.65], 0.0)
    # the last epoch reads 0.99 but the run selected epoch 1 (0.80): the selected epoch's score counts
    second = crafted_run(store, "lstm", 1, [0.80, 0.99], 0.0, best_epoch=1)
    chosen = best_member([first, second], [{"accuracy": 0.95}, {"accuracy": 0.70}], "accuracy", "test")
    assert chosen == {"run": second.run_id, "chosen_by": "best-epoch validation accuracy", "validation": 0.80,
                      "test": 0.70}


def test_a_seeded_sweep_ranks_seed_means_not_its_luckiest_run(tmp_path, capsys):
    import numpy as np

    from rnnkit.analysis.sweep import seed_mean_frame, sweep_frame
    from rnnkit.cli.sweeps import _print_sweep

    store = RunStore(tmp_path / "checkpoints")
    lucky, steady = [0.95, 0.50, 0.52], [0.80, 0.81, 0.79]  # the best single run is hidden 8's seed 0
    for seed in range(3):
        crafted_run(store, "lstm", seed, [lucky[seed]], 0.1 * seed, hidden=8, kind="sweep")
        crafted_run(store, "lstm", seed, [steady[seed]], 0.5, hidden=16, kind="sweep")
    frame, by_seeds = seed_mean_frame(sweep_frame(store.runs()))
    assert by_seeds and len(frame) == 2 and set(frame["seeds"]) == {"3/3"}
    ranked = frame.sort_values("best validation", ascending=False)
    assert list(ranked["model.hidden_size"]) == [16, 8]
    assert ranked["best validation"].tolist() == pytest.approx([np.mean(steady), np.mean(lucky)])
    assert ranked["validation std"].tolist() == pytest.approx([np.std(steady, ddof=1), np.std(lucky, ddof=1)])
    assert ranked["test"].tolist() == pytest.approx([0.5, 0.1])
    _print_sweep(store.runs())
    printed = capsys.readouterr().out
    assert "ranked by the mean best-epoch validation accuracy over each point's seeds" in printed
    assert printed.index(" 16 ") < printed.index(" 8 ")
    from rnnkit.analysis.html_report import html_report

    document = html_report(store.runs(), "sweep")  # the report ranks the same way, and says so
    assert "ranked by the mean of its seeds&#x27; best validation scores" in document
    table = document[document.index("ranked by the mean"):]
    assert table.index("<td>16</td>") < table.index("<td>8</td>") and "Expected validation performance" in document
    single = [run for run in store.runs() if run.config().train.seed == 0]  # one seed per point: unchanged
    frame, by_seeds = seed_mean_frame(sweep_frame(single))
    assert not by_seeds and len(frame) == 2


def test_the_majority_baseline_in_closed_form_is_what_the_models_metrics_give():
    """majority_metrics skips scikit-learn (its input checks were 0.1 s of each run's start-up) and must give the
    very numbers classification_metrics gives the constant answer: the majority present or absent, one class or
    ten, a split of one example or thousands."""
    from rnnkit.core.metrics import classification_metrics
    from rnnkit.data.datasets import majority_metrics

    generator = torch.Generator().manual_seed(11)
    for draw in range(300):
        classes = int(torch.randint(1, 11, (1,), generator=generator))
        count = int(torch.randint(1, 400 if draw % 3 else 5, (1,), generator=generator))
        targets = torch.randint(0, classes, (count,), generator=generator)
        majority = int(torch.randint(0, classes, (1,), generator=generator))  # absent from the split at times
        spec = TaskSpec("classify", "features", 3, classes, 10, "accuracy")
        expected = classification_metrics(targets, torch.full_like(targets, majority), [str(c) for c in range(classes)])
        assert majority_metrics(targets, majority, spec) == {"accuracy": expected["accuracy"],
                                                              "macro_f1": expected["macro_f1"]}, (targets, majority)
    with pytest.raises(ValueError, match="no examples"):
        majority_metrics(torch.zeros(0, dtype=torch.long), 0, TaskSpec("classify", "features", 3, 2, 10, "accuracy"))


def test_classification_metrics_are_scikit_learns_numbers():
    """classification_metrics computes from one confusion matrix what scikit-learn computes (its input checks
    were 40 ms a call, 1.6 s of a lesson run); every field equal on random splits: classes missing from the
    targets or the predictions, one class or ten, one example or hundreds. Ids outside the classes and empty
    splits go to scikit-learn itself."""
    from rnnkit.core.metrics import _classification_metrics_sklearn, classification_metrics

    generator = torch.Generator().manual_seed(5)
    for draw in range(300):
        classes = int(torch.randint(1, 11, (1,), generator=generator))
        count = int(torch.randint(1, 400 if draw % 3 else 5, (1,), generator=generator))
        present = int(torch.randint(1, classes + 1, (1,), generator=generator))  # the targets use only some classes
        targets = torch.randint(0, present, (count,), generator=generator)
        guesses = torch.randint(0, classes, (count,), generator=generator)
        predictions = torch.where(torch.rand(count, generator=generator) < 0.6, targets, guesses)
        names = [str(c) for c in range(classes)]
        fast = classification_metrics(targets, predictions, names)
        slow = _classification_metrics_sklearn(targets.numpy(), predictions.numpy(), classes)
        assert fast["per_class"] == slow["per_class"] and fast["confusion_matrix"] == slow["confusion_matrix"]
        assert fast["accuracy"] == slow["accuracy"], (targets, predictions)
        assert fast["macro_f1"] == pytest.approx(slow["macro_f1"], rel=1e-12, abs=1e-15), (targets, predictions)
    truth, answers = torch.tensor([0, 1, 2]), torch.tensor([0, 1, 1])  # id 2: no class of the two
    outside = classification_metrics(truth, answers, ["a", "b"])
    assert outside == _classification_metrics_sklearn(truth.numpy(), answers.numpy(), 2)
    assert outside["confusion_matrix"] == [[1, 0], [0, 1]] and outside["accuracy"] == 2 / 3
