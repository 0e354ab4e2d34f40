"""Honest comparisons: seeds (paired by design), equal parameter budgets, and a verdict whose
statistics agree with scipy."""
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats as scipy_stats

from rnnkit.analysis import frames, seeds
from rnnkit.analysis.html_report import html_report, verdict_sentence
from rnnkit.analysis.power import seeds_needed
from rnnkit.analysis.stats import compare, summarise
from rnnkit.cli.main import main
from rnnkit.config.run import ModelConfig
from rnnkit.config.spec import TaskSpec
from rnnkit.core.metrics import best_epoch_record
from rnnkit.data.presets import build_config, seeded
from rnnkit.data.tasks import get_task
from rnnkit.model.budget import TOLERANCE, matched_hidden_size
from rnnkit.model.catalog import check_model_config
from rnnkit.model.heads import build_model
from rnnkit.runs.store import RunStore
from rnnkit.training.engine import Trainer
from rnnkit.worker.execute import execute
from tests.apptest import page
from tests.waits import patience

ROOT = Path(__file__).resolve().parent.parent
QUIET = {"stream": io.StringIO(), "install_signals": False}
TINY = {"task": {"sequence_length": 8, "num_samples": 160}, "model": {"hidden_size": 16},
        "train": {"epochs": 1, "batch_size": 16, "log_every_steps": 5}}


# ------------------------------------------------------------------------------------ statistics
def test_the_summary_is_the_t_interval_of_the_mean():
    values = [0.82, 0.85, 0.84, 0.80, 0.86]
    summary = summarise(values)
    low, high = scipy_stats.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=scipy_stats.sem(values))
    assert summary.mean == pytest.approx(np.mean(values)) and summary.std == pytest.approx(np.std(values, ddof=1))
    assert (summary.low, summary.high) == (pytest.approx(low), pytest.approx(high))
    one = summarise([0.7])
    assert (one.count, one.std, one.low, one.high) == (1, 0.0, 0.7, 0.7)
    with pytest.raises(ValueError):
        summarise([])


def test_the_verdict_is_scipys_paired_t_test_and_its_t_interval():
    gru, lstm = [0.861, 0.848, 0.857, 0.866, 0.852], [0.842, 0.839, 0.836, 0.851, 0.838]
    verdict = compare("gru", "lstm", gru, lstm, detectable=0.01, floor=0.001)  # the floor is below the spread
    assert verdict.p_value == pytest.approx(scipy_stats.ttest_rel(gru, lstm).pvalue)
    differences = np.subtract(gru, lstm)
    assert verdict.difference == pytest.approx(differences.mean())
    assert verdict.std == verdict.spread == pytest.approx(differences.std(ddof=1))
    low, high = scipy_stats.t.interval(0.95, 4, loc=differences.mean(), scale=scipy_stats.sem(differences))
    assert (verdict.low, verdict.high) == (pytest.approx(low), pytest.approx(high)) and verdict.significant
    sentence = verdict_sentence(verdict, "accuracy")
    assert sentence == ("On the test split, gru beats lstm on accuracy by 1.6 points over 5 seeds (paired t-test "
                        "p = 0.0017; "
                        f"95 % interval {low * 100:+.1f} to {high * 100:+.1f} points).")


def test_no_significant_difference_says_how_many_seeds_would_tell_with_its_range():
    verdict = compare("gru", "lstm", [0.85, 0.83, 0.86], [0.84, 0.85, 0.84], detectable=0.01, floor=0.001)
    assert not verdict.significant and verdict.low < 0 < verdict.high
    # the range: seeds_needed at the ends of the 95 % chi-square interval of the spread (2 degrees of freedom)
    low_std = verdict.std * np.sqrt(2 / scipy_stats.chi2.ppf(0.975, 2))
    high_std = verdict.std * np.sqrt(2 / scipy_stats.chi2.ppf(0.025, 2))
    assert verdict.seeds_needed == (seeds_needed(low_std, 0.01), seeds_needed(high_std, 0.01))
    observed = (seeds_needed(low_std, abs(verdict.difference)), seeds_needed(high_std, abs(verdict.difference)))
    sentence = verdict_sentence(verdict, "accuracy")
    assert sentence.startswith("On the test split, gru was ahead of lstm on accuracy by 0.3 points; no significant "
                               "difference at 3 seeds (paired t-test p = 0.81; 95 % interval ")
    assert observed[1] is None and f"Seeds needed to show the measured 0.3 points: {observed[0]} to more than " \
        "10,000 seeds (95 % range)." in sentence
    assert sentence.endswith(f"To detect 1.0 points: {verdict.seeds_needed[0]} to {verdict.seeds_needed[1]} seeds "
                             "(95 % range).")


