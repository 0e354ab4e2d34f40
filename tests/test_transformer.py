"""The attention baseline (issue 28, part 3): a small Transformer encoder registered as `--arch transformer`,
trained by the same engine and heads; padding never changes an output, a language model never reads ahead,
parameter matching and the memory estimate cover it, gradient flow and the Inside views work."""
import io

import numpy as np
import pytest
import torch

from rnnkit.analysis.attention import attention_maps
from rnnkit.analysis.gradient_flow import input_gradient_flow
from rnnkit.cli.main import main
from rnnkit.config.run import ModelConfig, TaskConfig, TrainConfig
from rnnkit.config.spec import TaskSpec
from rnnkit.data.presets import build_config
from rnnkit.data.tasks import get_task
from rnnkit.model.budget import TOLERANCE, resolve_match
from rnnkit.model.catalog import resolve_impl
from rnnkit.model.cells import cell_names, get_cell
from rnnkit.model.heads import build_model
from rnnkit.model.jobs import get_job
from rnnkit.model.memory import estimate_memory
from rnnkit.runs.store import RunStore
from rnnkit.training.engine import Trainer
from rnnkit.worker.execute import execute
from tests import fixtures
from tests.apptest import page

QUIET = {"progress": lambda text: None}


def spec_of(job, vocabulary=30):
    return TaskSpec(job=job, input_kind="tokens", input_size=vocabulary,
                    output_size=3 if job == "classify" else vocabulary, max_steps=40, selection_metric="accuracy",
                    class_names=("a", "b", "c") if job == "classify" else ())


def test_the_transformer_is_an_architecture_of_its_own():
    assert cell_names()[-1] == "transformer" and get_cell("transformer").own_backbone
    assert resolve_impl("transformer", "auto") == "scratch"
    with pytest.raises(ValueError, match="exists only as impl='scratch'"):
        build_model(ModelConfig(arch="transformer", impl="fused"), spec_of("classify"))
    with pytest.raises(ValueError, match="cannot read backwards"):
        build_model(ModelConfig(arch="transformer", bidirectional=True), spec_of("language_model"))


@pytest.mark.parametrize("job,bidirectional", [("classify", False), ("classify", True), ("language_model", False)])
def test_a_padded_token_changes_no_output(job, bidirectional):
    torch.manual_seed(0)
    model = build_model(ModelConfig(arch="transformer", hidden_size=12, embedding_size=8, num_layers=2,
                                    bidirectional=bidirectional, pooling="mean"), spec_of(job)).eval()
    lengths = torch.tensor([7, 3])
    inputs = torch.randint(1, 30, (2, 7))
    inputs[1, 3:] = 0
    longer = torch.cat([inputs, torch.zeros(2, 20, dtype=torch.long)], dim=1)
    changed = longer.clone()
    changed[1, 3:] = torch.randint(1, 30, (24,))  # what stands in the padding does not matter either
    with torch.no_grad():
        outputs = [model(batch, lengths) for batch in (inputs, longer, changed)]
    for other in outputs[1:]:
        if job == "language_model":  # one output per step: the real steps of each sequence
            for row, length in enumerate(lengths.tolist()):
                assert torch.allclose(outputs[0][row, :length], other[row, :length], atol=1e-6)
        else:
            assert torch.allclose(outputs[0], other, atol=1e-6)


def test_a_language_model_never_reads_ahead():
    torch.manual_seed(0)
    model = build_model(ModelConfig(arch="transformer", hidden_size=8, embedding_size=8),
                        spec_of("language_model")).eval()
    inputs = torch.randint(1, 30, (1, 9))
    changed = inputs.clone()
    changed[0, 6] = (inputs[0, 6] % 29) + 1
    with torch.no_grad():
        before, after = model(inputs, torch.tensor([9])), model(changed, torch.tensor([9]))
    assert torch.equal(before[0, :6], after[0, :6]) and not torch.allclose(before[0, 6:], after[0, 6:])
    maps = attention_maps(model, inputs, torch.tensor([9]))
    assert len(maps) == 1 and maps[0].shape == (4, 9, 9)
    assert np.allclose(maps[0].sum(axis=-1), 1) and np.all(np.triu(maps[0], k=1) == 0)


