"""The secrets file as a file: whether an existing `.streamlit/secrets.toml` reads and parses, said with
the parser's line and column and never with the file's content (a classroom's codes and names live there).
What its [rnnkit] table must hold is `rnnkit.runs.access.check_settings`."""
from __future__ import annotations

import re
from pathlib import Path


def secrets_file_problem(path: str | Path) -> str | None:
    """What is wrong with an existing secrets file, as the TOML parser says it (which line, what), never
    quoting the file; None when it reads and parses."""
    import tomllib  # here, not at the top: the CLI also runs on Python 3.10, which has none (the dashboard needs 3.11)

    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        return f"{path} cannot be read ({error.strerror or type(error).__name__}): check its permissions"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        return f"{path}, line {line}: not UTF-8 text; save it as UTF-8"
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return f"{path}: not valid TOML: {_parser_message(str(error))}"
    except RecursionError:
        return f"{path}: not valid TOML: nested too deeply"
    return None


def _parser_message(message: str) -> str:
    """tomllib's message with its place, without the pieces of the file it may quote (a character, a key):
    only quoted TOML punctuation (the '=' it expected) stays."""
    place = re.search(r"\(at (line \d+, column \d+|end of document)\)$", message)
    what = message[:place.start()] if place else message
    what = re.sub(r"\(.*\)|'(?![=\[\]{},.]')[^']*'|\"[^\"]*\"", "", what)
    return f"{' '.join(what.split()) or 'cannot parse'}{' at ' + place.group(1) if place else ''}"
