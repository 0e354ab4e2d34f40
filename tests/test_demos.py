"""The demo models shipped in checkpoints/demo load and answer without any data (offline first start)."""
from pathlib import Path

import pytest
import torch

from rnnkit.analysis.inference import Predictor
from rnnkit.data.tasks.poems import check_poem
from rnnkit.runs.store import RunStore
from rnnkit.worker.demos import DEMOS

DEMO_ROOT = Path(__file__).resolve().parent.parent / "checkpoints" / "demo"
INPUTS = {"names-lstm": "Nakamura", "imdb-gru": "a wonderful, moving film", "shopping-gru": "酒店房间很干净，服务很好",
          "waimai-gru": "等了两个小时才送到，饭都凉了"}


@pytest.mark.parametrize("name", sorted(DEMOS))
def test_demo_loads_and_predicts(name, monkeypatch):
    monkeypatch.setenv("RNNKIT_DATA_DIR", "/nonexistent")  # prove no data is read
    predictor = Predictor.from_file(DEMO_ROOT / name / "best.pt")
    assert predictor.test_metrics, "a demo carries its measured test metrics"
    if name in INPUTS:
        assert predictor.predict([INPUTS[name]])[0]["label"] in predictor.spec.class_names
    elif name.startswith("poems"):
        poem = predictor.generate(generator=torch.Generator().manual_seed(0), enforce_form=True)
        assert check_poem(poem, 5)[0]
    else:
        assert len(predictor.predict_examples(2)) == 2


def test_demos_stay_small():
    total = sum(path.stat().st_size for path in DEMO_ROOT.rglob("*") if path.is_file())
    assert total < 8e6, f"demo models take {total / 1e6:.1f} MB"


def test_names_demo_knows_japanese():
    predictor = Predictor.from_file(DEMO_ROOT / "names-lstm" / "best.pt")
    assert predictor.predict(["Yamamoto"])[0]["label"] == "Japanese"


def test_the_lesson_ships_as_one_group_of_three_architectures():
    """Inside's gradient flow and Compare show the recall demos together: one group, one task setting."""
    configs = [RunStore(DEMO_ROOT).get(name).config() for name in ("recall-rnn", "recall-lstm", "recall-gru")]
    assert [config.model.arch for config in configs] == ["rnn", "lstm", "gru"]
    assert len({config.group for config in configs}) == 1 and configs[0].group
    assert all(config.task == configs[0].task for config in configs)
    probes = [RunStore(DEMO_ROOT).get(name).metrics("probe") for name in ("recall-rnn", "recall-lstm", "recall-gru")]
    assert all(found and found[-1].get("measure") == "per-sequence" for found in probes)


@pytest.mark.parametrize("name", ["shopping-gru", "waimai-gru", "names-lstm", "imdb-gru"])
def test_the_default_example_is_one_the_demo_gets_right(name):
    """The first screen makes the task's point: the task's own example, classified as what it is."""
    predictor = Predictor.from_file(DEMO_ROOT / name / "best.pt")
    expected = {"shopping-gru": "书籍", "waimai-gru": "positive", "names-lstm": "Japanese",  # Nakamura
                "imdb-gru": "positive"}[name]  # "One of the best films I have seen this year: ..."
    result = predictor.predict([predictor.task.example_input])[0]
    assert result["label"] == expected and result["top"][0]["probability"] > 0.9


def test_demos_stay_within_six_megabytes():
    total = sum(path.stat().st_size for path in DEMO_ROOT.rglob("*") if path.is_file())
    assert total < 6.3e6, f"demo models take {total / 1e6:.1f} MB"
