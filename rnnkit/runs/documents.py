"""The checked reading of a run folder's JSON documents: what type every known field of status.json,
worker.json and each kind of metrics line must have, and the range it must lie in, and a reader that turns
anything else (too large, too deep, not an object, a field of the wrong type, a pid of 10**20, a negative
epoch, NaN) into "unreadable" instead of an exception. A run folder can be written by anyone who can write
the checkpoints folder: nothing read here is trusted."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rnnkit.config.run import MAX_EPOCHS
from rnnkit.core.files import MAX_PID
from rnnkit.core.jsonl import UnreadableJson, read_json_file

FILE_NAMES = ("config.json", "status.json", "metrics.jsonl", "best.pt", "last.pt", "worker.json", "stop.request",
              "train.log", "embedding_start.pt", "limits.json")  # a run folder's files (rnnkit.runs.folder.Run)
MAX_CONFIG_BYTES = 1_000_000  # a real config.json is about 2 KB
MAX_SMALL_FILE_BYTES = 100_000  # status.json, worker.json, limits.json: well under 1 KB when we write them
MAX_MESSAGE_CHARACTERS = 300  # a config error names a key; a 900 KB key name is not a message
NUMBER = (int, float)
RECORD_FIELDS = {  # kind -> field -> type(s) every such metrics.jsonl line holds
    "start": {"spec": dict, "baselines": dict},
    "step": {"epoch": int, "step": int, "steps_per_epoch": int, "loss": NUMBER},
    "epoch": {"epoch": int, "epochs": int, "train": dict, "validation": dict, "best_epoch": int, "monitor": str,
              "epoch_seconds": NUMBER, "samples_per_second": NUMBER},
    "test": {"epoch": int, "test": dict},
    "probe": {"epoch": int, "distance": list, "h": list},
    "posthoc": {"epoch": int, "temperature": NUMBER, "tau": NUMBER, "test": dict},
}
STATUS_FIELDS = {  # status.json field -> the type(s) it must have (or null, read as absent)
    "pid": int, "host": str, "start_time": int, "token": str, "error": str, "stop_reason": str, "phase": str,
    "device": str, "resumed_from": str, "epoch": int, "epochs": int, "step": int, "steps_per_epoch": int,
    "best_epoch": int,
    "resume_step": int, "parameters": int, "core_parameters": int, "eta_seconds": NUMBER, "started_at": NUMBER,
    "finished_at": NUMBER, "updated_at": NUMBER}
WORKER_FIELDS = {"pid": int, "host": str, "start_time": int, "token": str}  # what decides "is it our worker"
MAX_COUNT = 10**12  # steps, parameters: far beyond any run, far below what breaks arithmetic or C longs
MAX_TIME = 32_503_680_000.0  # seconds since 1970: the year 3000; datetime fails a little beyond 9999
BOUNDS = {  # field (of status.json, worker.json and metrics lines) -> the closed range its number lies in
    "pid": (1, MAX_PID), "start_time": (0, 2**63 - 1), "epoch": (0, MAX_EPOCHS), "epochs": (0, MAX_EPOCHS),
    "best_epoch": (0, MAX_EPOCHS), "step": (0, MAX_COUNT), "steps_per_epoch": (0, MAX_COUNT),
    "resume_step": (0, MAX_COUNT), "parameters": (0, MAX_COUNT), "core_parameters": (0, MAX_COUNT),
    "eta_seconds": (0, MAX_TIME), "started_at": (0, MAX_TIME), "finished_at": (0, MAX_TIME),
    "updated_at": (0, MAX_TIME), "epoch_seconds": (0, MAX_TIME), "samples_per_second": (0, 1e15)}


def read_object(path: Path, max_bytes: int = MAX_CONFIG_BYTES) -> dict[str, Any]:
    """A JSON file's object; {} when it is missing, unreadable, too large, too deep or not an object."""
    try:
        document = read_json_file(path, max_bytes)
    except (FileNotFoundError, UnreadableJson):
        return {}
    return document if isinstance(document, dict) else {}


def has_type(value: Any, types: Any) -> bool:
    """isinstance, except that True and False are not numbers (JSON's `true` is no epoch)."""
    return isinstance(value, types) and not (isinstance(value, bool) and types in (int, NUMBER))


def is_number(value: Any) -> bool:
    return isinstance(value, NUMBER) and not isinstance(value, bool)


def in_range(name: str, value: Any) -> bool:
    """Whether a number read for field `name` is finite and within its `BOUNDS` (fields without: any)."""
    if not is_number(value):
        return True
    if isinstance(value, float) and not math.isfinite(value):
        return False
    low, high = BOUNDS.get(name, (-math.inf, math.inf))
    return low <= value <= high


def is_valid(value: Any, name: str, types: Any) -> bool:
    """Of the type `types`, and a number within its field's range."""
    return has_type(value, types) and in_range(name, value)


def is_record(record: dict[str, Any], kind: str) -> bool:
    """Whether a metrics line is a usable record of `kind`: every field its kind must hold, of its type and
    range, and the optional figures a page formats (an ETA) within theirs, where present."""
    return record.get("kind") == kind and in_range("eta_seconds", record.get("eta_seconds")) and all(
        is_valid(record.get(name), name, types) for name, types in RECORD_FIELDS.get(kind, {}).items())


def wrongly_typed(document: dict[str, Any], types: dict[str, Any]) -> str:
    """The first field of `types` whose value in `document` is neither null nor of its type and range, as
    "its field NAME has the wrong type" or "... is out of range" ('' if none)."""
    for name, expected in types.items():
        value = document.get(name)
        if value is not None and not has_type(value, expected):
            return f"its field {name} has the wrong type"
        if value is not None and not in_range(name, value):
            return f"its field {name} is out of range"
    return ""


def shortened(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARACTERS else text[:MAX_MESSAGE_CHARACTERS] + " ..."
