"""In front of a class: results that explain themselves, projector mode, the Playground's defaults,
inputs a user will type, and the command line's predict."""
import io
import shutil
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from rnnkit.analysis.inference import Predictor
from rnnkit.cli.main import main
from rnnkit.data.presets import build_config
from rnnkit.data.tasks.names import fold_unknown
from rnnkit.data.tasks.poems import as_lines, generate, to_vocabulary_script, trained_line_lengths
from rnnkit.runs.store import RunStore
from rnnkit.worker.callbacks import ConsoleProgress
from rnnkit.worker.execute import execute
from tests import fixtures
from tests.apptest import TIMEOUT, page

ROOT = Path(__file__).resolve().parent.parent
QUIET = {"stream": io.StringIO(), "install_signals": False}


# ------------------------------------------------------------------ results that explain themselves
def test_a_finished_group_says_each_test_score_and_who_won(app_env):
    app = page("train").run()
    assert not app.exception
    texts = [element.proto.text for element in app.get("progress")]
    assert all("test accuracy" in text and "%" in text for text in texts), texts
    summary = app.success[0].value
    assert summary.startswith("Test accuracy: ") and "(chance: 10.0 %; majority class: " in summary
    assert "Best by validation accuracy: " in summary or "Tied on validation accuracy: " in summary


def test_compare_shows_scores_in_percent_and_a_dash_for_missing_values(app_env):
    app = page("compare").run()
    table = app.dataframe[0].value
    accuracy = [column for column in table.columns if column == "test accuracy"][0]
    assert all(str(value).endswith(" %") or value == "–" for value in table[accuracy])


def test_projector_mode_folds_the_setup_and_enlarges_the_page(app_env):
    app = page("train", app_projector=True).run()
    assert not app.exception
    assert not app.title  # the screen goes to the running group
    assert app.expander[0].label.startswith("Setup")
    assert any("<style>" in element.proto.body for element in app.markdown) is False  # CSS comes from app.py
    full = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    full.session_state["app_projector"] = True
    full.run()
    assert any("font-size: 20px" in element.proto.body for element in full.markdown)


def test_streamlit_config_hides_the_deploy_entry():
    assert 'toolbarMode = "minimal"' in (ROOT / ".streamlit" / "config.toml").read_text()


# ----------------------------------------------------------------------------- the Playground
def test_the_playground_defaults_to_the_best_finished_run_of_the_task(tmp_path, monkeypatch):
    data = fixtures.write_names(tmp_path / "data")
    store = RunStore(tmp_path / "runs")
    scores = {}
    for hidden, epochs in ((4, 1), (32, 3)):
        config = build_config("names", None, {"task": {"data_dir": str(data)}, "model": {"hidden_size": hidden},
                                              "train": {"epochs": epochs, "batch_size": 8}})
        run = store.create(config)
        assert execute(run, **QUIET) == "completed"
        scores[str(run.best_path)] = run.metrics("test")[0]["test"]["accuracy"]
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(store.root))
    app = page("playground").run()
    assert not app.exception
    assert app.selectbox(key="play_task").value == "names"
    chosen = app.selectbox(key="play_model").value
    assert scores[chosen] == max(scores.values())
    assert not chosen.startswith(str(ROOT / "checkpoints" / "demo"))
    app.selectbox(key="play_task").set_value("poems").run()  # no run of yours: the demo
    assert "/demo/poems-lstm/" in app.selectbox(key="play_model").value


def test_names_read_unseen_accents_as_the_letters_they_come_from():
    known = set("DvorakLodzMülerSśęabcdefghijklmnopqrstuvwxyz")
    assert fold_unknown("Dvořák", known) == ("Dvorák", [("ř", "r")]) or fold_unknown("Dvořák", known)[0] == "Dvorak"
    name, replaced = fold_unknown("Łódź", known | {"L", "o", "d", "z"})
    assert name == "Lodz" and ("Ł", "L") in replaced
    assert fold_unknown("Müller", known)[1] == []  # ü is known: kept
    assert fold_unknown("王", known) == ("王", [])  # other scripts are not transliterated (refused later)


