"""The seams: one home per task and per cell, options declared once, old runs still working, and a
dashboard whose import graph never reaches the training engine."""
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from rnnkit.analysis.frames import arch_colour
from rnnkit.analysis.inference import Predictor
from rnnkit.analysis.reports import comparison_table, run_summary
from rnnkit.cli.main import build_parser, main
from rnnkit.config.options import declared
from rnnkit.config.run import ModelConfig, RunConfig, TaskConfig
from rnnkit.data.presets import build_config
from rnnkit.data.tasks import get_task, resolve, task_names
from rnnkit.model.catalog import check_model_config, choices_of, resolve_impl
from rnnkit.model.cells import CELLS, RecurrentCell, cell_names, chrono_init_, register_cell
from rnnkit.runs.store import RunStore, default_root
from rnnkit.worker.callbacks import ConsoleProgress
from rnnkit.worker.execute import execute
from tests import fixtures
from tests.waits import patience

ROOT = Path(__file__).resolve().parent.parent
LEGACY = Path(__file__).resolve().parent / "legacy" / "v1"


def declared_option(cls, name):
    return next(declaration for item, declaration in declared(cls) if item.name == name)


# ------------------------------------------------------------------------------- a toy cell
class KeepGateCell(RecurrentCell):
    """A minimal gated cell: one keep gate k_t, h_t = k_t ⊙ h_prev + (1 - k_t) ⊙ n_t."""

    name, title, colour = "keepgate", "keep-gate cell", "#8c564b"
    gate_names = ("keep", "candidate")
    memory_gate = "keep"
    equations = ("k_t = σ(W_ik x_t + W_hk h_prev + b_k)", "n_t = tanh(W_in x_t + W_hn h_prev + b_n)",
                 "h_t = k_t ⊙ h_prev + (1 - k_t) ⊙ n_t")

    def step(self, projected_t, h_prev, gate_log=None):
        pre = torch.addmm(projected_t, h_prev, self.weight_hh.t())
        k, n = pre.chunk(2, dim=1)
        k_t, n_t = torch.sigmoid(k), torch.tanh(n)
        h_t = k_t * h_prev + (1 - k_t) * n_t
        return h_t, h_t


@pytest.fixture
def toy_cell():
    register_cell(KeepGateCell)
    yield KeepGateCell
    CELLS.pop(KeepGateCell.name)


def test_a_cell_registered_alone_is_known_everywhere(toy_cell, tmp_path):
    assert "keepgate" in cell_names() and "keepgate" in choices_of(declared_option(ModelConfig, "match_parameters"))
    assert arch_colour("keepgate") == "#8c564b"
    with pytest.raises(ValueError, match="exists only as impl='scratch'"):
        check_model_config(ModelConfig(arch="keepgate", impl="fused"))
    config = build_config("recall", None, {"task": {"sequence_length": 8, "num_samples": 120},
                                           "model": {"arch": "keepgate", "hidden_size": 8, "gate_init": "chrono"},
                                           "train": {"epochs": 1, "batch_size": 16}})
    assert config.model.impl == "auto" and resolve_impl("keepgate", "auto") == "scratch"  # no fused twin
    run = RunStore(tmp_path).create(config)
    assert execute(run, stream=io.StringIO(), install_signals=False) == "completed"
    assert run_summary(run)["arch"] == "keepgate"
    assert main(["train", "--arch", "keepgate,lstm", "--dry-run", "--checkpoints-dir", str(tmp_path / "cli")]) == 0


def test_chrono_init_reads_the_memory_gate_from_the_declaration(toy_cell):
    bias_ih, bias_hh = torch.full((2 * 6,), 9.0), torch.full((2 * 6,), 9.0)
    chrono_init_("keepgate", bias_ih, bias_hh, max_steps=50)
    keep = bias_ih[:6]
    assert bool(((keep >= 0) & (keep <= torch.log(torch.tensor(49.0)))).all()) and bool((bias_hh[:6] == 0).all())
    assert bool((bias_ih[6:] == 9.0).all())  # the candidate is not a memory gate: untouched


