"""Text from users and their files, made safe to show: the one home of what every face does to it.

Bidirectional control characters (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C) reorder the
characters around them: a class label "gpj.\\u202eexe" would read "exe.jpg". Shown text gets them as
visible escapes instead, so what is displayed is what the file holds. The faces then add their own
escaping: markdown (`rnnkit.ui.safe.plain`), plotly's HTML subset (`rnnkit.analysis.figures.chart_text`).
"""
from __future__ import annotations

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def neutralise_bidi(text: object) -> str:
    """`text` with every bidirectional control character written as its escape (e.g. `\\u202e`)."""
    return "".join(f"\\u{ord(character):04x}" if character in BIDI_CONTROLS else character
                   for character in str(text))
