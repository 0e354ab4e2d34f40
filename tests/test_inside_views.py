"""Inside the network (second part): inputs read as the model reads them, gate and state traces,
unit orders, the PCA path, integrated-gradients completeness, embeddings before/after, the
memory-horizon group, and the Inside page's views (AppTest) for every task of the fixture runs."""
import dataclasses

import numpy as np
import pytest
import torch

from rnnkit.analysis.embeddings import Embedding, embedding_start
from rnnkit.analysis.inference import Predictor
from rnnkit.analysis.inside import sort_units, trace, trajectory
from rnnkit.config.run import ModelConfig
from rnnkit.config.spec import TaskSpec
from rnnkit.data.inputs import MAX_STEPS, read_example, read_text
from rnnkit.model.heads import build_model
from rnnkit.model.jobs import get_job
from tests.apptest import page


def run_of(store, task: str, arch: str | None = None):
    return next(run for run in store.runs() if run.config().task.name == task
                and (arch is None or run.config().model.arch == arch))


def predictor(store, task: str, arch: str | None = None) -> Predictor:
    return Predictor.from_run(run_of(store, task, arch))


def known_character(poems: Predictor) -> str:
    return next(token for token in poems.artifacts["vocabulary"] if len(token) == 1 and "\u4e00" <= token <= "\u9fff")


# ------------------------------------------------------------------------------------------ inputs
def test_a_name_is_read_character_by_character_and_bad_input_is_refused(run_folders):
    names = predictor(run_folders, "names")
    model_input = read_text(names, "Rossi")
    assert model_input.steps == list("Rossi") and model_input.inputs.shape == (1, 5) and model_input.unknown == 0
    with pytest.raises(ValueError, match="empty|name"):
        read_text(names, "   ")
    with pytest.raises(ValueError, match="takes no typed input"):
        read_text(predictor(run_folders, "recall"), "abc")


def test_a_poem_line_starts_with_bos_and_refuses_latin(run_folders):
    poems = predictor(run_folders, "poems")
    known = known_character(poems)
    model_input = read_text(poems, known * 3)
    assert model_input.steps[0] == "<bos>" and model_input.steps[1:] == [known] * 3
    with pytest.raises(ValueError, match="Chinese"):
        read_text(poems, "hello")
    with pytest.raises(ValueError, match="type a few"):
        read_text(poems, " ")


def test_unknown_tokens_are_counted_and_overlong_inputs_refused(run_folders):
    poems = predictor(run_folders, "poems")
    rare = "鑫" if "鑫" not in poems.artifacts["vocabulary"] else "龘"
    assert read_text(poems, rare + rare).unknown == 2
    with pytest.raises(ValueError, match=f"at most {MAX_STEPS}"):
        read_text(poems, "月" * (MAX_STEPS + 5))


def test_examples_come_with_targets_and_a_clear_error_past_the_end(run_folders):
    recall = predictor(run_folders, "recall")
    batch = read_example(recall, 3, count=4)
    assert batch.inputs.shape[0] == 4 and batch.targets.shape == (4,) and batch.steps[0] == "1"
    assert batch.features[-1] == "marker"
    again = read_example(recall, 3)
    assert torch.equal(again.inputs[0], batch.inputs[0])  # the same example every time
    with pytest.raises(ValueError, match="0 or more"):
        read_example(recall, -1)
    weather = predictor(run_folders, "weather")
    stored = len(weather.artifacts["examples"]["targets"])
    with pytest.raises(ValueError, match=f"there are {stored} examples"):
        read_example(weather, stored)


# ----------------------------------------------------------------------------------------- traces
@pytest.mark.parametrize("arch, names", [("rnn", {"h"}), ("lstm", {"input", "forget", "candidate", "output", "h", "c"}),
                                         ("gru", {"reset", "update", "candidate", "h"})])
def test_traces_hold_every_gate_and_match_the_fused_outputs_in_both_directions(arch, names):
    torch.manual_seed(0)
    spec = TaskSpec("classify", "features", 5, 3, 9, "accuracy")
    model = build_model(ModelConfig(arch=arch, hidden_size=6, num_layers=2, bidirectional=True), spec).eval()
    inputs = torch.randn(1, 9, 5)
    lengths = torch.tensor([9])
    traces = trace(model, inputs, lengths)
    assert [(t.layer, t.direction) for t in traces] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert all(set(t.values) == names and all(v.shape == (9, 6) for v in t.values.values()) for t in traces)
    with torch.no_grad():
        outputs, _ = model.encode(inputs, lengths)  # (1, 9, 12): top layer, forward then backward
    top_forward, top_backward = traces[2].values["h"], traces[3].values["h"]
    assert np.allclose(top_forward, outputs[0, :, :6].numpy(), atol=1e-5)
    assert np.allclose(top_backward, outputs[0, :, 6:].numpy(), atol=1e-5)  # flipped back to reading order


