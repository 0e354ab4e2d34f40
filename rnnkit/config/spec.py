"""What a task reports about its data, and what a model is built from: `TaskSpec`.

The spec travels with every checkpoint (and the first line of metrics.jsonl), so a model can be
rebuilt and its outputs described without the data. Nothing here imports a task.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

JOBS = ("classify", "regress", "language_model")
IGNORE_INDEX = -100  # language-model targets at padded steps; cross_entropy skips them
PADDING_INDEX = 0  # token id 0 is padding in every vocabulary
UNKNOWN_INDEX = 1  # token id 1 is "unknown" in every vocabulary


@dataclass(frozen=True)
class TaskSpec:
    """Sizes and kind of a task, reported by the data; the model is built from this."""

    job: str  # classify | regress | language_model
    input_kind: str  # tokens (ids into a vocabulary) | features (float vectors)
    input_size: int  # tokens: vocabulary size; features: values per step
    output_size: int  # classes, forecast horizon, or vocabulary size
    max_steps: int  # longest sequence the task produces
    selection_metric: str  # validation metric that picks the best epoch
    class_names: tuple[str, ...] = ()  # classification: one name per class id
    target_mean: float = 0.0  # regression: targets were standardised with this mean ...
    target_std: float = 1.0  # ... and this standard deviation; metrics undo it
    unit: str = ""  # regression: unit of the target, for display
    embedding_size: int = 0  # tokens with pretrained vectors: their width (0: the model config decides)

    def __post_init__(self) -> None:
        if self.job not in JOBS:
            raise ValueError(f"unknown job {self.job!r}; valid: {', '.join(JOBS)}")
        if self.input_size <= 0 or self.output_size <= 0:
            raise ValueError(f"task sizes must be positive, got input {self.input_size}, output {self.output_size}")

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["class_names"] = list(self.class_names)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TaskSpec":
        return cls(**{**data, "class_names": tuple(data.get("class_names", ()))})
