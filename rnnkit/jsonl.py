"""Read an append-only JSON-lines file (a run's metrics.jsonl) incrementally.

The dashboard refreshes every second and reads each run's metrics several times per refresh, so
parsing the whole file each time would grow with the run. This reader remembers, per file, how far
it got and parses only what was appended since.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

_METRICS_CACHE: dict[str, tuple[tuple[int, int], int, bytes, tuple[dict, ...]]] = {}
_METRICS_LOCK = threading.Lock()
_CHECK_BYTES = 256


def read_records(path: Path) -> tuple[dict[str, Any], ...]:
    """The complete records of a metrics.jsonl. The dashboard refreshes every second, so this parses
    only the bytes appended since the previous call; a replaced or truncated file (resume drops the
    lines of an unfinished epoch) is noticed by its inode and by the bytes just before the old end,
    and read again from the start. A last line without its newline is being written: skipped."""
    key = str(path)
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        with _METRICS_LOCK:
            _METRICS_CACHE.pop(key, None)
        return ()
    with handle, _METRICS_LOCK:
        stat = os.fstat(handle.fileno())
        identity = (stat.st_dev, stat.st_ino)
        cached_identity, offset, tail, records = _METRICS_CACHE.get(key, (None, 0, b"", ()))
        if cached_identity != identity or stat.st_size < offset:
            offset, tail, records = 0, b"", ()
        handle.seek(offset - len(tail))
        data = handle.read(stat.st_size - offset + len(tail))
        if not data.startswith(tail):  # rewritten in place since the last read
            handle.seek(0)
            offset, tail, records, data = 0, b"", (), handle.read()
        data = data[len(tail):]
        end = data.rfind(b"\n") + 1
        if end:
            parsed = []
            for line in data[:end].splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):  # a line that is a list, a string or null is not a record
                    parsed.append(record)
            records += tuple(parsed)
            offset += end
            tail = (tail + data[:end])[-_CHECK_BYTES:]
        _METRICS_CACHE[key] = (identity, offset, tail, records)
        return records
