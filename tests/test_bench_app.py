"""benchmarks/bench_app.py's CPU accounting (`CpuWatch`): whose CPU seconds the lesson's line reports."""
import importlib.util
import subprocess
import sys

import pytest

from tests.apptest import ROOT
from tests.waits import patience, wait_until

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

# burns 0.6 CPU-seconds, prints its own count of them, then waits to be ended: read at leisure
BUSY = ("import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass\n"
        "print(time.process_time(), flush=True)\ntime.sleep(600)")


def _bench_app():
    spec = importlib.util.spec_from_file_location("bench_app", ROOT / "benchmarks" / "bench_app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cpu_watch_counts_each_kind_of_process_by_its_command_line_and_nobody_else():
    watch = _bench_app().CpuWatch()
    watch.start()
    server = subprocess.Popen([sys.executable, "-c", BUSY, "streamlit"], stdout=subprocess.PIPE, text=True)
    stranger = subprocess.Popen([sys.executable, "-c", BUSY, "unrelated"], stdout=subprocess.PIPE, text=True)
    try:
        own_count = [float(process.stdout.readline()) for process in (server, stranger)][0]
        sample = watch._sample()
        tick = 1 / watch.ticks
        assert sample[server.pid][0] == "server"
        assert abs(sample[server.pid][1] - own_count) <= 2 * tick  # /proc agrees with the process's own count
        assert stranger.pid not in sample  # a program of nobody's kind is not counted at all
        wait_until(lambda: server.pid in watch.last, patience(30), "the watch's next look")
        used = watch.stop()
        assert used["server"] >= own_count - 2 * tick and not watch.is_alive()  # other servers may add theirs
    finally:
        for process in (server, stranger):
            process.kill()
            process.wait()
