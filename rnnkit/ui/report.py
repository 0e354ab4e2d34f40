"""Moved to `rnnkit.analysis.html_report` (no streamlit on its path); this name stays only until every
caller imports it from there."""
from __future__ import annotations

from rnnkit.analysis.html_report import html_report

__all__ = ["html_report"]
