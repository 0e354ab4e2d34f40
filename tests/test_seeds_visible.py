"""In a seeds group, Compare tells the runs apart everywhere (issue 29.10): a seed column in the runs table,
the seed in every confusion matrix's title and calibration legend, and a verdict that says the split it was
computed on and which variant was ahead."""
from __future__ import annotations

import io
import json

import pytest

from rnnkit.analysis import reports, run_text
from rnnkit.data.presets import build_config, seeded
from rnnkit.runs.store import RunStore
from rnnkit.worker.execute import execute
from tests.apptest import page

TINY = {"task": {"sequence_length": 8, "num_samples": 160}, "model": {"hidden_size": 16},
        "train": {"epochs": 1, "batch_size": 16, "log_every_steps": 5}}
SEEDS = 2


@pytest.fixture(scope="module")
def seeds_group(tmp_path_factory):
    """rnn and gru, seeds 0 and 1 of one group: four tiny finished recall runs."""
    store = RunStore(tmp_path_factory.mktemp("seeds") / "checkpoints")
    for offset in range(SEEDS):
        for arch in ("rnn", "gru"):
            config = seeded(build_config("recall", None, {**TINY, "model": {**TINY["model"], "arch": arch}},
                                         group="g20261205-083506-40fa"), offset)
            assert execute(store.create(config), stream=io.StringIO(), install_signals=False) == "completed"
    return store


def _seed_of(run) -> int:
    return run.config().train.seed


def test_the_comparison_table_has_a_seed_column_only_where_seeds_differ(seeds_group):
    runs = seeds_group.runs()
    table = reports.comparison_table(runs)
    assert list(table.columns[:3]) == ["run", "model", "seed"]
    assert list(table["seed"]) == [_seed_of(run) for run in runs] and len(set(table["seed"])) == SEEDS
    assert run_text.column_title("seed", "zh") == "随机种子"
    one_seed = [run for run in runs if _seed_of(run) == _seed_of(runs[0])]
    assert "seed" not in reports.comparison_table(one_seed).columns  # one seed: nothing to tell apart


def test_compare_shows_the_seeds_and_a_verdict_with_split_and_direction(seeds_group, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(seeds_group.root))
    runs = seeds_group.runs()
    app = page("compare").run()
    assert not app.exception, [error.value for error in app.exception]
    table = app.dataframe[0].value  # the runs table
    assert sorted(table["seed"]) == sorted(str(_seed_of(run)) for run in runs)
    assert list(table["model"]) == [reports.run_label(run) for run in runs]
    figures = {element.proto.id: json.loads(element.proto.spec) for element in app.get("plotly_chart")}
    titles = [figure["layout"].get("title", {}).get("text", "") for figure in figures.values()]
    matrix_titles = sorted(title for title in titles if "best epoch, validation split" in title)
    assert matrix_titles == sorted(f"{reports.model_label(run)} · seed {_seed_of(run)}, best epoch, validation split"
                                   for run in runs)  # four matrices, four different titles
    reliability = [figure for figure, title in zip(figures.values(), titles)
                   if title == "reliability on the test split"]
    assert len(reliability) == 1
    legends = [trace.get("name", "") for trace in reliability[0]["data"]]
    for run in runs:  # every seed's line says which seed it is
        assert any(name.startswith(f"{reports.model_label(run)} · seed {_seed_of(run)}: ECE ") for name in legends), \
            legends
    verdicts = [text.value for text in app.text if text.value.startswith("On the test split, ")]
    assert len(verdicts) == 1, [text.value for text in app.text]
    verdict = verdicts[0]
    assert verdict.startswith(("On the test split, gru ", "On the test split, rnn "))
    assert " beats " in verdict or " was ahead of " in verdict or " scored the same " in verdict
    assert f"at {SEEDS} seeds" in verdict or f"over {SEEDS} seeds" in verdict


def test_in_chinese_the_seed_in_every_label_is_chinese(seeds_group, monkeypatch):
    """The label a seeds group adds ('lstm · seed 2') follows the interface language: '· 种子 2' in Chinese,
    in the runs table, the matrices' titles and the calibration legends alike (no English word left)."""
    runs = seeds_group.runs()
    assert reports.run_label(runs[0], "zh") == f"{reports.model_label(runs[0])} · 种子 {_seed_of(runs[0])}"
    assert reports.run_label(runs[0]) == f"{reports.model_label(runs[0])} · seed {_seed_of(runs[0])}"
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(seeds_group.root))
    app = page("compare", app_language="zh").run()
    assert not app.exception, [error.value for error in app.exception]
    assert list(app.dataframe[0].value.iloc[:, 1]) == [reports.run_label(run, "zh") for run in runs]
    figures = [json.loads(element.proto.spec) for element in app.get("plotly_chart")]
    names = [trace.get("name") or "" for figure in figures for trace in figure["data"]]
    titles = [figure["layout"].get("title", {}).get("text", "") for figure in figures]
    assert not [text for text in names + titles if "· seed" in text], names + titles
    assert sum("· 种子 " in title for title in titles) == len(runs)  # one confusion matrix per run
