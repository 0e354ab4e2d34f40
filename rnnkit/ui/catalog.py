"""The dashboard's message catalog: collect every string the interface shows, and keep the catalogs of
`rnnkit/locale/` complete: `python -m rnnkit.ui.catalog update` (then translate the new entries) and
`python -m rnnkit.ui.catalog missing` (lists what is untranslated; exit 1 if anything is).

Strings come from two places: `_("...")` calls in the interface's code (the dashboard, the figures and
the HTML report, the queue's messages) and what tasks, cells, options, presets and metrics declare for
display. Reading translations at run time is `rnnkit.core.i18n`'s job; this is the maintainer's tool.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rnnkit.config.options import declared, label_of
from rnnkit.config.run import ModelConfig, TrainConfig
from rnnkit.core.i18n import DOMAIN, LANGUAGES, SOURCE_LANGUAGE, catalog_path, translations
from rnnkit.core.metrics import METRICS
from rnnkit.core.settings import PROJECT_ROOT
from rnnkit.data.tasks import get_task, task_names
from rnnkit.model.cells import CELLS

PACKAGE = PROJECT_ROOT / "rnnkit"
INTERFACE_MODULES = ("analysis/figures.py", "analysis/inside_figures.py", "analysis/html_report.py",
                     "analysis/robust_html.py", "analysis/robust_figures.py", "analysis/matching.py",
                     "analysis/horizon_figures.py", "analysis/vocabulary.py", "analysis/run_text.py", "analysis/why.py",
                     "analysis/attention.py", "analysis/class_figures.py", "analysis/class_export.py",
                     "analysis/labs/checks.py", "analysis/labs/report.py", "analysis/labs/report_parts.py",
                     "analysis/labs/report_text.py", "analysis/reports.py",
                     "runs/limits.py")  # below the dashboard, but they word what it shows (tests/test_i18n.py)


def interface_files() -> list[Path]:
    """The files whose `_("...")` strings the interface shows."""
    files = [PROJECT_ROOT / "app.py", *sorted((PROJECT_ROOT / "pages").glob("*.py")),
             *sorted((PACKAGE / "ui").rglob("*.py"))]
    return files + [PACKAGE / name for name in INTERFACE_MODULES if (PACKAGE / name).is_file()]


def source_messages() -> set[str]:
    """Every `_("...")` string in the interface's code."""
    from babel.messages.extract import extract_from_file

    found = set()
    for path in interface_files():
        for _line, message, _comments, _context in extract_from_file("python", str(path), keywords={"_": None}):
            if isinstance(message, str) and message:
                found.add(message)
    return found


def declared_messages() -> set[str]:
    """What tasks, cells, options, presets and metrics declare for display."""
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
    parser = argparse.ArgumentParser(prog="python -m rnnkit.ui.catalog",
                                     description="Maintain the translation catalogs.")
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
