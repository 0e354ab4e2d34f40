"""The exit status of a command from how its runs ended: the one rule every command that trains uses.

    0  every run ended as asked: completed, or stopped on request (Ctrl-C, `python -m rnnkit stop`)
    1  a run failed or was interrupted (or there was no run at all)
    2  refused before anything ran (a user error; see `rnnkit.cli.main`)
"""
from __future__ import annotations

from typing import Iterable

FINISHED = ("completed", "stopped")  # a run stopped on request ended as its user asked: not a failure


def exit_status(outcomes: Iterable[str], accepted: tuple[str, ...] = FINISHED) -> int:
    """0 when there were runs and every one ended in an `accepted` state, else 1. A search that a stop cuts
    short passes accepted=("completed",): its remaining trials never ran."""
    outcomes = list(outcomes)
    return 0 if outcomes and all(outcome in accepted for outcome in outcomes) else 1
