"""Run configuration: one frozen dataclass per part (task, model, training), combined in `RunConfig`.

Configs are built only at the edges (the CLI turns flags into configs, the dashboard turns widgets
into configs) and travel as JSON: `config.json` in a run folder and the `config` entry of every
checkpoint. Sizes that come from the data (vocabulary, number of classes, input features, horizon)
are *not* here: the task reports them and the model is built from that report.

Every value a user can choose is validated in `__post_init__`, so a bad value fails where it is
made, with a message that says what is allowed.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

ARCHITECTURES = ("rnn", "lstm", "gru", "reslstm")
IMPLEMENTATIONS = ("fused", "scratch")
POOLINGS = ("last", "mean", "max")
GATE_INITS = ("default", "chrono")
OPTIMIZERS = ("adam", "adamw", "sgd")
DEVICES = ("auto", "cpu", "cuda", "mps")


def check_choice(what: str, value: str, valid: tuple[str, ...]) -> None:
    """Raise ValueError naming the valid choices when `value` is not one of them."""
    if value not in valid:
        raise ValueError(f"unknown {what} {value!r}; valid: {', '.join(valid)}")


def check_positive(what: str, value: float, allow_zero: bool = False) -> None:
    if allow_zero and value < 0 or not allow_zero and value <= 0:
        bound = "≥ 0" if allow_zero else "> 0"
        raise ValueError(f"{what} must be {bound}, got {value}")


@dataclass(frozen=True)
class TaskConfig:
    """Which data to train on and how to cut it into sequences."""

    name: str = "recall"  # task name: see `rnnkit.tasks.TASK_NAMES`
    data_dir: str | None = None  # folder with the task's files; None: $RNNKIT_DATA_DIR, then the download cache
    sequence_length: int = 150  # synthetic tasks: time steps T per sequence
    num_samples: int = 6000  # synthetic tasks: sequences generated (split 80/10/10)
    max_length: int = 0  # text tasks: tokens kept per text (0: the task's default)
    vocab_size: int = 0  # text tasks: most frequent tokens kept (0: the task's default)
    class_weighted: bool = False  # classification: weight the loss by inverse class frequency
    freeze_embeddings: bool = False  # tasks with pretrained vectors: keep them fixed while training
    source: str = ""  # task-specific data variant (weather: "beijing" or "jena"; csv: the file path)
    text_column: str = ""  # csv task: column holding the text ("" = detect)
    label_column: str = ""  # csv task: column holding the label ("" = detect)
    line_length: int = 0  # poems: characters per line kept for training (0 = all; 5 or 7)
    word_vector_size: int = 128  # shopping: word2vec dimensions (the embedding then has this width)

    def __post_init__(self) -> None:
        check_positive("sequence_length", self.sequence_length)
        check_positive("num_samples", self.num_samples)
        check_positive("max_length", self.max_length, allow_zero=True)
        check_positive("vocab_size", self.vocab_size, allow_zero=True)
        check_positive("word_vector_size", self.word_vector_size)
        if self.line_length not in (0, 5, 7):
            raise ValueError(f"line_length must be 0 (all), 5 or 7, got {self.line_length}")


@dataclass(frozen=True)
class ModelConfig:
    """The recurrent network: backbone, size and head options."""

    arch: str = "lstm"  # recurrent cell: rnn | lstm | gru | reslstm
    impl: str = "fused"  # fused: torch nn.RNN/LSTM/GRU (cuDNN/oneDNN); scratch: rnnkit's hand-written cells
    hidden_size: int = 64  # units per direction and layer
    num_layers: int = 1  # stacked recurrent layers
    bidirectional: bool = False  # also read each sequence backwards (classification and forecasting only)
    dropout: float = 0.0  # dropout between layers and before the head
    embedding_size: int = 64  # token tasks: embedding width (tasks with pretrained vectors use theirs)
    pooling: str = "last"  # classification: summary of the sequence (last | mean | max over valid steps)
    gate_init: str = "default"  # default | chrono: gate biases that keep memory over long sequences

    def __post_init__(self) -> None:
        check_choice("architecture", self.arch, ARCHITECTURES)
        check_choice("implementation", self.impl, IMPLEMENTATIONS)
        check_choice("pooling", self.pooling, POOLINGS)
        check_choice("gate_init", self.gate_init, GATE_INITS)
        check_positive("hidden_size", self.hidden_size)
        check_positive("num_layers", self.num_layers)
        check_positive("embedding_size", self.embedding_size)
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.arch == "reslstm" and self.impl != "scratch":
            raise ValueError("the residual LSTM exists only as impl='scratch' (torch has no fused version)")


@dataclass(frozen=True)
class TrainConfig:
    """How to optimise: optimiser, schedule, stopping rules, hardware."""

    epochs: int = 10  # passes over the training split
    batch_size: int = 64  # sequences per optimiser step
    optimizer: str = "adam"  # adam | adamw | sgd
    learning_rate: float = 3e-3  # step size
    weight_decay: float = 0.0  # L2 penalty (decoupled for adamw)
    gradient_clip: float = 1.0  # max global gradient norm (0: no clipping)
    patience: int = 0  # early stopping: epochs without validation improvement (0: off)
    seed: int = 0  # seeds the data split, the initial weights and the batch order
    device: str = "auto"  # auto (cuda, then mps, then cpu) | cpu | cuda | mps
    amp: bool = True  # mixed precision on CUDA (ignored elsewhere)
    log_every_steps: int = 10  # write a step-level loss point every N optimiser steps
    num_threads: int = 0  # CPU threads for torch (0: torch's default)
    dry_run: bool = False  # two batches per split and one epoch: checks the whole path quickly

    def __post_init__(self) -> None:
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("device", self.device, DEVICES)
        check_positive("epochs", self.epochs)
        check_positive("batch_size", self.batch_size)
        check_positive("learning_rate", self.learning_rate)
        check_positive("weight_decay", self.weight_decay, allow_zero=True)
        check_positive("gradient_clip", self.gradient_clip, allow_zero=True)
        check_positive("patience", self.patience, allow_zero=True)
        check_positive("log_every_steps", self.log_every_steps)
        check_positive("num_threads", self.num_threads, allow_zero=True)


@dataclass(frozen=True)
class RunConfig:
    """Everything needed to reproduce one training run; written to `config.json`."""

    task: TaskConfig = field(default_factory=TaskConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    group: str = ""  # runs launched together (e.g. LSTM vs GRU) share a group id
    preset: str = ""  # name of the preset the run started from, for display only

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunConfig":
        """Rebuild from `to_dict` output; unknown keys are an error (they mean a typo or a newer file)."""
        if not isinstance(data, dict):
            raise ValueError(f"a run config must be a JSON object, got {type(data).__name__}")
        parts = {"task": TaskConfig, "model": ModelConfig, "train": TrainConfig}
        unknown = set(data) - set(parts) - {"group", "preset"}
        if unknown:
            raise ValueError(f"unknown run config keys: {', '.join(sorted(unknown))}")
        built = {name: _build(part, data.get(name, {}), name) for name, part in parts.items()}
        return cls(**built, group=str(data.get("group", "")), preset=str(data.get("preset", "")))

    @classmethod
    def from_json(cls, text: str) -> "RunConfig":
        return cls.from_dict(json.loads(text))


def _build(part: type, values: dict[str, Any], name: str):
    if not isinstance(values, dict):
        raise ValueError(f"run config section {name!r} must be an object")
    known = {f.name for f in dataclasses.fields(part)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(
            f"unknown {name} option(s): {', '.join(sorted(unknown))}; valid: {', '.join(sorted(known))}"
        )
    return part(**values)


def replace(config, **changes):
    """`dataclasses.replace` that also accepts nested keys such as `model__hidden_size=128`."""
    nested: dict[str, dict[str, Any]] = {}
    flat = {}
    for key, value in changes.items():
        if "__" in key:
            part, name = key.split("__", 1)
            nested.setdefault(part, {})[name] = value
        else:
            flat[key] = value
    for part, values in nested.items():
        flat[part] = dataclasses.replace(getattr(config, part), **values)
    return dataclasses.replace(config, **flat)
