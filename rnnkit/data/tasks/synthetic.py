"""Synthetic long-memory tasks: no download, generated from the seed, and the sharpest way to show
why gates matter. At T ≈ 150 a vanilla RNN stays at chance on `recall` while LSTM and GRU solve it.

recall (classification, 10 classes): remember the symbol shown at the first step.

    step:      1            2 .. T
    x[0:10]    one-hot(s)   N(0, 1) noise on the same 10 channels
    x[10]      1 (marker)   0
    target     s

    The noise sits on the symbol's own channels, so it cannot be filtered out by input weights; a
    network has to *decide* to store step 1 and then keep it for T-1 steps. The marker channel tells
    the gates when to write.

adding (regression; Hochreiter & Schmidhuber 1997, in the form of Le et al. 2015): each step holds a
random value in [0, 1] and a marker; exactly two steps are marked, one in each half. The target is
the sum of the two marked values. Always answering 1.0 gives MSE ≈ 0.167: that is the baseline.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from rnnkit.config.options import Options, option
from rnnkit.config.run import TaskConfig
from rnnkit.core.metrics import regression_metrics
from rnnkit.data.tasks.base import Progress, SequenceDataset, Task, TaskData, split_indices

RECALL_CLASSES = 10
SPLIT = (0.1, 0.1)  # validation, test fractions


@dataclass(frozen=True)
class SyntheticOptions(Options):
    sequence_length: int = option(150, "time steps T per sequence", label="sequence length T", above=0,
                                  maximum=10_000)
    num_samples: int = option(6000, "sequences generated (split 80/10/10)", label="sequences", above=0,
                              maximum=1_000_000)


def _full_lengths(count: int, time_steps: int) -> torch.Tensor:
    return torch.full((count,), time_steps, dtype=torch.long)


def _split(dataset: SequenceDataset, generator: torch.Generator):
    return [dataset.subset(indices) for indices in split_indices(len(dataset), SPLIT, generator)]


def make_recall(count: int, time_steps: int, generator: torch.Generator) -> SequenceDataset:
    symbols = torch.randint(0, RECALL_CLASSES, (count,), generator=generator)
    inputs = torch.randn(count, time_steps, RECALL_CLASSES + 1, generator=generator)  # noise
    inputs[:, :, RECALL_CLASSES] = 0.0  # marker channel: off ...
    inputs[:, 0] = 0.0
    inputs[torch.arange(count), 0, symbols] = 1.0  # ... step 1 shows the symbol
    inputs[:, 0, RECALL_CLASSES] = 1.0  # ... and the marker
    return SequenceDataset(inputs, _full_lengths(count, time_steps), symbols)


def fresh_examples(make, count: int, time_steps: int, seed: int) -> SequenceDataset:
    """`count` sequences, example i drawn from its own generator (seed, i): example 7 is the same
    whether 8 or 16 are asked for, so the Playground and the Inside page show the same example 7."""
    parts = [make(1, time_steps, torch.Generator().manual_seed(seed * 1_000_003 + index)) for index in range(count)]
    return SequenceDataset(torch.cat([part.inputs for part in parts]), torch.cat([part.lengths for part in parts]),
                           torch.cat([part.targets for part in parts]))


def make_adding(count: int, time_steps: int, generator: torch.Generator) -> SequenceDataset:
    if time_steps < 2:
        raise ValueError("the adding task needs sequence_length ≥ 2")
    values = torch.rand(count, time_steps, generator=generator)
    half = time_steps // 2
    first = torch.randint(0, half, (count,), generator=generator)
    second = torch.randint(half, time_steps, (count,), generator=generator)
    markers = torch.zeros(count, time_steps)
    rows = torch.arange(count)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    inputs = torch.stack([values, markers], dim=-1)  # (count, time, 2)
    targets = (values[rows, first] + values[rows, second]).unsqueeze(1)  # (count, 1)
    return SequenceDataset(inputs, _full_lengths(count, time_steps), targets)


class RecallTask(Task):
    name = "recall"
    job, input_kind, selection_metric = "classify", "features", "accuracy"
    Options = SyntheticOptions
    playground = "sequence"
    title = "Recall (synthetic): remember the first symbol"
    description = (
        "A symbol from 10 classes is shown at step 1, then T-1 steps of noise follow; the network "
        "must name the symbol at the end. Chance is 10 %. The vanilla RNN's memory fades within a few "
        "dozen steps, so at T ≈ 150 it stays near chance, while LSTM and GRU keep the symbol in "
        "their gated state (use gate_init='chrono' so their gates start out remembering)."
    )

    def load(self, config: TaskConfig, seed: int, progress: Progress = print) -> TaskData:
        options = config.options
        generator = torch.Generator().manual_seed(seed)
        full = make_recall(options.num_samples, options.sequence_length, generator)
        train, validation, test = _split(full, generator)
        spec = self.spec(input_size=RECALL_CLASSES + 1, output_size=RECALL_CLASSES, max_steps=options.sequence_length,
                         class_names=tuple(str(symbol) for symbol in range(RECALL_CLASSES)))
        artifacts = {"sequence_length": options.sequence_length}
        return TaskData(spec, train, validation, test, artifacts=artifacts)

    def examples(self, artifacts: dict, count: int, seed: int) -> SequenceDataset:
        """Fresh sequences for the playground, from another seed than training."""
        return fresh_examples(make_recall, count, int(artifacts["sequence_length"]), seed)


class AddingTask(Task):
    name = "adding"
    job, input_kind, selection_metric = "regress", "features", "mae"
    Options = SyntheticOptions
    playground = "sequence"
    title = "Adding problem (synthetic): sum two marked numbers"
    description = (
        "Each step carries a random number and a marker; two steps are marked, one in each half of "
        "the sequence. Predict the sum of the two marked numbers. Answering 1.0 every time gives "
        "MSE ≈ 0.167 (RMSE ≈ 0.41): a network has to beat that baseline to show it remembers."
    )

    def load(self, config: TaskConfig, seed: int, progress: Progress = print) -> TaskData:
        options = config.options
        generator = torch.Generator().manual_seed(seed)
        full = make_adding(options.num_samples, options.sequence_length, generator)
        train, validation, test = _split(full, generator)
        spec = self.spec(input_size=2, output_size=1, max_steps=options.sequence_length)
        baselines = {"always 1.0": regression_metrics(test.targets, torch.ones_like(test.targets))}
        validation_baselines = {"always 1.0": regression_metrics(validation.targets,
                                                                 torch.ones_like(validation.targets))}
        artifacts = {"sequence_length": options.sequence_length}
        return TaskData(spec, train, validation, test, artifacts=artifacts, baselines=baselines,
                        validation_baselines=validation_baselines)

    def examples(self, artifacts: dict, count: int, seed: int) -> SequenceDataset:
        return fresh_examples(make_adding, count, int(artifacts["sequence_length"]), seed)

