"""The Task base class: a task module declares everything about its task in one subclass.

    class RecallTask(Task):
        name = "recall"                          # registry name (one line in tasks/__init__.py)
        title, description                       # menus and help text
        job = "classify"                         # classify | regress | language_model
        input_kind = "features"                  # tokens | features
        selection_metric = "accuracy"            # picks the best epoch (its direction: rnnkit.core.metrics)
        sources = ()                             # DataSource(s) it reads; () = generated / your file
        Options = RecallOptions                  # its own options, declared with `option(...)`
        playground = "sequence"                  # how the Playground takes input (rnnkit/ui/playground.py)
        presets: tasks/presets/recall.json       # quick / report / best, beside this module

        def load(self, config, seed, progress) -> TaskData
        def encode(self, texts, artifacts)       # text/name tasks: raw input -> (inputs, lengths)
        def examples(self, artifacts, count, seed)   # tasks with ready-made examples

The command line, the Train page's widgets, presets, the Playground and the quality benchmark all
read these declarations; none of them lists task names.
"""
from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, ClassVar

from rnnkit.config.options import Options, build, option
from rnnkit.config.run import TaskConfig
from rnnkit.config.spec import IGNORE_INDEX, PADDING_INDEX, UNKNOWN_INDEX, TaskSpec  # noqa: F401
from rnnkit.data.datasets import (  # noqa: F401 - the names task modules build with
    Batch,
    SequenceDataset,
    TaskData,
    class_weights,
    split_indices,
    stratified_split,
)
from rnnkit.data.text import Vocabulary, pad

Progress = Callable[[str], None]
PRESETS_FOLDER = Path(__file__).with_name("presets")


@dataclass(frozen=True)
class NoOptions(Options):
    """A task without options of its own."""


# options several tasks share: declared once here, listed in each task's Options
MAX_TEXT_LENGTH = 10_000  # tokens kept per text (IMDB's best preset keeps 800)
MAX_VOCABULARY = 1_000_000  # tokens kept (a vocabulary never grows past the data's distinct tokens anyway)


def max_length_option(default_text: str = "the task's default") -> Any:
    return option(0, f"tokens kept per text (0: {default_text})", label="max length (tokens)", minimum=0,
                  maximum=MAX_TEXT_LENGTH)


def vocab_size_option() -> Any:
    return option(0, "most frequent tokens kept (0: the task's default)", label="vocabulary size (0 = default)",
                  minimum=0, maximum=MAX_VOCABULARY)


def class_weighted_option() -> Any:
    return option(False, "weight the loss by inverse class frequency (helps rare classes)",
                  label="class-weighted loss")


class Task:
    """Base of every task; subclasses override the declarations and `load`."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""  # one line for menus
    description: ClassVar[str] = ""  # a paragraph of help text for the dashboard
    job: ClassVar[str] = "classify"  # classify | regress | language_model
    input_kind: ClassVar[str] = "tokens"  # tokens (ids into a vocabulary) | features (float vectors)
    pretrained_vectors: ClassVar[bool] = False  # the embedding comes from the data (e.g. word2vec)
    selection_metric: ClassVar[str] = "accuracy"  # validation metric that picks the best epoch
    sources: ClassVar[tuple] = ()  # DataSource(s) the task reads (empty: generated or the user's own file)
    Options: ClassVar[type] = NoOptions  # the task's own options (a frozen dataclass of `option` fields)
    renamed_options: ClassVar[dict[str, str]] = {}  # old config name -> option name (config v1 migration)
    playground: ClassVar[str] = ""  # Playground input: text | name | forecast | poem | sequence ("" = none)
    example_input: ClassVar[str] = ""  # what the Playground's input box starts with

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # every task's `load` reads resolved options, whoever built the config (a test, an old run folder)
        super().__init_subclass__(**kwargs)
        if "load" in cls.__dict__:
            own_load = cls.__dict__["load"]

            @functools.wraps(own_load)
            def load(self: Task, config: TaskConfig, *args: Any, **kwargs: Any) -> TaskData:
                return own_load(self, self.resolve(config), *args, **kwargs)

            cls.load = load

    def load(self, config: TaskConfig, seed: int, progress: Progress = print) -> TaskData:
        raise NotImplementedError

    def resolve(self, config: TaskConfig) -> TaskConfig:
        """`config` with its options as this task's `Options` dataclass: defaults filled, types and bounds
        checked (ValueError listing the known options otherwise). A version-1 document's options are renamed
        where this task says so, and the other tasks' options it carried are dropped."""
        if config.name != self.name:
            raise ValueError(f"a {config.name!r} config cannot be resolved by the {self.name!r} task")
        if isinstance(config.options, self.Options):
            return config
        if dataclasses.is_dataclass(config.options):
            raise ValueError(f"options of task {self.name!r} must be {self.Options.__name__}, "
                             f"got {type(config.options).__name__}")
        values = dict(config.options)
        if config.migrated:
            known = {item.name: item.default for item in dataclasses.fields(self.Options)}
            values = {self.renamed_options.get(key, key): value for key, value in values.items()}
            values = {key: value for key, value in values.items()  # "" meant "the default" in version 1
                      if key in known and not (value == "" and known[key] != "")}
        options = build(self.Options, values, f"{self.name} option")
        return dataclasses.replace(config, options=options, migrated=False)

    def prepare(self, text: str, artifacts: dict) -> tuple[str, list[tuple[str, str]]]:
        """Text/name tasks: the input as the model will read it, and the (from, to) characters that
        were replaced to get there (none by default)."""
        return text, []

    def presets(self) -> dict[str, dict[str, Any]]:
        """name -> {"description", "task", "model", "train"}, from presets/<name>.json beside this module."""
        return _read_presets(self.name)

    def spec(self, **sizes: Any) -> TaskSpec:
        """The TaskSpec for this task's job, selection metric and input kind, with sizes from the data."""
        return TaskSpec(job=self.job, input_kind=self.input_kind, selection_metric=self.selection_metric, **sizes)


@lru_cache(maxsize=None)
def _read_presets(name: str) -> dict[str, dict[str, Any]]:
    path = PRESETS_FOLDER / f"{name}.json"
    if not path.is_file():
        return {}
    presets = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(presets, dict):
        raise ValueError(f"{path} must hold a JSON object of presets")
    return presets


def labelled_text_splits(tokens: list[list[str]], labels: list[int], seed: int, vocab_size: int,
                         max_length: int) -> tuple[Vocabulary, list[SequenceDataset]]:
    """Tokenised texts with class ids -> (vocabulary of the training texts, [train, validation, test]),
    split 80/10/10 with every class in proportion, each text cut to `max_length` tokens."""
    import torch

    rows = stratified_split(labels, seed, validation=0.1, test=0.1)
    vocabulary = Vocabulary.build((tokens[i] for i in rows[0]), max_size=vocab_size)
    inputs, lengths = pad([vocabulary.encode(words) for words in tokens], max_length)
    full = SequenceDataset(inputs, lengths, torch.tensor(labels))
    return vocabulary, [full.subset(torch.tensor(part)) for part in rows]
