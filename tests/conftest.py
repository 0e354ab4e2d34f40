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


@pytest.fixture(autouse=True, scope="session")
def isolated_environment(tmp_path_factory):
    """Tests never download and never touch the user's ~/.rnnkit cache."""
    os.environ["RNNKIT_OFFLINE"] = "1"
    os.environ["RNNKIT_CACHE_DIR"] = str(tmp_path_factory.mktemp("rnnkit-cache"))
    yield
