"""Gradient flow on padded batches of mixed lengths is exact: every sequence measured from its own last
real step with its own loss, checked against an independent computation that runs each sequence ALONE
(batch of 1, its own length, no padding) through torch's own nn.RNNCell/LSTMCell/GRUCell with the fused
model's weights, unrolled by hand and differentiated by autograd (float64)."""
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from rnnkit.analysis.figures import gradient_reach_figure
from rnnkit.analysis.gradient_flow import (
    PROBE_MEASURE,
    gradient_flow,
    probe_summary,
    record_states,
    scratch_copy,
    sequence_losses,
    state_gradients,
)
from rnnkit.config.run import ModelConfig
from rnnkit.config.spec import IGNORE_INDEX, TaskSpec
from rnnkit.model.heads import build_model
from rnnkit.model.jobs import JOBS

LENGTHS = [20, 15, 9, 4]  # the poem batch
TIME = 22  # padded beyond the longest sequence too
VOCABULARY = 11
CLASSIFY = TaskSpec("classify", "features", 5, 3, TIME, "accuracy")
REGRESS = TaskSpec("regress", "features", 5, 2, TIME, "mae")
LANGUAGE = TaskSpec("language_model", "tokens", VOCABULARY, VOCABULARY, TIME, "perplexity")
TORCH_CELLS = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}


def mixed_batch(spec: TaskSpec, seed: int = 0):
    """(inputs, lengths, targets) with GARBAGE in the padded steps: padding must not matter."""
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.tensor(LENGTHS)
    if spec.input_kind == "tokens":
        inputs = torch.randint(2, VOCABULARY, (len(LENGTHS), TIME), generator=generator)
        targets = torch.randint(2, VOCABULARY, (len(LENGTHS), TIME), generator=generator)
        targets[torch.arange(TIME)[None, :] >= lengths[:, None]] = IGNORE_INDEX
        return inputs, lengths, targets
    inputs = torch.randn(len(LENGTHS), TIME, spec.input_size, generator=generator, dtype=torch.float64)
    if spec.job == "classify":
        return inputs, lengths, torch.tensor([0, 2, 1, 2])
    return inputs, lengths, torch.randn(len(LENGTHS), spec.output_size, generator=generator)