def test_parameter_matching_and_the_memory_estimate_cover_it():
    spec = spec_of("classify", vocabulary=200)
    matched, match = resolve_match(ModelConfig(arch="transformer", hidden_size=64, match_parameters="lstm"), spec)
    assert match.within_tolerance and abs(match.relative_difference) <= TOLERANCE and matched.hidden_size < 64
    build_model(matched, spec)  # any width builds (the head count follows it)
    _, reverse = resolve_match(ModelConfig(arch="gru", hidden_size=32, match_parameters="transformer"), spec)
    assert reverse.within_tolerance
    from tests.test_resources import _saved_bytes

    config = ModelConfig(arch="transformer", hidden_size=24, embedding_size=16, num_layers=2)
    inputs, lengths = torch.randint(1, 200, (8, 40)), torch.full((8,), 40)
    classes = torch.zeros(8, dtype=torch.long)
    measured = _saved_bytes(build_model(config, spec), inputs, lengths,
                            lambda outputs: torch.nn.functional.cross_entropy(outputs, classes))
    assert measured <= estimate_memory(config, TrainConfig(batch_size=8), spec).activations <= 6 * measured


def test_it_trains_on_every_kind_of_job_and_its_gradient_reaches_back(tmp_path):
    tasks = [TaskConfig(name="recall", options={"sequence_length": 8, "num_samples": 80}),
             TaskConfig(name="adding", options={"sequence_length": 8, "num_samples": 80}),
             TaskConfig(name="poems", data_dir=str(fixtures.write_poems(tmp_path)))]
    for task in tasks:
        data = get_task(task.name).load(task, 0, **QUIET)
        torch.manual_seed(0)
        model = build_model(ModelConfig(arch="transformer", hidden_size=16, embedding_size=8, dropout=0.0), data.spec)
        trainer = Trainer(model, data, TrainConfig(learning_rate=0.005, batch_size=16))
        batch = data.train.batch(torch.arange(16))
        losses = []
        for _ in range(12):
            loss = trainer.loss(model(batch.inputs, batch.lengths), batch.targets)
            trainer.optimizer.zero_grad()
            loss.backward()
            trainer.optimizer.step()
            losses.append(loss.item())
        assert losses[-1] < losses[0], (task.name, losses)
        flow = input_gradient_flow(model, get_job(data.spec.job), batch.inputs[:4], batch.lengths[:4],
                                   batch.targets[:4])
        assert list(flow[0]) == ["h"] and flow[0]["h"][0] > 0  # the first input step gets gradient: ||dL/dx_1||


def test_the_command_line_trains_it(tmp_path):
    assert main(["train", "--task", "recall", "--arch", "transformer", "--dry-run", "--preset", "none",
                 "--checkpoints-dir", str(tmp_path)]) == 0
    (run,) = RunStore(tmp_path).runs()
    assert run.config().model.arch == "transformer" and run.status()["state"] == "completed"


# ------------------------------------------------------------------------------- Inside (AppTest)
@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    store = RunStore(tmp_path_factory.mktemp("attention") / "checkpoints")
    for arch in ("transformer", "gru"):
        config = build_config("recall", None, {"task": {"sequence_length": 8, "num_samples": 120},
                                               "model": {"arch": arch, "hidden_size": 8},
                                               "train": {"epochs": 2, "batch_size": 16, "log_every_steps": 2}},
                              group="gattention")
        assert execute(store.create(config), stream=io.StringIO(), install_signals=False) == "completed"
    return store


def open_view(store, monkeypatch, view, arch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(store.root))
    run = next(run for run in store.runs() if run.config().model.arch == arch)
    app = page("inside", inside_view=view, inside_task="recall", inside_model=str(run.best_path))
    app.run()
    assert not app.exception and not app.error, (app.exception, app.error)
    return app


def test_attention_view_draws_the_weights_of_every_layer_and_head(runs, monkeypatch):
    app = open_view(runs, monkeypatch, "attention", "transformer")
    assert len(app.get("plotly_chart")) == 1 and app.get("latex")
    assert "Mean distance" in app.caption[-1].value
    app.selectbox(key="inside_attention_head").set_value(2).run()
    assert not app.exception and len(app.get("plotly_chart")) == 1


def test_a_recurrent_model_has_no_attention_and_a_transformer_no_gates(runs, monkeypatch):
    assert "no attention" in open_view(runs, monkeypatch, "attention", "gru").info[0].value
    assert "no gates" in open_view(runs, monkeypatch, "gates", "transformer").info[0].value
    gradients = open_view(runs, monkeypatch, "gradients", "transformer")
    assert len(gradients.get("plotly_chart")) >= 1
    run = next(run for run in runs.runs() if run.config().model.arch == "transformer")
    probe = run.metrics("probe")[-1]  # the per-epoch probe: ||dL/dh_t|| at the top block's input
    assert set(probe) >= {"distance", "h"} and "c" not in probe and probe["h"][0] > 0
