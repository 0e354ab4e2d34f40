"""One input, read exactly as a trained model reads it, with a label for every step: what the Inside
page looks at (gates, states, gradients, attributions).

    read_text(predictor, text)        a review, a name or a poem line: the task's own tokeniser and
                                      vocabulary; each step is labelled with its token
    read_example(predictor, number)   a ready-made example: a fresh recall/adding sequence, a stored
                                      weather window; steps are labelled 1..T (or with the time)

An input the model cannot read raises ValueError with the reason (empty, the wrong script, too long
to draw); tokens the model does not know are read as <unk> and counted in `unknown`. The text is
never echoed in a message.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from rnnkit.config.spec import UNKNOWN_INDEX

MAX_STEPS = 1000  # longest input the Inside page draws step by step (a Jena weather window has 720)
EXAMPLE_SEED = 4242  # the playground's fresh examples: not seen in training


@dataclass
class ModelInput:
    """A batch of one input (or a few examples) and what each step shows."""

    inputs: Tensor  # (batch, time) token ids or (batch, time, features)
    lengths: Tensor  # (batch,) int64
    steps: list[str]  # a label per step of the first sequence: its token, or its step number
    targets: Tensor | None = None  # the truth, where the input comes with one (examples)
    unknown: int = 0  # tokens read as <unk>
    replaced: list = field(default_factory=list)  # (from, to) characters the task substituted
    features: list[str] = field(default_factory=list)  # names of the input channels (feature inputs)


def read_text(predictor, text: str) -> ModelInput:
    """`text` as the model reads it. Classification tasks use the task's own prepare + encode; the
    poem model reads <bos> and the characters (converted to its script)."""
    task, artifacts = predictor.task, predictor.artifacts
    vocabulary = artifacts.get("vocabulary")
    if vocabulary is None:
        raise ValueError(f"task {task.name!r} takes no typed input; pick an example instead")
    if hasattr(task, "encode"):
        prepared, replaced = task.prepare(text, artifacts)
        inputs, lengths = task.encode([prepared], artifacts)
    elif predictor.spec.job == "language_model":
        inputs, lengths, replaced = _poem_input(text, vocabulary)
    else:
        raise ValueError(f"task {task.name!r} takes no typed input; pick an example instead")
    return _checked(ModelInput(inputs, lengths, [vocabulary[int(i)] for i in inputs[0, : int(lengths[0])]],
                               unknown=int((inputs[0, : int(lengths[0])] == UNKNOWN_INDEX).sum()),
                               replaced=[list(pair) for pair in replaced]))


def read_example(predictor, number: int, count: int = 1) -> ModelInput:
    """Example `number` of the task's ready-made ones (and the `count - 1` after it, for a batch)."""
    task = predictor.task
    if not hasattr(task, "examples"):
        raise ValueError(f"task {task.name!r} has no ready-made examples; type an input instead")
    if number < 0:
        raise ValueError("the example number must be 0 or more")
    dataset = task.examples(predictor.artifacts, number + count, EXAMPLE_SEED)
    if number >= len(dataset):
        raise ValueError(f"there are {len(dataset)} examples; pick a number below {len(dataset)}")
    chosen = slice(number, number + count)
    inputs, lengths, targets = dataset.inputs[chosen], dataset.lengths[chosen], dataset.targets[chosen]
    features = list(predictor.artifacts.get("features", [])) or _channel_names(predictor, inputs.shape[-1])
    return _checked(ModelInput(inputs, lengths, _step_labels(predictor, number, int(lengths[0])), targets,
                               features=features))


def example_count(predictor) -> int:
    """How many examples `read_example` offers (stored windows are few; generated ones are many)."""
    stored = predictor.artifacts.get("examples")
    return len(stored["targets"]) if stored else 1000


def _checked(model_input: ModelInput) -> ModelInput:
    steps = int(model_input.lengths[0])
    if steps > MAX_STEPS:
        raise ValueError(f"the input has {steps} steps; the Inside page draws at most {MAX_STEPS}")
    return model_input


def _poem_input(text: str, vocabulary: list[str]) -> tuple[Tensor, Tensor, list]:
    import re

    from rnnkit.data.tasks.poems import BOS, to_vocabulary_script
    from rnnkit.data.text import clean_text, has_cjk

    text = re.sub(r"\s", "", clean_text(text))
    if not text:
        raise ValueError("type a few Chinese characters (a line of a poem)")
    if not has_cjk(text):
        raise ValueError("this model reads classical Chinese: type Chinese characters")
    index = {token: position for position, token in enumerate(vocabulary)}
    text, replaced = to_vocabulary_script(text, set(vocabulary))
    ids = [index[BOS]] + [index.get(character, UNKNOWN_INDEX) for character in text]
    return torch.tensor([ids]), torch.tensor([len(ids)]), replaced


def _step_labels(predictor, number: int, steps: int) -> list[str]:
    stored = predictor.artifacts.get("examples")
    if stored and "start_times" in stored:  # a weather window: day and hour of each step
        import pandas as pd

        per_hour = float(predictor.artifacts.get("steps_per_hour", 1))
        start = pd.Timestamp(stored["start_times"][number])
        return [(start + pd.Timedelta(hours=step / per_hour)).strftime("%m-%d %H:%M") for step in range(steps)]
    return [str(step + 1) for step in range(steps)]


def _channel_names(predictor, channels: int) -> list[str]:
    if predictor.task.name == "recall":
        return [f"symbol {symbol}" for symbol in range(channels - 1)] + ["marker"]
    if predictor.task.name == "adding":
        return ["value", "marker"]
    return [f"channel {channel}" for channel in range(channels)]