def test_a_cell_must_declare_its_gates():
    class Nameless(RecurrentCell):
        gate_names = ("a",)

    with pytest.raises(ValueError, match="must declare a name"):
        register_cell(Nameless)

    class WrongGate(RecurrentCell):
        name, gate_names, memory_gate = "wrong", ("a",), "b"

    with pytest.raises(ValueError, match="not one of its gates"):
        register_cell(WrongGate)


# ----------------------------------------------------------------- options declared once
def test_every_declared_option_is_a_flag_and_a_task_option_only_applies_to_its_task(capsys):
    parser = build_parser()
    train = parser._subparsers._group_actions[0].choices["train"]  # introspecting argparse
    flags = {flag for action in train._actions for flag in action.option_strings}
    for name in task_names():
        for item, _ in declared(get_task(name).Options):
            assert "--" + item.name.replace("_", "-") in flags, (name, item.name)
    assert {"--lr", "--clip", "--threads", "--log-every", "--source", "--learning-rate", "--hidden-size"} <= flags
    assert main(["train", "--task", "recall", "--line-length", "5", "--dry-run"]) == 2
    error = capsys.readouterr().err
    assert "--line-length does not apply to task 'recall'; its options: --sequence-length, --num-samples" in error


def test_the_form_offers_what_applies_to_the_task():
    from rnnkit.ui.form import form_fields

    def names(task):
        return {(section, item.name) for section, item, _ in form_fields(task)}

    poems, shopping, recall = names("poems"), names("shopping"), names("recall")
    assert ("task", "line_length") in poems and ("model", "embedding_size") in poems
    assert ("model", "pooling") not in poems and ("model", "bidirectional") not in poems  # a language model
    assert ("model", "embedding_size") not in shopping  # word2vec decides the width
    assert ("model", "embedding_size") not in recall and ("task", "sequence_length") in recall
    assert ("train", "dry_run") not in recall and ("model", "arch") not in recall


def test_bad_option_values_name_what_is_allowed():
    weather = get_task("weather")
    with pytest.raises(ValueError, match="unknown station 'moon'; valid: beijing, jena"):
        weather.resolve(TaskConfig(name="weather", options={"station": "moon"}))
    with pytest.raises(ValueError, match="unknown weather option"):
        weather.resolve(TaskConfig(name="weather", options={"sequence_length": 5}))
    with pytest.raises(ValueError, match="unknown architecture 'transformerx'; valid: rnn, lstm"):
        check_model_config(ModelConfig(arch="transformerx"))
    with pytest.raises(ValueError, match="hidden_size must be a whole number"):
        ModelConfig(hidden_size="big")


# ---------------------------------------------------------------------- old runs keep working
@pytest.fixture
def legacy_store(tmp_path):
    shutil.copytree(LEGACY, tmp_path / "runs")
    return RunStore(tmp_path / "runs")


def test_runs_written_before_the_refactor_list_compare_predict_and_resume(legacy_store):
    runs = legacy_store.runs()
    assert {run.run_id for run in runs} == {"legacy-recall-lstm", "legacy-recall-gru", "legacy-names-lstm"}
    states = {run.run_id: run_summary(run)["state"] for run in runs}
    assert states == {"legacy-recall-lstm": "completed", "legacy-recall-gru": "stopped",
                      "legacy-names-lstm": "completed"}
    assert len(comparison_table(legacy_store.runs(group="glegacy"))) == 2
    names = Predictor.from_run(legacy_store.get("legacy-names-lstm"))
    assert names.predict(["Rossi"])[0]["label"] in {"Italian", "Japanese", "German"}
    assert len(Predictor.from_run(legacy_store.get("legacy-recall-lstm")).predict_examples(2)) == 2
    gru = legacy_store.prepare_resume("legacy-recall-gru")
    assert execute(gru, resume=True, stream=io.StringIO(), install_signals=False) == "completed"
    assert [record["epoch"] for record in gru.metrics("epoch")] == [1, 2, 3]


