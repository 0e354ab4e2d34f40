"""Task registry: one line per task. Tasks are imported on first use, so listing them does not load
jieba or gensim. Everything else about a task is declared in its own module (see `tasks/base.py`)."""
from __future__ import annotations

import dataclasses
import importlib
from functools import lru_cache

from rnnkit.config.run import RunConfig
from rnnkit.data.tasks.base import Task

# name -> "module:Class"; the order is the order menus show
_REGISTRY = {
    "recall": "rnnkit.data.tasks.synthetic:RecallTask",
    "adding": "rnnkit.data.tasks.synthetic:AddingTask",
    "names": "rnnkit.data.tasks.names:NamesTask",
    "imdb": "rnnkit.data.tasks.imdb:IMDBTask",
    "shopping": "rnnkit.data.tasks.shopping:ShoppingTask",
    "weather": "rnnkit.data.tasks.weather:WeatherTask",
    "poems": "rnnkit.data.tasks.poems:PoemsTask",
    "waimai": "rnnkit.data.tasks.waimai:WaimaiTask",
    "csv": "rnnkit.data.tasks.csv_task:CSVTask",
}
TASK_NAMES = tuple(_REGISTRY)


def task_names() -> tuple[str, ...]:
    return TASK_NAMES


def get_task(name: str) -> Task:
    """The task object for `name`; an unknown name raises ValueError listing the valid ones."""
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(f"unknown task {name!r}; valid: {', '.join(TASK_NAMES)}")
    return _load(name)


def resolve(config: RunConfig) -> RunConfig:
    """`config` with its task's options checked and typed by the task (`Task.resolve`): what a config built
    outside the presets (a document, a test, a version-1 run folder) needs before its options are used."""
    task = config.task
    if task.resolved and isinstance(task.options, get_task(task.name).Options):
        return config
    return dataclasses.replace(config, task=get_task(task.name).resolve(task))


@lru_cache(maxsize=None)
def _load(name: str) -> Task:
    module_name, class_name = _REGISTRY[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)()


__all__ = ["Task", "TASK_NAMES", "task_names", "get_task", "resolve"]
