"""The GPU check: on a machine with CUDA, what a lent GPU gives the class; on any other, one clear line.

On CUDA (about 5-8 minutes in all), printed one figure a line:
1. the GPU-marked tests (tests/test_gpu.py: a run trains on the device, autocast's bf16 matches fp32);
2. IMDB `quick`, one epoch, fused LSTM and GRU (cuDNN), fp32 and bf16 autocast: epoch seconds,
   samples/s, peak GPU memory;
3. the classroom lesson on the GPU (recall, quick, rnn + lstm + gru started together as the dashboard
   starts them, warm worker): click -> all three finished, each run's test accuracy;
4. three IMDB `quick` runs sharing the one GPU (one epoch each, started together): wall time beside one
   run alone.
Without a CUDA device it prints "no CUDA device: nothing to measure (...)" and exits 0 (CI runs that path).

Usage: RNNKIT_DATA_DIR=../shared/data python benchmarks/gpu_check.py [--skip-tests]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERAS_BACKEND", "torch")

import torch  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-tests", action="store_true", help="leave out the GPU-marked tests")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print(f"no CUDA device: nothing to measure (torch {torch.__version__}, "
              f"built with CUDA {torch.version.cuda or 'none'})")
        return 0
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}, "
          f"bf16 {'yes' if torch.cuda.is_bf16_supported() else 'no'}")
    status = 0
    if not args.skip_tests:
        status = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "gpu",
                                  str(ROOT / "tests" / "test_gpu.py")], cwd=ROOT)
        print(f"GPU tests: {'passed' if status == 0 else 'FAILED'}")
    for arch in ("lstm", "gru"):
        for amp in (False, True):
            seconds, samples, peak = imdb_epoch(arch, amp)
            print(f"imdb quick {arch} fused {'bf16 autocast' if amp else 'fp32'}: epoch {seconds:.1f} s, "
                  f"{samples / seconds:,.0f} samples/s, peak memory {peak / 2**20:,.0f} MiB")
    lesson_seconds, accuracies = shared_runs("recall", "quick", ["rnn", "lstm", "gru"], {})
    print(f"classroom lesson on the GPU (rnn+lstm+gru together): {lesson_seconds:.1f} s; test accuracy "
          + ", ".join(f"{arch} {accuracy:.1%}" for arch, accuracy in accuracies.items()))
    alone, _ = shared_runs("imdb", "quick", ["lstm"], {"train": {"epochs": 1}})
    together, _ = shared_runs("imdb", "quick", ["lstm", "gru", "lstm"], {"train": {"epochs": 1}})
    print(f"three imdb quick runs sharing the GPU (1 epoch each): {together:.1f} s; one alone {alone:.1f} s")
    return status


def imdb_epoch(arch: str, amp: bool) -> tuple[float, int, int]:
    """One training epoch of IMDB `quick` on the GPU in this process: seconds, samples, peak bytes."""
    from rnnkit.data.presets import build_config
    from rnnkit.data.tasks import get_task
    from rnnkit.model.heads import build_model
    from rnnkit.training.engine import Trainer

    config = build_config("imdb", "quick", {"model": {"arch": arch, "impl": "fused"},
                                            "train": {"epochs": 1, "device": "cuda", "amp": amp,
                                                      "gradient_probe": False}})
    data = get_task("imdb").load(config.task, config.train.split_seed)
    model = build_model(config.model, data.spec)
    torch.cuda.reset_peak_memory_stats()
    trainer = Trainer(model, data, config.train, [], device=torch.device("cuda"))
    torch.cuda.synchronize()
    started = time.perf_counter()
    trainer.fit()
    torch.cuda.synchronize()
    return time.perf_counter() - started, len(data.train), torch.cuda.max_memory_allocated()


def shared_runs(task: str, preset: str, architectures: list[str], overrides: dict) -> tuple[float, dict]:
    """Runs started together as the dashboard starts a group (background workers), on the GPU: wall time
    from the start to all finished, and each run's test accuracy."""
    from rnnkit.runs import groups
    from rnnkit.runs.store import RunStore

    store = RunStore(Path(tempfile.mkdtemp(prefix="gpu-check-")) / "checkpoints")
    layered = {**overrides, "train": {**overrides.get("train", {}), "device": "cuda"}}
    configs = groups.share_threads(groups.group_configs(task, preset, architectures, layered))
    started = time.perf_counter()
    runs = store.start(configs)
    while any(run.is_active() for run in runs):
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    accuracies = {}
    for run in runs:
        tests = run.metrics("test")
        name = run.config().model.arch
        accuracies[name] = tests[0]["test"].get("accuracy", float("nan")) if tests else float("nan")
        if run.status()["state"] != "completed":
            print(f"  {run.run_id}: {run.status()['state']} {run.status().get('error', '')}")
    return seconds, accuracies


if __name__ == "__main__":
    sys.exit(main())
