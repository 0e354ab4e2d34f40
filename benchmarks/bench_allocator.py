"""The classroom lesson's runs with glibc's adaptive malloc thresholds and with rnnkit's (`rnnkit.worker.allocator`).

Each run trains 2 epochs of the lesson's settings (recall, quick preset, one thread) in a fresh process, the
two ways taken in turns; printed per architecture: CPU seconds (user + kernel), the kernel's share, page
faults, the process's peak memory (resident), and the ratio of CPU seconds. Linux with glibc only.

    python benchmarks/bench_allocator.py [--repeats 3] [--arch rnn,lstm,gru]
"""
from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child(arch: str, tuned: bool) -> None:
    """One run of 2 epochs in this process; prints its resource use as JSON."""
    if tuned:
        from rnnkit.worker.allocator import keep_step_memory
        if not keep_step_memory():
            raise SystemExit("this C library has no glibc malloc settings")
    import torch

    from rnnkit.data.presets import build_config
    from rnnkit.runs.store import RunStore
    from rnnkit.worker.execute import execute

    torch.set_num_threads(1)
    config = build_config("recall", "quick", {"model": {"arch": arch},
                                              "train": {"epochs": 2, "stop_at_score": None, "num_threads": 1}})
    with tempfile.TemporaryDirectory(prefix="bench-allocator-") as folder:
        run = RunStore(folder).create(config)
        before = resource.getrusage(resource.RUSAGE_SELF)
        state = execute(run, stream=io.StringIO(), install_signals=False)
        after = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"state": state, "user": after.ru_utime - before.ru_utime,
                      "system": after.ru_stime - before.ru_stime, "faults": after.ru_minflt - before.ru_minflt,
                      "peak_mb": after.ru_maxrss / 1024}))


def measure(arch: str, tuned: bool) -> dict:
    finished = subprocess.run([sys.executable, __file__, "--child", arch, "--tuned" if tuned else "--adaptive"],
                              capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(finished.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--arch", default="rnn,lstm,gru")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--tuned", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--adaptive", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.tuned)
        return
    for arch in args.arch.split(","):
        results: dict[str, list[dict]] = {"adaptive": [], "rnnkit": []}
        for _ in range(args.repeats):
            results["adaptive"].append(measure(arch, tuned=False))
            results["rnnkit"].append(measure(arch, tuned=True))
        cpu = {}
        for way, found in results.items():
            cpu[way] = statistics.median(result["user"] + result["system"] for result in found)
            system = statistics.median(result["system"] for result in found)
            faults = statistics.median(result["faults"] for result in found)
            peak = statistics.median(result["peak_mb"] for result in found)
            print(f"{arch} {way:>8}: CPU {cpu[way]:.2f} s (kernel {system:.2f} s), {faults:,.0f} page faults, "
                  f"peak memory {peak:.0f} MB (median of {args.repeats}, 2 epochs)")
        print(f"{arch}: rnnkit's thresholds use {cpu['rnnkit'] / cpu['adaptive']:.2f}x the CPU seconds")


if __name__ == "__main__":
    main()
