"""Atomic file writes: a reader (or a crash) sees the old file or the new one, never half of one.

Every writer in rnnkit (config.json, status.json, worker.json, checkpoints, the preprocessing cache)
goes through `write_atomic`: write a temporary file in the same folder (same filesystem, so the
rename is atomic, also on a shared volume), fsync it, then `os.replace` it over the target.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any, BinaryIO, Callable


def write_atomic(path: str | os.PathLike, write: Callable[[BinaryIO], None], durable: bool = True) -> None:
    """Call `write(handle)` on a temporary file beside `path`, then move it into place."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(3)}.tmp")
    try:
        with open(temporary, "wb") as handle:
            write(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def write_json_atomic(path: str | os.PathLike, data: Any) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
    write_atomic(path, lambda handle: handle.write(text), durable=False)
