"""The modern recurrent family (issue 28): minGRU and minLSTM (parallel form = step form, outputs and
gradients, float64, padded batches, bidirectional, 2 layers), the sLSTM against a reference written
here, the registry and the command line, a few training steps on every kind of job, and old runs."""
import base64

import numpy as np
import pytest
import torch

from rnnkit.analysis.gradient_flow import input_gradient_flow
from rnnkit.analysis.inside import trace
from rnnkit.cli.main import main
from rnnkit.config.run import ModelConfig, TaskConfig, TrainConfig
from rnnkit.data.tasks import get_task
from rnnkit.model.backbones import ScratchBackbone, build_backbone
from rnnkit.model.catalog import resolve_impl
from rnnkit.model.cells import CELLS, cell_names, chrono_init_, get_cell
from rnnkit.model.heads import build_model
from rnnkit.model.jobs import get_job
from rnnkit.model.slstm import SLSTMState
from rnnkit.runs.store import RunStore
from rnnkit.training.engine import Trainer
from tests import fixtures
from tests.test_parity import assert_close  # the same float64 check, 1e-5

NEW = ("mingru", "minlstm", "slstm")
QUIET = {"progress": lambda text: None}


@pytest.fixture
def float64():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    yield
    torch.set_default_dtype(previous)



# ------------------------------------------------------------------------------- the registry
def test_the_family_is_registered_in_menu_order_and_unknown_names_list_it():
    assert cell_names()[:7] == ("rnn", "lstm", "gru", "reslstm", "mingru", "minlstm", "slstm")
    for arch in NEW:
        cell = get_cell(arch)
        assert cell.fused_layer is None and resolve_impl(arch, "auto") == "scratch"
        assert cell.equations and cell.latex and cell.colour not in {other.colour for other in CELLS.values()
                                                                      if other is not cell}
    with pytest.raises(ValueError, match="valid: rnn, lstm, gru, reslstm, mingru, minlstm, slstm, transformer"):
        get_cell("mamba")
    assert not hasattr(get_cell("mingru")(3, 4), "weight_hh")  # its gates read x_t only


def test_chrono_init_of_mingru_closes_its_update_gate_and_leaves_the_candidate():
    bias = torch.zeros(2 * 16)
    chrono_init_("mingru", bias, None, max_steps=100)
    assert (bias[:16] <= 0).all() and bias[:16].min() >= -torch.log(torch.tensor(99.0))
    assert (bias[16:] == 0).all()


# ------------------------------------------------------------------------------- parallel = step
def padded_batch(input_size=3):
    lengths = torch.tensor([9, 4, 1, 7])  # mixed, the longest first or not
    inputs = torch.randn(4, 9, input_size)
    inputs[torch.arange(9)[None, :] >= lengths[:, None]] = 0.0
    return inputs, lengths


@pytest.mark.parametrize("arch", ["mingru", "minlstm"])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, True)])
def test_parallel_form_matches_step_form_outputs_and_gradients(float64, arch, layers, bidirectional):
    config = ModelConfig(arch=arch, impl="scratch", hidden_size=6, num_layers=layers, bidirectional=bidirectional,
                         gate_init="chrono")
    backbone = ScratchBackbone(config, 3, 9)
    inputs, lengths = padded_batch()
    valid = (torch.arange(9)[None, :] < lengths[:, None]).unsqueeze(-1)
    results = {}
    for parallel in (True, False):
        for directions in backbone.layers:
            for layer in directions:
                layer.parallel = parallel
        backbone.zero_grad()
        outputs, last = backbone(inputs, lengths)
        weights = torch.randn(outputs.shape, generator=torch.Generator().manual_seed(1))
        ((outputs * weights).sum() + last.square().sum()).backward()
        results[parallel] = (outputs, last, {name: p.grad.clone() for name, p in backbone.named_parameters()})
    (outputs, last, grads), (step_outputs, step_last, step_grads) = results[True], results[False]
    assert_close(outputs, step_outputs, f"{arch} outputs")
    assert_close(last, step_last, f"{arch} last")
    assert (outputs * ~valid == 0).all()  # padded steps give nothing
    for name, grad in grads.items():
        assert_close(grad, step_grads[name], f"{arch} grad {name}")
    assert max(grad.abs().max() for grad in grads.values()) > 0


