"""Issue 24's dashboard bugs: the language switch on the Train page, the explained class after a change
of task, attributions and poem writing that say how far they are and do not restart, and poems with a
box for a lost character."""
from __future__ import annotations

import pytest

from rnnkit.data.tasks.poems import check_poem, not_chinese
from tests.waits import patience, wait_until


@pytest.mark.parametrize("poem", ["春風亦□來，山風雨雲水。天地人心日，夜明清白青。",
                                  "春風亦\ufffd來，山風雨雲水。天地人心日，夜明清白青。",
                                  "春風亦○來，山風雨雲水。天地人心日，夜明清白青。",
                                  "春風亦a來，山風雨雲水。天地人心日，夜明清白青。"])
def test_a_poem_with_a_box_or_a_letter_is_not_well_formed(poem):
    good, why = check_poem(poem, 5)
    assert not good and why == f"characters that are not Chinese: {poem[3]}"
    assert not_chinese(poem) == [poem[3]]


def test_a_poem_of_chinese_characters_is_still_well_formed():
    assert check_poem("春花秋月江，山風雨雲水。天地人𠀀〇，夜明清白青。", 5) == (True, "well formed")


def test_the_playground_says_why_a_poem_with_a_box_is_not_well_formed():
    from rnnkit.ui.playground import poem_verdict

    assert poem_verdict("春風亦□來，山風雨雲水。天地人心日，夜明清白青。", 5) == (
        False, "characters that are not Chinese: □")
    assert poem_verdict("春花秋月，山風雨雲水。天地人心日，夜明清白青。", 5) == (
        False, "line lengths [4, 5, 5, 5], expected 5 each")


# ---------------------------------------------------------------------------------- 1: language switch
LANGUAGE_SWITCH = """
import runpy
import streamlit as st

# app.py's sidebar switch and navigation, reduced to what the Train page needs
st.session_state["app_entry"] = True
st.session_state.setdefault("app_language", {language!r})
st.session_state["app_language_widget"] = st.session_state["app_language"]
st.radio("Language", ["en", "zh"], key="app_language_widget",
         on_change=lambda: st.session_state.update(app_language=st.session_state["app_language_widget"]))
runpy.run_path({page!r}, run_name="__main__")
"""


def train_page_with_switch(language: str, monkeypatch, checkpoints):
    """The Train page under app.py's language switch. AppTest, like the browser, sends a select box's
    label; it computes it outside the script run, where the session's language is the browser's:
    `shown` holds the language the browser's labels are in."""
    from streamlit.testing.v1 import AppTest

    from rnnkit.ui import i18n
    from tests.apptest import ROOT

    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(checkpoints))
    shown = {"language": language}
    monkeypatch.setattr(i18n, "browser_language", lambda: shown["language"])
    script = LANGUAGE_SWITCH.format(language=language, page=str(ROOT / "pages" / "train.py"))
    return AppTest.from_string(script, default_timeout=patience(120)), shown


@pytest.mark.parametrize("first, second", [("en", "zh"), ("zh", "en")])
def test_switching_the_language_on_the_train_page_both_ways(first, second, monkeypatch, tmp_path):
    from rnnkit.core.i18n import translate
    from rnnkit.data.tasks import get_task

    app, shown = train_page_with_switch(first, monkeypatch, tmp_path / "checkpoints")
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    app.selectbox(key="train_task").select("names").run()
    for language in (second, first, second):
        app.radio(key="app_language_widget").set_value(language).run()
        shown["language"] = language
        assert not app.exception, [error.value for error in app.exception]
        box = app.selectbox(key="train_task")
        assert box.value == "names" and app.session_state["train_task"] == "names"
        # the browser is sent the choice again, labelled in the new language (else it keeps the old label
        # and sends it back on the next click, which is none of the new labels)
        assert box.proto.set_value and box.proto.raw_value == translate(get_task("names").title, language)
        app.run()  # a later click on the page
        assert not app.exception, [error.value for error in app.exception]
        assert app.session_state["train_task"] == "names"


def test_the_form_reads_a_label_from_before_a_switch_as_the_task_it_names():
    """The browser's label from before a language switch reaches the task box's callback as the value."""
    from streamlit.testing.v1 import AppTest

    from rnnkit.core.i18n import translate

    app = AppTest.from_string("from rnnkit.ui.form import apply_preset\napply_preset()", default_timeout=patience(60))
    app.session_state["app_language"] = "zh"
    app.session_state["train_task"] = "Recall (synthetic): remember the first symbol"
    app.session_state["train_preset"] = translate("none (plain defaults)", "zh")
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    assert app.session_state["train_task"] == "recall" and app.session_state["train_preset"] == "none"
    app.session_state["train_task"] = translate("Recall (synthetic): remember the first symbol", "zh")
    app.run()
    assert not app.exception and app.session_state["train_task"] == "recall"


