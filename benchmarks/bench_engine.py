"""Engine speed, measured side by side in one process on this machine.

1. engine overhead: one full rnnkit epoch (training, validation, metrics lines, checkpoints, stop
   checks) against a bare hand-written torch loop doing the same work on the same model and batches.
   Goal ≤ 1.05x.
2. scratch vs fused: forward + backward of one recurrent layer, batch 64, 200 steps, input 128,
   hidden 128 and 256, LSTM and GRU. Goal ≤ 1.2x. With --compile also the scratch layer under
   torch.compile (what `--compile` trains with), and how long its first call compiles.
3. packing (--part packing): torch's packed path against the fused backbone's CPU path (the padded
   batch through the same kernel, masked) on variable lengths: batch 64, 300 steps, lengths 150-300,
   input 128; IMDB's report LSTM 256 and a BiGRU 128.

Timings alternate between the two sides and the median of the repeats is kept, so a slow moment
of the machine hits both.
Usage: python benchmarks/bench_engine.py [--repeats 5] [--part all|overhead|cells|packing] [--compile]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnkit.config.run import ModelConfig, RunConfig, TaskConfig, TrainConfig
from rnnkit.data.tasks import get_task
from rnnkit.model.backbones import FusedBackbone, ScratchBackbone
from rnnkit.model.heads import build_model
from rnnkit.runs.store import RunStore
from rnnkit.training.engine import Trainer
from rnnkit.worker.callbacks import Checkpointer, EarlyStopping, MetricsWriter, StopCheck


def alternate(first, second, repeats: int) -> tuple[float, float]:
    """Median seconds of each callable, run in turns after one warm-up each."""
    first(), second()
    times_first, times_second = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        first()
        times_first.append(time.perf_counter() - started)
        started = time.perf_counter()
        second()
        times_second.append(time.perf_counter() - started)
    return statistics.median(times_first), statistics.median(times_second)


def engine_overhead(repeats: int) -> float:
    task = TaskConfig(name="recall", options={"sequence_length": 100, "num_samples": 4000})
    train = TrainConfig(epochs=1000, batch_size=64, learning_rate=1e-3, gradient_probe=False)  # as before
    data = get_task("recall").load(task, 0, progress=lambda text: None)
    torch.manual_seed(0)
    model = build_model(ModelConfig(arch="lstm", hidden_size=64), data.spec)
    config = RunConfig(task=task, model=model.config, train=train)
    folder = tempfile.mkdtemp()
    run = RunStore(folder).create(config)
    callbacks = [MetricsWriter(run), Checkpointer(run, config, data.artifacts), StopCheck(run), EarlyStopping(0)]
    trainer = Trainer(model, data, train, callbacks)
    epoch = iter(range(1, 10_000))

    def rnnkit_epoch():
        trainer._run_epoch(next(epoch))

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def bare_epoch():  # what a person would write by hand for the same epoch
        model.train()
        generator = torch.Generator().manual_seed(next(epoch))
        for batch in data.train.batches(64, shuffle=True, generator=generator):
            loss = F.cross_entropy(model(batch.inputs, batch.lengths), batch.targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for batch in data.validation.batches(128):
                correct += int((model(batch.inputs, batch.lengths).argmax(1) == batch.targets).sum())
        model.train()

    rnnkit_seconds, bare_seconds = alternate(rnnkit_epoch, bare_epoch, repeats)
    print(f"epoch seconds rnnkit: {rnnkit_seconds:.3f}")
    print(f"epoch seconds bare loop: {bare_seconds:.3f}")
    return rnnkit_seconds / bare_seconds


def scratch_vs_fused(arch: str, hidden: int, repeats: int, compiled: bool = False) -> float:
    config = ModelConfig(arch=arch, hidden_size=hidden)
    torch.manual_seed(0)
    fused = FusedBackbone(config, 128, 200)
    scratch = ScratchBackbone(ModelConfig(arch=arch, impl="scratch", hidden_size=hidden), 128, 200)
    if compiled:
        scratch = torch.compile(scratch, dynamic=False)
    inputs = torch.randn(64, 200, 128)
    lengths = torch.full((64,), 200)

    def forward_backward(backbone):
        def run():
            outputs, last = backbone(inputs, lengths)
            (outputs.sum() + last.sum()).backward()
        return run

    name = "compiled scratch" if compiled else "scratch"
    if compiled:
        started = time.perf_counter()
        forward_backward(scratch)()
        print(f"{arch} hidden {hidden} compile seconds: {time.perf_counter() - started:.1f}")
    scratch_seconds, fused_seconds = alternate(forward_backward(scratch), forward_backward(fused), repeats)
    print(f"{arch} hidden {hidden} fused ms: {fused_seconds * 1000:.1f}")
    print(f"{arch} hidden {hidden} {name} ms: {scratch_seconds * 1000:.1f}")
    return scratch_seconds / fused_seconds


def packed_vs_unpacked(arch: str, hidden: int, bidirectional: bool, repeats: int) -> float:
    torch.manual_seed(0)
    backbone = FusedBackbone(ModelConfig(arch=arch, hidden_size=hidden, bidirectional=bidirectional), 128, 300)
    inputs = torch.randn(64, 300, 128)
    lengths = torch.randint(150, 301, (64,), generator=torch.Generator().manual_seed(0))

    def forward_backward(path):
        def run():
            outputs, last = path(inputs, lengths)
            (outputs.sum() + last.sum()).backward()
        return run

    packed_seconds, unpacked_seconds = alternate(forward_backward(backbone.packed),
                                                 forward_backward(backbone.unpacked), repeats)
    name = f"{'bi' if bidirectional else ''}{arch} hidden {hidden}"
    print(f"{name} packed ms: {packed_seconds * 1000:.1f}")
    print(f"{name} unpacked ms: {unpacked_seconds * 1000:.1f}")
    return packed_seconds / unpacked_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per side (median kept)")
    parser.add_argument("--compile", action="store_true", help="also time the scratch layers under torch.compile")
    parser.add_argument("--part", choices=("all", "overhead", "cells", "packing"), default="all",
                        help="which figures to measure")
    args = parser.parse_args()
    print(f"threads: {torch.get_num_threads()}")
    if args.part == "packing":
        for arch, hidden, bidirectional in (("lstm", 256, False), ("gru", 128, True)):
            ratio = packed_vs_unpacked(arch, hidden, bidirectional, args.repeats)
            print(f"packed/unpacked {'bi' if bidirectional else ''}{arch} hidden {hidden}: {ratio:.2f}")
        return
    if args.part in ("all", "overhead"):
        print(f"engine overhead (rnnkit epoch / bare loop): {engine_overhead(args.repeats):.3f}")
    if args.part == "overhead":
        return
    for arch in ("lstm", "gru"):
        for hidden in (128, 256):
            print(f"scratch/fused {arch} hidden {hidden}: {scratch_vs_fused(arch, hidden, args.repeats):.3f}")
            if args.compile:
                ratio = scratch_vs_fused(arch, hidden, args.repeats, compiled=True)
                print(f"compiled scratch/fused {arch} hidden {hidden}: {ratio:.3f}")


if __name__ == "__main__":
    main()