@pytest.mark.parametrize("arch", ["mingru", "minlstm", "slstm"])
def test_padding_changes_no_prediction(float64, arch):
    config = ModelConfig(arch=arch, hidden_size=5, num_layers=2, bidirectional=True)
    backbone = build_backbone(config, 3, 40).eval()
    inputs, lengths = padded_batch()
    longer = torch.cat([inputs, torch.randn(4, 30, 3)], dim=1)  # different padding values, 39 steps
    with torch.no_grad():
        short_outputs, short_last = backbone(inputs, lengths)
        long_outputs, long_last = backbone(longer, lengths)
    assert_close(short_last, long_last, f"{arch} last")
    assert_close(short_outputs, long_outputs[:, :9], f"{arch} outputs")


# ------------------------------------------------------------------------------- sLSTM reference
def slstm_reference(cell, inputs):
    """The sLSTM of Beck et al. 2024 without a stabiliser (safe in float64 at these sizes): c and n are
    the plain running sums of exp-gated candidates, h = o ⊙ c / n. (time, batch, input) -> (time, batch, hidden)."""
    hidden = cell.hidden_size
    h = inputs.new_zeros(inputs.shape[1], hidden)
    c, n = torch.zeros_like(h), torch.zeros_like(h)
    rows = {gate: slice(index * hidden, (index + 1) * hidden) for index, gate in enumerate("ifzo")}
    outputs = []
    for x in inputs:
        pre = {gate: x @ cell.weight_ih[block].T + cell.bias_ih[block] + h @ cell.weight_hh[block].T
               + cell.bias_hh[block] for gate, block in rows.items()}
        input_gate, forget_gate = torch.exp(pre["i"]), torch.exp(pre["f"])
        c = forget_gate * c + input_gate * torch.tanh(pre["z"])
        n = forget_gate * n + input_gate
        h = torch.sigmoid(pre["o"]) * c / n
        outputs.append(h)
    return torch.stack(outputs)


def test_slstm_matches_the_unstabilised_reference_outputs_and_gradients(float64):
    cell = get_cell("slstm")(3, 5)
    with torch.no_grad():
        cell.bias_ih[5:10] += 2.0  # forget gates > 1 and < 1 both occur: the stabiliser has work to do
    inputs = torch.randn(12, 4, 3)
    state, ours = None, []
    for x_t in inputs:
        h_t, state = cell(x_t, state)
        ours.append(h_t)
    ours = torch.stack(ours)
    assert isinstance(state, SLSTMState) and (state.n >= 1 - 1e-12).all()
    reference = slstm_reference(cell, inputs)
    assert_close(ours, reference, "sLSTM outputs")
    weights = torch.randn_like(ours)
    parameters = list(cell.parameters())
    our_grads = torch.autograd.grad((ours * weights).sum(), parameters)
    reference_grads = torch.autograd.grad((reference * weights).sum(), parameters)
    for parameter_name, mine, theirs in zip([name for name, _ in cell.named_parameters()], our_grads,
                                            reference_grads):
        assert_close(mine, theirs, f"sLSTM grad {parameter_name}")


# ------------------------------------------------------------------------------- training, every job
def trains(arch, data, steps=12):
    torch.manual_seed(0)
    model = build_model(ModelConfig(arch=arch, hidden_size=12, embedding_size=8), data.spec)
    trainer = Trainer(model, data, TrainConfig(learning_rate=0.01, batch_size=16))
    batch = data.train.batch(torch.arange(16))
    losses = []
    for _ in range(steps):
        loss = trainer.loss(model(batch.inputs, batch.lengths), batch.targets)
        trainer.optimizer.zero_grad()
        loss.backward()
        trainer.optimizer.step()
        losses.append(loss.item())
    assert all(torch.isfinite(torch.tensor(losses))), losses
    assert losses[-1] < losses[0], f"{arch} on {data.spec.job}: {losses}"
    return model


@pytest.mark.parametrize("arch", NEW)
def test_every_new_architecture_trains_on_every_kind_of_job(arch, tmp_path):
    recall = get_task("recall").load(TaskConfig(name="recall", options={"sequence_length": 8, "num_samples": 80}),
                                     0, **QUIET)
    adding = get_task("adding").load(TaskConfig(name="adding", options={"sequence_length": 8, "num_samples": 80}),
                                     0, **QUIET)
    poems = get_task("poems").load(TaskConfig(name="poems", data_dir=str(fixtures.write_poems(tmp_path))), 0, **QUIET)
    for data in (recall, adding, poems):
        model = trains(arch, data)
    # the language model's gradient flow and gates (Inside) run through the step form
    batch = poems.test.batch(torch.arange(2))
    flow = input_gradient_flow(model, get_job("language_model"), batch.inputs, batch.lengths, batch.targets)
    assert len(flow[0]["h"]) == int(batch.lengths.max()) and flow[0]["h"][-1] > 0
    traced = trace(model, batch.inputs, batch.lengths)[0].values
    assert set(get_cell(arch).gate_names) <= set(traced) and traced["h"].shape == (int(batch.lengths[0]), 12)


