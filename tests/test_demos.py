"""The demo models shipped in checkpoints/demo load and answer without any data (offline first start)."""
from pathlib import Path

import pytest
import torch

from rnnkit.analysis.inference import Predictor
from rnnkit.data.tasks.poems import check_poem
from rnnkit.worker.demos import DEMOS

DEMO_ROOT = Path(__file__).resolve().parent.parent / "checkpoints" / "demo"
INPUTS = {"names-lstm": "Nakamura", "imdb-gru": "a wonderful, moving film", "shopping-gru": "酒店房间很干净，服务很好"}


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
