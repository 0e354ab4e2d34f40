"""How busy this machine is beside our runs: what other programs take from the cores, read from /proc.

A run's row and the Train page say so when it matters: a lesson's runs train at low priority (nice 10 by
default, `settings.worker_nice()`), so a machine whose cores other programs keep busy trains them many
times slower. Two looks at /proc/PID/stat some time apart give each process's CPU time in between:

    other programs  = processes that used at least PROGRAM_SHARE of a core, less our own
    busy            = other programs together used at least BUSY_SHARE of all the cores

"Our own" are this process (the dashboard) and the training workers (the launcher's token in their
environment, as `rnnkit.runs.launcher` records it). Without /proc (macOS) the 1-minute load average
stands in, less the runs training. One look per `MIN_INTERVAL` at most: every session shares it.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rnnkit.runs.launcher import TOKEN_VARIABLE

PROGRAM_SHARE = 0.3  # a program that used this much of one core or more "uses the cores"
BUSY_SHARE = 0.5  # other programs together using half the cores or more slow a lesson down
MIN_INTERVAL = 1.0  # seconds: a newer look than this is answered from the last one
FIRST_LOOK_PAUSE = 0.3  # seconds between the two looks of a process's very first question
STALE_SECONDS = 30.0  # an older look says nothing about now: look twice again
MAX_ENVIRON_BYTES = 1_000_000


@dataclass(frozen=True)
class MachineLoad:
    cores: int  # CPU cores of this machine
    other_cores: float  # cores' worth of CPU that other programs used (load average less our runs without /proc)
    other_programs: int  # programs that used at least PROGRAM_SHARE of a core (0 where that cannot be told)

    @property
    def busy(self) -> bool:
        """Whether other programs keep enough of the cores to make a lesson's runs slow."""
        return self.other_cores >= BUSY_SHARE * self.cores


@dataclass(frozen=True)
class Process:
    key: tuple[int, int]  # (pid, start time): a reused pid is another process
    ticks: int  # CPU time used so far (user + system), in clock ticks


def read_processes(proc: Path = Path("/proc")) -> dict[tuple[int, int], Process]:
    """Every process's CPU time so far, from /proc/PID/stat; {} without /proc."""
    found = {}
    try:
        entries = [entry for entry in os.scandir(proc) if entry.name.isdigit()]
    except OSError:
        return {}
    for entry in entries:
        try:
            text = Path(entry.path, "stat").read_text()
            fields = text.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
            key = (int(entry.name), int(fields[19]))
            found[key] = Process(key, int(fields[11]) + int(fields[12]))
        except (OSError, IndexError, ValueError):
            continue  # gone while we looked, or not a process
    return found


def is_ours(pid: int, proc: Path = Path("/proc")) -> bool:
    """This process, or a training worker (it carries the launcher's token in its environment)."""
    if pid == os.getpid():
        return True
    try:
        with open(proc / str(pid) / "environ", "rb") as handle:
            environ = handle.read(MAX_ENVIRON_BYTES)
    except OSError:
        return False  # another user's process, or gone: not ours
    return any(entry.startswith(TOKEN_VARIABLE.encode() + b"=") for entry in environ.split(b"\0"))


def compare(before: dict, after: dict, seconds: float, cores: int, ticks_per_second: float,
            ours=is_ours) -> MachineLoad:
    """What other programs used between two looks `seconds` apart."""
    other, programs = 0.0, 0
    for key, process in after.items():
        earlier = before.get(key)
        if earlier is None or seconds <= 0:
            continue
        share = (process.ticks - earlier.ticks) / ticks_per_second / seconds  # cores' worth, 0 .. threads
        if share <= 0.02 or ours(key[0]):
            continue
        other += share
        programs += share >= PROGRAM_SHARE
    return MachineLoad(cores, round(min(other, float(cores)), 2), programs)


class _Looks:
    """The last look at /proc and the answer it gave, shared by every session of this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sample: tuple[float, dict] | None = None
        self.answer: tuple[float, MachineLoad] | None = None


_LOOKS = _Looks()


def has_proc() -> bool:
    """Whether processes can be read from /proc (Linux); else the load average stands in."""
    return Path("/proc/self/stat").exists()


def current_load(training_runs: int = 0) -> MachineLoad:
    """How busy the machine is now (see the module's docstring). `training_runs` is used only without /proc:
    the load average counts our runs too."""
    cores = os.cpu_count() or 1
    now = time.monotonic()
    with _LOOKS.lock:
        if _LOOKS.answer is not None and now - _LOOKS.answer[0] < MIN_INTERVAL:
            return _LOOKS.answer[1]
        after = read_processes()
        if not after:  # no /proc: the load average, less what our runs add to it
            try:
                load = os.getloadavg()[0]
            except OSError:
                load = 0.0
            return MachineLoad(cores, round(min(max(load - training_runs, 0.0), float(cores)), 2), 0)
        if _LOOKS.sample is None or now - _LOOKS.sample[0] > STALE_SECONDS:  # nothing recent: look twice
            _LOOKS.sample = (now, after)
            time.sleep(FIRST_LOOK_PAUSE)
            now, after = time.monotonic(), read_processes()
        started, before = _LOOKS.sample
        answer = compare(before, after, now - started, cores, float(os.sysconf("SC_CLK_TCK")))
        _LOOKS.sample, _LOOKS.answer = (now, after), (now, answer)
        return answer
