"""Inside the network (first part): fused weights run unchanged on the scratch cells, and the
per-step gradient norms agree with a hand-unrolled RNN differentiated by torch autograd (mixed lengths:
tests/test_gradient_flow.py)."""
import dataclasses

import pytest
import torch
import torch.nn.functional as F

from rnnkit.analysis.inside import gradient_flow, reach_ratio, record_states, scratch_copy
from rnnkit.config.run import ModelConfig
from rnnkit.config.spec import TaskSpec
from rnnkit.model.catalog import resolve_impl
from rnnkit.model.heads import build_model
from tests.apptest import page

SPEC = TaskSpec("classify", "features", 5, 3, 12, "accuracy")


def batch(seed: int = 0, equal: bool = False):
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(4, 12, 5, generator=generator)
    lengths = torch.tensor([12, 12, 12, 12] if equal else [12, 9, 4, 1])
    targets = torch.tensor([0, 1, 2, 1])
    return inputs, lengths, targets


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional, layers", [(False, 1), (True, 1), (False, 2), (True, 2)])
def test_a_fused_model_gives_the_same_outputs_on_the_scratch_cells(arch, bidirectional, layers):
    torch.manual_seed(0)
    config = ModelConfig(arch=arch, hidden_size=7, num_layers=layers, bidirectional=bidirectional, pooling="mean")
    fused = build_model(config, SPEC).eval()
    twin = scratch_copy(fused).eval()
    assert twin.config.impl == "scratch" and resolve_impl(arch, fused.config.impl) == "fused"
    inputs, lengths, _targets = batch()
    with torch.no_grad():
        assert torch.allclose(fused(inputs, lengths), twin(inputs, lengths), atol=1e-5)


def test_gradient_norms_match_a_hand_unrolled_rnn():
    torch.manual_seed(1)
    config = ModelConfig(arch="rnn", hidden_size=6, pooling="last")
    model = build_model(config, SPEC).eval()
    inputs, lengths, targets = batch(equal=True)
    flow = gradient_flow(model, lambda outputs: F.cross_entropy(outputs, targets, reduction="none"), inputs, lengths)
    rnn = model.backbone.rnn
    h = torch.zeros(4, 6)
    states = []
    for t in range(12):  # h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), torch's own definition
        h = torch.tanh(inputs[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
        states.append(h)
    loss = F.cross_entropy(model.head(h), targets, reduction="sum")  # each sequence's own loss, no 1/batch
    grads = torch.autograd.grad(loss, states)
    expected = [float(grad.norm(dim=-1).mean()) for grad in grads]
    assert flow[0]["h"] == pytest.approx(expected, rel=1e-4)
    assert reach_ratio(flow[0]["h"]) == pytest.approx(expected[0] / expected[-1], rel=1e-4)


def test_an_lstm_records_h_and_c_for_every_layer_and_direction():
    config = ModelConfig(arch="lstm", hidden_size=4, num_layers=2, bidirectional=True)
    model = build_model(dataclasses.replace(config, impl="scratch"), SPEC)
    inputs, lengths, targets = batch()
    flow = gradient_flow(model, lambda outputs: F.cross_entropy(outputs, targets, reduction="none"), inputs, lengths)
    assert len(flow) == 4 and all(set(tap) == {"h", "c"} and len(tap["h"]) == 12 for tap in flow)
    assert all(norm >= 0 for tap in flow for norm in tap["h"])
    assert all(layer.state_taps is None for directions in model.backbone.layers for layer in directions)
    with pytest.raises(ValueError, match="scratch cells"):
        with record_states(build_model(config, SPEC)):
            pass


@pytest.mark.parametrize("task, options", [
    ("recall", {"sequence_length": 30, "num_samples": 200}),
    ("adding", {"sequence_length": 20, "num_samples": 200}),
    ("poems", {}),
])
def test_every_epoch_logs_how_far_back_the_gradient_reaches(task, options, tmp_path):
    import io

    from rnnkit.analysis.inside import log_spaced_distances
    from rnnkit.data.presets import build_config
    from rnnkit.runs.store import RunStore
    from rnnkit.worker.execute import execute
    from tests import fixtures

    if task == "poems":
        options = {"data_dir": str(fixtures.write_poems(tmp_path / "data"))}
    data_dir = options.pop("data_dir", None)
    overrides = {"task": {**options, **({"data_dir": data_dir} if data_dir else {})},
                 "model": {"arch": "gru", "hidden_size": 8}, "train": {"epochs": 2, "batch_size": 16}}
    store = RunStore(tmp_path / "runs")
    run = store.create(build_config(task, None, overrides))
    output = io.StringIO()
    assert execute(run, stream=output, install_signals=False) == "completed"
    assert "gradient probe switched off" not in output.getvalue()
    probes = run.metrics("probe")
    assert [probe["epoch"] for probe in probes] == [1, 2]
    assert probes[0]["distance"][0] == 0 and probes[0]["distance"] == sorted(probes[0]["distance"])
    assert len(probes[0]["h"]) == len(probes[0]["distance"]) and all(norm >= 0 for norm in probes[0]["h"])
    assert probes[0]["measure"] == "per-sequence" and probes[0]["h"][0] > 0  # the last step's gradient is kept
    assert len(probes[0]["sequences"]) == len(probes[0]["distance"]) and probes[0]["sequences"][-1] >= 1
    quiet = {**overrides, "train": {**overrides["train"], "gradient_probe": False}}
    off = store.create(build_config(task, None, quiet))
    assert execute(off, stream=io.StringIO(), install_signals=False) == "completed"
    assert off.metrics("probe") == []
    assert log_spaced_distances(150)[:3] == [0, 1, 2] and log_spaced_distances(150)[-1] == 149
    assert log_spaced_distances(1) == [0]


def test_the_live_view_draws_how_far_back_the_gradient_reaches(app_env):
    runs = app_env.runs(group="gtest")
    assert all(run.metrics("probe") for run in runs)  # the session's recall group was trained with the probe
    app = page("train").run()
    assert not app.exception, [e.value for e in app.exception]
    specs = [chart.proto.spec for chart in app.get("plotly_chart")]
    assert any("how far back the gradient reaches" in spec for spec in specs)
