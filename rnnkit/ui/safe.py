"""User text is data, never markup. Streamlit renders alerts, captions and headers as markdown, so
anything that may echo what a user typed or what a user's file holds (error messages, class names,
replaced characters) goes through here first. Chart labels are escaped where the figures are built
(`rnnkit.analysis.figures.chart_text`: plotly renders a few HTML tags)."""
from __future__ import annotations

import streamlit as st

from rnnkit.core.display import neutralise_bidi

MARKDOWN_SPECIALS = set("\\`*_{}[]()#+-.!|<>~$:=^&")


def plain(text: object) -> str:
    """`text` with every markdown control character escaped, so it shows literally: no links,
    images, emphasis, colours or icons come out of it (and no reordering: bidi controls show as escapes)."""
    return "".join("\\" + character if character in MARKDOWN_SPECIALS else character
                   for character in neutralise_bidi(text))


def error(text: object) -> None:
    st.error(plain(text))
