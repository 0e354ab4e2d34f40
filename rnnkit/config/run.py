"""Run configuration: one frozen dataclass per part (task, model, training), combined in `RunConfig`.

Configs are built only at the edges (the CLI turns flags into configs, the dashboard turns widgets
into configs) and travel as JSON: `config.json` in a run folder and the `config` entry of every
checkpoint. Sizes that come from the data (vocabulary, number of classes, input features, horizon)
are *not* here: the task reports them and the model is built from that report.

Every user-facing field is declared once with `option(...)` (see `rnnkit.config.options`): its help,
label, choices and bounds. The command-line flags, the dashboard's widgets and the validation in
`__post_init__` are all derived from that declaration. A task's own options (sequence length,
vocabulary size, the weather station, ...) are declared by the task itself (`Task.Options`) and
live in `TaskConfig.options`.

    config.json, version 2                    version 1 (before per-task options) is migrated on read
    {"version": 2,
     "task":  {"name": "imdb", "data_dir": null, "options": {"max_length": 256, ...}},
     "model": {...}, "train": {...}, "group": "...", "preset": "quick"}
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rnnkit.config.options import Options, build, check, option

CONFIG_VERSION = 2
IMPLEMENTATIONS = ("auto", "fused", "scratch")  # auto: fused where the cell has a torch twin, else scratch
POOLINGS = ("last", "mean", "max")
GATE_INITS = ("default", "chrono")
NGRAM_BUCKETS = 32_768  # hashed n-gram rows of `ModelConfig.ngrams` (its help text says the number)
OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("constant", "cosine")
DEVICES = ("auto", "cpu", "cuda", "mps")
# hard upper bounds, refusing absurd values before anything is allocated (a classroom's own, lower caps on
# epochs, size and time are the run store's); every shipped preset is well inside them
MAX_WIDTH = 4096  # hidden and embedding size: an LSTM layer of 4096 has 134 M weights
MAX_EPOCHS = 1000  # epochs, and patience in epochs
MAX_SEED = 2**31 - 1  # seeds: what torch, numpy and Python's random all accept


ARCHITECTURES = "architectures"  # the catalog of `arch` and `match_parameters`: the cell registry's names


class TaskOptions(Mapping):
    """A task's option values as a document holds them, not yet checked by their task: read-only, readable
    by attribute (`options.max_length`) like the task's `Options` dataclass they resolve to."""

    def __init__(self, values: dict[str, Any]) -> None:
        if not isinstance(values, dict) or not all(isinstance(key, str) for key in values):
            raise ValueError(f"task options must be a JSON object, got {type(values).__name__}")
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError(f"task option {name!r} is not in this config (rnnkit.data.tasks.resolve fills defaults)")

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to task option {name!r}")

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"TaskOptions({self._values!r})"


def option_values(options: Any) -> dict[str, Any]:
    """The values of a task's options, resolved (a dataclass) or not (a `TaskOptions` mapping)."""
    return dataclasses.asdict(options) if dataclasses.is_dataclass(options) else dict(options)


def _token_embedding(task) -> bool:
    return task.input_kind == "tokens" and not task.pretrained_vectors


def _not_language_model(task) -> bool:
    return task.job != "language_model"


def _has_classes(task) -> bool:
    return task.job != "regress"


@dataclass(frozen=True, eq=False)
class TaskConfig:
    """Which data to train on; `options` are the task's own (declared in its module)."""

    name: str = "recall"  # task name: see `rnnkit.data.tasks.task_names()`
    data_dir: str | None = option(None, "folder with the task's data files (default: $RNNKIT_DATA_DIR, then the "
                                        "download cache)", widget=False, path=True)
    options: Any = None  # the task's Options dataclass (resolved) or a dict / TaskOptions of values; None: {}
    migrated: bool = field(default=False, repr=False)  # from a version-1 document: options may use old names

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"a task name must be non-empty text, got {self.name!r}")
        options = self.options
        if options is None or isinstance(options, dict):
            options = TaskOptions(options or {})
        elif not (isinstance(options, TaskOptions) or (dataclasses.is_dataclass(options)
                                                        and not isinstance(options, type))):
            raise ValueError(f"options of task {self.name!r} must be a JSON object, got {type(options).__name__}")
        object.__setattr__(self, "options", options)
        check(self)

    @property
    def resolved(self) -> bool:
        """Whether the options were checked by their task (`rnnkit.data.tasks.resolve`)."""
        return dataclasses.is_dataclass(self.options)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "data_dir": self.data_dir, "options": option_values(self.options)}

    def __eq__(self, other: object) -> bool:  # a resolved config equals its document's unresolved twin
        return isinstance(other, TaskConfig) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True, default=str))