def test_seeds_needed_is_the_power_of_the_paired_t_test():
    # textbook values for a two-sided t-test at the 5 % level with 80 % power: effect 1.0 -> 10, 0.5 -> 34
    assert seeds_needed(0.01, 0.01) == 10 and seeds_needed(0.02, 0.01) == 34
    assert seeds_needed(0.01, 0.0) is None and seeds_needed(0.0, 0.01) == 2
    assert seeds_needed(1.0, 0.0001, limit=50) is None
    # large counts too (scipy's noncentral t gives nan far out; the search never goes there): n ≈ 7.85 / effect²
    assert seeds_needed(0.13, 0.01) == 1329 and seeds_needed(0.05, 0.01) == 199


def test_below_three_seeds_no_seeds_needed_is_offered():
    two = compare("gru", "lstm", [0.85, 0.83], [0.84, 0.85], detectable=0.01, floor=0.001)
    assert two.seeds_needed is None and two.seeds_needed_observed is None
    assert "seeds needed" not in verdict_sentence(two, "accuracy").lower()
    assert "To detect" not in verdict_sentence(two, "accuracy")


def test_one_seed_says_it_cannot_tell():
    one = compare("gru", "lstm", [0.9], [0.8], detectable=0.01)
    assert one.p_value is None and one.low is None and not one.significant
    assert verdict_sentence(one, "accuracy") == ("gru vs lstm: one seed cannot tell; start the comparison with 3 "
                                                 "or more seeds.")
    with pytest.raises(ValueError, match="one value of each architecture per seed"):
        compare("a", "b", [1.0], [1.0, 2.0], 0.01)


# ------------------------------------------------------------------------------------------ seeds
def test_seeds_make_one_group_and_seed_i_means_the_same_split_and_order(tmp_path, capsys):
    assert main(["train", "--task", "recall", "--arch", "lstm,gru", "--seeds", "3", "--preset", "none",
                 "--sequence-length", "8", "--num-samples", "160", "--hidden-size", "16", "--epochs", "1",
                 "--batch-size", "16", "--checkpoints-dir", str(tmp_path)]) == 0
    runs = RunStore(tmp_path).runs()
    assert len(runs) == 6 and len({run.config().group for run in runs}) == 1
    seeds = sorted((run.config().model.arch, run.config().train.seed) for run in runs)
    assert seeds == [("gru", 0), ("gru", 1), ("gru", 2), ("lstm", 0), ("lstm", 1), ("lstm", 2)]
    by = {(run.config().model.arch, run.config().train.seed): run for run in runs}
    for seed in (0, 1):  # the same data, batches and order for both architectures
        batches = []
        for arch in ("lstm", "gru"):
            config = by[(arch, seed)].config()
            data = get_task("recall").load(config.task, config.train.seed, progress=lambda text: None)
            trainer = Trainer(build_model(config.model, data.spec), data, config.train, device=torch.device("cpu"))
            batches.append([batch.targets.tolist() for batch in list(trainer.epoch_batches(1))[:3]])
        assert batches[0] == batches[1]
    assert main(["train", "--task", "recall", "--seeds", "0", "--checkpoints-dir", str(tmp_path)]) == 2
    assert "--seeds must be in [1, 10], got 0" in capsys.readouterr().err


