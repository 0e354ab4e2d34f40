"""The Python face: a light `import rnnkit`, rnnkit.api (compare, wait, runs, metrics, figures), the wheel
that `pip install .` builds, and the example notebook docs/python-api.ipynb executed as a user would."""
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import rnnkit
from rnnkit import api
from rnnkit.data.presets import build_config
from rnnkit.runs.store import RunError
from tests.waits import patience

ROOT = Path(__file__).resolve().parent.parent
TINY = {"task": {"sequence_length": 10, "num_samples": 300}, "train": {"epochs": 1}}
DEADLINE = patience(600)  # seconds: a tiny group takes a few seconds, but the test machine may be busy


def test_import_rnnkit_loads_neither_torch_nor_streamlit():
    code = ("import sys, rnnkit; print(rnnkit.__version__); "
            "print(sorted(name for name in ('torch', 'streamlit') if name in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=patience(120))
    assert result.stdout.split("\n")[:2] == [rnnkit.__version__, "[]"]


def test_every_public_name_resolves_and_an_unknown_one_is_an_attribute_error():
    from rnnkit import RunConfig, RunStore, build_config, get_task

    assert RunConfig.__module__ == "rnnkit.config.run" and RunStore.__module__ == "rnnkit.runs.store"
    assert callable(build_config) and callable(get_task)
    for name in rnnkit.__all__:
        assert getattr(rnnkit, name) is not None
    assert set(rnnkit.__all__) <= set(dir(rnnkit))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        rnnkit.__getattr__("nothing")


def test_compare_trains_a_group_in_the_background_and_metrics_read_it(tmp_path, capsys):
    root = tmp_path / "checkpoints"
    group = api.compare("recall", ["rnn", "gru"], overrides=TINY, root=root, timeout=DEADLINE)
    assert group.group_id and group.done()
    assert group.states() == {run.run_id: "completed" for run in group.runs}
    assert [run.config().model.arch for run in group.runs] == ["rnn", "gru"]
    assert "completed" in capsys.readouterr().out  # the progress lines

    table = api.metrics(group)
    assert list(table["run"]) == group.run_ids and list(table["state"]) == ["completed"] * 2
    assert {"best epoch", "best val accuracy", "test accuracy"} <= set(table.columns)
    assert len(api.metrics(group, per="epoch")) == 2  # one epoch each
    assert not api.metrics(group, per="step").empty
    by_id = api.metrics(group.group_id, root=root)  # the same table, found by the group's id
    assert sorted(by_id["run"]) == sorted(group.run_ids)
    assert api.metrics(group.runs[0])["run"].tolist() == [group.run_ids[0]]
    assert [run.run_id for run in api.runs(root=root)] == sorted(group.run_ids, reverse=True)

    figures = api.figures(group)
    assert {"loss", "accuracy", "macro_f1", "calibration"} <= set(figures)
    assert {trace.name for trace in figures["loss"].data} >= {"rnn train", "gru train"}
    assert api.wait(group, timeout=0).done()  # a finished group needs no waiting


def test_wait_gives_up_after_its_timeout_and_the_run_trains_on(store):
    run = store.create(build_config("recall", None, TINY))
    run.write_status("running")  # as if a worker elsewhere trained it
    with pytest.raises(TimeoutError, match="still trains"):
        api.wait(run, timeout=0.2, poll_seconds=0.05, progress=False)
    assert run.status()["state"] == "running"


def test_mistakes_raise_errors_that_say_what_is_valid(tmp_path):
    root = tmp_path / "checkpoints"
    with pytest.raises(ValueError, match="valid"):
        api.compare("recall", ["lstm", "mamba"], overrides=TINY, root=root)
    assert api.runs(root=root) == []  # nothing was created
    with pytest.raises(ValueError, match="valid: run, epoch, step"):
        api.metrics([], per="year")
    with pytest.raises(RunError, match="no run or group 'nothing'"):
        api.metrics("nothing", root=root)
    with pytest.raises(TypeError):
        api.metrics(42)


def test_the_wheel_holds_the_package_its_data_and_the_console_command(tmp_path):
    for needed in ("pip", "setuptools"):  # asked in a subprocess: even looking pip up in this process switches
        # setuptools' distutils shim off for good (pypa/pip#8761), and torch.compile then fails to build
        if subprocess.run([sys.executable, "-c", f"import {needed}"], capture_output=True,
                          timeout=patience(120)).returncode != 0:
            pytest.skip(f"{needed} is not installed")
    source = tmp_path / "source"  # a copy, so the build leaves no build/ or egg-info in the checkout
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "rnnkit", source / "rnnkit", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "wheels"), str(source)], check=True, capture_output=True,
                   timeout=patience(600))
    (wheel,) = (tmp_path / "wheels").glob("rnnkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    presets = {path.name for path in (ROOT / "rnnkit/data/tasks/presets").glob("*.json")}
    assert presets and {f"rnnkit/data/tasks/presets/{name}" for name in presets} <= names
    assert "rnnkit/locale/zh/LC_MESSAGES/rnnkit.po" in names
    assert {"rnnkit/__init__.py", "rnnkit/api.py", "rnnkit/cli/__init__.py", "rnnkit/data/tasks/__init__.py"} <= names
    assert not any(name.startswith("tests/") for name in names)
    entry_points = zipfile.ZipFile(wheel).read(f"rnnkit-{rnnkit.__version__}.dist-info/entry_points.txt").decode()
    assert "rnnkit = rnnkit.cli:main" in entry_points
    metadata = zipfile.ZipFile(wheel).read(f"rnnkit-{rnnkit.__version__}.dist-info/METADATA").decode()
    requirements = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    for requirement in filter(None, requirements):  # pyproject declares what requirements.txt lists
        assert f"Requires-Dist: {requirement}" in metadata


def test_the_example_notebook_runs_without_errors(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    root = tmp_path / "checkpoints"
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(root))  # the kernel inherits this environment
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    notebook = nbformat.read(ROOT / "docs/python-api.ipynb", as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=DEADLINE, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    printed = "".join(output.get("text", "") for output in outputs if output.output_type == "stream")
    assert "rnn 1/1 completed, lstm 1/1 completed, gru 1/1 completed" in printed
    shown = "".join(output.get("data", {}).get("text/plain", "") for output in outputs)
    assert "best val accuracy" in shown and "val_accuracy" in shown
    runs = api.runs(root=root)
    assert sorted(run.config().model.arch for run in runs) == ["gru", "lstm", "rnn"]
    assert {run.status()["state"] for run in runs} == {"completed"}
