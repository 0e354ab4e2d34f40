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
import re
from pathlib import Path
from typing import Any

import torch

from rnnkit.config.run import RunConfig
from rnnkit.core.files import LinkRefused, open_no_follow, write_atomic
from rnnkit.data.tasks.base import TaskSpec
from rnnkit.model.heads import SequenceModel, build_model

FORMAT = "rnnkit-checkpoint/1"


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt, or not an rnnkit checkpoint."""


def save_checkpoint(path: str | os.PathLike, payload: dict[str, Any]) -> None:
    """Write atomically: a reader (or a crash) sees the old file or the new one, never half of one."""
    write_atomic(path, lambda handle: torch.save({"format": FORMAT, **payload}, handle))


def checkpoint_name(path: str | os.PathLike) -> str:
    """How messages name a checkpoint: `run RUN_ID: best.pt` (its run folder's name and its own), never its
    path on this machine (a student reads these messages)."""
    path = Path(path)
    return f"run {path.parent.name}: {path.name}"


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """The checkpoint at `path` (a run folder's best.pt or last.pt), read with `weights_only=True`, never
    through a symbolic link; any other file is a `CheckpointError` that names it by run id and file name."""
    path, name = Path(path), checkpoint_name(path)
    try:
        with open_no_follow(path) as handle:
            payload = torch.load(handle, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{name} does not exist") from None
    except LinkRefused as error:
        raise CheckpointError(f"run {path.parent.name}: {error}") from None
    except OSError as error:  # no permission, an I/O error: the reason, never the path
        raise CheckpointError(f"{name} cannot be read ({error.strerror or type(error).__name__})") from None
    except pickle.UnpicklingError as error:  # torch's message advises weights_only=False: keep only its reason
        found = re.search(r"WeightsUnpickler error:\s*(\S[^\n]*)", str(error))
        reason = found.group(1) if found else (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise CheckpointError(f"{name} is corrupt or truncated, or not a plain-dict checkpoint (weights_only "
                              f"loading refused it: {reason[:200]})") from error
    except Exception as error:  # random bytes make the unpickler fail in many ways
        raise CheckpointError(f"{name} is corrupt or truncated ({type(error).__name__})") from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{name} is not an rnnkit checkpoint (no {FORMAT!r} format marker)")
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
