"""Speed of the modern recurrent family on this machine: training samples per second (forward + backward of
one backbone layer on a batch) for minGRU's and minLSTM's parallel scan against their own step form, the
GRU's scratch step form, torch's fused GRU and the Transformer, at T = 50, 150 and 500.

Batch 64, input 64, hidden 128, one layer, float32, sequences of full length (every form reads the same
padded batch; the scan and the fused GRU do no per-step Python work). Each variant runs once to warm up,
then the median of --repeats timed batches is kept; the variants take turns within a repeat, so a slow
moment of the machine hits all of them.

Usage: python benchmarks/bench_family.py [--repeats 5] [--threads 1] [--lengths 50,150,500]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnkit.config.run import ModelConfig
from rnnkit.model.backbones import build_backbone

BATCH, INPUT, HIDDEN = 64, 64, 128
VARIANTS = {  # label -> (arch, impl, parallel form)
    "minGRU parallel scan": ("mingru", "scratch", True),
    "minGRU step form": ("mingru", "scratch", False),
    "minLSTM parallel scan": ("minlstm", "scratch", True),
    "GRU scratch step form": ("gru", "scratch", False),
    "GRU torch fused": ("gru", "fused", False),
    "Transformer (1 block)": ("transformer", "scratch", False),
}


def backbone(arch: str, impl: str, parallel: bool, steps: int) -> torch.nn.Module:
    module = build_backbone(ModelConfig(arch=arch, impl=impl, hidden_size=HIDDEN), INPUT, steps)
    for directions in getattr(module, "layers", []):
        for layer in directions:
            layer.parallel = parallel
    return module


def one_batch(module: torch.nn.Module, inputs: torch.Tensor, lengths: torch.Tensor) -> float:
    started = time.perf_counter()
    outputs, last = module(inputs, lengths)
    (outputs.square().mean() + last.square().mean()).backward()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="timed batches per variant and length")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--lengths", default="50,150,500", help="comma-separated sequence lengths T")
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    torch.manual_seed(0)
    print(f"batch {BATCH}, input {INPUT}, hidden {HIDDEN}, 1 layer, {arguments.threads} thread(s), "
          f"median of {arguments.repeats}; training samples/s (forward + backward)")
    for steps in (int(length) for length in arguments.lengths.split(",")):
        inputs, lengths = torch.randn(BATCH, steps, INPUT), torch.full((BATCH,), steps)
        modules = {label: backbone(*variant, steps) for label, variant in VARIANTS.items()}
        times: dict[str, list[float]] = {label: [] for label in modules}
        for module in modules.values():
            one_batch(module, inputs, lengths)  # warm-up
        for _ in range(arguments.repeats):
            for label, module in modules.items():
                times[label].append(one_batch(module, inputs, lengths))
        print(f"T = {steps}")
        reference = BATCH / statistics.median(times["GRU torch fused"])
        for label, values in times.items():
            rate = BATCH / statistics.median(values)
            print(f"  {label:24s} {rate:9.0f} samples/s   {rate / reference:5.2f}x the fused GRU")


if __name__ == "__main__":
    main()