def test_units_sort_by_mean_variance_and_by_a_step():
    values = np.zeros((6, 4))
    values[:, 1] = 0.9  # highest mean, no variance
    values[:, 2] = [0, 1, 0, 1, 0, 1]  # highest variance
    values[4, 3] = 0.5  # fires at step 5 only
    assert sort_units(values, "mean")[0] == 1
    assert sort_units(values, "variance")[0] == 2
    assert sort_units(values, "step", step=4)[0] == 3
    assert list(sort_units(values, "none")) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="valid: none, mean"):
        sort_units(values, "loudest")
    with pytest.raises(ValueError, match="outside the input"):
        sort_units(values, "step", step=6)


def test_the_pca_path_explains_a_line_in_one_component():
    states = np.outer(np.arange(10.0), [1.0, 2.0, -1.0])  # every h_t on one line
    points, explained = trajectory(states)
    assert points.shape == (10, 2) and explained[0] == pytest.approx(1.0) and abs(explained[1]) < 1e-9
    assert trajectory(np.ones((4, 3)))[1].tolist() == [0.0, 0.0]  # a state that never moves


# ------------------------------------------------------------------------------------ attributions
@pytest.mark.parametrize("task", ["names", "recall", "weather"])
def test_integrated_gradients_add_up_to_the_change_of_the_output(run_folders, task):
    from rnnkit.analysis.attribution import attribute

    model = predictor(run_folders, task, "lstm" if task == "recall" else None)
    model_input = read_text(model, "Nakamura") if task == "names" else read_example(model, 1)
    result = attribute(model, model_input, steps=32)
    change = result.output - result.baseline_output
    assert abs(result.scores.sum() - change) <= 0.05 * abs(change)  # completeness, within 5 %
    assert result.scores.shape[0] == len(model_input.steps)


def test_attributions_refuse_a_class_that_does_not_exist_and_the_poem_model(run_folders):
    from rnnkit.analysis.attribution import attribute

    names = predictor(run_folders, "names")
    with pytest.raises(ValueError, match="does not exist"):
        attribute(names, read_text(names, "Rossi"), target=99)
    poems = predictor(run_folders, "poems")
    with pytest.raises(ValueError, match="not for the poem model"):
        attribute(poems, read_text(poems, known_character(poems) * 2))


def test_each_job_has_a_loss_without_a_truth():
    outputs = torch.tensor([[2.0, 0.5, -1.0]])
    expected = -torch.log_softmax(outputs, dim=1)[0, 0]
    assert torch.isclose(get_job("classify").own_loss(outputs, None), expected)
    assert float(get_job("regress").own_loss(torch.tensor([[1.0, 3.0]]), None)) == 2.0
    uniform = torch.zeros(1, 3, 5)  # every next token equally likely: loss log 5 at every step
    assert torch.isclose(get_job("language_model").own_loss(uniform, torch.tensor([[1, 2, 3]])),
                         torch.log(torch.tensor(5.0)))


# -------------------------------------------------------------------------------------- embeddings
def test_neighbours_by_cosine_leave_out_the_token_itself_and_the_markers():
    vectors = np.array([[0, 0], [1, 1], [1, 0], [0.9, 0.1], [0, 1], [5, 5]], dtype=float)
    embedding = Embedding(["<pad>", "<unk>", "east", "eastish", "north", "<bos>"], vectors)
    assert [token for token, _ in embedding.neighbours("east", 2)] == ["eastish", "north"]
    with pytest.raises(ValueError, match="not in this model's vocabulary"):
        embedding.neighbours("west")
    with pytest.raises(ValueError, match="type a word"):
        embedding.neighbours("  ")
    tokens, points = embedding.map(10)
    assert tokens == ["east", "eastish", "north"] and points.shape == (3, 2)
    moved = Embedding(embedding.tokens, vectors * np.array([1.0, 1.0]))
    moved.vectors[4] = [1.0, 0.0]  # north turned east: the token training moved most
    assert moved.most_moved(embedding) == "north"