def test_the_gate_view_keeps_its_sort_across_a_language_switch(app_env, monkeypatch):
    """Inside's gate view: the sort box is sent again after a switch, labelled in the new language (it was
    not relabelled, so the browser kept the English label and the next click reset the sort)."""
    from streamlit.testing.v1 import AppTest

    from rnnkit.core.i18n import translate
    from rnnkit.ui import i18n
    from tests.apptest import ROOT

    shown = {"language": "en"}
    monkeypatch.setattr(i18n, "browser_language", lambda: shown["language"])
    script = LANGUAGE_SWITCH.format(language="en", page=str(ROOT / "pages" / "inside.py"))
    app = AppTest.from_string(script, default_timeout=patience(120))
    app.session_state["inside_view"] = "gates"
    app.session_state["inside_task"] = "recall"
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    sort_key = next(box.key for box in app.selectbox if box.key and box.key.endswith("_sort"))
    app.selectbox(key=sort_key).select("variance").run()
    for language in ("zh", "en"):
        app.radio(key="app_language_widget").set_value(language).run()
        shown["language"] = language
        assert not app.exception, [error.value for error in app.exception]
        box = app.selectbox(key=sort_key)
        assert box.value == "variance"
        assert box.proto.set_value and box.proto.raw_value == translate("by variance", language)


# ------------------------------------------------------------------------- 2: the explained class per model
def test_the_explained_class_is_not_carried_over_to_another_task(app_env):
    """Recall's class chosen, then Names picked: the explained class is Names' prediction, not the class
    at Recall's index (it read 'the score of class Italian' for Nakamura)."""
    from rnnkit.analysis.inference import Predictor
    from rnnkit.data.inputs import read_text
    from rnnkit.ui.inside.attributions import PREDICTED
    from tests.apptest import page

    runs = {run.config().task.name: run for run in app_env.runs() if run.config().model.arch != "rnn"}
    names = Predictor.from_run(runs["names"])
    model_input = read_text(names, names.task.example_input)
    predicted = int(names.outputs(model_input.inputs[:1], model_input.lengths[:1]).argmax(-1)[0])
    other = (predicted + 1) % 2  # a class index both tasks have, and not Names' prediction

    app = page("inside", inside_view="attributions", inside_task="recall")
    app.run()
    recall = Predictor.from_file(app.session_state["inside_model"])  # the default model of the task
    class_box = next(box for box in app.selectbox if box.label == "explain the score of class")
    assert class_box.value == PREDICTED  # the prediction, until a class is chosen
    class_box.set_value(other).run()
    assert not app.exception
    assert f"the score of class {list(recall.spec.class_names)[other]};" in explained(app)
    app.session_state["inside_task"] = "names"
    app.run()
    names = Predictor.from_file(app.session_state["inside_model"])  # the default model of Names
    model_input = read_text(names, names.task.example_input)
    predicted = int(names.outputs(model_input.inputs[:1], model_input.lengths[:1]).argmax(-1)[0])
    assert not app.exception, app.exception
    assert next(box for box in app.selectbox if box.label == "explain the score of class").value == PREDICTED
    assert f"the score of class {names.spec.class_names[predicted]};" in explained(app)


def explained(app) -> str:
    """The 'Explained: ...' caption, without its markdown escapes."""
    captions = [caption.value.replace("\\", "") for caption in app.caption]
    return next(caption for caption in captions if caption.startswith("Explained:"))


# ------------------------------------------------------------- 9: slow work says how far, and never restarts
STARTS: list[str] = []  # what blocked_work was started for
RELEASE = None  # the threading.Event a test releases blocked_work with


def blocked_work(name: str, release, progress) -> str:
    """Work that reports one step, then waits for `release` (bounded: a test never hangs)."""
    STARTS.append(name)
    progress("step", 0.5, {"name": name})
    if not release.wait(timeout=patience(600)):
        raise TimeoutError("never released")
    progress("step", 1.0, {"name": name})
    return name.upper()


