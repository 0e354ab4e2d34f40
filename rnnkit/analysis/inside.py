"""Inside the network: the states of every step, and how much of the loss's gradient reaches them.

    scratch_copy(model)       the same model on rnnkit's hand-written cells (a fused model's weights
                              copied over: torch's nn.RNN/LSTM/GRU and the cells share one layout)
    record_states(model)      a context that keeps h_t (and c_t) of every layer, direction and step
    gradient_flow(model, ...) ||dL/dh_t|| (and ||dL/dc_t||) per step, averaged over the batch
    trace(model, inputs, ...) every gate's activation and the states per step x unit, per layer and
                              direction (what the Inside page draws as heatmaps)
    sort_units, trajectory    unit orders for the heatmaps; the 2-D PCA path of h_t
    inspect(predictor, ...)   all of it for one input as plain numbers (`python -m rnnkit inside`)

The vanishing gradient of the lab reports, measured: for a trained `recall` group the RNN's
||dL/dh_1|| / ||dL/dh_T|| is many orders of magnitude below the LSTM's and the GRU's.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
from typing import Iterator

import numpy as np
import torch
from torch import Tensor

from rnnkit.model.backbones import FusedBackbone, ScratchBackbone, ScratchLayer
from rnnkit.model.heads import SequenceModel, build_model

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


# ------------------------------------------------------------------------------ gates and states
@dataclasses.dataclass
class LayerTrace:
    """One layer and direction over one input: every gate and state, (steps, units), in reading order
    of the input (a backward direction is flipped back, so step t is always token t)."""

    layer: int
    direction: int  # 0 forward, 1 backward
    values: dict[str, np.ndarray]  # gate or state name -> (steps, units)


@torch.no_grad()
def trace(model: SequenceModel, inputs: Tensor, lengths: Tensor) -> list[LayerTrace]:
    """Gates (the cell's gate log) and states (h, and c for LSTM cells) of the first sequence of the
    batch, for every layer and direction, in eval mode on a scratch copy."""
    twin = scratch_copy(model).eval()
    steps = int(lengths[0])
    logs: list[dict] = []
    with record_states(twin) as taps:
        twin.backbone(twin.embed(inputs[:1]), lengths[:1], gate_logs=logs)
    directions = twin.backbone.directions
    traces = []
    for index, (gates, states) in enumerate(zip(logs, taps)):
        values = {name: value[0, :steps].float().numpy() for name, value in gates.items() if name != "hidden"}
        values.update({name: torch.stack([state[0] for state in series[:steps]]).float().numpy()
                       for name, series in states.items()})
        if "cell" in values and "c" in values:  # the LSTM logs c_t as a gate too: keep one
            del values["cell"]
        direction = index % directions
        if direction:
            values = {name: value[::-1].copy() for name, value in values.items()}
        traces.append(LayerTrace(index // directions, direction, values))
    return traces


SORTS = ("none", "mean", "variance", "step")


def sort_units(values: np.ndarray, how: str = "none", step: int = 0) -> np.ndarray:
    """An order of the units (columns of (steps, units)): as they are, by mean or variance (largest
    first), or by correlation of the unit's trace with the chosen step (units that fire there first)."""
    if how not in SORTS:
        raise ValueError(f"unknown sort {how!r}; valid: {', '.join(SORTS)}")
    units = values.shape[1]
    if how == "none":
        return np.arange(units)
    if how == "mean":
        return np.argsort(-values.mean(axis=0), kind="stable")
    if how == "variance":
        return np.argsort(-values.var(axis=0), kind="stable")
    if not 0 <= step < values.shape[0]:
        raise ValueError(f"step {step + 1} is outside the input (1..{values.shape[0]})")
    indicator = np.zeros(values.shape[0])
    indicator[step] = 1.0
    centred = values - values.mean(axis=0)
    spread = np.sqrt((centred ** 2).sum(axis=0)) * np.sqrt(((indicator - indicator.mean()) ** 2).sum())
    correlation = np.divide(centred.T @ (indicator - indicator.mean()), spread, out=np.zeros(units),
                            where=spread > 0)
    return np.argsort(-correlation, kind="stable")


def trajectory(states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """h_t projected on its first two principal components: ((steps, 2), explained variance ratio (2,))."""
    centred = states - states.mean(axis=0)
    if states.shape[0] < 2 or not np.any(centred):
        return np.zeros((states.shape[0], 2)), np.zeros(2)
    _, singular, right = np.linalg.svd(centred, full_matrices=False)
    components = np.zeros((states.shape[1], 2))
    kept = min(2, right.shape[0])
    components[:, :kept] = right[:kept].T
    explained = np.zeros(2)
    explained[:kept] = (singular[:kept] ** 2) / (singular ** 2).sum()
    return centred @ components, explained


def input_gradient_flow(model: SequenceModel, job, inputs: Tensor, lengths: Tensor,
                        targets: Tensor | None = None) -> list[dict[str, list[float]]]:
    """`gradient_flow` of the job's loss for a given input: against `targets` where the input has them,
    else the job's `own_loss` (e.g. of the model's own prediction)."""
    if targets is None:
        return gradient_flow(model, lambda outputs: job.own_loss(outputs, inputs), inputs, lengths)
    return gradient_flow(model, lambda outputs: job.loss(outputs, targets), inputs, lengths)


def inspect(predictor, text: str | None = None, example: int | None = None) -> dict:
    """Gradients, gate means, the PCA path and attributions for one input, as JSON-ready numbers (the
    top layer, forward direction). `text` (or the task's example input) for text tasks, `example` for
    tasks with ready-made examples (default 0)."""
    from rnnkit.analysis.attribution import attribute
    from rnnkit.data.inputs import read_example, read_text

    if hasattr(predictor.task, "examples"):
        if text is not None:
            raise ValueError(f"task {predictor.task.name!r} takes no typed input; use --example N")
        model_input = read_example(predictor, example or 0)
    else:
        if example is not None:
            raise ValueError(f"task {predictor.task.name!r} has no ready-made examples; use --text")
        model_input = read_text(predictor, text if text is not None else predictor.task.example_input)
    model = predictor.model
    directions = model.backbone.directions
    flow = input_gradient_flow(model, predictor.job, model_input.inputs, model_input.lengths, model_input.targets)
    top = trace(model, model_input.inputs, model_input.lengths)[-directions]
    points, explained = trajectory(top.values["h"])
    with torch.no_grad():
        outputs = predictor.outputs(model_input.inputs[:1], model_input.lengths[:1])
    described = predictor.describe(outputs)[0] if predictor.spec.job != "language_model" else {}
    report = {"arch": predictor.config.model.arch, "steps": model_input.steps, "unknown": model_input.unknown,
              "output": described.get("label") or described.get("prediction") or "next characters",
              "gradient": flow[-directions], "gradient_ratio": reach_ratio(flow[-directions]["h"]),
              "gate_means": {name: [round(float(v), 4) for v in values.mean(axis=1)]
                             for name, values in top.values.items()},
              "path": {"points": np.round(points, 4).tolist(), "explained": explained.round(4).tolist()}}
    if predictor.spec.job != "language_model":
        result = attribute(predictor, model_input)
        report["attribution"] = {"explained": result.explained, "per_step": result.per_step.round(5).tolist(),
                                 "output": result.output, "baseline_output": result.baseline_output,
                                 "relative_error": result.relative_error}
    return report
