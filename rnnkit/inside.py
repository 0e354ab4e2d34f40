"""Inside the network: the states of every step, and how much of the loss's gradient reaches them.

    scratch_copy(model)       the same model on rnnkit's hand-written cells (a fused model's weights
                              copied over: torch's nn.RNN/LSTM/GRU and the cells share one layout)
    record_states(model)      a context that keeps h_t (and c_t) of every layer, direction and step
    gradient_flow(model, ...) ||dL/dh_t|| (and ||dL/dc_t||) per step, averaged over the batch

The vanishing gradient of the lab reports, measured: for a trained `recall` group the RNN's
||dL/dh_1|| / ||dL/dh_T|| is many orders of magnitude below the LSTM's and the GRU's.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
from typing import Iterator

import torch
from torch import Tensor

from rnnkit.backbones import FusedBackbone, ScratchBackbone, ScratchLayer
from rnnkit.models import SequenceModel, build_model

PARAMETERS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def scratch_copy(model: SequenceModel) -> SequenceModel:
    """`model` itself rebuilt on scratch cells (a deep copy; the original is untouched)."""
    if isinstance(model.backbone, ScratchBackbone):
        return copy.deepcopy(model)
    if not isinstance(model.backbone, FusedBackbone):
        raise ValueError(f"cannot look inside a {type(model.backbone).__name__}")
    config = dataclasses.replace(model.config, impl="scratch")
    twin = build_model(config, model.spec)
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
    if not isinstance(model.backbone, ScratchBackbone):
        raise ValueError("states are recorded on scratch cells: use scratch_copy(model) first")
    return [layer for directions in model.backbone.layers for layer in directions]


@contextlib.contextmanager
def record_states(model: SequenceModel) -> Iterator[list[dict[str, list[Tensor]]]]:
    """Yields one dict per layer and direction (layer 0 forward, layer 0 backward, layer 1 ...), filled
    by the next forward pass with the state of every step ("h", and "c" for LSTM cells), each kept
    in the graph with its gradient retained. Backward-direction steps are in reading order."""
    layers = _layers(model)
    taps: list[dict[str, list[Tensor]]] = [{} for _ in layers]
    for layer, tap in zip(layers, taps):
        layer.state_taps = tap
    try:
        yield taps
    finally:
        for layer in layers:
            layer.state_taps = None


def gradient_flow(model: SequenceModel, loss_of, inputs: Tensor, lengths: Tensor) -> list[dict[str, list[float]]]:
    """||dL/d state_t|| per step (mean over the batch) for every layer and direction; `loss_of(outputs)`
    gives the scalar loss of the model's outputs. Runs on a scratch copy in eval mode (no dropout);
    the model's own weights and gradients are not touched."""
    twin = scratch_copy(model).eval()
    for parameter in twin.parameters():
        parameter.requires_grad_(True)
    with record_states(twin) as taps:
        loss = loss_of(twin(inputs, lengths))
        loss.backward()
    return [{name: [float(state.grad.norm(dim=-1).mean()) if state.grad is not None else 0.0 for state in states]
             for name, states in tap.items()} for tap in taps]


def reach_ratio(norms: list[float], lengths: Tensor | None = None) -> float:
    """||dL/dh_1|| / ||dL/dh_T||: how much of the gradient at the last step reaches the first."""
    last = norms[-1] if lengths is None else norms[int(lengths.max()) - 1]
    return norms[0] / last if last else float("nan")




PROBE_SEQUENCES = 16
PROBE_POINTS = 20


def log_spaced_distances(steps: int, points: int = PROBE_POINTS) -> list[int]:
    """About `points` distances from the last step (0 = the last step itself, steps - 1 = the first),
    spaced evenly on a log scale."""
    import numpy as np

    if steps <= 1:
        return [0]
    return sorted({int(round(value)) - 1 for value in np.geomspace(1, steps, points)})


def probe_summary(flow: list[dict[str, list[float]]], directions: int) -> dict[str, list]:
    """The top layer's forward-direction norms at log-spaced distances from the last step."""
    top = flow[len(flow) - directions]
    steps = len(top["h"])
    distances = log_spaced_distances(steps)
    summary: dict[str, list] = {"distance": distances}
    for name, norms in top.items():
        summary[name] = [float(f"{norms[steps - 1 - distance]:.4g}") for distance in distances]
    return summary
