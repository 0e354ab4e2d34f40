"""How runs read on screen: scores, durations and states in the session's language, unique labels for
pickers, and the pickers' choices (groups by the names people read, runs)."""
from __future__ import annotations

from pathlib import Path

from rnnkit.analysis import reports
from rnnkit.analysis.figures import FRACTION_METRICS
from rnnkit.config.run import RunConfig
from rnnkit.runs import group_names
from rnnkit.runs.store import Run, RunError
from rnnkit.ui.i18n import _, language
from rnnkit.ui.session import store


def format_score(metric: str, value: float | None) -> str:
    """'100.0 %' for accuracy and macro-F1, '2.19' for errors and perplexity, '–' for no value."""
    if value is None:
        return "–"
    return f"{value * 100:.1f} %" if metric in FRACTION_METRICS else f"{value:.3g}"


def format_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    return _("{minutes} min {seconds} s").format(minutes=seconds // 60, seconds=f"{seconds % 60:02d}") \
        if seconds >= 60 else _("{seconds} s").format(seconds=seconds)


def state_word(state: str) -> str:
    words = {"queued": _("queued"), "running": _("running"), "completed": _("completed"), "failed": _("failed"),
             "stopped": _("stopped"), "interrupted": _("interrupted")}
    return words.get(state, state)


def ordinal(number: int) -> str:
    """'3rd' in English; the number itself where the sentence around it says the rest (Chinese: 第 3 位)."""
    if language() != "en":
        return str(number)
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def group_options() -> list[str]:
    """The groups of this session's runs, newest first."""
    seen: list[str] = []
    for run in store().runs():
        try:
            group = run.config().group
        except RunError:
            continue
        if group and group not in seen:
            seen.append(group)
    return seen


def group_labels() -> dict[str, str]:
    """group id -> the name people read ('recall · rnn/lstm/gru · 08:01', or the one its owner gave it),
    for every group of the run store, newest first (`rnnkit.runs.group_names`)."""
    run_store = store()
    return group_names.group_labels(run_store.runs(), run_store.root)


def run_choices(runs: list[Run]) -> dict[str, str]:
    """run id -> 'lstm · seed 2 · recall · rnn/lstm/gru · 08:01 · alice' for pickers: the run, then its group's
    name (a run of no group: its task and start time), then the owner in classroom mode. Labels are unique:
    Streamlit's pickers tell options apart by their label, so two equal ones get the end of their run id."""
    groups = group_names.group_labels(runs, store().root)
    choices = {}
    for run in runs:
        try:
            config: RunConfig = run.config()
        except RunError:
            continue
        stamp = run.run_id[:15]
        owner = run.owner()
        where = groups.get(config.group) or (f"{config.task.name} · "
                                             f"{stamp[:8]} {stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}")
        choices[run.run_id] = f"{reports.run_label(run, language())} · {where}" + (f" · {owner}" if owner else "")
    return unique_labels(choices)


def unique_labels(labels: dict[str, str]) -> dict[str, str]:
    """run id (or path) -> label, with the end of the id added where two labels are the same:
    Streamlit's pickers tell options apart by their label, so equal labels would pick the wrong run."""
    counts: dict[str, int] = {}
    for label in labels.values():
        counts[label] = counts.get(label, 0) + 1

    def tail(key: str) -> str:  # "…-ef97" of a run id, or of the run folder of a checkpoint path
        path = Path(key)
        return (path.parent.name if path.suffix == ".pt" else path.name)[-4:]

    return {key: f"{label} · {tail(key)}" if counts[label] > 1 else label for key, label in labels.items()}