def test_compare_shows_bands_a_table_and_the_verdict_over_seeds(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    store = RunStore(tmp_path)

    for seed in range(3):
        for arch in ("rnn", "gru"):
            config = seeded(build_config("recall", None, {**TINY, "model": {**TINY["model"], "arch": arch}},
                                         group="gseeds"), seed)
            assert execute(store.create(config), **QUIET) == "completed"
    groups = seeds.variants(store.runs())
    assert sorted(groups) == ["gru", "rnn"] and all(len(members) == 3 for members in groups.values())
    app = page("compare").run()
    assert not app.exception, [e.value for e in app.exception]
    assert "Over seeds" in [header.value for header in app.subheader]
    table = app.dataframe[1].value  # after the runs table
    assert list(table["seeds finished"]) == ["3/3", "3/3"]
    assert all(" ± " in value for value in table["test accuracy"])
    verdict, aso = [text.value for text in app.text]  # the t-test's verdict, then almost stochastic order's
    assert verdict.startswith("On the test split, ")
    assert " beats " in verdict or "no significant difference" in verdict
    assert "Beyond the t-test" in [header.value for header in app.subheader]
    assert "almost stochastic" in aso or "almost-stochastic" in aso
    document = html_report(store.runs(), "seeds")  # the report has the same section
    assert "Beyond the t-test" in document and "P(X &gt; Y)" in document
    app.toggle(key="compare_seeds_bands").set_value(False).run()
    assert not app.exception


# ------------------------------------------------------------------------------ equal budgets
@pytest.mark.parametrize("name, spec, hidden", [
    ("recall", TaskSpec("classify", "features", 11, 10, 150, "accuracy"), 64),
    ("imdb", TaskSpec("classify", "tokens", 10_000, 2, 256, "accuracy"), 128),
])
def test_matched_parameters_are_within_2_percent_of_the_lstm(name, spec, hidden):
    for arch in ("rnn", "gru", "lstm"):
        config = ModelConfig(arch=arch, hidden_size=hidden, embedding_size=128, match_parameters="lstm")
        size, count, target = matched_hidden_size(config, spec)
        assert abs(count - target) / target <= TOLERANCE, (name, arch, size, count, target)
        if arch == "lstm":
            assert size == hidden
        else:
            assert size > hidden  # fewer gates: more units for the same budget


def test_a_matched_run_trains_at_its_own_size_and_records_it(tmp_path):
    store = RunStore(tmp_path)
    config = build_config("recall", None, {**TINY, "model": {"arch": "rnn", "hidden_size": 16,
                                                             "match_parameters": "lstm"}})
    run = store.create(config)
    assert execute(run, **QUIET) == "completed"
    resolved = run.config().model
    matched = run.info()["matched"]
    assert resolved.match_parameters == "none" and resolved.hidden_size == matched["hidden_size"] > 16
    assert abs(matched["core_parameters"] - matched["reference_core_parameters"]) <= \
        TOLERANCE * matched["reference_core_parameters"]
    assert run.raw_status()["core_parameters"] == matched["core_parameters"]
    with pytest.raises(ValueError, match="unknown architecture .mamba.; valid: rnn, lstm"):
        check_model_config(ModelConfig(match_parameters="mamba"))  # the cell registry checks it


# ----------------------------------------------------------------------------------- calibration
def test_ece_is_the_count_weighted_gap_between_confidence_and_accuracy():
    from rnnkit.core.metrics import calibration

    confidences = [0.95, 0.95, 0.95, 0.95, 0.55, 0.55]
    correct = [True, True, True, False, True, False]
    found = calibration(confidences, correct, bins=10)
    # bin 9: confidence 0.95, accuracy 0.75 (4 predictions); bin 5: 0.55 vs 0.5 (2)
    assert found["ece"] == pytest.approx((4 * 0.20 + 2 * 0.05) / 6)
    assert found["count"][9] == 4 and found["count"][5] == 2 and sum(found["count"]) == 6
    assert calibration([1.0], [True], bins=10)["count"][9] == 1  # 1.0 falls in the last bin
    assert calibration([], [], bins=5)["ece"] == 0.0
    with pytest.raises(ValueError, match="probabilities in"):
        calibration([1.5], [True])
    with pytest.raises(ValueError, match="one correctness value per confidence"):
        calibration([0.5, 0.6], [True])


def test_compare_shows_the_reliability_diagram_and_the_test_ece(app_env):
    run = app_env.runs(group="gtest")[0]
    test = run.metrics("test")[-1]["test"]
    assert 0.0 <= test["ece"] <= 1.0 and sum(test["calibration"]["count"]) > 0
    app = page("compare").run()
    assert not app.exception, [e.value for e in app.exception]
    assert "Calibration" in [header.value for header in app.subheader]
    assert "test ECE" in app.dataframe[0].value.columns


# ------------------------------------------------------------------------ results that leave the app
@pytest.mark.parametrize("task", ["recall", "adding", "names", "imdb", "shopping", "weather", "poems", "waimai"])
def test_the_reproduce_command_rebuilds_the_same_config(task):
    import dataclasses
    import shlex

    from rnnkit.analysis.retrain import reproduce_command
    from rnnkit.cli.flags import configs_from_args
    from rnnkit.cli.parser import build_parser
    from rnnkit.data.presets import preset_names
    from rnnkit.runs.groups import group_configs

    for preset in preset_names(task):
        # built as every face builds a run (impl resolved), so the command holds what the run folder holds
        config = group_configs(task, preset, ["gru"], {"train": {"num_threads": 1, "seed": 3}}, group="")[0]
        command = reproduce_command(config)
        assert command.startswith(f"python -m rnnkit train --task {task} --arch gru --preset none")
        rebuilt = configs_from_args(build_parser().parse_args(shlex.split(command)[3:]))[0]
        expected = dataclasses.replace(config, preset=rebuilt.preset, group=rebuilt.group,
                                       train=dataclasses.replace(config.train, num_threads=rebuilt.train.num_threads))
        assert rebuilt == expected, (task, preset, command)


def test_compare_offers_each_runs_command(app_env):
    app = page("compare").run()
    codes = [element.value for element in app.code]
    assert codes and all("python -m rnnkit train --task recall" in code for code in codes)


def test_a_shared_link_opens_the_same_train_form(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    app = page("train")
    app.query_params.update({"task": "names", "preset": "quick", "arch": "gru,lstm", "seeds": "3",
                             "model.hidden_size": "32", "train.learning_rate": "0.002"})
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.selectbox(key="train_task").value == "names" and app.multiselect(key="train_archs").value == ["gru",
                                                                                                             "lstm"]
    assert app.number_input(key="train_seeds").value == 3
    assert app.number_input(key="train_model_hidden_size").value == 32
    assert app.number_input(key="train_train_learning_rate").value == pytest.approx(0.002)
    app.button(key="train_share").click().run()
    shared = {key: app.query_params[key] for key in app.query_params}
    assert shared["model.hidden_size"] in ("32", ["32"]) and "train.epochs" not in shared  # only what differs


@pytest.mark.parametrize("link, message", [
    ({"task": "nope", "arch": "lstm"}, "unknown task"),
    ({"task": "recall", "preset": "huge", "arch": "lstm"}, "unknown preset"),
    ({"task": "recall", "arch": "lstm,mamba"}, "unknown architecture"),
    ({"task": "recall", "arch": "lstm", "seeds": "500"}, "between 1 and 10"),
    ({"task": "recall", "arch": "lstm", "model.hidden_size": "-4"}, "settings are not valid"),
    ({"task": "recall", "arch": "lstm", "model.hidden_size": "[broken"}, "cannot be read"),
    ({"task": "csv", "arch": "lstm", "task.file": '"/etc/shadow"'}, "does not have"),
    ({"task": "recall", "arch": "lstm", "train.__class__": "1"}, "does not have"),
])
def test_a_bad_shared_link_says_what_is_wrong_and_changes_nothing(tmp_path, monkeypatch, link, message):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    app = page("train")
    app.query_params.update(link)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert any(message in error.value for error in app.error), [error.value for error in app.error]
    assert app.selectbox(key="train_task").value == "recall"  # the form kept its defaults


def test_tensorboard_export_is_read_back_by_tensorboards_reader(app_env, tmp_path, capsys):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    root = str(app_env.root)
    assert main(["export", "gtest", "--tensorboard", str(tmp_path / "tb"), "--checkpoints-dir", root]) == 0
    names = next(run for run in app_env.runs() if run.config().task.name == "names")
    assert main(["export", names.run_id, "--tensorboard", str(tmp_path / "tb"), "--checkpoints-dir", root]) == 0
    for run in [*app_env.runs(group="gtest"), names]:
        events = EventAccumulator(str(tmp_path / "tb" / run.run_id), size_guidance={"scalars": 0, "images": 0})
        events.Reload()
        tags = events.Tags()
        assert {"loss/train", "accuracy/validation", "accuracy/train", "test/accuracy"} <= set(tags["scalars"])
        steps = [event.step for event in events.Scalars("accuracy/validation")]
        assert steps == [record["epoch"] for record in run.metrics("epoch")]
        assert events.Scalars("test/accuracy")[0].value == pytest.approx(run.metrics("test")[-1]["test"]["accuracy"])
        assert "confusion/validation" in tags["images"]
        assert any((tmp_path / "tb" / run.run_id / "hparams").iterdir())
    projector = (tmp_path / "tb" / names.run_id / "projector_config.pbtxt").read_text()
    assert "embedding/learned" in projector or "embedding" in projector
    assert main(["export", "no-such-thing", "--tensorboard", str(tmp_path / "x"), "--checkpoints-dir", root]) == 2
    assert "no run or group 'no-such-thing'" in capsys.readouterr().err


def test_the_csv_holds_test_scores_seeds_and_every_option(app_env):
    import csv

    runs = app_env.runs(group="gtest")
    rows = list(csv.DictReader(io.StringIO(frames.metrics_csv(runs))))
    assert rows and {"test_accuracy", "train.seed", "model.hidden_size", "task.sequence_length", "group",
                     "kind"} <= set(rows[0])
    assert {row["group"] for row in rows} == {"gtest"} and all(row["test_accuracy"] for row in rows)


def test_the_html_report_is_one_offline_file_with_escaped_text(app_env, tmp_path, capsys):
    target = tmp_path / "report.html"
    assert main(["report", "gtest", "--html", str(target), "--checkpoints-dir", str(app_env.root)]) == 0
    document = target.read_text(encoding="utf-8")
    assert document.startswith("<!doctype html>") and document.count("Plotly.newPlot") >= 3
    assert "<script src=" not in document and "plotly.js v" in document  # the JavaScript is inside
    assert "<h2>Runs</h2>" in document and "<h2>Calibration</h2>" in document
    assert main(["report", "nope", "--html", str(target), "--checkpoints-dir", str(app_env.root)]) == 2
    # the report draws the figures the Python API returns (one choice: rnnkit.analysis.figure_set)
    from rnnkit import api

    drawn = api.figures("gtest", root=app_env.root)
    assert {"loss", "accuracy", "calibration"} <= set(drawn) and document.count("Plotly.newPlot") == len(drawn)


def test_the_html_report_needs_no_streamlit(app_env, tmp_path):
    """`rnnkit report --html` works where streamlit is not installed: a sitecustomize on PYTHONPATH hides it
    (`import streamlit` raises ImportError), and the report is written from a subprocess all the same."""
    hidden = tmp_path / "hide_streamlit"
    hidden.mkdir()
    (hidden / "sitecustomize.py").write_text("import sys\nsys.modules['streamlit'] = None\n", encoding="utf-8")
    target = tmp_path / "report.html"
    script = ("import sys\n"
              "from rnnkit.analysis.html_report import html_report\n"
              "from rnnkit.runs.store import RunStore\n"
              "runs = RunStore(sys.argv[1]).runs(group='gtest')\n"
              "open(sys.argv[2], 'w', encoding='utf-8').write(html_report(runs, 'rnnkit: gtest'))\n"
              "try:\n    import streamlit\nexcept ImportError:\n    print('no streamlit')\n")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hidden), str(ROOT)])}
    result = subprocess.run([sys.executable, "-c", script, str(app_env.root), str(target)], cwd=tmp_path,
                            env=environment, capture_output=True, text=True, timeout=patience(300))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "no streamlit"
    document = target.read_text(encoding="utf-8")
    assert document.startswith("<!doctype html>") and "<h2>Runs</h2>" in document


def test_compare_prepares_the_html_report_on_request(app_env):
    app = page("compare").run()
    assert not [button for button in app.get("download_button") if button.proto.label.endswith("(HTML)")]
    app.button(key="compare_report").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert [button for button in app.get("download_button") if button.proto.label == "Download the report (HTML)"]


def test_the_seed_table_takes_the_best_epoch_the_last_record_names():
    epochs = [{"epoch": 1, "best_epoch": 1, "validation": {"accuracy": 0.5}},
              {"epoch": 2, "best_epoch": 2, "validation": {"accuracy": 0.8}},
              {"epoch": 3, "best_epoch": 2, "validation": {"accuracy": 0.7}}]
    assert best_epoch_record(epochs)["validation"]["accuracy"] == 0.8
