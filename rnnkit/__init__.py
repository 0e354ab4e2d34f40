"""rnnkit: train, watch and compare recurrent networks (RNN, LSTM, GRU, BiLSTM, residual LSTM).

The public API:

    from rnnkit import RunConfig, ModelConfig, TrainConfig, TaskConfig, build_config
    from rnnkit import get_task, build_model, Trainer, Evaluator, RunStore, Predictor
    from rnnkit import register_cell, Task, option
"""
from rnnkit.config.run import ModelConfig, RunConfig, TaskConfig, TrainConfig
from rnnkit.data.presets import build_config

__version__ = "0.1.0"


def __getattr__(name: str):
    # torch-heavy parts load on first use, so `import rnnkit` stays light for the CLI and the UI
    lazy = {
        "get_task": "rnnkit.data.tasks", "build_model": "rnnkit.model.heads", "Trainer": "rnnkit.training.engine",
        "RunStore": "rnnkit.runs.store", "Predictor": "rnnkit.analysis.inference", "execute": "rnnkit.worker.execute",
        "Evaluator": "rnnkit.training.evaluator", "register_cell": "rnnkit.model.cells", "Task": "rnnkit.data.tasks.base",
        "option": "rnnkit.config.options",
    }
    if name in lazy:
        import importlib

        return getattr(importlib.import_module(lazy[name]), name)
    raise AttributeError(f"module 'rnnkit' has no attribute {name!r}")


__all__ = ["ModelConfig", "RunConfig", "TaskConfig", "TrainConfig", "build_config", "get_task", "build_model",
           "Trainer", "RunStore", "Predictor", "execute", "Evaluator", "register_cell", "Task", "option"]
