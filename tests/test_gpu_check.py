"""benchmarks/gpu_check.py on a machine without CUDA: one clear line and exit status 0 (what CI runs)."""
import os
import subprocess
import sys

from tests.apptest import ROOT
from tests.waits import patience


def test_the_gpu_check_says_there_is_no_cuda_device_and_exits_0():
    environment = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}  # no device, even on a machine that has one
    finished = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py")], cwd=ROOT,
                              env=environment, capture_output=True, text=True, timeout=patience(120))
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.startswith("no CUDA device: nothing to measure")
    assert finished.stdout.count("\n") == 1
