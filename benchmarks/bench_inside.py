"""The vanishing gradient, measured: train the recall quick group (RNN, LSTM, GRU; T = 150) and print,
per architecture, ||dL/dh_1|| / ||dL/dh_T|| on a batch of the test split.

    python benchmarks/bench_inside.py                 # trains the group here (about 2 minutes on 2 cores)
    python benchmarks/bench_inside.py --runs DIR      # reuse a finished recall group in DIR

Prints one `name: value` line per figure, e.g. `rnn gradient ratio: 7.0e-13`, and `probe cost`: the
seconds the per-epoch gradient probe took as a share of the epochs' seconds (goal ≤ 5 %).
"""
from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch.nn.functional as F

from rnnkit.analysis.inside import gradient_flow, reach_ratio
from rnnkit.data.presets import build_config
from rnnkit.data.tasks import get_task
from rnnkit.runs.store import RunStore
from rnnkit.training.checkpoint import load_checkpoint, model_from_checkpoint
from rnnkit.worker.execute import execute

ARCHITECTURES = ("rnn", "lstm", "gru")
PROBE = 64  # test sequences in the probe batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default=None, help="a folder with a finished recall run per architecture")
    args = parser.parse_args()
    store = RunStore(args.runs or tempfile.mkdtemp(prefix="inside-"))
    runs = {}
    for run in store.runs():
        config = run.config()
        if config.task.name == "recall" and run.status()["state"] == "completed":
            runs.setdefault(config.model.arch, run)
    for arch in ARCHITECTURES:
        if arch not in runs:
            run = store.create(build_config("recall", "quick", {"model": {"arch": arch}}, group="inside"))
            execute(run, stream=io.StringIO(), install_signals=False)
            runs[arch] = run
    for arch in ARCHITECTURES:
        run = runs[arch]
        config = run.config()
        data = get_task("recall").load(config.task, config.train.split_seed, progress=lambda text: None)
        probe = next(iter(data.test.batches(PROBE)))
        model = model_from_checkpoint(load_checkpoint(run.best_path))
        losses_of = lambda outputs, targets=probe.targets: F.cross_entropy(outputs, targets, reduction="none")  # noqa: E731
        flow = gradient_flow(model, losses_of, probe.inputs, probe.lengths)  # one loss per sequence
        accuracy = run.metrics("test")[-1]["test"]["accuracy"]
        print(f"{arch} test accuracy: {accuracy:.3f}")
        print(f"{arch} gradient ratio: {reach_ratio(flow[0]['h'], probe.lengths):.1e}")
    probe = sum(record["seconds"] for run in runs.values() for record in run.metrics("probe"))
    epochs = sum(record["epoch_seconds"] for run in runs.values() for record in run.metrics("epoch"))
    print(f"probe cost: {100 * probe / epochs:.1f} %" if epochs else "probe cost: -")
    print(f"runs: {store.root}")



if __name__ == "__main__":
    main()
