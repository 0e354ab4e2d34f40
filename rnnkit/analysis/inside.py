"""Inside the network: the states of every step, and how much of the loss's gradient reaches them.

    trace(model, inputs, ...) every gate's activation and the states per step x unit, per layer and
                              direction (what the Inside page draws as heatmaps)
    sort_units, trajectory    unit orders for the heatmaps; the 2-D PCA path of h_t
    inspect(predictor, ...)   all of it for one input as plain numbers (`python -m rnnkit inside`)

The gradients (scratch_copy, record_states, gradient_flow: ||dL_b/dh_t|| of each sequence's own loss,
measured from its own last real step) live in rnnkit.analysis.gradient_flow and are re-exported here.
The vanishing gradient of the lab reports, measured: for a trained `recall` group the RNN's
||dL/dh_1|| / ||dL/dh_T|| is many orders of magnitude below the LSTM's and the GRU's.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch
from torch import Tensor

from rnnkit.analysis.gradient_flow import (
    PROBE_MEASURE,
    PROBE_POINTS,
    PROBE_SEQUENCES,
    by_distance,
    gradient_flow,
    input_gradient_flow,
    log_spaced_distances,
    probe_summary,
    reach_ratio,
    record_states,
    scratch_copy,
    sequence_losses,
    state_gradients,
)
from rnnkit.model.heads import SequenceModel

__all__ = ["PROBE_MEASURE", "PROBE_POINTS", "PROBE_SEQUENCES", "LayerTrace", "by_distance", "gradient_flow",
           "input_gradient_flow", "inspect", "log_spaced_distances", "probe_summary", "reach_ratio", "record_states",
           "scratch_copy", "sequence_losses", "sort_units", "state_gradients", "trace", "trajectory"]


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
