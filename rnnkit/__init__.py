"""rnnkit: train, watch and compare recurrent networks (RNN, LSTM, GRU, BiLSTM, residual LSTM).

The public API (docs/python-api.md):

    from rnnkit import api                  # notebooks: compare, wait, runs, metrics, figures (rnnkit.api)
    from rnnkit import RunConfig, ModelConfig, TrainConfig, TaskConfig, build_config
    from rnnkit import get_task, build_model, Trainer, Evaluator, RunStore, Predictor, execute
    from rnnkit import register_cell, Task, option

Every name loads on first use (module `__getattr__`), so `import rnnkit` imports neither torch nor
streamlit: the CLI answers `--help` fast and a notebook pays only for what it touches.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> the module that defines it (the layer it lives in)
_LAZY = {
    "RunConfig": "rnnkit.config.run",
    "ModelConfig": "rnnkit.config.run",
    "TaskConfig": "rnnkit.config.run",
    "TrainConfig": "rnnkit.config.run",
    "option": "rnnkit.config.options",
    "build_config": "rnnkit.data.presets",
    "get_task": "rnnkit.data.tasks",
    "Task": "rnnkit.data.tasks.base",
    "register_cell": "rnnkit.model.cells",
    "build_model": "rnnkit.model.heads",
    "Trainer": "rnnkit.training.engine",
    "Evaluator": "rnnkit.training.evaluator",
    "RunStore": "rnnkit.runs.store",
    "Predictor": "rnnkit.analysis.inference",
    "execute": "rnnkit.worker.execute",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # the next lookup does not come here
        return value
    raise AttributeError(f"module 'rnnkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = list(_LAZY)