def test_version_1_configs_migrate_with_renamed_options():
    old = json.loads((LEGACY / "legacy-recall-lstm" / "config.json").read_text())
    old.pop("run")
    assert "version" not in old and "sequence_length" in old["task"]
    config = resolve(RunConfig.from_dict(old))
    assert config.task.options.sequence_length == 8 and config.to_dict()["version"] == 2
    weather = {**old, "task": {**old["task"], "name": "weather", "source": "jena"}}
    assert resolve(RunConfig.from_dict(weather)).task.options.station == "jena"
    default = {**old, "task": {**old["task"], "name": "weather", "source": ""}}
    assert resolve(RunConfig.from_dict(default)).task.options.station == "beijing"
    csv = {**old, "task": {**old["task"], "name": "csv", "source": "/data/reviews.csv", "text_column": "review"}}
    options = resolve(RunConfig.from_dict(csv)).task.options
    assert options.file == "/data/reviews.csv" and options.text_column == "review"
    resolved = resolve(RunConfig.from_dict(csv))
    assert RunConfig.from_dict(resolved.to_dict()) == resolved  # a document equals the config it came from


# ------------------------------------------------------------------------------------- seams
def test_the_dashboard_never_imports_the_training_engine():
    pages = " ".join(f"'{path}'" for path in sorted((ROOT / "pages").glob("*.py")))
    script = (
        "import ast, sys, importlib\n"
        f"for path in [{pages.replace(' ', ', ')}]:\n"
        "    for node in ast.walk(ast.parse(open(path).read())):\n"
        "        if isinstance(node, ast.ImportFrom) and node.module:\n"
        "            importlib.import_module(node.module)\n"
        "            for alias in node.names:\n"
        "                try: importlib.import_module(node.module + '.' + alias.name)\n"
        "                except ImportError: pass\n"
        "        elif isinstance(node, ast.Import):\n"
        "            for alias in node.names: importlib.import_module(alias.name)\n"
        "import rnnkit.ui.playground, rnnkit.analysis.inference\n"
        "print(sorted(m for m in sys.modules\n"
        "             if m in ('rnnkit.training.engine', 'rnnkit.worker.execute', 'rnnkit.worker.callbacks')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                            timeout=patience(120), env={**os.environ, "KERAS_BACKEND": "torch"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_only_ui_modules_read_session_state():
    allowed = {ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "rnnkit" / "ui").rglob("*.py")}
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "rnnkit").rglob("*.py")
                 if path not in allowed and "session_state" in path.read_text(encoding="utf-8")]
    assert offenders == []


def test_one_checkpoints_root_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("RNNKIT_CHECKPOINTS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_root() == ROOT / "checkpoints"
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path / "elsewhere"))
    assert RunStore().root == tmp_path / "elsewhere"
    from rnnkit.ui import store

    assert store().root == tmp_path / "elsewhere"  # the dashboard reads the same root


# ------------------------------------------------------------------------------- bugs fixed
def test_csv_class_weighted_loss_is_used(tmp_path):
    rows = ["review,label"] + ["good food,pos"] * 30 + ["bad food,neg"] * 6
    path = tmp_path / "data.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    task = get_task("csv")
    weighted = task.load(TaskConfig(name="csv", options={"file": str(path), "class_weighted": True}), 0, lambda _: None)
    plain = task.load(TaskConfig(name="csv", options={"file": str(path)}), 0, lambda _: None)
    assert plain.class_weights is None
    assert weighted.class_weights is not None and weighted.class_weights[0] > weighted.class_weights[1]  # neg is rare


def test_console_progress_without_a_stream_writes_to_stdout(capsys):
    progress = ConsoleProgress()
    progress.stream.write("hello\n")
    assert "hello" in capsys.readouterr().out


def test_a_task_module_declares_everything_the_edges_need():
    for name in task_names():
        task = get_task(name)
        assert task.name == name and task.title and task.description
        assert task.job in ("classify", "regress", "language_model") and task.input_kind in ("tokens", "features")
        assert task.playground in ("text", "name", "forecast", "poem", "sequence")
        for preset in task.presets().values():
            build_config(name, None, {key: value for key, value in preset.items() if key != "description"})


def test_names_fixture_still_trains_through_the_generated_flags(tmp_path):
    data = fixtures.write_names(tmp_path / "data")
    code = main(["train", "--task", "names", "--data-dir", str(data), "--class-weighted", "--dry-run",
                 "--preset", "none", "--batch-size", "4", "--checkpoints-dir", str(tmp_path / "runs")])
    assert code == 0
    run = RunStore(tmp_path / "runs").runs()[0]
    assert run.config().task.options.class_weighted is True


