"""Scratch cells and layers against torch's own, with copied weights, in float64.

Outputs and parameter gradients must agree within 1e-5; padding must never change a result.
"""
import pytest
import torch
from torch import nn

from rnnkit.config.run import ModelConfig
from rnnkit.data.tasks.base import TaskSpec
from rnnkit.model.backbones import FusedBackbone, ScratchBackbone, reverse_padded
from rnnkit.model.cells import CELLS, LSTMCell, LSTMState, ResidualLSTMCell
from rnnkit.model.heads import build_model

TOLERANCE = 1e-5
TORCH_CELLS = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}


@pytest.fixture(autouse=True)
def float64():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    yield
    torch.set_default_dtype(previous)


def assert_close(actual, expected, what):
    difference = (actual - expected).abs().max().item()
    assert difference < TOLERANCE, f"{what}: max difference {difference:.3g}"


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
def test_cell_matches_torch_cell_outputs_and_gradients(arch):
    input_size, hidden_size, batch, steps = 5, 7, 3, 6
    ours = CELLS[arch](input_size, hidden_size)
    theirs = TORCH_CELLS[arch](input_size, hidden_size)
    theirs.load_state_dict(ours.state_dict())  # same names, same layout
    inputs = torch.randn(steps, batch, input_size)

    state, their_state = None, None
    our_outputs, their_outputs = [], []
    for x_t in inputs:
        h_t, state = ours(x_t, state)
        our_outputs.append(h_t)
        their_state = theirs(x_t, their_state)
        their_outputs.append(their_state[0] if arch == "lstm" else their_state)
    ours_stacked, theirs_stacked = torch.stack(our_outputs), torch.stack(their_outputs)
    assert_close(ours_stacked, theirs_stacked, f"{arch} outputs")

    weights = torch.randn_like(ours_stacked)  # a loss that weighs every output differently
    (ours_stacked * weights).sum().backward()
    (theirs_stacked * weights).sum().backward()
    for name, parameter in ours.named_parameters():
        assert_close(parameter.grad, dict(theirs.named_parameters())[name].grad, f"{arch} grad {name}")


def test_residual_lstm_adds_the_input_path():
    same = ResidualLSTMCell(4, 4)
    assert isinstance(same.residual, nn.Identity)
    plain = LSTMCell(4, 4)
    plain.load_state_dict({k: v for k, v in same.state_dict().items()})
    x_t = torch.randn(2, 4)
    state = LSTMState(torch.randn(2, 4), torch.randn(2, 4))
    h_res, res_state = same(x_t, state)
    h_plain, plain_state = plain(x_t, state)
    assert_close(h_res, h_plain + x_t, "identity residual")
    assert_close(res_state.c, plain_state.c, "cell state unchanged by the residual")

    wider = ResidualLSTMCell(3, 5)
    assert isinstance(wider.residual, nn.Linear) and wider.residual.weight.shape == (5, 3)
    x_t = torch.randn(2, 3, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: wider(x)[0], (x_t,))


def copy_fused_into_scratch(fused: FusedBackbone, scratch: ScratchBackbone) -> None:
    for layer_index, directions in enumerate(scratch.layers):
        for direction, layer in enumerate(directions):
            suffix = f"_l{layer_index}" + ("_reverse" if direction else "")
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(layer.cell, name).data.copy_(getattr(fused.rnn, name + suffix).data)


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
def test_scratch_stack_matches_fused_stack(arch):
    """2 layers, bidirectional, mixed lengths: outputs, last states and all gradients agree."""
    config = ModelConfig(arch=arch, hidden_size=6, num_layers=2, bidirectional=True)
    fused, scratch = FusedBackbone(config, 4, 9), ScratchBackbone(config, 4, 9)
    copy_fused_into_scratch(fused, scratch)
    inputs = torch.randn(4, 9, 4)
    lengths = torch.tensor([9, 3, 6, 1])

    fused_outputs, fused_last = fused(inputs, lengths)
    scratch_outputs, scratch_last = scratch(inputs, lengths)
    assert_close(scratch_outputs, fused_outputs, f"{arch} outputs")
    assert_close(scratch_last, fused_last, f"{arch} last state")

    weights = torch.randn_like(fused_outputs)
    ((fused_outputs * weights).sum() + fused_last.sum()).backward()
    ((scratch_outputs * weights).sum() + scratch_last.sum()).backward()
    for layer_index, directions in enumerate(scratch.layers):
        for direction, layer in enumerate(directions):
            suffix = f"_l{layer_index}" + ("_reverse" if direction else "")
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                expected = getattr(fused.rnn, name + suffix).grad
                assert_close(getattr(layer.cell, name).grad, expected, f"{arch} grad {name}{suffix}")


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, False), (1, True), (2, True)])
def test_cpu_unpacked_path_matches_torch_packed_path(arch, layers, bidirectional):
    """The CPU path (padded batch + masks, no packing) gives torch's packed results and gradients."""
    config = ModelConfig(arch=arch, hidden_size=6, num_layers=layers, bidirectional=bidirectional)
    backbone = FusedBackbone(config, 4, 9)
    inputs = torch.randn(4, 9, 4, requires_grad=True)
    lengths = torch.tensor([9, 3, 6, 1])
    weights = torch.randn(4, 9, backbone.output_size)
    results = []
    for path in (backbone.packed, backbone.unpacked):
        outputs, last = path(inputs, lengths)
        ((outputs * weights).sum() + last.pow(2).sum()).backward()
        results.append((outputs, last, inputs.grad.clone(),
                        {name: parameter.grad.clone() for name, parameter in backbone.named_parameters()}))
        backbone.zero_grad()
        inputs.grad = None
    (packed_out, packed_last, packed_dx, packed_grads), (out, last, dx, grads) = results
    assert_close(out, packed_out, "outputs")
    assert_close(last, packed_last, "last state")
    assert_close(dx, packed_dx, "input gradient")
    for name, grad in grads.items():
        assert_close(grad, packed_grads[name], f"grad {name}")
    backbone.packed = None  # a CPU forward must not pack
    assert_close(backbone(inputs, lengths)[1], packed_last, "forward on a CPU")


