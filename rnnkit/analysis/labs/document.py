"""A lab file read as YAML with the line of every value, so each error can name its line.

    read_document(text)  ->  (data, Lines)      PyYAML's safe loader; yaml.compose's node marks give the lines
    Lines.of(path)       ->  1-based line of ("steps", 3, "check", "better"), or of the nearest enclosing value

Only YAML's safe subset is read (no tags that build objects). A duplicate key, which PyYAML would silently
take the last of, is an error here.
"""
from __future__ import annotations

from typing import Any

import yaml

MAX_FILE_BYTES = 256_000  # a lab is a page of text; anything larger is not a lab file
Path = tuple  # ("steps", 0, "run", "name"): mapping keys as text, list positions as ints


class Lines:
    """The 1-based line of each value of a document, by its path."""

    def __init__(self) -> None:
        self.lines: dict[tuple, int] = {}
        self.duplicates: list[tuple[int, tuple, str]] = []  # (line, path of the mapping, key)

    def of(self, path: tuple) -> int:
        path = tuple(str(part) if not isinstance(part, int) else part for part in path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def walk(self, node: yaml.Node, path: tuple = ()) -> None:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
                if key in seen:
                    self.duplicates.append((key_node.start_mark.line + 1, path, key))
                seen.add(key)
                self.walk(value_node, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for position, item in enumerate(node.value):
                self.walk(item, path + (position,))


class DocumentError(ValueError):
    """The text is no YAML document: `line` and what is wrong."""

    def __init__(self, line: int, problem: str) -> None:
        self.line, self.problem = line, problem
        super().__init__(problem)


def read_document(text: str) -> tuple[Any, Lines]:
    """The document's data and the line of each value; DocumentError for text that is not one YAML document."""
    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        raise DocumentError(1, f"the file is larger than {MAX_FILE_BYTES // 1000} KB; a lab is a page of text")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise DocumentError(1, "the file is empty")
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join(filter(None, (error.context, error.problem))) or "not valid YAML"
        raise DocumentError(mark.line + 1 if mark else 1, f"not valid YAML: {problem}") from None
    except (yaml.YAMLError, RecursionError) as error:
        raise DocumentError(1, f"not valid YAML: {type(error).__name__}") from None
    finally:
        loader.dispose()
    lines = Lines()
    lines.walk(node)
    return data, lines
