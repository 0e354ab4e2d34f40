"""Checkpoints are plain dicts of tensors and JSON-like values, written atomically and read with
`torch.load(..., weights_only=True)`, which refuses anything that would run code on load.

    {
      "format":    "rnnkit-checkpoint/1",
      "model":     state_dict,
      "config":    RunConfig.to_dict(),      # the model is rebuilt from this ...
      "spec":      TaskSpec.to_dict(),       # ... and these sizes
      "artifacts": {...},                    # what inference needs: vocabulary, scaling, ...
      "epoch":     int,                      # epochs completed when saved
      "metrics":   {...},                    # that epoch's record
      "training":  {...} | None,             # optimizer, RNG, counters: to resume (last.pt only)
    }
"""
from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import torch

from rnnkit.config.run import RunConfig
from rnnkit.core.files import write_atomic
from rnnkit.data.tasks.base import TaskSpec
from rnnkit.model.heads import SequenceModel, build_model

FORMAT = "rnnkit-checkpoint/1"


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt, or not an rnnkit checkpoint."""


def save_checkpoint(path: str | os.PathLike, payload: dict[str, Any]) -> None:
    """Write atomically: a reader (or a crash) sees the old file or the new one, never half of one."""
    write_atomic(path, lambda handle: torch.save({"format": FORMAT, **payload}, handle))


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(
            f"{path} is not a plain-dict checkpoint; weights_only loading refused it ({first_line})"
        ) from error
    except Exception as error:  # random bytes make the unpickler fail in many ways
        raise CheckpointError(f"{path} is corrupt or truncated ({type(error).__name__})") from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an rnnkit checkpoint (no {FORMAT!r} format marker)")
    return payload


def model_from_checkpoint(payload: dict[str, Any], device: str | torch.device = "cpu") -> SequenceModel:
    """Rebuild the model from the checkpoint's own config and spec, load its weights, set eval mode."""
    try:
        config = RunConfig.from_dict(payload["config"])
        spec = TaskSpec.from_dict(payload["spec"])
        model = build_model(config.model, spec)
        model.load_state_dict(payload["model"])
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise CheckpointError(f"checkpoint does not match its own config: {error}") from error
    return model.to(device).eval()
