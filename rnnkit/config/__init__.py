"""Configuration: options declared once, the run config of frozen dataclasses, the task spec.

This layer knows no task and no cell: what a task's own options are and which architectures exist is
checked one layer up, by the registries that own them (`rnnkit.data.tasks`, `rnnkit.model.cells`)."""
from rnnkit.config.run import ModelConfig, RunConfig, TaskConfig, TrainConfig

__all__ = ["ModelConfig", "RunConfig", "TaskConfig", "TrainConfig"]
