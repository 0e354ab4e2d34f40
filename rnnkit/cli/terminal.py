"""What the command line prints about text it did not write: control characters escaped, groups by name.

A terminal obeys the control characters it is sent: ESC starts a colour or moves the cursor, BEL rings,
a carriage return overwrites the line. An input echoed in an error line, a label or a run's error could
carry them (`predict demo:names-lstm $'\\x1b[31m...'`), so everything the command line echoes goes
through `shown`, which writes them the way Python writes them in a string:

    shown("a\\x1b[31mb\\x07")  ->  'a\\\\x1b[31mb\\\\x07'   (printed: a\\x1b[31mb\\x07)

Groups are printed as people read them (rnnkit.runs.group_names) with the id the commands take:
"recall · lstm/gru · 08:01 (g20261205-080152-e012)".
"""
from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from rnnkit.runs.group_names import default_label, stored_label

# text direction overrides and isolates: they reorder what a terminal shows (a file name that reads backwards)
_DIRECTION_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def shown(text: object, keep: str = "") -> str:
    """`text` with every control character (C0, DEL, C1, direction overrides) escaped as \\xNN or \\uNNNN;
    the characters in `keep` (e.g. "\\n\\t" for a block of lines) stay as they are."""
    characters = str(text)
    if characters.isprintable() and not _DIRECTION_CONTROLS.intersection(characters):
        return characters
    return "".join(character if character in keep or not _is_control(character) else _escape(character)
                   for character in characters)


def _is_control(character: str) -> bool:
    return unicodedata.category(character) == "Cc" or character in _DIRECTION_CONTROLS


def _escape(character: str) -> str:
    code = ord(character)
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(character) or (
        f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def json_text(document: object, indent: int = 2) -> str:
    """`document` as JSON that keeps its letters (春风, Dvořák) but not a control character: json escapes C0 itself;
    DEL, C1 and direction overrides, which it leaves as they are, become \\uNNNN (still valid JSON)."""
    text = json.dumps(document, indent=indent, ensure_ascii=False)
    return "".join(f"\\u{ord(character):04x}" if character != "\n" and _is_control(character) else character
                   for character in text)  # a newline of the layout stays: inside strings json escaped it


def group_name(root: Path, group: str, runs: Iterable = ()) -> str:
    """'name (id)' of a group: the label its owner gave it, else the one made from its runs' content and start
    time (`runs`: the group's runs); the bare id when there is no name to read."""
    runs = list(runs)
    if not group:
        return ""
    return named(group, stored_label(root, group) or (default_label(runs, group) if runs else ""))


def named(group: str, label: str) -> str:
    """'label (id)', or the id alone when the label is empty or is the id; control characters escaped."""
    return shown(group if not label or label == group else f"{label} ({group})")