# ------------------------------------------------------------- folders written before the layers
LAYERS_LEGACY = Path(__file__).resolve().parent / "legacy" / "v2"  # written by 9a4de0a, the last flat package


def test_run_folders_written_before_the_layers_list_compare_predict_and_resume(tmp_path):
    shutil.copytree(LAYERS_LEGACY, tmp_path / "runs")
    store = RunStore(tmp_path / "runs")
    runs = {run.config().model.arch: run for run in store.runs(group="gv2")}
    assert {arch: run_summary(run)["state"] for arch, run in runs.items()} == {
        "lstm": "completed", "reslstm": "completed", "gru": "stopped"}
    assert runs["reslstm"].config().model.impl == "scratch"  # what the old preset rule wrote; still trains so
    assert len(comparison_table(list(runs.values()))) == 3
    for arch in ("lstm", "reslstm"):
        predictions = Predictor.from_run(runs[arch]).predict_examples(3)
        assert len(predictions) == 3 and all("label" in prediction for prediction in predictions)
    gru = store.prepare_resume(runs["gru"].run_id)
    before = [record["epoch"] for record in gru.metrics("epoch")]
    assert execute(gru, resume=True, stream=io.StringIO(), install_signals=False) == "completed"
    after = [record["epoch"] for record in gru.metrics("epoch")]
    assert after == list(range(1, len(after) + 1)) and len(after) > len(before) and after[:len(before)] == before


def pickled_globals(path: Path) -> set[str]:
    """The module.name of every class or function a torch checkpoint's pickle refers to."""
    import pickletools
    import zipfile

    found = set()
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith("data.pkl"):
                strings = []
                for opcode, argument, _ in pickletools.genops(archive.read(name)):
                    if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
                        strings.append(argument)
                    elif opcode.name == "STACK_GLOBAL":
                        found.add(".".join(strings[-2:]))
                    elif opcode.name == "GLOBAL":
                        found.add(argument.replace(" ", "."))
    return found


def test_checkpoints_hold_no_class_paths_a_move_could_break():
    """Demo and fixture checkpoints are plain dicts: nothing in them names an rnnkit module, so moving a
    module never breaks loading them (and they load with weights_only=True)."""
    paths = sorted((ROOT / "checkpoints" / "demo").rglob("*.pt")) + sorted((ROOT / "tests" / "legacy").rglob("*.pt"))
    assert len(paths) >= 10
    for path in paths:
        assert not [name for name in pickled_globals(path) if name.startswith("rnnkit")], path
        loaded = torch.load(path, map_location="cpu", weights_only=True)
        # a checkpoint is a plain dict; embedding_start.pt (the embedding before training) one plain tensor
        assert isinstance(loaded, torch.Tensor if path.name == "embedding_start.pt" else dict), path
    assert any(name.startswith("torch.") for name in pickled_globals(paths[0]))  # the scan does see globals


def test_a_new_run_reads_like_an_old_run_of_the_same_model(tmp_path):
    """impl='auto' is resolved when a group is built, so the run folder records what trains: a new residual
    LSTM run and one written before impl='auto' existed get the same label, and runs differing only in how
    they chose the implementation are seeds of one variant."""
    from rnnkit.analysis.reports import run_label
    from rnnkit.analysis.seeds import variants
    from rnnkit.runs.groups import group_configs

    shutil.copytree(LAYERS_LEGACY, tmp_path / "old")
    old = next(run for run in RunStore(tmp_path / "old").runs() if run.config().model.arch == "reslstm")
    store = RunStore(tmp_path / "new")
    new = store.create(group_configs("recall", "quick", ["reslstm"])[0])
    assert new.config().model.impl == "scratch" and run_label(new) == run_label(old)
    explicit = group_configs("recall", "quick", ["lstm"], {"model": {"impl": "fused"}}, group="g")
    automatic = group_configs("recall", "quick", ["lstm"], {"train": {"seed": 1}}, group="g")
    runs = [store.create(config) for config in explicit + automatic]
    assert [len(members) for members in variants(runs).values()] == [2]
