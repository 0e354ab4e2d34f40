"""What one user may ask of the machine: the queue's capacity (one rule), a student's share of the queue
and the teacher's caps per classroom ([rnnkit.queue] in secrets.toml), and the refusal (`QueueFull`) with
its one wording. The queue (`rnnkit.runs.queue`) admits groups within these limits; the run store checks
the caps and writes a run's own limits (limits.json) for the worker to enforce."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

from rnnkit.core import settings
from rnnkit.runs.folder import RunError

STUDENT_RUN_MINUTES = 30  # a student's run ends as `stopped (time limit)` after this long, unless the teacher says
CAPS = {"max_epochs": ("train", "epochs"), "max_hidden_size": ("model", "hidden_size")}  # cap -> the setting


def default_capacity() -> int:
    """$RNNKIT_QUEUE_CAPACITY, else one training run per CPU core."""
    return settings.queue_capacity() or os.cpu_count() or 1


@dataclass(frozen=True)
class Limits:
    """How much of the machine one user may ask for. None: no per-user limit (single-user mode, teachers)."""
    capacity: int = 0                     # runs training at once on this store; 0: `default_capacity()`
    max_running: int | None = None        # groups of one user training at once
    max_waiting: int | None = None        # groups of one user waiting in the queue
    max_group_runs: int | None = None     # runs in one group
    disk_quota_mb: int | None = None      # run folders + uploads of one user
    within_capacity: bool = False         # a group starts only as far as the capacity has room (students)
    max_epochs: int | None = None         # epochs of one run (a student's config above it is refused)
    max_hidden_size: int | None = None    # hidden size of one run (likewise)
    max_run_minutes: int | None = None    # wall time of one run; the worker stops it as `stopped (time limit)`

    @classmethod
    def for_student(cls, settings: dict[str, Any] | None = None) -> "Limits":
        """A student's limits: 1 group training + 2 waiting, 24 runs per group (a 5-seed x 3-architecture
        comparison or a small sweep fits), 500 MB of disk, 30 minutes per run, groups within the capacity,
        or what [rnnkit.queue] of secrets.toml says (also `max_epochs` and `max_hidden_size`, no cap unless
        set: the options' own upper bounds apply)."""
        settings = dict(settings or {})
        values = {"capacity": settings.get("capacity", 0), "max_running": settings.get("max_running_groups", 1),
                  "max_waiting": settings.get("max_waiting_groups", 2),
                  "max_group_runs": settings.get("max_group_runs", 24),
                  "disk_quota_mb": settings.get("disk_quota_mb", 500),
                  "max_epochs": settings.get("max_epochs"), "max_hidden_size": settings.get("max_hidden_size"),
                  "max_run_minutes": settings.get("max_run_minutes", STUDENT_RUN_MINUTES)}
        for name, value in values.items():
            if value is None and name in ("max_epochs", "max_hidden_size"):
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < (0 if name == "capacity" else 1):
                raise ValueError(f"[rnnkit.queue] {name} must be a positive whole number, not {value!r}")
        return cls(**values, within_capacity=True)

    def check_caps(self, config: Any) -> None:
        """Raise QueueFull (reason: the setting's name) when `config` (a RunConfig) asks for more than a cap."""
        for cap, (section, setting) in CAPS.items():
            limit, value = getattr(self, cap), getattr(getattr(config, section), setting)
            if limit is not None and isinstance(value, int) and value > limit:
                raise QueueFull(setting, value, limit)

    def run_limits(self) -> dict[str, int]:
        """What a run started under these limits may use: limits.json's fields (the worker enforces them)."""
        return {"time_limit_seconds": self.max_run_minutes * 60} if self.max_run_minutes else {}

    def resolved_capacity(self) -> int:
        """Runs training at once on this store: the configured capacity, else $RNNKIT_QUEUE_CAPACITY, else one
        per CPU core. The one home of that rule."""
        return self.capacity or default_capacity()

    @classmethod
    def capacity_of(cls, limits: Any) -> int:
        """The capacity a queue entry's stored limits give (anything malformed: the default)."""
        value = limits.get("capacity") if isinstance(limits, dict) else None
        valid = isinstance(value, int) and not isinstance(value, bool) and value > 0
        return cls(capacity=value if valid else 0).resolved_capacity()


class QueueFull(RunError):
    """This user may not queue this group now. `reason` is 'group_size', 'waiting', 'disk' (MB), or the
    setting over a teacher's cap ('epochs', 'hidden_size'), with `count` and `limit`; the message (English)
    comes from `queue_full_message`, which the dashboard calls with its own translation function."""

    def __init__(self, reason: str, count: int, limit: int) -> None:
        self.reason, self.count, self.limit = reason, count, limit
        super().__init__(queue_full_message(self))


def queue_full_message(error: QueueFull, _: Callable[[str], str] = str) -> str:
    """Why the queue refused a Start, with what to do: the one wording the CLI, the API and the dashboard
    share (`_` translates: the dashboard passes its own, the CLI keeps English)."""
    if error.reason == "disk":
        return _("You use {count} MB of your {limit} MB of disk. Delete some of your runs (Compare, "
                 "Delete runs) before starting new ones.").format(count=error.count, limit=error.limit)
    if error.reason == "epochs":
        return _("This class allows at most {limit} epochs per run; this run asks for {count}. Lower "
                 "epochs and start again.").format(limit=error.limit, count=error.count)
    if error.reason == "hidden_size":
        return _("This class allows a hidden size of at most {limit}; this run asks for {count}. Lower "
                 "hidden_size and start again.").format(limit=error.limit, count=error.count)
    if error.reason == "group_size":
        return _("A group may have at most {limit} runs; this one has {count}.").format(
            limit=error.limit, count=error.count)
    return _("You already have {count} group(s) waiting in the queue (at most {limit}). Wait until one "
             "starts, or stop one.").format(count=error.count, limit=error.limit)
