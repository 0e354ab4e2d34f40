"""Quality benchmark: train a task's preset on the real data and score the untouched test split.

Prints one `task metric: value` line per figure, e.g.

    python benchmarks/quality.py --task names             # best preset, a few minutes on 2 cores
    python benchmarks/quality.py --task imdb --preset quick   # the "88 % within 5 minutes" check
    python benchmarks/quality.py --task all
    python benchmarks/quality.py --task names --preset quick --arch lstm,gru,mingru,transformer   # one run each

Every registered task with real data is benchmarked (a new task appears here by itself): its job's
headline metrics on the test split, beside the task's baselines. Goals (issue #3): imdb ≥ 0.89
accuracy (≥ 0.88 within 5 minutes), shopping ≥ 0.90 macro-F1, names ≥ 0.85 accuracy, weather MAE
≥ 15 % below repeat-last-2-days, poems ≥ 95 % of 100 samples well formed. The wall time includes
loading (and, on a cold cache, preprocessing) the data.
"""
from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnkit.analysis.inference import Predictor
from rnnkit.data.presets import build_config
from rnnkit.data.tasks import get_task, task_names
from rnnkit.data.tasks.poems import check_poem
from rnnkit.model.cells import CELLS
from rnnkit.model.jobs import get_job
from rnnkit.runs.store import RunStore
from rnnkit.worker.execute import execute

TASKS = tuple(name for name in task_names() if get_task(name).sources)  # every task with real data
POEM_SAMPLES = 100


def report(task: str, name: str, value) -> None:
    text = f"{value:.4f}" if isinstance(value, float) else str(value)
    print(f"{task} {name}: {text}", flush=True)


def benchmark(task: str, preset: str, checkpoints: Path, seed: int, arch: str | None = None,
              match: str = "none") -> None:
    """Train `preset` of `task` (with `arch` in place of the preset's architecture, the rest kept; `match`: the
    parameter budget of that architecture, `model.match_parameters`) and report."""
    model = {**({"arch": arch} if arch else {}), **({"match_parameters": match} if match != "none" else {})}
    config = build_config(task, preset, {"train": {"seed": seed}, **({"model": model} if model else {})})
    run = RunStore(checkpoints).create(config)
    started = time.perf_counter()
    log = io.StringIO()
    state = execute(run, stream=log, install_signals=False)
    seconds = time.perf_counter() - started
    if state != "completed":
        report(task, "failed", run.status().get("error", state))
        return
    test = run.metrics("test")[0]
    epochs = run.metrics("epoch")
    label = " ".join([task] + ([] if preset == "best" else [preset]) + ([config.model.arch] if arch else []))
    report(label, "run", run.run_id)
    report(label, "epochs trained", len(epochs))
    report(label, "best epoch", test["epoch"])
    report(label, "wall seconds", f"{seconds:.1f}")
    report(label, "parameters", run.status().get("parameters"))
    metrics = test["test"]
    job = get_job(get_task(task).job)
    if job.name != "language_model":
        for name in job.headline:
            report(label, name, metrics[name])
        for name, baseline in test["baselines"].items():
            for metric in job.headline:
                report(label, f"baseline {name} {metric}", baseline[metric])
        repeat = test["baselines"].get("repeat last 2 days")
        if repeat:
            report(label, "mae below repeat-last-2-days", f"{100 * (1 - metrics['mae'] / repeat['mae']):.1f}%")
    elif task == "poems":
        best_validation = next(r for r in epochs if r["epoch"] == test["epoch"])["validation"]["perplexity"]
        report(label, "validation perplexity", best_validation)
        report(label, "test perplexity", metrics["perplexity"])
        predictor = Predictor.from_run(run)
        generator = torch.Generator().manual_seed(seed)
        samples = [predictor.generate(generator=generator) for _ in range(POEM_SAMPLES)]
        well_formed = sum(check_poem(sample, 5)[0] for sample in samples)
        report(label, f"well formed of {POEM_SAMPLES} samples", f"{well_formed}%")
        report(label, "sample", samples[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=(*TASKS, "all"), default="names", help="task to benchmark")
    parser.add_argument("--preset", default="best", help="preset to train (default: best)")
    parser.add_argument("--seed", type=int, default=0, help="seed for split, weights and sampling")
    parser.add_argument("--arch", default=None,
                        help="architectures in place of the preset's, comma-separated: one run each, in turn")
    parser.add_argument("--match-parameters", default="none",
                        help="give each architecture the core parameters of this one (model.match_parameters)")
    parser.add_argument("--checkpoints-dir", default=None, help="keep the runs here (default: a temp folder)")
    args = parser.parse_args()
    checkpoints = Path(args.checkpoints_dir or tempfile.mkdtemp(prefix="quality-"))
    print(f"threads: {torch.get_num_threads()}; runs in {checkpoints}", flush=True)
    architectures = [name.strip() for name in args.arch.split(",")] if args.arch else [None]
    unknown = [name for name in [*architectures, args.match_parameters] if name not in (None, "none", *CELLS)]
    if unknown:
        parser.error(f"unknown architecture(s) {', '.join(unknown)}; choose from {', '.join(CELLS)}")
    for task in TASKS if args.task == "all" else (args.task,):
        for arch in architectures:
            benchmark(task, args.preset, checkpoints, args.seed, arch, args.match_parameters)


if __name__ == "__main__":
    main()
