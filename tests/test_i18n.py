"""The Chinese interface: a complete catalog, and every page rendered in Chinese without an
untranslated English widget label (AppTest)."""
import ast
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rnnkit.core.i18n import translate, translations
from rnnkit.data.text import has_cjk
from rnnkit.ui.catalog import all_messages
from tests.apptest import page

ROOT = Path(__file__).resolve().parent.parent
UI_FILES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")),
            *sorted((ROOT / "rnnkit" / "ui").rglob("*.py")), *sorted((ROOT / "rnnkit" / "analysis").rglob("*.py"))]
WIDGETS = ("selectbox", "multiselect", "button", "toggle", "number_input", "text_input", "text_area", "slider",
           "select_slider", "radio", "checkbox")


def test_every_message_has_a_chinese_translation():
    missing = sorted(all_messages() - set(translations("zh")))
    assert not missing, (f"{len(missing)} untranslated; run `python -m rnnkit.ui.catalog update` and translate: "
                         f"{missing[:5]}")


def test_translations_keep_their_placeholders():
    for message, translated in translations("zh").items():
        assert set(re.findall(r"{\w+}", message)) == set(re.findall(r"{\w+}", translated)), message


def test_translate_falls_back_to_english():
    assert translate("Stop", "zh") == "停止"
    assert translate("Stop", "en") == "Stop"
    assert translate("a message nobody wrote", "zh") == "a message nobody wrote"


def test_every_module_that_words_the_interface_is_in_the_catalog():
    """A module below the dashboard that calls _() must be listed in the catalog, else its words stay English."""
    from rnnkit.ui.catalog import interface_files

    listed = set(interface_files())
    wording = {path for path in (ROOT / "rnnkit").rglob("*.py")
               if any(isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_" and node.args
                      and isinstance(node.args[0], ast.Constant)
                      for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))))}
    assert not sorted(str(path.relative_to(ROOT)) for path in wording - listed)


@pytest.mark.parametrize("path", UI_FILES, ids=lambda path: path.name)
def test_no_translation_call_hides_inside_an_f_string(path):
    """Babel's extractor cannot see _() inside an f-string, so such a message would never be translated."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr):
            calls = [n for n in ast.walk(node) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "_"]
            assert not calls, f"{path.name}:{node.lineno}"


def chinese_page(name: str) -> AppTest:
    return page(name, app_language="zh")


def english_labels(app: AppTest) -> list[str]:
    """Widget labels with no Chinese that are not Chinese-identical terms (LSTM, MAE, dropout ...)."""
    same = {message for message, translated in translations("zh").items() if message == translated}
    labels = [widget.label for kind in WIDGETS for widget in getattr(app, kind)]
    return [label for label in labels if label and not has_cjk(label) and label not in same]


@pytest.mark.parametrize("name", ["home", "train", "compare", "playground"])
def test_every_page_in_chinese_has_no_english_widget_label(app_env, name):
    app = chinese_page(name).run()
    assert not app.exception, [e.value for e in app.exception]
    assert english_labels(app) == []
    assert app.title[0].value != {"home": "", "train": "Train", "compare": "Compare", "playground": "Playground"}[name]


def test_the_playground_sections_in_chinese(app_env):
    for task in ("names", "poems", "weather", "recall"):
        app = chinese_page("playground")
        app.session_state["play_task"] = task
        app.run()
        assert not app.exception, (task, [e.value for e in app.exception])
        assert english_labels(app) == [], task


def test_the_train_page_in_chinese_for_every_task(app_env):
    from rnnkit.data.tasks import task_names

    for task in task_names():
        app = chinese_page("train")
        app.session_state["train_task"] = task
        app.session_state["train_preset"] = "none"
        app.run()
        assert not app.exception, (task, [e.value for e in app.exception])
        assert english_labels(app) == [], task
