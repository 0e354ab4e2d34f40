"""Translations of the dashboard: gettext catalogs (`rnnkit/locale/<lang>/LC_MESSAGES/rnnkit.po`),
read with Babel. English is the source language; the catalog maps each English message to its
translation. The command line and log files stay English.

This module only reads the catalogs; collecting the messages into them (`python -m rnnkit.ui.catalog
update`) is the interface's tool, since it reads every layer's declarations.

`tests/test_i18n.py` fails when a message has no Chinese translation.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
ROOT = PACKAGE.parent
LOCALE_FOLDER = PACKAGE / "locale"
DOMAIN = "rnnkit"
LANGUAGES = {"en": "English", "zh": "中文"}  # code -> name shown in the switch
SOURCE_LANGUAGE = "en"


def catalog_path(language: str) -> Path:
    return LOCALE_FOLDER / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def translations(language: str) -> dict[str, str]:
    """English message -> translation, for every translated entry of the language's catalog."""
    if language == SOURCE_LANGUAGE:
        return {}
    from babel.messages.pofile import read_po

    path = catalog_path(language)
    if not path.is_file():
        return {}
    with open(path, "rb") as handle:
        catalog = read_po(handle)
    return {message.id: message.string for message in catalog if message.id and message.string}


def translate(message: str, language: str) -> str:
    """The message in `language`; the English text where the catalog has no translation."""
    if not message or language == SOURCE_LANGUAGE:
        return message
    return translations(language).get(message, message)