def test_the_command_line_trains_the_family(tmp_path):
    assert main(["train", "--task", "recall", "--arch", "mingru,minlstm,slstm", "--dry-run", "--preset", "none",
                 "--checkpoints-dir", str(tmp_path)]) == 0
    runs = RunStore(tmp_path).runs()
    assert sorted(run.config().model.arch for run in runs) == ["mingru", "minlstm", "slstm"]
    assert all(run.status()["state"] == "completed" for run in runs)


# ------------------------------------------------------------------------------- Inside (AppTest)
@pytest.fixture(scope="module")
def family_runs(tmp_path_factory):
    """A finished recall group of minGRU, minLSTM and sLSTM runs (tiny), for the Inside views."""
    import io

    from rnnkit.data.presets import build_config
    from rnnkit.worker.execute import execute

    store = RunStore(tmp_path_factory.mktemp("family") / "checkpoints")
    for arch in NEW:
        config = build_config("recall", None, {"task": {"sequence_length": 8, "num_samples": 120},
                                               "model": {"arch": arch, "hidden_size": 8},
                                               "train": {"epochs": 2, "batch_size": 16, "log_every_steps": 2}},
                              group="gfamily")
        assert execute(store.create(config), stream=io.StringIO(), install_signals=False) == "completed"
    return store


def open_inside(store, monkeypatch, view, arch):
    import json

    from tests.apptest import page

    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(store.root))
    run = next(run for run in store.runs() if run.config().model.arch == arch)
    app = page("inside", inside_view=view, inside_task="recall", inside_model=str(run.best_path))
    app.run()
    assert not app.exception, app.exception
    assert not app.error
    return app, [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


@pytest.mark.parametrize("arch", NEW)
def test_gates_view_shows_the_new_cells_gates_and_equations(family_runs, monkeypatch, arch):
    app, figures = open_inside(family_runs, monkeypatch, "gates", arch)
    assert get_cell(arch).latex in app.get("latex")[0].value
    titles = [annotation["text"] for annotation in figures[0]["layout"]["annotations"]]
    assert len(figures[0]["data"]) == len(titles) and len(titles) >= len(get_cell(arch).gate_names) + 1
    if arch == "slstm":
        assert {"normaliser n", "stabiliser m"} <= set(titles)
    else:  # the positive candidate is not clipped to [-1, 1]: its colour scale fits the data
        candidate = figures[0]["data"][titles.index("candidate")]
        values = np.frombuffer(base64.b64decode(candidate["z"]["bdata"]), dtype=candidate["z"]["dtype"])
        assert candidate["zmin"] == -candidate["zmax"] == -values.max() and values.min() > 0
    assert len(figures) == (3 if get_cell(arch).memory_gate else 2)  # the memory gate's chart where there is one
    assert any("weighs the new value" in caption.value for caption in app.caption) == (arch == "mingru")


@pytest.mark.parametrize("arch", NEW)
def test_gradient_flow_view_and_probe_work_for_the_new_cells(family_runs, monkeypatch, arch):
    run = next(run for run in family_runs.runs() if run.config().model.arch == arch)
    probe = run.metrics("probe")[-1]
    assert probe["h"] and all(value >= 0 for value in probe["h"])
    assert ("m" in probe) is False  # the sLSTM's stabiliser cancels: its gradient is not measured
    _, figures = open_inside(family_runs, monkeypatch, "gradients", arch)
    names = [line["name"] for line in figures[0]["data"]]
    assert len(names) >= 3 and not any(name.endswith("(m)") for name in names)  # every run of the group


def test_the_audit_names_the_cells_it_does_not_recompute():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import audit

    assert set(audit.audited_cells()) == {"rnn", "lstm", "gru", "reslstm"}
    (line,) = [result.line() for result in audit.unaudited_check(quick=True)]
    assert line.startswith("skip  ") and "mingru, minlstm, slstm, transformer:" in line
    assert "tests/test_family.py" in line and "tests/test_transformer.py" in line
