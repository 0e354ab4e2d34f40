"""Read JSON that anyone may have written: one bounded parser, and a JSON-lines file (a run's
metrics.jsonl) read incrementally.

Run folders, queue entries and the like are files a crash, a hand or a hostile user may have written,
so every reader goes through `parse_json` / `read_json_file`: a size cap, no `RecursionError` from
nested brackets (`"[" * 100000`), a nesting cap below what any later code that walks the value could
trip on, and one exception (`UnreadableJson`) whose message never quotes the content. Both readers open
through `rnnkit.core.files.no_follow_opener`: a symbolic link in a file's place is not followed.

The dashboard refreshes every second and reads each run's metrics several times per refresh, so
parsing the whole file each time would grow with the run. `read_records` remembers, per file, how far
it got and parses only what was appended since.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from rnnkit.core.files import LinkRefused, no_follow_opener

_METRICS_CACHE: dict[str, tuple[tuple[int, int], int, bytes, tuple[dict, ...]]] = {}
_METRICS_LOCK = threading.Lock()
_CHECK_BYTES = 256
SAMPLE_ABOVE_BYTES = 16_000_000  # a real run's metrics.jsonl stays far below (a 3 h IMDB run: ~5 MB)
MAX_PARSED_LINES = 50_000  # per read of a larger file: every start/epoch/test line, a sample of the rest
MAX_READ_BYTES = 1_000_000_000
_CHUNK_BYTES = 8_000_000
_STEP = b'"kind":"step"'
MAX_DEPTH = 32  # nesting of arrays and objects; our own files go 4 deep, Python's recursion limit ~1000


class UnreadableJson(ValueError):
    """Text that is not a usable JSON value: too large, not UTF-8, not JSON, or nested too deep. The
    message says which, never what the text holds."""


def parse_json(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads(data)`, for text anyone may have written: nesting deeper than `max_depth` (and the
    `RecursionError` of nested brackets) and undecodable bytes are an `UnreadableJson`."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise UnreadableJson("it is not UTF-8 text") from None
    try:
        value = json.loads(data)
    except RecursionError:
        raise UnreadableJson(f"it is nested more than {max_depth} levels deep") from None
    except json.JSONDecodeError as error:
        raise UnreadableJson(f"it is not JSON (line {error.lineno}, column {error.colno})") from None
    except ValueError:  # e.g. an integer of more than 4300 digits
        raise UnreadableJson("it holds a value JSON readers refuse") from None
    if _deeper_than(value, max_depth):
        raise UnreadableJson(f"it is nested more than {max_depth} levels deep") from None
    return value


def read_json_file(path: str | os.PathLike, max_bytes: int) -> Any:
    """The JSON value of a file of at most `max_bytes` (read no further than that). A missing file raises
    FileNotFoundError (also one that vanishes while it is read); anything else wrong, `UnreadableJson`
    (also a symbolic link, which is not followed)."""
    try:
        with open(path, "rb", opener=no_follow_opener) as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise
    except LinkRefused as error:
        raise UnreadableJson(f"it cannot be read: {error}") from None
    except OSError as error:  # a folder in its place, no permission, an I/O error
        raise UnreadableJson(f"it cannot be read ({error.strerror or type(error).__name__})") from None
    if len(data) > max_bytes:
        raise UnreadableJson(f"it is larger than {max_bytes:,} bytes, far more than such a file holds")
    if not data:
        raise UnreadableJson("it is empty")
    return parse_json(data)


def _deeper_than(value: Any, max_depth: int) -> bool:
    """Whether `value` nests lists and dicts more than `max_depth` deep (iterative: never recurses)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > max_depth:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def read_records(path: Path) -> tuple[dict[str, Any], ...]:
    """The complete records of a metrics.jsonl. The dashboard refreshes every second, so this parses
    only the bytes appended since the previous call; a replaced or truncated file (resume drops the
    lines of an unfinished epoch) is noticed by its inode and by the bytes just before the old end,
    and read again from the start. A last line without its newline is being written: skipped. A symbolic
    link (not followed) or a file that cannot be opened reads as no records."""
    key = str(path)
    try:
        handle = open(path, "rb", opener=no_follow_opener)
    except OSError:
        with _METRICS_LOCK:
            _METRICS_CACHE.pop(key, None)
        return ()
    with handle, _METRICS_LOCK:
        stat = os.fstat(handle.fileno())
        identity = (stat.st_dev, stat.st_ino)
        size = min(stat.st_size, MAX_READ_BYTES)  # beyond that, a file is junk: its start is all we read
        cached_identity, offset, tail, records = _METRICS_CACHE.get(key, (None, 0, b"", ()))
        if cached_identity != identity or size < offset:
            offset, tail, records = 0, b"", ()
        handle.seek(offset - len(tail))
        data = handle.read(size - offset + len(tail))
        if not data.startswith(tail):  # rewritten in place since the last read
            handle.seek(0)
            offset, tail, records, data = 0, b"", (), handle.read(size)
        data = data[len(tail):]
        end = data.rfind(b"\n") + 1
        if end:
            records += tuple(_parse(data[:end]))
            offset += end
            tail = (tail + data[:end])[-_CHECK_BYTES:]
        _METRICS_CACHE[key] = (identity, offset, tail, records)
        return records


def _parse(data: bytes) -> list[dict[str, Any]]:
    """The records in `data` (complete lines). Beyond `SAMPLE_ABOVE_BYTES` (a damaged or hostile file:
    a million lines would take a page 80 s and gigabytes to parse) only a sample is parsed: every
    line that is not a step record, and evenly spaced step records, at most `MAX_PARSED_LINES` in
    all, so charts keep their shape and reading stays under a few seconds."""
    lines = data.splitlines() if len(data) <= SAMPLE_ABOVE_BYTES else _sample(data)
    parsed = []
    for line in lines:
        try:  # a line with few brackets cannot nest deeply: skip the depth walk (most lines)
            record = json.loads(line) if line.count(b"[") + line.count(b"{") <= MAX_DEPTH else parse_json(line)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, nested too deep: not a record
            continue
        if isinstance(record, dict):  # a line that is a list, a string or null is not a record
            parsed.append(record)
    return parsed


def _sample(data: bytes) -> list[bytes]:
    total = data.count(b"\n")
    steps = data.count(_STEP)  # exact for our own writer's lines; others count as "other"
    others = max(total - steps, 0)
    keep_others = 1 if others <= MAX_PARSED_LINES // 2 else -(-others // (MAX_PARSED_LINES // 2))
    keep_steps = max(1, -(-steps // max(MAX_PARSED_LINES - min(others, MAX_PARSED_LINES // 2), 1)))
    kept: list[bytes] = []
    step_index = other_index = 0
    for start in range(0, len(data), _CHUNK_BYTES):  # chunks: never a second copy of the whole file
        chunk_start = data.rfind(b"\n", 0, start) + 1 if start else 0
        chunk_end = data.rfind(b"\n", 0, min(start + _CHUNK_BYTES, len(data))) + 1
        if chunk_end <= chunk_start:
            continue
        for line in data[chunk_start:chunk_end].splitlines():
            if _STEP in line:
                if step_index % keep_steps == 0:
                    kept.append(line)
                step_index += 1
            else:
                if other_index % keep_others == 0:
                    kept.append(line)
                other_index += 1
    return kept