def test_the_start_embedding_is_stored_and_equals_the_one_rebuilt_from_the_seed(run_folders, tmp_path):
    from rnnkit.training.checkpoint import load_checkpoint

    run = run_of(run_folders, "names")
    assert run.embedding_start_path.is_file()
    payload = load_checkpoint(run.best_path)
    stored = embedding_start(run.path, payload)
    rebuilt = embedding_start(tmp_path, payload)  # no file there: rebuilt from the run's seed
    trained = payload["model"]["encoder.weight"].float().numpy()
    assert stored.shape == rebuilt.shape == trained.shape
    assert np.allclose(stored, rebuilt, atol=2e-3)  # float16 on disk
    assert not np.allclose(stored, trained, atol=1e-3)  # training moved it


# ---------------------------------------------------------------------------------------- horizon
def test_the_horizon_group_is_one_group_of_kind_horizon():
    from rnnkit.analysis.horizon import horizon_configs

    configs = horizon_configs(group="g1")
    assert len(configs) == 54 and {c.kind for c in configs} == {"horizon"} and {c.group for c in configs} == {"g1"}
    assert sorted({c.task.options.sequence_length for c in configs}) == [5, 10, 20, 50, 100, 150]
    assert {c.model.arch for c in configs} == {"rnn", "lstm", "gru"} and configs[0].preset == "horizon"
    with pytest.raises(ValueError, match="at least 2"):
        horizon_configs((1, 10))
    with pytest.raises(ValueError, match="once"):
        horizon_configs((10, 10))


def test_a_tiny_horizon_group_reads_back_as_accuracy_against_t(tmp_path):
    import io

    from rnnkit.analysis.horizon import horizon_configs, horizon_groups, horizon_table
    from rnnkit.runs.store import RunStore
    from rnnkit.worker.execute import execute

    store = RunStore(tmp_path / "checkpoints")
    configs = horizon_configs((4, 8), ("rnn",), group="gh", seeds=1)  # seeds: tests/test_horizon_vocab.py
    configs = [dataclasses.replace(c, task=dataclasses.replace(c.task, options=dataclasses.replace(
        c.task.options, num_samples=80)), train=dataclasses.replace(c.train, epochs=1)) for c in configs]
    for config in configs:
        assert execute(store.create(config), stream=io.StringIO(), install_signals=False) == "completed"
    assert horizon_groups(store) == ["gh"]
    table = horizon_table(store.runs(group="gh"))
    assert sorted(table["sequence_length"]) == [4, 8] and table["test_accuracy"].notna().all()


# ------------------------------------------------------------------------------------- the page
def open_inside(app_env, view: str, task: str, arch: str | None = None, **state):
    run = run_of(app_env, task, arch)
    app = page("inside", inside_view=view, inside_task=task, inside_model=str(run.best_path), **state)
    app.run()
    assert not app.exception, app.exception
    return app


@pytest.mark.parametrize("task", ["recall", "names", "poems", "weather"])
def test_gradient_flow_view_draws_a_line_per_chosen_model(app_env, task):
    app = open_inside(app_env, "gradients", task)
    assert not app.error and len(app.get("plotly_chart")) >= 1


def test_gradient_flow_of_the_recall_group_has_each_architecture(app_env):
    import json

    app = open_inside(app_env, "gradients", "recall", "lstm")
    figure = json.loads(app.get("plotly_chart")[0].proto.spec)
    names = [trace["name"] for trace in figure["data"]]
    assert any("(c)" in name for name in names) and len(names) == 3  # rnn h, lstm h, lstm c


@pytest.mark.parametrize("task", ["recall", "names", "poems", "weather"])
def test_gates_view_draws_heatmaps_with_the_cell_equations(app_env, task):
    app = open_inside(app_env, "gates", task)
    assert not app.error and len(app.get("plotly_chart")) >= 2
    assert app.get("latex") and "t" in app.get("latex")[0].value


def test_gates_view_sorts_units_by_a_step(app_env):
    app = open_inside(app_env, "gates", "recall", "lstm", inside_gates_sort="step", inside_gates_step=1)
    assert not app.error and len(app.get("plotly_chart")) == 3  # heatmaps, forget gate, path


