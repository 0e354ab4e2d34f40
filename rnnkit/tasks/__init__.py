"""Task registry. Tasks are imported on first use, so listing them does not load jieba or gensim."""
from __future__ import annotations

import importlib

from rnnkit.tasks.base import Batch, SequenceDataset, Task, TaskData, TaskSpec

# name -> "module:Class"; the order is the order menus show
_REGISTRY = {
    "recall": "rnnkit.tasks.synthetic:RecallTask",
    "adding": "rnnkit.tasks.synthetic:AddingTask",
    "names": "rnnkit.tasks.names:NamesTask",
    "imdb": "rnnkit.tasks.imdb:IMDBTask",
    "shopping": "rnnkit.tasks.shopping:ShoppingTask",
    "weather": "rnnkit.tasks.weather:WeatherTask",
    "poems": "rnnkit.tasks.poems:PoemsTask",
    "csv": "rnnkit.tasks.csv_task:CSVTask",
}
TASK_NAMES = tuple(_REGISTRY)


def get_task(name: str) -> Task:
    """The task object for `name`; an unknown name raises ValueError listing the valid ones."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown task {name!r}; valid: {', '.join(TASK_NAMES)}")
    module_name, class_name = _REGISTRY[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)()


__all__ = ["Batch", "SequenceDataset", "Task", "TaskData", "TaskSpec", "TASK_NAMES", "get_task"]
