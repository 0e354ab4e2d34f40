"""Issue 24's dashboard bugs: the language switch on the Train page, the explained class after a change
of task, attributions and poem writing that say how far they are and do not restart, and poems with a
box for a lost character."""
from __future__ import annotations

import pytest

from rnnkit.data.tasks.poems import check_poem, not_chinese


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
    return AppTest.from_string(script, default_timeout=120), shown


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

    app = AppTest.from_string("from rnnkit.ui.form import apply_preset\napply_preset()", default_timeout=60)
    app.session_state["app_language"] = "zh"
    app.session_state["train_task"] = "Recall (synthetic): remember the first symbol"
    app.session_state["train_preset"] = translate("none (plain defaults)", "zh")
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    assert app.session_state["train_task"] == "recall" and app.session_state["train_preset"] == "none"
    app.session_state["train_task"] = translate("Recall (synthetic): remember the first symbol", "zh")
    app.run()
    assert not app.exception and app.session_state["train_task"] == "recall"