@dataclass(frozen=True)
class ModelConfig(Options):
    """The recurrent network: backbone, size and head options."""

    arch: str = option("lstm", "recurrent cell", catalog=ARCHITECTURES, widget=False, command_line=False)
    impl: str = option("auto", "fused: torch's nn.RNN/LSTM/GRU (cuDNN/oneDNN), the fastest; scratch: rnnkit's "
                       "hand-written cells, step by step (cells without a fused twin exist only here); auto: fused "
                       "where the cell has it, else scratch", label="implementation", choices=IMPLEMENTATIONS)
    hidden_size: int = option(64, "units per direction and layer", label="hidden size", above=0,
                              maximum=MAX_WIDTH)
    num_layers: int = option(1, "stacked recurrent layers", label="layers", above=0, maximum=16)
    bidirectional: bool = option(False, "also read each sequence backwards", when=_not_language_model)
    dropout: float = option(0.0, "dropout between layers and before the head, in [0, 1)", minimum=0.0, below=1.0,
                            step=0.05)
    embedding_size: int = option(64, "token embedding width (tasks with pretrained vectors use theirs)",
                                 label="embedding size", above=0, maximum=MAX_WIDTH,
                                 when=_token_embedding)
    ngrams: int = option(1, "also embed the 2..n-grams of tokens that end at each step, hashed into "
                         "32,768 buckets and added to the token's vector (fastText's trick; names: "
                         "a name's -ski, -ov, Ng-); 1 = tokens only", choices=(1, 2, 3), when=_token_embedding)
    pooling: str = option("last", "how the sequence is summed up for the head: last state, mean or max over real "
                          "steps", choices=POOLINGS, when=_not_language_model)
    gate_init: str = option("default", "chrono: forget/update gates start out remembering across the whole "
                            "sequence (Tallec & Ollivier 2018); a cell without a memory gate cannot profit",
                            label="gate init", choices=GATE_INITS)
    match_parameters: str = option("none", "equal budgets: pick this run's hidden size (and, where that alone "
                                   "misses, its embedding size) so its recurrent + head parameters match this "
                                   "architecture's at the hidden size above, within 2 % where some size can (a run "
                                   "that cannot says so; embeddings not counted); none: the same hidden size for "
                                   "every architecture",
                                   label="match parameters of", choices=("none",), catalog=ARCHITECTURES)


@dataclass(frozen=True)
class TrainConfig(Options):
    """How to optimise: optimiser, schedule, stopping rules, hardware."""

    epochs: int = option(10, "passes over the training split", above=0, maximum=MAX_EPOCHS)
    batch_size: int = option(64, "sequences per optimiser step", label="batch size", above=0, maximum=8192)
    optimizer: str = option("adam", "optimiser", choices=OPTIMIZERS)
    learning_rate: float = option(3e-3, "step size (> 0)", label="learning rate", above=0.0, maximum=10.0,
                                  flags=("--lr",))
    weight_decay: float = option(0.0, "L2 penalty, decoupled for adamw (≥ 0)", label="weight decay", minimum=0.0,
                                 maximum=1.0)
    gradient_clip: float = option(1.0, "max global gradient norm (0: no clipping)", label="gradient clip",
                                  minimum=0.0, maximum=1000.0, flags=("--clip",))
    schedule: str = option("constant", "learning-rate schedule: constant, or cosine: from the learning rate down to "
                           "0 over the planned epochs, step by step (Loshchilov & Hutter 2017)",
                           label="learning-rate schedule", choices=SCHEDULES)
    label_smoothing: float = option(0.0, "training targets keep 1 - this for the true class and spread the rest over "
                                    "all classes (0.1 is common; validation and test losses stay plain), in [0, 1)",
                                    label="label smoothing", minimum=0.0, below=1.0, step=0.05, when=_has_classes)
    patience: int = option(0, "stop after this many epochs without a better validation score (0 = never)",
                           label="early-stop patience", minimum=0, maximum=MAX_EPOCHS)
    stop_at_score: float = option(0.0, "stop once the validation score reaches this (e.g. 1.0 = 100 % accuracy; "
                                  "0 = never)", label="stop at validation score", minimum=0.0,
                                  maximum=1_000_000.0)
    balanced_loss: float = option(0.0, "classifiers: logit-adjusted loss (Menon et al. 2021), trained on logits + "
                                  "tau x log(class frequency) so the plain prediction gives rare classes a fair "
                                  "chance; tau, 0 = off", label="balanced loss tau", minimum=0.0,
                                  maximum=10.0)
    seed: int = option(0, "seeds the data split, the initial weights and the batch order", minimum=0,
                         maximum=MAX_SEED)
    data_seed: int = option(-1, "seeds the data split (and generated data) on its own; -1: the seed above. Seeds "
                            "of a group that share it share their test set, so they can be ensembled",
                            label="data seed", minimum=-1, maximum=MAX_SEED)
    device: str = option("auto", "where to train: auto (cuda, then mps, then cpu) | cpu | cuda | mps", choices=DEVICES)
    amp: bool = option(True, "mixed precision on CUDA (ignored elsewhere)", widget=False)
    log_every_steps: int = option(10, "write a step-level loss point every N optimiser steps", above=0,
                                  maximum=1_000_000, widget=False, flags=("--log-every",))
    num_threads: int = option(0, "CPU threads for torch (0: torch's default)", minimum=0, maximum=1024,
                              widget=False, flags=("--threads",))
    checkpoint_every_seconds: float = option(120.0, "also save last.pt within an epoch this often (0: only at "
                                             "epoch ends); a stop always saves the step it ended on",
                                             minimum=0.0, maximum=86_400.0, widget=False)
    compile: bool = option(False, "torch.compile the training steps: about a minute of compiling per batch "
                           "shape on a CPU, then faster steps (scratch LSTM 128: 1.31x -> 0.95x of torch's fused "
                           "layer); only for tasks whose sequences all have one length (recall, adding, weather)",
                           widget=False)
    dry_run: bool = option(False, "one epoch of two batches per split: checks the whole path quickly", widget=False)
    gradient_probe: bool = option(True, "after every epoch, measure how much of the loss's gradient reaches each "
                                  "earlier step (||dL/dh_t|| on a fixed validation batch) and log it",
                                  label="gradient probe")

    @property
    def split_seed(self) -> int:
        """The seed the task's data (split, generated sequences) is made with."""
        return self.seed if self.data_seed < 0 else self.data_seed


