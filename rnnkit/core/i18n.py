"""Translations of the dashboard: gettext catalogs (`rnnkit/locale/<lang>/LC_MESSAGES/rnnkit.po`),
read with Babel. English is the source language; the catalog maps each English message to its
translation. The command line and log files stay English.

Where the messages come from (`python -m rnnkit.core.i18n update` collects them all into the catalog,
keeping existing translations and adding new messages untranslated):

    source     every `_("...")` call in app.py, pages/ and rnnkit/ui/ (Babel's extractor)
    declared   what tasks, cells, options, presets and metrics declare for display: option labels and
               help, task titles and descriptions, preset descriptions, cell titles, metric titles

`tests/test_i18n.py` fails when a message has no Chinese translation.
"""
from __future__ import annotations

import argparse
import sys
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


def source_messages() -> set[str]:
    """Every `_("...")` string in the dashboard's code."""
    from babel.messages.extract import extract_from_file

    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((PACKAGE / "ui").glob("*.py"))]
    found = set()
    for path in files:
        for _line, message, _comments, _context in extract_from_file("python", str(path), keywords={"_": None}):
            if isinstance(message, str) and message:
                found.add(message)
    return found


def declared_messages() -> set[str]:
    """What tasks, cells, options, presets and metrics declare for display."""
    from rnnkit.config.options import declared, label_of
    from rnnkit.config.run import ModelConfig, TrainConfig
    from rnnkit.core.metrics import METRICS
    from rnnkit.data.tasks import get_task, task_names
    from rnnkit.model.cells import CELLS

    found: set[str] = set()
    parts = [ModelConfig, TrainConfig]
    for name in task_names():
        task = get_task(name)
        parts.append(task.Options)
        found |= {task.title, task.description}
        found |= {preset.get("description", "") for preset in task.presets().values()}
    for part in parts:
        for item, declaration in declared(part):
            if declaration.widget:
                found |= {label_of(item), declaration.help}
    found |= {cell.title for cell in CELLS.values()}
    found |= {metric.title for metric in METRICS.values()}
    return {message for message in found if message}


def all_messages() -> set[str]:
    return source_messages() | declared_messages()


def update(language: str) -> tuple[int, int]:
    """Write the catalog with every current message (translations kept); returns (messages, untranslated)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    known = translations.__wrapped__(language)
    catalog = Catalog(locale=language, domain=DOMAIN, project="rnnkit", fuzzy=False)
    messages = sorted(all_messages())
    for message in messages:
        catalog.add(message, known.get(message, ""))
    path = catalog_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=True)
    translations.cache_clear()
    return len(messages), sum(1 for message in messages if not known.get(message))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnnkit.core.i18n", description="Maintain the translation catalogs.")
    parser.add_argument("command", choices=("update", "missing"),
                        help="update: write every current message into the catalogs; missing: list untranslated")
    parser.add_argument("--language", default="zh", choices=[code for code in LANGUAGES if code != SOURCE_LANGUAGE])
    args = parser.parse_args(argv)
    if args.command == "update":
        count, untranslated = update(args.language)
        print(f"{catalog_path(args.language)}: {count} messages, {untranslated} untranslated")
        return 0
    missing = sorted(all_messages() - set(translations(args.language)))
    for message in missing:
        print(message)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
