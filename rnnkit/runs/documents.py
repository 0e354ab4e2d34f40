"""The checked reading of a run folder's JSON documents: what type every known field of status.json,
worker.json and each kind of metrics line must have, and a reader that turns anything else (too large,
too deep, not an object, a field of the wrong type) into "unreadable" instead of an exception. A run
folder can be written by anyone who can write the checkpoints folder: nothing read here is trusted."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from rnnkit.core.jsonl import UnreadableJson, read_json_file

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


def wrongly_typed(document: dict[str, Any], types: dict[str, Any]) -> str:
    """The first field of `types` whose value in `document` is neither null nor of its type ('' if none)."""
    for name, expected in types.items():
        value = document.get(name)
        if value is not None and not has_type(value, expected):
            return name
    return ""


def shortened(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARACTERS else text[:MAX_MESSAGE_CHARACTERS] + " ..."
