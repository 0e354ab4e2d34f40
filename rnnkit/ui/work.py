"""Slow work a click starts (attributions, poem writing), off the script thread, saying what it does and
how far it is.

A click starts a `Job` on the server's small pool of threads and keeps it in the session under a key,
with the inputs it was started for. The page then follows it: a status box whose bar and line say the
step and how far it is. A rerun while it works (a second click, another widget) finds the same job and
follows it again instead of starting over; a job for other inputs replaces it, and the old one stops at
its next progress report. Only the script thread translates: a job reports a stage and numbers, and the
page turns them into words.

    click ──> job(key, inputs, work) ──> pool thread: work(..., progress=job.report)
                  │                                        │ report(stage, fraction, details)
    every run ──> follow(job, words) <── stage, fraction ──┘
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import streamlit as st

from rnnkit.ui.i18n import _

WORKERS = 2  # jobs at once on the server; more wait their turn (the line says so)
POLL_SECONDS = 0.25  # how often the bar is redrawn while a job works

Words = Callable[[str, dict], str]  # (stage, details) -> what the job does, in the session's language


class Stopped(Exception):
    """Raised inside a job's work when a newer job replaced it."""


class Job:
    """A function running on the pool, with the last stage it reported."""

    def __init__(self, inputs: Any, work: Callable[..., Any], *args, **kwargs) -> None:
        self.inputs = inputs  # what it was started for: a rerun with the same inputs follows this job
        self.stage, self.fraction, self.details = "wait", 0.0, {}  # last report; "wait": not started yet
        self._stop = threading.Event()
        self.future = pool().submit(work, *args, progress=self.report, **kwargs)

    def report(self, stage: str, fraction: float, details: dict | None = None) -> None:
        """Called by the work as it goes on; raises `Stopped` once the job was replaced."""
        if self._stop.is_set():
            raise Stopped
        self.stage, self.fraction, self.details = stage, min(max(float(fraction), 0.0), 1.0), dict(details or {})

    def stop(self) -> None:
        self._stop.set()
        self.future.cancel()  # not started yet: never starts

    def done(self) -> bool:
        return self.future.done()

    def result(self) -> Any:
        return self.future.result()


@st.cache_resource
def pool() -> ThreadPoolExecutor:
    """The server's threads for slow work, one pool for every session."""
    return ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="rnnkit-work")


def job(key: str, inputs: Any, work: Callable[..., Any], *args, **kwargs) -> Job:
    """The session's job under `key` for these `inputs` (running or finished), else a new one that runs
    `work(*args, progress=..., **kwargs)`."""
    current = st.session_state.get(key)
    if isinstance(current, Job) and current.inputs == inputs:
        return current
    if isinstance(current, Job):
        current.stop()
    st.session_state[key] = Job(inputs, work, *args, **kwargs)
    return st.session_state[key]


def running(key: str) -> bool:
    """Whether the session's job under `key` is still working (e.g. to disable the button that starts it)."""
    current = st.session_state.get(key)
    return isinstance(current, Job) and not current.done()


def follow(current: Job, title: str, words: Words) -> Any:
    """Show `title`, the job's step in words and a bar until it is done; returns its result (raises its
    error). A finished job returns at once and shows nothing."""
    if not current.done():
        with st.status(title, expanded=True) as box:
            bar = st.progress(0.0)
            while not current.done():
                line = _("waiting for a free worker (others are working) ...") if current.stage == "wait" else \
                    words(current.stage, current.details)
                bar.progress(current.fraction, text=f"{line} {current.fraction:.0%}")
                time.sleep(POLL_SECONDS)
            box.update(label=title, state="complete", expanded=False)
    return current.result()
