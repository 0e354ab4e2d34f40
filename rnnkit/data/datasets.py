"""Data as the engine sees it: three `SequenceDataset` splits in a `TaskData`, with the task's
`TaskSpec` (sizes and the job) and the artifacts inference needs (vocabulary, scaling).

A dataset holds whole splits as padded tensors in memory. Batches are cut by indexing and trimmed to
the longest sequence in the batch, so there is no per-sample Python work in the training loop:

    inputs  (N, T_max) token ids or (N, T_max, features)   padded at the end
    lengths (N,)                                          valid steps per sequence
    targets (N,) class ids | (N, horizon) floats | (N, T_max) next-token ids (-100 at padding)

With `bucket=True` sequences of similar length are batched together (shuffled within chunks of
50 batches, then sorted), which cuts padding on text by several times without losing randomness.

Every classification task's data carries the trivial baseline beside 1/classes: always answering the
TRAINING split's most common class, scored on validation and test (`MAJORITY_BASELINE` in `baselines` and
`validation_baselines`; the worker's start record stores them, the charts draw them). On an imbalanced task it
is far above chance: 51.8 % of the names test split is Russian, while 1/18 is 5.6 %.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, NamedTuple

import torch
from torch import Tensor

from rnnkit.config.spec import TaskSpec

MAJORITY_BASELINE = "majority class"  # the baselines' name of "always answer the training split's commonest class"


class Batch(NamedTuple):
    inputs: Tensor  # (batch, time) int64 or (batch, time, features) float
    lengths: Tensor  # (batch,) int64, on the CPU (packing wants it there)
    targets: Tensor  # see module docstring


@dataclass
class SequenceDataset:
    inputs: Tensor
    lengths: Tensor
    targets: Tensor

    def __post_init__(self) -> None:
        count = self.inputs.shape[0]
        if self.lengths.shape != (count,) or self.targets.shape[0] != count:
            raise ValueError("inputs, lengths and targets must have the same number of sequences")
        if count and int(self.lengths.min()) < 1:
            raise ValueError("every sequence needs at least one step")

    def __len__(self) -> int:
        return self.inputs.shape[0]

    def subset(self, indices: Tensor) -> "SequenceDataset":
        return SequenceDataset(self.inputs[indices], self.lengths[indices], self.targets[indices])

    def batch(self, indices: Tensor, trim_targets: bool = False) -> Batch:
        lengths = self.lengths[indices]
        longest = int(lengths.max())
        targets = self.targets[indices]
        if trim_targets:  # language model: targets are per step, like the inputs
            targets = targets[:, :longest]
        return Batch(self.inputs[indices, :longest], lengths, targets)

    def batches(
        self,
        batch_size: int,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
        bucket: bool = False,
        limit: int | None = None,
        trim_targets: bool = False,
    ) -> Iterator[Batch]:
        """Yield batches; `limit` stops after that many (dry runs)."""
        count = len(self)
        order = torch.randperm(count, generator=generator) if shuffle else torch.arange(count)
        chunks = list(order.split(batch_size))
        if bucket:
            span = batch_size * 50
            chunks = []
            for start in range(0, count, span):
                window = order[start : start + span]
                window = window[torch.argsort(self.lengths[window], descending=True, stable=True)]
                chunks.extend(window.split(batch_size))
            if shuffle:
                chunks = [chunks[i] for i in torch.randperm(len(chunks), generator=generator).tolist()]
        for number, indices in enumerate(chunks):
            if limit is not None and number >= limit:
                return
            yield self.batch(indices, trim_targets)

    def num_batches(self, batch_size: int, limit: int | None = None) -> int:
        total = -(-len(self) // batch_size)
        return min(total, limit) if limit is not None else total


@dataclass
class TaskData:
    """A loaded task: the splits plus everything the model and inference need."""

    spec: TaskSpec
    train: SequenceDataset
    validation: SequenceDataset
    test: SequenceDataset
    artifacts: dict[str, Any] = field(default_factory=dict)  # JSON-able; stored in checkpoints
    class_weights: Tensor | None = None  # classification: loss weight per class
    embedding_vectors: Tensor | None = None  # pretrained input embeddings (vocabulary, embedding_size)
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)  # name -> test metrics
    validation_baselines: dict[str, dict[str, float]] = field(default_factory=dict)  # name -> validation metrics
    bucket: bool = False  # batch by length (text tasks)
    freeze_embeddings: bool = False  # keep `embedding_vectors` fixed while training

    def __post_init__(self) -> None:
        if self.spec.job == "classify" and len(self.train):  # one home for every classifier's trivial baseline
            majority = majority_class(self.train.targets, self.spec.output_size)
            if len(self.test):
                self.baselines = {MAJORITY_BASELINE: majority_metrics(self.test.targets, majority, self.spec),
                                  **self.baselines}
            if len(self.validation):
                self.validation_baselines = {
                    MAJORITY_BASELINE: majority_metrics(self.validation.targets, majority, self.spec),
                    **self.validation_baselines}

    def check_splits(self) -> None:
        for name in ("train", "validation", "test"):
            if len(getattr(self, name)) == 0:
                raise ValueError(f"the {name} split is empty: the data is too small (or too short) for this "
                                 "task's split; add data or check the task's settings")

    def check_batch_size(self, batch_size: int) -> None:
        if batch_size > len(self.train):
            raise ValueError(
                f"batch_size {batch_size} is larger than the training split ({len(self.train)} sequences); "
                f"use --batch-size {max(1, len(self.train) // 4)} or less"
            )


def majority_class(targets: Tensor, num_classes: int) -> int:
    """The most common class id of `targets` (the smallest id on a tie)."""
    return int(torch.bincount(targets.long(), minlength=num_classes).argmax())


def majority_metrics(targets: Tensor, majority: int, spec: TaskSpec) -> dict[str, float]:
    """Accuracy and macro-F1 of answering `majority` for every example, scored as a model is
    (`rnnkit.core.metrics.classification_metrics`, which needs no scikit-learn for class ids): the accuracy is
    that class's share of `targets`, the macro-F1 that class's F1 divided by the number of classes present."""
    from rnnkit.core.metrics import classification_metrics

    if not targets.numel():
        raise ValueError("no examples to score the majority class on")
    names = spec.class_names or tuple(str(index) for index in range(spec.output_size))
    scored = classification_metrics(targets, torch.full_like(targets, majority), names)
    return {"accuracy": scored["accuracy"], "macro_f1": scored["macro_f1"]}


def split_indices(count: int, fractions: tuple[float, float], generator: torch.Generator) -> tuple[Tensor, ...]:
    """Random train/validation/test indices; `fractions` are (validation, test)."""
    order = torch.randperm(count, generator=generator)
    n_validation = max(1, round(count * fractions[0]))
    n_test = max(1, round(count * fractions[1]))
    n_train = count - n_validation - n_test
    if n_train < 1:
        raise ValueError(f"{count} examples are too few to split into train/validation/test")
    return order[:n_train], order[n_train : n_train + n_validation], order[n_train + n_validation :]


def stratified_split(labels: list[int], seed: int, validation: float,
                     test: float) -> tuple[list[int], list[int], list[int]]:
    """Indices for train/validation/test with every class in proportion in each split (`test` may be 0)."""
    from sklearn.model_selection import train_test_split

    indices = list(range(len(labels)))
    test_rows: list[int] = []
    rest = indices
    try:
        if test:
            rest, test_rows = train_test_split(indices, test_size=test, stratify=labels, random_state=seed)
        rest_labels = [labels[i] for i in rest]
        train_rows, validation_rows = train_test_split(
            rest, test_size=validation / (1 - test), stratify=rest_labels, random_state=seed)
    except ValueError as error:  # e.g. a class with a single example
        raise ValueError(f"cannot split the data so every class is in every split: {error}") from error
    return train_rows, validation_rows, test_rows


def class_weights(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Inverse class frequency, scaled so a balanced dataset would get weight 1 everywhere."""
    counts = torch.bincount(labels, minlength=num_classes).float().clamp(min=1)
    return counts.sum() / (num_classes * counts)
