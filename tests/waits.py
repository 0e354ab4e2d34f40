"""How long a test waits: every wait in tests/ is bounded, generous, and scaled by ONE factor.

A test fails only when behaviour is wrong, never because the machine is busy. So no unit test asserts
how long something took (timings belong in benchmarks/), and every wait for something that will
happen (a background worker, a server, a browser, a subprocess) goes through `patience(seconds)`:
`seconds` is generous on an idle 2-core machine, and RNNKIT_TEST_TIME_FACTOR (default 1) multiplies
it, so CI on a loaded machine can raise every wait at once (RNNKIT_TEST_TIME_FACTOR=3 pytest ...).
"""
from __future__ import annotations

import os
import time
from typing import Callable, TypeVar

FACTOR_VARIABLE = "RNNKIT_TEST_TIME_FACTOR"
POLL_SECONDS = 0.2  # how often `wait_until` asks again (not scaled: asking is cheap)

T = TypeVar("T")


def time_factor() -> float:
    """The factor from RNNKIT_TEST_TIME_FACTOR (a positive number; default 1)."""
    text = os.environ.get(FACTOR_VARIABLE, "").strip()
    if not text:
        return 1.0
    try:
        factor = float(text)
    except ValueError:
        raise ValueError(f"{FACTOR_VARIABLE}={text!r} is not a number; use e.g. 1, 2 or 3") from None
    if not factor > 0 or factor == float("inf"):
        raise ValueError(f"{FACTOR_VARIABLE}={text!r} must be a positive number; use e.g. 1, 2 or 3")
    return factor


def patience(seconds: float) -> float:
    """How long to wait, in seconds, for something an idle machine does well within `seconds`."""
    return seconds * time_factor()


def patience_ms(seconds: float) -> float:
    """`patience(seconds)` in milliseconds (Playwright's unit)."""
    return patience(seconds) * 1000


def wait_until(condition: Callable[[], T], seconds: float, what: str, poll: float = POLL_SECONDS) -> T:
    """Ask `condition()` until it returns something true (and return that); fail after `patience(seconds)`
    saying what never happened."""
    limit = patience(seconds)
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {limit:.0f} s waiting for {what} "
                                 f"(on a busy machine raise {FACTOR_VARIABLE}, now {time_factor():g})")
        time.sleep(poll)
