"""How `--help` reads: prose re-flowed to the terminal, examples kept as lines.

    command.epilog = examples("python -m rnnkit predict demo:names-lstm Nakamura",
                              "python -m rnnkit predict RUN --examples 5")
"""
from __future__ import annotations

import argparse


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, except that a paragraph with indented lines (examples, a table) keeps its lines;
    prose paragraphs are re-flowed to the terminal's width as usual."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = []
        for paragraph in text.strip("\n").split("\n\n"):
            lines = paragraph.split("\n")
            if any(line.startswith(" ") for line in lines):  # examples: as written
                paragraphs.append("\n".join(indent + line for line in lines))
            else:
                paragraphs.append(super()._fill_text(paragraph, width, indent))
        return "\n\n".join(paragraphs)


def examples(*lines: str) -> str:
    """An epilog of example command lines, one per line (a trailing `# ...` comment stays on its line)."""
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)
