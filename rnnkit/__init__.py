"""rnnkit: train, watch and compare recurrent networks (RNN, LSTM, GRU, BiLSTM, residual LSTM).

The public API:

    from rnnkit import RunConfig, ModelConfig, TrainConfig, TaskConfig, build_config
    from rnnkit import get_task, build_model, Trainer, Evaluator, RunStore, Predictor
    from rnnkit import register_cell, Task, option
"""
from rnnkit.config import ModelConfig, RunConfig, TaskConfig, TrainConfig
from rnnkit.presets import build_config

__version__ = "0.1.0"


def __getattr__(name: str):
    # torch-heavy parts load on first use, so `import rnnkit` stays light for the CLI and the UI
    lazy = {
        "get_task": "rnnkit.tasks", "build_model": "rnnkit.models", "Trainer": "rnnkit.engine",
        "RunStore": "rnnkit.runs", "Predictor": "rnnkit.inference", "execute": "rnnkit.runner",
        "Evaluator": "rnnkit.evaluator", "register_cell": "rnnkit.cells", "Task": "rnnkit.tasks.base",
        "option": "rnnkit.options",
    }
    if name in lazy:
        import importlib

        return getattr(importlib.import_module(lazy[name]), name)
    raise AttributeError(f"module 'rnnkit' has no attribute {name!r}")


__all__ = ["ModelConfig", "RunConfig", "TaskConfig", "TrainConfig", "build_config", "get_task", "build_model",
           "Trainer", "RunStore", "Predictor", "execute", "Evaluator", "register_cell", "Task", "option"]