@pytest.mark.parametrize("task", ["names", "recall", "weather"])
def test_attributions_view_shows_scores(app_env, task):
    app = open_inside(app_env, "attributions", task)
    assert not app.error and len(app.get("plotly_chart")) >= 2
    assert "within" in " ".join(caption.value for caption in app.caption)


def test_the_poem_model_has_no_attributions_but_an_embedding(app_env):
    assert "poem model" in open_inside(app_env, "attributions", "poems").info[0].value
    app = open_inside(app_env, "embeddings", "poems")
    assert not app.error and len(app.get("plotly_chart")) == 2  # before and after


@pytest.mark.parametrize("text, message", [("", "empty"), ("Ω" * 3, "never saw"), ("x" * 200, "characters")])
def test_bad_names_give_a_clear_message_on_every_view(app_env, text, message):
    app = open_inside(app_env, "gates", "names", inside_gates_text_names=text)
    assert app.error and message in app.error[0].value.replace("\\", "")


def test_embeddings_view_looks_up_a_word_and_says_when_it_is_unknown(app_env):
    query = f"inside_embeddings_query_{run_of(app_env, 'names').run_id}"
    app = open_inside(app_env, "embeddings", "names", **{query: "a"})
    assert not app.error and len(app.get("plotly_chart")) == 2 and app.dataframe
    app = open_inside(app_env, "embeddings", "names", **{query: "ZZZ"})
    assert "not in this model" in app.error[0].value.replace("\\", "")
    assert "no embedding" in open_inside(app_env, "embeddings", "recall").info[0].value


def test_horizon_view_offers_the_experiment(app_env):
    app = open_inside(app_env, "horizon", "recall")
    assert app.button(key="inside_horizon_start") and "No memory-horizon" in app.info[0].value


def test_the_inside_page_speaks_chinese(app_env):
    app = open_inside(app_env, "gates", "names", app_language="zh")
    assert app.title[0].value == "网络内部"
    assert "图中画的是" in " ".join(caption.value for caption in app.caption)


def test_the_cli_prints_the_inside_of_a_run_and_refuses_the_wrong_input(app_env, capsys):
    import json

    from rnnkit.cli.main import main

    recall = run_of(app_env, "recall", "lstm")
    assert main(["inside", recall.run_id, "--example", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["steps"]) == len(report["gradient"]["h"]) == len(report["attribution"]["per_step"])
    assert set(report["gate_means"]) == {"input", "forget", "candidate", "output", "h", "c"}
    assert report["gradient_ratio"] > 0
    names = run_of(app_env, "names")
    assert main(["inside", names.run_id, "--text", "Rossi"]) == 0
    assert "attribution (top 5 steps)" in capsys.readouterr().out
    assert main(["inside", recall.run_id, "--text", "abc"]) != 0
    assert "use --example" in capsys.readouterr().err


DEMOS = {"names-lstm": "names", "imdb-gru": "imdb", "shopping-gru": "shopping", "poems-lstm": "poems",
         "recall-lstm": "recall", "weather-gru": "weather", "adding-gru": "adding"}


@pytest.mark.parametrize("view", ["gradients", "gates", "attributions", "embeddings"])
@pytest.mark.parametrize("demo", sorted(DEMOS))
def test_every_view_works_for_every_shipped_demo(tmp_path, monkeypatch, demo, view):
    from rnnkit.runs.store import demo_root

    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path / "none"))  # the demos only
    model = demo_root() / demo / "best.pt"
    app = page("inside", inside_view=view, inside_task=DEMOS[demo], inside_model=str(model))
    app.run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert app.get("plotly_chart") or app.info  # a figure, or why this view does not apply


def test_attributions_never_hook_the_shared_cached_model(run_folders, monkeypatch):
    """The Playground and Inside share one cached predictor per model among all sessions: captum must
    hook a private copy, or another session's prediction would run on this session's inputs."""
    import captum.attr

    from rnnkit.analysis.attribution import attribute

    names = predictor(run_folders, "names")
    hooked = []
    original = captum.attr.LayerIntegratedGradients.__init__

    def record(self, forward, layer, *args, **kwargs):
        hooked.append(layer)
        original(self, forward, layer, *args, **kwargs)

    monkeypatch.setattr(captum.attr.LayerIntegratedGradients, "__init__", record)
    attribute(names, read_text(names, "Rossi"))
    assert hooked and all(layer is not names.model.encoder for layer in hooked)