def test_names_playground_says_what_it_replaced(app_env):
    app = page("playground", play_task="names").run()
    app.text_input(key="play_text_names").set_value("Rossó").run()  # ó never occurs in the fixture names
    app.button(key="play_predict").click().run()
    assert not app.exception and not app.error
    assert any("ó → o" in caption.value for caption in app.caption)


def test_poems_convert_simplified_input_and_print_four_lines(app_env):
    assert to_vocabulary_script("春风", set("春風")) == ("春風", [("风", "風")])
    run = next(run for run in app_env.runs() if run.config().task.name == "poems")
    predictor = Predictor.from_run(run)
    assert predictor.artifacts["line_lengths"] == [5]  # the fixture corpus: 5-character quatrains only
    replaced = []
    poem = generate(predictor.model, predictor.artifacts, start="春风", enforce_form=True,
                    generator=torch.Generator().manual_seed(0), replaced=replaced)
    assert poem.startswith("春風") and replaced == [("风", "風")]
    assert len(as_lines(poem).split("\n")) == 4
    app = page("playground", play_task="poems").run()
    assert app.radio(key="play_line_length").options == ["5"]  # only what the model learnt
    app.text_input(key="play_start").set_value("春风").run()
    app.toggle(key="play_enforce").set_value(True).run()
    app.button(key="play_write").click().run()
    assert not app.exception and not app.error
    poems = [element.value for element in app.text]
    assert len(poems) == 4 and all(len(poem.split("\n")) == 4 for poem in poems)


def test_trained_line_lengths_ignore_a_handful_of_odd_poems():
    five = "春花秋月江，山風雨雲水。天地人心日，夜明清白青。"
    seven = "春花秋月江山風，雨雲水天地人心。日夜明清白青春，花秋月江山風雨。"
    poems = [five] * 50 + [seven]
    assert trained_line_lengths(poems) == [5]


# ---------------------------------------------------------------------------- the command line
def test_predict_reaches_demos_by_name_and_reports_bad_inputs_one_by_one(capsys):
    code = main(["predict", "demo:names-lstm", "Nakamura", "Dvořák", "王"])
    out = capsys.readouterr().out.splitlines()
    assert code == 1  # one input failed; the others were still predicted
    assert out[0].startswith("Nakamura → Japanese")
    assert out[1].startswith("Dvořák → ")
    assert out[1].endswith("(the model never saw some characters; they were read as: ř → r)")
    assert out[2].startswith("王 → error: the model never saw these characters")
    assert main(["predict", "names-lstm", "Nakamura"]) == 2
    assert "the shipped demo is demo:names-lstm" in capsys.readouterr().err


def test_predict_writes_poems(capsys):
    assert main(["predict", "demo:poems-lstm", "--start", "春风", "--samples", "2", "--rule"]) == 0
    note, poems = capsys.readouterr().out.split("\n", 1)
    assert note == "the model never saw some characters; they were read as: 风 → 風"  # said once, as the Playground
    blocks = [block for block in poems.split("\n\n") if block.strip()]
    assert len(blocks) == 2 and all(len(block.strip().split("\n")) == 5 for block in blocks)  # 4 lines + check
    assert main(["predict", "demo:poems-lstm", "--acrostic", "春夏秋冬", "--json"]) == 0
    assert '"well_formed"' in capsys.readouterr().out


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_training_in_a_terminal_shows_a_progress_bar_within_each_epoch(tmp_path):
    config = build_config("recall", None, {"task": {"sequence_length": 8, "num_samples": 200},
                                           "train": {"epochs": 1, "batch_size": 16}})
    run = RunStore(tmp_path).create(config)
    terminal = Terminal()
    assert execute(run, stream=terminal, install_signals=False) == "completed"
    assert "step/s" in terminal.getvalue() or "it/s" in terminal.getvalue()
    log = io.StringIO()
    progress = ConsoleProgress(log, quiet_seconds=0)
    assert progress.interactive is False and progress.bar is None


@pytest.fixture(autouse=True)
def _no_leftover_demo_runs():
    yield
    leftovers = ROOT / "checkpoints" / "demo" / ".pytest"
    shutil.rmtree(leftovers, ignore_errors=True)
