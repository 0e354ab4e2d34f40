"""A real one-node Ray cluster for the cluster tests and benchmarks/bench_cluster.py: `ray start --head`
on 127.0.0.1 with free ports and a short temporary folder, `ray stop` at the end."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

from tests.browser import free_port
from tests.waits import patience


def ray_command() -> str:
    """The `ray` script of this interpreter's environment (the one pip installed beside python)."""
    found = shutil.which("ray", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    if not found:
        raise RuntimeError("the `ray` command is missing: pip install -r requirements-cluster.txt")
    return found


@contextlib.contextmanager
def local_cluster(cpus: int = 2, gpus: int = 1):
    """Yields the Jobs API address (the head's dashboard, http://127.0.0.1:PORT). `gpus` are declared, not
    required: Ray schedules fractional GPU requests on them; the runs still train on the CPU."""
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths must stay under 108 bytes
    dashboard = free_port()
    environment = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    command = [ray_command(), "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(free_port()),
               "--dashboard-host", "127.0.0.1", "--dashboard-port", str(dashboard), "--num-cpus", str(cpus),
               "--num-gpus", str(gpus), "--temp-dir", temp, "--disable-usage-stats"]
    subprocess.run(command, check=True, env=environment, capture_output=True, timeout=patience(180))
    address = f"http://127.0.0.1:{dashboard}"
    try:
        wait_for_jobs_api(address)
        yield address
    finally:
        subprocess.run([ray_command(), "stop", "--force"], env=environment, capture_output=True, timeout=patience(120))
        shutil.rmtree(temp, ignore_errors=True)


def wait_for_jobs_api(address: str, seconds: float = 120.0) -> None:
    """Until the Jobs API answers; `seconds` is for an idle machine (scaled by RNNKIT_TEST_TIME_FACTOR)."""
    from ray.job_submission import JobSubmissionClient

    deadline = time.monotonic() + patience(seconds)
    while True:
        try:
            JobSubmissionClient(address).list_jobs()
            return
        except Exception:  # the dashboard comes up a few seconds after `ray start`
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