def one_sequence_alone(model, inputs: torch.Tensor, target: torch.Tensor) -> list[dict[str, list[float]]]:
    """||dL/d state_t|| per layer and direction in processing order, for ONE unpadded sequence: torch's
    cells with the fused weights, the stack unrolled here, pooling and loss written out here."""
    config, fused = model.config, model.backbone.rnn
    directions = 2 if config.bidirectional else 1
    layer_input = model.embed(inputs[None])[0]  # (steps, features)
    steps, recorded, finals = layer_input.shape[0], [], []
    for layer in range(config.num_layers):
        halves = []
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            cell = TORCH_CELLS[config.arch](layer_input.shape[1], config.hidden_size).double()
            cell.load_state_dict({name: getattr(fused, name + suffix)
                                  for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
            read = layer_input if direction == 0 else layer_input.flip(0)
            h = c = torch.zeros(1, config.hidden_size, dtype=torch.float64)
            states = {"h": [], "c": []} if config.arch == "lstm" else {"h": []}
            for t in range(steps):
                if config.arch == "lstm":
                    h, c = cell(read[t : t + 1], (h, c))
                    states["c"].append(c)
                else:
                    h = cell(read[t : t + 1], h)
                states["h"].append(h)
            recorded.append(states)
            finals.append(h)
            processed = torch.cat(states["h"])  # (steps, hidden), processing order
            halves.append(processed if direction == 0 else processed.flip(0))
        layer_input = torch.cat(halves, dim=1)  # (steps, directions*hidden)
        finals = finals[-directions:]
    if model.spec.job == "language_model":
        loss = F.cross_entropy(model.head(layer_input), target[:steps])  # the mean over ITS tokens
    else:
        pooled = {"last": torch.cat(finals, dim=1)[0], "mean": layer_input.mean(0),
                  "max": layer_input.amax(0)}[config.pooling]
        output = model.head(pooled)
        loss = F.cross_entropy(output[None], target[None]) if model.spec.job == "classify" else \
            ((output - target) ** 2).mean()
    tensors = [state for states in recorded for series in states.values() for state in series]
    grads = iter(torch.autograd.grad(loss, tensors))
    return [{name: [float(next(grads).norm()) for _ in series] for name, series in states.items()}
            for states in recorded]


def expected_by_distance(alone: list[list[float]]) -> list[float]:
    """The mean at distance d over the sequences longer than d (each list in processing order)."""
    return [float(np.mean([norms[len(norms) - 1 - d] for norms in alone if len(norms) > d]))
            for d in range(max(len(norms) for norms in alone))]


POOLINGS = [(arch, pooling, bidirectional, 1) for arch in ("rnn", "lstm", "gru") for pooling in ("last", "mean", "max")
            for bidirectional in (False, True)] + [("lstm", "mean", True, 2), ("gru", "last", False, 2)]
CASES = [("classify", *case) for case in POOLINGS] + [  # the regress head (MSE over the horizon): one layer, one way
    ("regress", *case) for case in POOLINGS if case[2:] == (False, 1)]


@pytest.mark.parametrize("job, arch, pooling, bidirectional, layers", CASES)
def test_every_pooling_matches_each_sequence_alone(job, arch, pooling, bidirectional, layers):
    spec = CLASSIFY if job == "classify" else REGRESS
    torch.manual_seed(3)
    config = ModelConfig(arch=arch, hidden_size=6, num_layers=layers, bidirectional=bidirectional, pooling=pooling)
    model = build_model(config, spec).double().eval()
    inputs, lengths, targets = mixed_batch(spec)
    check(model, inputs, lengths, targets)


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
def test_the_language_model_matches_each_sequence_alone(arch):
    torch.manual_seed(4)
    model = build_model(ModelConfig(arch=arch, hidden_size=6, embedding_size=4), LANGUAGE).double().eval()
    inputs, lengths, targets = mixed_batch(LANGUAGE)
    check(model, inputs, lengths, targets)


def check(model, inputs, lengths, targets):
    job = JOBS[model.spec.job]
    def losses_of(outputs):
        return sequence_losses(job, outputs, lengths, targets)
    per_sequence = state_gradients(model, losses_of, inputs, lengths)
    flow = gradient_flow(model, losses_of, inputs, lengths)
    alone = [one_sequence_alone(model, inputs[row, :length], targets[row]) for row, length in enumerate(LENGTHS)]
    for index, (measured, tap) in enumerate(zip(per_sequence, flow)):
        for name in measured:
            reference = [sequence[index][name] for sequence in alone]
            for row, length in enumerate(LENGTHS):  # each sequence, step by step; padding is NaN
                np.testing.assert_allclose(measured[name][row, :length], reference[row], rtol=1e-5, atol=1e-14)
                assert np.isnan(measured[name][row, length:]).all()
            assert len(tap[name]) == max(LENGTHS)  # aligned at the end: the last entry is distance 0
            np.testing.assert_allclose(tap[name][::-1], expected_by_distance(reference), rtol=1e-5, atol=1e-14)
    assert all(norm > 0 for norm in flow[0]["h"])  # the last step's gradient is not lost (the old 0)


def test_the_taps_change_no_number_of_training():
    torch.manual_seed(5)
    config = ModelConfig(arch="lstm", hidden_size=5, num_layers=2, bidirectional=True, pooling="mean",
                         impl="scratch")
    model = build_model(config, CLASSIFY).double()
    inputs, lengths, targets = mixed_batch(CLASSIFY)
    results = []
    for tapped in (False, True):
        model.zero_grad()
        with record_states(model) if tapped else torch.enable_grad():
            outputs = model(inputs, lengths)
            F.cross_entropy(outputs, targets).backward()
        results.append((outputs.detach().clone(), [parameter.grad.clone() for parameter in model.parameters()]))
    (plain, plain_grads), (tapped, tapped_grads) = results
    assert torch.equal(plain, tapped) and all(torch.equal(a, b) for a, b in zip(plain_grads, tapped_grads))


def test_a_finished_row_gets_no_gradient_and_its_last_step_keeps_its_output_path():
    torch.manual_seed(6)
    model = build_model(ModelConfig(arch="gru", hidden_size=5, pooling="mean", impl="scratch"), CLASSIFY).double()
    inputs, lengths, targets = mixed_batch(CLASSIFY)
    with record_states(model.eval()) as taps:
        F.cross_entropy(model(inputs, lengths), targets, reduction="sum").backward()
    states = taps[0]["h"]
    for row, length in enumerate(LENGTHS):
        assert all(float(state.grad[row].abs().max()) == 0.0 for state in states[length:])
        assert float(states[length - 1].grad[row].norm()) > 0  # the old masked tap read exactly 0 here


def test_a_batch_mean_loss_is_refused():
    model = build_model(ModelConfig(arch="rnn", hidden_size=4), CLASSIFY).double()
    inputs, lengths, targets = mixed_batch(CLASSIFY)
    with pytest.raises(ValueError, match="one loss per sequence"):
        gradient_flow(model, lambda outputs: F.cross_entropy(outputs, targets), inputs, lengths)


def test_the_scratch_copy_keeps_the_models_dtype():
    model = build_model(ModelConfig(arch="gru", hidden_size=4), CLASSIFY).double()
    assert all(parameter.dtype == torch.float64 for parameter in scratch_copy(model).parameters())


def test_the_probe_line_is_marked_and_counts_its_sequences():
    flow = [{"h": [float(step) for step in range(1, 21)]}]
    summary = probe_summary(flow, 1, torch.tensor(LENGTHS))
    assert summary["measure"] == PROBE_MEASURE and summary["distance"][0] == 0
    at = dict(zip(summary["distance"], summary["h"]))
    assert at[0] == 20.0 and at[19] == 1.0  # distance d reads entry longest - 1 - d
    counts = dict(zip(summary["distance"], summary["sequences"]))
    assert counts[0] == 4 and counts[19] == 1 and counts[summary["distance"][-1]] == 1


def test_old_probe_lines_are_drawn_and_labelled_as_such():
    old = {"kind": "probe", "epoch": 2, "distance": [0, 1, 2], "h": [0.03, 0.002, 0.0009]}
    new = {**old, "measure": PROBE_MEASURE, "sequences": [4, 4, 3]}
    hostile = {"kind": "probe", "epoch": 1, "distance": [0, "x"], "h": ["<b>", 1.0]}
    figure = json.loads(gradient_reach_figure([("old run", "lstm", old), ("new run", "gru", new),
                                               ("odd run", "rnn", hostile)]).to_json())
    names = {trace["name"]: trace for trace in figure["data"]}
    old_name = next(name for name in names if name.startswith("old run"))
    new_name = next(name for name in names if name.startswith("new run"))
    assert "old probe (padded rows mixed in)" in old_name and "old probe" not in new_name
    assert names[old_name]["line"]["dash"] == "dot" and names[new_name]["y"] == new["h"]
    assert not any(name.startswith("odd run") for name in names)  # nothing that is not a number is drawn


def test_a_legacy_run_folders_probe_still_draws():
    from rnnkit.runs.store import RunStore

    runs = RunStore("tests/legacy/v2").runs()
    probes = [(run.run_id, "lstm", run.metrics("probe")[-1]) for run in runs if run.metrics("probe")]
    assert probes and all("measure" not in probe for _, _, probe in probes)
    figure = json.loads(gradient_reach_figure(probes).to_json())
    assert len(figure["data"]) == len(probes) and all("old probe" in trace["name"] for trace in figure["data"])


def test_mixed_lengths_are_drawn_by_the_steps_back_from_each_last_step():
    from rnnkit.analysis.inside_figures import gradient_flow_figure

    norms = [float(step) for step in range(1, 21)]  # aligned at the end: the last entry is distance 0
    figure = json.loads(gradient_flow_figure([("gru", "gru", "h", norms)], "t", from_last=True).to_json())
    assert figure["data"][0]["x"] == list(range(20, 0, -1)) and figure["data"][0]["y"] == norms
    assert figure["layout"]["xaxis"]["autorange"] == "reversed"
    per_step = json.loads(gradient_flow_figure([("gru", "gru", "h", norms)], "t").to_json())
    assert per_step["data"][0]["x"] == list(range(1, 21))