SECTIONS = {"task": TaskConfig, "model": ModelConfig, "train": TrainConfig}
GROUP_KINDS = ("", "comparison", "sweep", "horizon")


TAGS = ("kind", "assignment", "lab")  # RunConfig's optional string labels, written only when set


@dataclass(frozen=True)
class RunConfig:
    """Everything needed to reproduce one training run; written to `config.json`."""

    task: TaskConfig = field(default_factory=TaskConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    group: str = ""  # runs launched together (e.g. LSTM vs GRU) share a group id
    preset: str = ""  # name of the preset the run started from, for display only
    kind: str = ""  # what the group is: comparison | sweep | horizon ("" = comparison), so Compare knows what to show
    assignment: str = ""  # the class assignment this run belongs to (rnnkit.runs.assignments), "" = none
    lab: str = ""  # "<lab id>/<run step name>" of the guided lab that started it (rnnkit.analysis.labs), "" = none

    def __post_init__(self) -> None:
        if self.kind not in GROUP_KINDS:
            raise ValueError(f"unknown group kind {self.kind!r}; valid: {', '.join(GROUP_KINDS[1:])}")

    def to_dict(self) -> dict[str, Any]:
        document = {"version": CONFIG_VERSION, "task": self.task.to_dict(), "model": dataclasses.asdict(self.model),
                    "train": dataclasses.asdict(self.train), "group": self.group, "preset": self.preset}
        for tag in ("kind", "assignment", "lab"):  # written only when set: older readers see the same document
            if getattr(self, tag):
                document[tag] = getattr(self, tag)
        return document

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunConfig":
        """Rebuild from `to_dict` output (older versions are migrated); unknown keys are an error."""
        if not isinstance(data, dict):
            raise ValueError(f"a run config must be a JSON object, got {type(data).__name__}")
        data = migrate(data)
        unknown = set(data) - set(SECTIONS) - {"group", "preset", "version", *TAGS}
        if unknown:
            raise ValueError(f"unknown run config keys: {', '.join(sorted(unknown))}")
        built = {name: build(part, data.get(name, {}), f"{name} option") for name, part in SECTIONS.items()}
        return cls(**built, group=str(data.get("group", "")), preset=str(data.get("preset", "")),
                   **{tag: str(data.get(tag, "")) for tag in TAGS})

    @classmethod
    def from_json(cls, text: str) -> "RunConfig":
        return cls.from_dict(json.loads(text))


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring an older config document up to `CONFIG_VERSION` (returns a new dict).

    Version 1 (no "version" key) had one flat task section holding every task's options; they move under
    "options" as they are, marked `migrated`: renaming them where the task says so (`Task.renamed_options`,
    e.g. weather's `source` is now `station`) and dropping the other tasks' options is the task registry's
    part, done by `rnnkit.data.tasks.resolve`.
    """
    version = data.get("version", 1)
    if version == CONFIG_VERSION:
        return data
    if version != 1:
        raise ValueError(f"config version {version!r} is newer than this rnnkit understands ({CONFIG_VERSION})")
    old_task = dict(data.get("task", {})) if isinstance(data.get("task"), dict) else {}
    name = old_task.pop("name", "recall")
    data_dir = old_task.pop("data_dir", None)
    return {**data, "version": CONFIG_VERSION,
            "task": {"name": name, "data_dir": data_dir, "options": old_task, "migrated": True}}

