"""Shared fixtures. Real-data tests read $RNNKIT_DATA_DIR (CI: ../shared/data) and skip without it."""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture
def store(tmp_path):
    from rnnkit.runs import RunStore

    return RunStore(tmp_path / "checkpoints")
