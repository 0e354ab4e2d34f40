"""Which inputs mattered: integrated gradients (Sundararajan et al. 2017) through captum.

    attribute(predictor, model_input, target=None, hour=None) -> Attribution

The model's output for one class (a classifier: the logit of the predicted class, or of `target`) or
of the forecast (the mean over the horizon, or one hour) is split among the input's steps:

    token inputs    LayerIntegratedGradients on the embedding, from the all-padding baseline (the zero
                    vector), summed over the embedding's width: one score per token
    feature inputs  IntegratedGradients on the inputs, from the all-zero baseline (the standardised
                    mean): one score per step and feature

Completeness: the scores add up to output(input) - output(baseline), up to the integral's error
(`delta`; points are added until it is under 1 %, and the tests hold it within 5 %).

Progress: `progress(stage, fraction, details)` is called as the work goes on: ("load", 0, {}) before
captum is imported (once per process: `load_captum`), then ("integrate", done / points,
{"points": points, "round": round}) after each batch of integration points (round 1 has STEPS
points; each further round doubles them). It may raise to stop the work.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
import torch
from torch import Tensor

from rnnkit.data.inputs import ModelInput

STEPS = 64  # integration points (Gauss-Legendre) to start with ...
MAX_STEPS = 512  # ... doubled up to this while the completeness error is above TOLERANCE
TOLERANCE = 0.01  # (recall's noisy inputs need 128-256 points for 1 %)
BATCH = 64  # integration points per forward pass

Progress = Callable[[str, float, dict], None]  # (stage, fraction of the stage done, details): see above


def _no_progress(stage: str, fraction: float, details: dict) -> None:
    pass


@lru_cache(maxsize=1)
def load_captum():
    """captum's (IntegratedGradients, LayerIntegratedGradients), imported once per process (about a second,
    much more on a busy machine)."""
    from captum.attr import IntegratedGradients, LayerIntegratedGradients

    return IntegratedGradients, LayerIntegratedGradients


def captum_loaded() -> bool:
    return load_captum.cache_info().currsize > 0


@dataclass
class Attribution:
    scores: np.ndarray  # (steps,) token inputs or (steps, features) feature inputs
    explained: str  # what was explained, e.g. "class Italian" or "mean of the 48 forecast hours"
    output: float  # the explained output at the input
    baseline_output: float  # ... and at the baseline
    delta: float  # completeness error: sum(scores) - (output - baseline_output)

    @property
    def per_step(self) -> np.ndarray:
        return self.scores if self.scores.ndim == 1 else self.scores.sum(axis=1)

    @property
    def relative_error(self) -> float:
        change = abs(self.output - self.baseline_output)
        return abs(self.delta) / change if change > 1e-12 else 0.0


def attribute(predictor, model_input: ModelInput, target: int | None = None, hour: int | None = None,
              steps: int = STEPS, progress: Progress = _no_progress) -> Attribution:
    """Integrated gradients of one output of `predictor.model` for the first sequence of `model_input`,
    with `steps` integration points, doubled (up to MAX_STEPS) while the completeness error is above
    TOLERANCE of the output's change; `progress` hears how far it is (see the module's docstring)."""
    if not captum_loaded():
        progress("load", 0.0, {})
    load_captum()
    # a copy: the predictor is cached and shared by every session, and captum hooks the embedding while
    # it integrates, so another session's forward pass on the same model would see these inputs
    model = copy.deepcopy(predictor.model).eval()
    round_number = 1
    while True:
        result = _attribute(model, predictor, model_input, target, hour, steps, progress, round_number)
        if result.relative_error <= TOLERANCE or steps * 2 > MAX_STEPS:
            return result
        steps *= 2
        round_number += 1


def _attribute(model, predictor, model_input: ModelInput, target: int | None, hour: int | None,
               steps: int, progress: Progress, round_number: int) -> Attribution:
    """One round of `steps` integration points, reported to `progress` after each batch of points."""
    IntegratedGradients, LayerIntegratedGradients = load_captum()
    spec = predictor.spec
    if spec.job == "language_model":
        raise ValueError("attributions are shown for classifiers and forecasts, not for the poem model")
    inputs, lengths = model_input.inputs[:1].to(predictor.device), model_input.lengths[:1]
    explain, explained = _explained_output(model, predictor, inputs, lengths, target, hour)

    done = 0

    def forward(batch: Tensor) -> Tensor:
        nonlocal done
        with torch.backends.cudnn.flags(enabled=False):  # RNN backward in eval mode
            outputs = explain(model(batch, lengths.expand(batch.shape[0])))
        if torch.is_grad_enabled() and batch.shape[0] > 1:  # a batch of integration points, not the end points
            done = min(steps, done + batch.shape[0])
            progress("integrate", done / steps, {"points": steps, "round": round_number})
        return outputs

    with torch.enable_grad():
        if spec.input_kind == "tokens":
            method = LayerIntegratedGradients(forward, model.input_layer)
            baseline = torch.zeros_like(inputs)  # every token the padding id: the zero vector
            scores, delta = method.attribute(inputs, baseline, n_steps=steps, internal_batch_size=BATCH,
                                             return_convergence_delta=True)
            scores = scores.sum(dim=-1)  # (1, steps): a score per token
        else:
            method = IntegratedGradients(forward)
            baseline = torch.zeros_like(inputs)
            scores, delta = method.attribute(inputs.float(), baseline.float(), n_steps=steps,
                                             internal_batch_size=BATCH, return_convergence_delta=True)
        with torch.no_grad():
            output = float(forward(inputs)[0])
            baseline_output = float(forward(baseline)[0])
    length = int(lengths[0])
    return Attribution(scores[0, :length].detach().float().cpu().numpy(), explained, output, baseline_output,
                       float(delta[0]))


def _explained_output(model, predictor, inputs: Tensor, lengths: Tensor, target: int | None, hour: int | None):
    """(a function from the model's outputs to one number per sequence, what it is in words)."""
    spec = predictor.spec
    if spec.job == "classify":
        if target is None:
            with torch.no_grad():
                target = int(model(inputs, lengths).argmax(-1)[0])
        if not 0 <= target < spec.output_size:
            raise ValueError(f"class {target} does not exist; the model has {spec.output_size} classes")
        return (lambda outputs: outputs[:, target]), f"class {spec.class_names[target]}"
    if hour is None:
        return (lambda outputs: outputs.mean(dim=1)), f"mean of the {spec.output_size} forecast steps"
    if not 0 <= hour < spec.output_size:
        raise ValueError(f"forecast step {hour + 1} does not exist; the model forecasts {spec.output_size} steps")
    return (lambda outputs: outputs[:, hour]), f"forecast step {hour + 1}"


def per_group(scores: np.ndarray, group_size: int) -> np.ndarray:
    """Scores of consecutive steps summed in groups (e.g. the 5 input days of a weather window)."""
    per_step = scores if scores.ndim == 1 else scores.sum(axis=1)
    groups = int(np.ceil(len(per_step) / group_size))
    return np.array([per_step[i * group_size:(i + 1) * group_size].sum() for i in range(groups)])
