"""Gradient flow: how much of each sequence's own loss reaches the state of every step, ||dL_b/dh_t||.

    scratch_copy(model)          the same model on rnnkit's hand-written cells (a fused model's weights
                                 copied over: torch's nn.RNN/LSTM/GRU and the cells share one layout)
    record_states(model)         a context that keeps h_t (and c_t) of every layer, direction and step
    sequence_losses(job, ...)    one loss per sequence, as the job computes it on that sequence alone
    state_gradients(model, ...)  ||dL_b/d state_{b,t}|| per sequence b and step t (NaN at padded steps)
    by_distance(norms, lengths)  the mean at each distance from every sequence's OWN last real step
    gradient_flow(model, ...)    that mean as a per-step list for every layer and direction (the Inside page)
    probe_summary(...)           the per-epoch `probe` line of metrics.jsonl (the worker's GradientProbe)

What is measured. Each sequence b of a batch has its own loss L_b (its cross-entropy, its MSE, or the
language model's mean over ITS tokens), computed in eval mode exactly as if it were alone in the batch
(rows of a batch never mix, so the gradient of sum_b L_b at row b is dL_b/d state_b: no 1/batch factor).
The state tapped at step t is the h_t (and c_t) the cell computed there: the one that feeds the output
at t and, while the sequence runs, the next step, so its gradient holds both paths. Sequences of mixed
lengths are aligned at their own last real step and padding is never averaged in:

    lengths = [5, 3]     step      1    2    3    4    5
        seq 0: a b c d e     d =   4    3    2    1    0
        seq 1: f g h _ _     d =   2    1    0    .    .     (.: padding, left out)
    distance d: the mean over the sequences longer than d of ||dL_b/d state_{b, len_b - 1 - d}||

A backward direction reads each sequence reversed within its own length, so in its processing order
the last real step is the FIRST token: for it, distance d is token d (counted from the start).
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
from typing import Callable, Iterator

import numpy as np
import torch
from torch import Tensor

from rnnkit.model.backbones import FusedBackbone, ScratchLayer
from rnnkit.model.cells import get_cell
from rnnkit.model.heads import SequenceModel, build_model

PARAMETERS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
PROBE_SEQUENCES = 16  # validation sequences the per-epoch probe measures
PROBE_POINTS = 20  # log-spaced distances the probe line keeps
PROBE_MEASURE = "per-sequence"  # the probe line's `measure`: lines without it are the old batch mean


def scratch_copy(model: SequenceModel) -> SequenceModel:
    """`model` itself rebuilt on scratch cells (a deep copy, on the model's device and dtype; the original
    is untouched)."""
    if not isinstance(model.backbone, FusedBackbone):  # scratch cells, or the Transformer: already inspectable
        return copy.deepcopy(model)
    config = dataclasses.replace(model.config, impl="scratch")
    reference = next(model.parameters())
    twin = build_model(config, model.spec).to(device=reference.device, dtype=reference.dtype)
    state = {key: value for key, value in model.state_dict().items() if not key.startswith("backbone.")}
    twin.load_state_dict(state, strict=False)
    fused = model.backbone.rnn
    with torch.no_grad():
        for index, directions in enumerate(twin.backbone.layers):
            for direction, layer in enumerate(directions):
                suffix = f"_l{index}" + ("_reverse" if direction else "")
                for name in PARAMETERS:
                    getattr(layer.cell, name).copy_(getattr(fused, name + suffix))
    return twin.train(model.training)


def _layers(model: SequenceModel) -> list[ScratchLayer]:
    if not hasattr(model.backbone, "tap_points"):
        raise ValueError("states are recorded on scratch cells: use scratch_copy(model) first")
    return model.backbone.tap_points()


@contextlib.contextmanager
def record_states(model: SequenceModel) -> Iterator[list[dict[str, list[Tensor]]]]:
    """Yields one dict per layer and direction (layer 0 forward, layer 0 backward, layer 1 ...), filled
    by the next forward pass with the state of every step ("h", and "c" for LSTM cells), each (batch,
    hidden), kept in the graph with its gradient retained. A backward direction's steps are in its
    processing order (each sequence reversed within its own length)."""
    layers = _layers(model)
    taps: list[dict[str, list[Tensor]]] = [{} for _ in layers]
    for layer, tap in zip(layers, taps):
        layer.state_taps = tap
    try:
        yield taps
    finally:
        for layer in layers:
            layer.state_taps = None


def sequence_losses(job, outputs: Tensor, lengths: Tensor, targets: Tensor | None = None,
                    inputs: Tensor | None = None) -> Tensor:
    """(batch,): each sequence's loss as the job computes it on that sequence alone (per-step outputs and
    targets cut at its length); against `targets`, else the job's `own_loss` of `inputs`. Class weights
    are left out: on one sequence they cancel in the weighted mean anyway."""
    losses = []
    for row, length in enumerate(lengths.tolist()):
        output = outputs[row : row + 1, :length] if job.per_step_targets else outputs[row : row + 1]
        if targets is None:
            losses.append(job.own_loss(output, inputs[row : row + 1, :length]))
        else:
            target = targets[row : row + 1, :length] if job.per_step_targets else targets[row : row + 1]
            losses.append(job.loss(output, target))
    return torch.stack(losses)


def state_gradients(model: SequenceModel, losses_of: Callable[[Tensor], Tensor], inputs: Tensor,
                    lengths: Tensor) -> list[dict[str, np.ndarray]]:
    """Per layer and direction, state name -> (batch, time) array of ||dL_b/d state_{b,t}||, NaN where
    t >= len_b; `losses_of(outputs)` gives one loss per sequence, (batch,) (see `sequence_losses`).
    Runs on a scratch copy in eval mode (no dropout); the model's own weights and gradients are untouched."""
    twin = scratch_copy(model).eval()
    for parameter in twin.parameters():
        parameter.requires_grad_(True)
    with record_states(twin) as taps:
        losses = losses_of(twin(inputs, lengths))
        if losses.dim() != 1 or losses.shape[0] != inputs.shape[0]:
            raise ValueError(f"losses_of must give one loss per sequence, shape ({inputs.shape[0]},), not "
                             f"{tuple(losses.shape)}: a batch mean would scale every gradient by 1/batch")
        losses.sum().backward()  # rows never mix, so row b of each state's gradient is dL_b/d state_b
    padded = ~(torch.arange(inputs.shape[1])[None, :] < lengths.cpu()[:, None]).numpy()  # (batch, time)
    measured = get_cell(model.config.arch).measured_states  # e.g. not the sLSTM's stabiliser m (zero by design)
    result = []
    for tap in taps:
        norms = {}
        for name, states in tap.items():
            if name not in measured:
                continue
            columns = [state.grad.norm(dim=-1) if state.grad is not None else state.new_zeros(state.shape[0])
                       for state in states]
            values = torch.stack(columns, dim=1).detach().double().cpu().numpy()  # (batch, time)
            values[padded] = np.nan
            norms[name] = values
        result.append(norms)
    return result


