"""The waimai task (takeaway reviews): loader, bad files, a dry run from a fixture and on the real data.
It was added as one file plus its registration line: the CLI, the Train page, the Playground and the
quality benchmark pick it up from its declarations."""
import os
from pathlib import Path

import pytest

from rnnkit.analysis.inference import Predictor
from rnnkit.cli.main import main
from rnnkit.config.run import TaskConfig
from rnnkit.data.tasks import get_task
from rnnkit.runs.store import RunStore
from tests.apptest import page

ROOT = Path(__file__).resolve().parent.parent
QUIET = {"progress": lambda text: None}
GOOD = ["送餐很快，味道很好", "非常好吃，还会再点", "包装精美，分量很足"]
BAD = ["太慢了，饭都凉了", "很难吃，不会再点了", "送错了，态度也差"]


def write_waimai(root: Path, rows_per_class: int = 20) -> Path:
    folder = root / "extra"
    folder.mkdir(parents=True)
    lines = ["label,review"]
    for number in range(rows_per_class):
        lines += [f"1,{GOOD[number % 3]}{number}", f"0,{BAD[number % 3]}{number}"]
    (folder / "waimai_10k.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_load_splits_tokenises_and_encodes(tmp_path):
    data = get_task("waimai").load(TaskConfig(name="waimai", data_dir=str(write_waimai(tmp_path))), 0, **QUIET)
    assert (len(data.train), len(data.validation), len(data.test)) == (32, 4, 4)
    assert data.spec.class_names == ("negative", "positive") and data.spec.selection_metric == "macro_f1"
    inputs, lengths = get_task("waimai").encode(["味道很好"], data.artifacts)
    assert int(lengths[0]) >= 1
    with pytest.raises(ValueError, match="no Chinese characters"):
        get_task("waimai").encode(["tasty"], data.artifacts)
    with pytest.raises(ValueError, match="empty"):
        get_task("waimai").encode(["   "], data.artifacts)


@pytest.mark.parametrize("content,message", [
    ("label,text\n1,好\n", "lacks the column"),
    ("label,review\n2,好吃\n", "label must be 0 or 1"),
    ("label,review\n1,\n0,难吃\n", "empty review"),
])
def test_bad_files_say_what_is_wrong(tmp_path, content, message):
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "waimai_10k.csv").write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        get_task("waimai").load(TaskConfig(name="waimai", data_dir=str(tmp_path)), 0, **QUIET)


def test_dry_run_from_the_cli_then_the_train_page_and_the_playground(tmp_path, monkeypatch):
    data = write_waimai(tmp_path / "data")
    code = main(["train", "--task", "waimai", "--data-dir", str(data), "--dry-run", "--batch-size", "8",
                 "--class-weighted", "--checkpoints-dir", str(tmp_path / "runs")])
    assert code == 0
    run = RunStore(tmp_path / "runs").runs()[0]
    assert run.config().preset == "quick" and run.config().task.options.class_weighted
    result = Predictor.from_run(run).predict(["味道很好，送餐很快"])[0]
    assert result["label"] in ("negative", "positive") and len(result["top"]) == 2

    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path / "runs"))
    train = page("train")
    train.session_state["train_task"] = "waimai"
    train.session_state["train_preset"] = "best"
    train.run()
    assert not train.exception, [e.value for e in train.exception]
    assert train.number_input(key="train_task_max_length").value == 100  # its option, from its preset
    assert train.toggle(key="train_task_class_weighted").value is False
    play = page("playground").run()
    play.selectbox(key="play_task").set_value("waimai").run()
    play.selectbox(key="play_model").set_value(str(run.best_path)).run()
    play.text_area(key="play_text_waimai").set_value("送餐很快，味道也不错").run()
    play.button(key="play_predict").click().run()
    assert not play.exception and play.subheader[0].value in ("negative", "positive")


@pytest.mark.skipif(not os.environ.get("RNNKIT_DATA_DIR"),
                    reason="RNNKIT_DATA_DIR is not set (CI points it at ../shared/data)")
def test_dry_run_on_the_real_data(tmp_path):
    source = Path(os.environ["RNNKIT_DATA_DIR"]) / "extra" / "waimai_10k.csv"
    if not source.exists():
        pytest.skip(f"{source} is missing")
    assert main(["train", "--task", "waimai", "--dry-run", "--checkpoints-dir", str(tmp_path)]) == 0
    data = get_task("waimai").load(TaskConfig(name="waimai"), 0, **QUIET)
    assert len(data.train) + len(data.validation) + len(data.test) == 11_987