FOLLOW_TWICE = """
import streamlit as st
from rnnkit.ui import work
from tests import test_ui_bugs as t

current = work.job("test_job", st.session_state["inputs"], t.blocked_work, st.session_state["inputs"], t.RELEASE)
st.session_state["running"] = work.running("test_job")
if st.session_state.get("follow"):
    st.text(work.follow(current, "Testing", lambda stage, details: f"at {details['name']}"))
"""


def test_a_rerun_while_a_job_works_follows_it_instead_of_starting_again():
    import threading

    from streamlit.testing.v1 import AppTest

    STARTS.clear()
    release = globals()["RELEASE"] = threading.Event()
    app = AppTest.from_string(FOLLOW_TWICE, default_timeout=patience(120))
    app.session_state["inputs"] = "first"
    app.run()
    assert app.session_state["running"]
    app.run()  # a second click while it works
    assert app.session_state["running"] and STARTS == ["first"]
    first = app.session_state["test_job"]
    app.session_state["inputs"] = "second"  # other inputs: a new job, and the old one stops
    app.run()
    release.set()
    app.session_state["follow"] = True
    app.run()
    assert not app.exception, app.exception
    assert [text.value for text in app.text] == ["SECOND"] and STARTS == ["first", "second"]
    from rnnkit.ui.work import Stopped

    with pytest.raises(Stopped):
        first.future.result(timeout=patience(600))


def test_attributions_report_captum_then_each_batch_of_points(run_folders):
    from rnnkit.analysis import attribution
    from rnnkit.analysis.inference import Predictor
    from rnnkit.data.inputs import read_text

    run = next(run for run in run_folders.runs() if run.config().task.name == "names")
    names = Predictor.from_run(run)
    attribution.load_captum.cache_clear()
    heard = []
    attribution.attribute(names, read_text(names, "Nakamura"), progress=lambda *report: heard.append(report))
    assert heard[0] == ("load", 0.0, {})
    integrating = [(fraction, details) for stage, fraction, details in heard if stage == "integrate"]
    assert integrating[0] == (1.0, {"points": 64, "round": 1})  # 64 points: one batch
    assert all(details["points"] == 64 * 2 ** (details["round"] - 1) for _, details in integrating)
    heard.clear()
    attribution.attribute(names, read_text(names, "Nakamura"), progress=lambda *report: heard.append(report))
    assert heard[0][0] == "integrate"  # captum is imported once per process


def test_poems_are_written_with_a_report_per_poem(run_folders):
    from rnnkit.analysis.inference import Predictor
    from rnnkit.ui.playground import write_poems

    run = next(run for run in run_folders.runs() if run.config().task.name == "poems")
    heard = []
    options = {"start": "", "acrostic": "", "line_length": 5, "temperature": 0.7, "top_k": 0, "enforce_form": True}
    written, replaced, line_length = write_poems(Predictor.from_run(run), options, 3, 0,
                                                 lambda *report: heard.append(report))
    assert len(written) == 3 and replaced == [] and line_length == 5
    assert heard == [("write", 0.0, {"number": 1, "count": 3}), ("write", 1 / 3, {"number": 2, "count": 3}),
                     ("write", 2 / 3, {"number": 3, "count": 3}), ("write", 1.0, {"number": 3, "count": 3})]


WRITE_WHILE_WRITING = """
import streamlit as st
from rnnkit.ui import playground, work
from tests import test_ui_bugs as t

if "play_poems_job" not in st.session_state:
    st.session_state["play_poems_job"] = work.Job("writing", t.blocked_work, "writing", t.RELEASE)
    st.session_state.update(play_seed=7, play_line_length=5, play_temperature=0.7, play_top_k=0, play_count=4)
playground._start_writing(None)  # the Write button's callback, clicked again
st.session_state["seed_after"] = st.session_state["play_seed"]
"""


def test_a_second_click_on_write_while_writing_changes_nothing():
    import threading

    from streamlit.testing.v1 import AppTest

    STARTS.clear()
    release = globals()["RELEASE"] = threading.Event()
    app = AppTest.from_string(WRITE_WHILE_WRITING, default_timeout=patience(120))
    app.run()
    assert not app.exception, app.exception
    wait_until(lambda: STARTS, 60, "the writing job's thread to start")  # started by the first click, in a thread
    assert app.session_state["seed_after"] == 7 and STARTS == ["writing"]
    release.set()
    assert app.session_state["play_poems_job"].future.result(timeout=patience(600)) == "WRITING"