def by_distance(norms: np.ndarray, lengths: Tensor) -> list[float]:
    """Entry d (0 = the last real step): the mean over the sequences longer than d of their norm d steps
    before their own last real step. `norms`: (batch, time) in processing order, as `state_gradients`."""
    lengths_list = [int(length) for length in lengths]
    return [float(np.mean([norms[row, length - 1 - distance] for row, length in enumerate(lengths_list)
                           if length > distance]))
            for distance in range(max(lengths_list))]


def sequences_at(lengths: Tensor) -> list[int]:
    """Entry d: how many sequences are longer than d (those the mean at distance d is over)."""
    return [int((lengths > distance).sum()) for distance in range(int(lengths.max()))]


def gradient_flow(model: SequenceModel, losses_of: Callable[[Tensor], Tensor], inputs: Tensor,
                  lengths: Tensor) -> list[dict[str, list[float]]]:
    """For every layer and direction, state name -> a list of the longest sequence's length, aligned at
    the end: its last entry is distance 0 (every sequence's own last real step), entry i is distance
    longest - 1 - i, averaged as `by_distance` does. On sequences of equal length entry i is exactly
    step i + 1 (what the Inside page draws per step); on mixed lengths read it by distance."""
    return [{name: by_distance(values, lengths)[::-1] for name, values in tap.items()}
            for tap in state_gradients(model, losses_of, inputs, lengths)]


def reach_ratio(norms: list[float], lengths: Tensor | None = None) -> float:
    """||dL/dh_1|| / ||dL/dh_T||: how much of the gradient at the last step reaches the first (`norms`
    as `gradient_flow` gives them; `lengths` is accepted for older callers, the last entry is the last step)."""
    last = norms[-1]
    return norms[0] / last if last else float("nan")


def log_spaced_distances(steps: int, points: int = PROBE_POINTS) -> list[int]:
    """About `points` distances from the last step (0 = the last step itself, steps - 1 = the first),
    spaced evenly on a log scale."""
    if steps <= 1:
        return [0]
    return sorted({int(round(value)) - 1 for value in np.geomspace(1, steps, points)})


def probe_summary(flow: list[dict[str, list[float]]], directions: int, lengths: Tensor | None = None) -> dict:
    """The top layer's forward-direction norms at log-spaced distances from each sequence's own last
    step, marked with the measure (and, given `lengths`, how many sequences each distance averages)."""
    top = flow[len(flow) - directions]
    steps = len(top["h"])
    distances = log_spaced_distances(steps)
    summary: dict = {"measure": PROBE_MEASURE, "distance": distances}
    for name, norms in top.items():
        summary[name] = [float(f"{norms[steps - 1 - distance]:.4g}") for distance in distances]
    if lengths is not None:
        counts = sequences_at(lengths)
        summary["sequences"] = [counts[distance] for distance in distances]
    return summary


def input_gradient_flow(model: SequenceModel, job, inputs: Tensor, lengths: Tensor,
                        targets: Tensor | None = None) -> list[dict[str, list[float]]]:
    """`gradient_flow` of each sequence's own loss for a given input: against `targets` where the input
    has them, else the job's `own_loss` (e.g. of the model's own prediction)."""
    return gradient_flow(model, lambda outputs: sequence_losses(job, outputs, lengths, targets, inputs),
                         inputs, lengths)
