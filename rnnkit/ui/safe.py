"""User text is data, never markup. Streamlit renders alerts, captions and headers as markdown, and
plotly renders a few HTML tags in chart labels, so anything that may echo what a user typed or what
a user's file holds (error messages, class names, replaced characters) goes through here first."""
from __future__ import annotations

import html

import streamlit as st

MARKDOWN_SPECIALS = set("\\`*_{}[]()#+-.!|<>~$:=^&")


def plain(text: object) -> str:
    """`text` with every markdown control character escaped, so it shows literally: no links,
    images, emphasis, colours or icons come out of it."""
    return "".join("\\" + character if character in MARKDOWN_SPECIALS else character for character in str(text))


def error(text: object) -> None:
    st.error(plain(text))


def chart_text(text: object) -> str:
    """A label for a plotly chart: HTML escaped (plotly would render <a>, <b>, <br> ...)."""
    return html.escape(str(text))
