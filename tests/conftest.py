"""Shared fixtures. Real-data tests read $RNNKIT_DATA_DIR (CI: ../shared/data) and skip without it."""
import io
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture
def store(tmp_path):
    from rnnkit.runs.store import RunStore

    return RunStore(tmp_path / "checkpoints")


@pytest.fixture(autouse=True, scope="session")
def isolated_environment(tmp_path_factory):
    """Tests never download and never touch the user's ~/.rnnkit cache."""
    os.environ["RNNKIT_OFFLINE"] = "1"
    os.environ["RNNKIT_CACHE_DIR"] = str(tmp_path_factory.mktemp("rnnkit-cache"))
    yield


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """The tests' own tiny trainings (in this process) use one CPU thread: with torch's default of one per core,
    a machine that other programs keep busy stalls every parallel region (a thread waits for one that is not
    running); measured under `stress -c 8` on 2 cores, the session's fixture runs went from 0.4 s to 13.9 s
    (recall LSTM) and from 0.1 s to 13.2 s (poems) with 2 threads, and did not slow down with 1. Background
    runs choose their own threads (`train.num_threads`, `RNNKIT_THREADS_PER_RUN`)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def run_folders(tmp_path_factory):
    """A checkpoints folder with a finished recall group (rnn + lstm) and finished names, poems and
    weather runs, shared by the AppTest files."""
    from rnnkit.data.presets import build_config
    from rnnkit.runs.store import RunStore
    from rnnkit.worker.execute import execute
    from tests import fixtures

    root = tmp_path_factory.mktemp("app")
    store = RunStore(root / "checkpoints")
    data = root / "data"
    fixtures.write_names(data)
    fixtures.write_poems(data)
    fixtures.write_jena(data)
    tiny = {"train": {"epochs": 2, "batch_size": 8, "log_every_steps": 2}}
    configs = [
        build_config("recall", None, {"task": {"sequence_length": 10, "num_samples": 200}, "model": {"arch": arch},
                                      "train": {"epochs": 2, "batch_size": 16, "log_every_steps": 2}}, group="gtest")
        for arch in ("rnn", "lstm")
    ]
    configs += [build_config(task, None, {"task": {"data_dir": str(data), **extra}, "model": model, **tiny})
                for task, extra, model in (("names", {}, {"ngrams": 3}),  # the hashed n-grams on every view
                                           ("poems", {}, {}), ("weather", {"station": "jena"}, {}))]
    for config in configs:
        assert execute(store.create(config), stream=io.StringIO(), install_signals=False) == "completed"
    return store


@pytest.fixture
def app_env(run_folders, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(run_folders.root))
    return run_folders
