"""benchmarks/bench_app.py's CPU accounting (`CpuWatch`): whose CPU seconds the lesson's line reports."""
import subprocess
import sys

import pytest

from tests.apptest import ROOT
from tests.waits import patience

sys.path.insert(0, str(ROOT / "benchmarks"))
bench_app = pytest.importorskip("bench_app", reason="the benchmark drives chromium through playwright")

BUSY = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_cpu_watch_counts_each_kind_of_process_and_not_the_others():
    watch = bench_app.CpuWatch()
    watch.start()
    # a process is told apart by its command line: these two burn 0.6 CPU-seconds each, then end
    subprocess.run([sys.executable, "-c", BUSY, "streamlit"], check=True, timeout=patience(60))
    subprocess.run([sys.executable, "-c", BUSY, "unrelated"], check=True, timeout=patience(60))
    used = watch.stop()
    assert used.get("server", 0.0) >= 0.25  # sampled every 0.25 s until it ended
    assert set(used) <= {"server", "browser", "runs"}  # the unrelated one is nobody's
    assert not watch.is_alive()