def test_reverse_padded_reverses_within_each_length():
    x = torch.arange(8.0).view(2, 4, 1)
    reversed_x = reverse_padded(x, torch.tensor([4, 2]))
    assert reversed_x[:, :, 0].tolist() == [[3, 2, 1, 0], [5, 4, 6, 7]]
    assert torch.equal(reverse_padded(reversed_x, torch.tensor([4, 2])), x)  # its own inverse


@pytest.mark.parametrize("impl,arch", [("fused", "lstm"), ("fused", "gru"), ("scratch", "lstm"),
                                       ("scratch", "gru"), ("scratch", "rnn"), ("scratch", "reslstm")])
@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_padding_does_not_change_the_prediction(impl, arch, pooling):
    spec = TaskSpec(job="classify", input_kind="tokens", input_size=20, output_size=3, max_steps=100,
                    selection_metric="accuracy", class_names=("a", "b", "c"))
    config = ModelConfig(arch=arch, impl=impl, hidden_size=8, embedding_size=6, num_layers=2,
                         bidirectional=True, pooling=pooling)
    model = build_model(config, spec).eval()
    tokens = torch.tensor([[5, 9, 2, 7, 3, 11, 4]])
    predictions = []
    for padded_length in (10, 100):
        inputs = torch.zeros(2, padded_length, dtype=torch.long)
        inputs[0, :7] = tokens
        inputs[1, :3] = torch.tensor([1, 2, 3])  # a shorter neighbour in the same batch
        with torch.no_grad():
            predictions.append(model(inputs, torch.tensor([7, 3]))[0])
    assert_close(predictions[0], predictions[1], f"{impl} {arch} {pooling}")


def test_scratch_layers_can_report_their_gates():
    config = ModelConfig(arch="lstm", impl="scratch", hidden_size=5, num_layers=2, bidirectional=True)
    backbone = ScratchBackbone(config, 3, 7)
    logs = []
    backbone(torch.randn(2, 7, 3), torch.tensor([7, 4]), gate_logs=logs)
    assert len(logs) == 4  # 2 layers x 2 directions
    assert set(logs[0]) == {"input", "forget", "candidate", "output", "cell"}
    assert logs[0]["forget"].shape == (2, 7, 5)
    assert 0.0 <= logs[0]["forget"].min() and logs[0]["forget"].max() <= 1.0


def test_chrono_init_sets_long_memory_gate_biases():
    config = ModelConfig(arch="lstm", impl="scratch", hidden_size=64, gate_init="chrono")
    cell = ScratchBackbone(config, 3, 150).layers[0][0].cell
    forget_bias = cell.bias_ih[64:128] + cell.bias_hh[64:128]
    input_bias = cell.bias_ih[:64] + cell.bias_hh[:64]
    assert forget_bias.min() >= 0 and forget_bias.max() <= torch.log(torch.tensor(149.0))
    assert torch.allclose(input_bias, -forget_bias)
    fused = FusedBackbone(ModelConfig(arch="gru", gate_init="chrono", hidden_size=8), 3, 150)
    assert (fused.rnn.bias_ih_l0[8:16] >= 0).all() and (fused.rnn.bias_hh_l0[8:16] == 0).all()
