"""Regenerate the demo models shipped in checkpoints/demo/: `python -m rnnkit.worker.demos [name ...]`.

Each demo is an ordinary rnnkit run (config.json, metrics.jsonl with its curves, status.json,
best.pt with its measured test metrics), trained by rnnkit itself on the real data, then slimmed:
no last.pt or logs, weights stored in float16 (they load back into float32 models). Sizes are kept
small (vocabulary and hidden sizes below) so all demos together stay a few MB.
"""
from __future__ import annotations

import argparse
import io
import shutil
import sys
from pathlib import Path

from rnnkit.data.presets import build_config
from rnnkit.runs.store import RunStore
from rnnkit.training.checkpoint import load_checkpoint, save_checkpoint
from rnnkit.worker.execute import execute

DEMO_ROOT = Path(__file__).resolve().parents[2] / "checkpoints" / "demo"
# name -> (task, preset, overrides)
DEMOS = {
    "recall-rnn": ("recall", "quick", {"model": {"arch": "rnn", "hidden_size": 32}}),
    "recall-lstm": ("recall", "quick", {"model": {"arch": "lstm", "hidden_size": 32}}),
    "recall-gru": ("recall", "quick", {"model": {"arch": "gru", "hidden_size": 32}}),
    "adding-gru": ("adding", "quick", {"model": {"arch": "gru", "hidden_size": 32}}),
    "names-lstm": ("names", "quick", {"model": {"hidden_size": 64, "embedding_size": 32}}),
    "imdb-gru": ("imdb", "quick", {"task": {"vocab_size": 10000, "max_length": 300},
                                   "model": {"bidirectional": False, "hidden_size": 64, "embedding_size": 32}}),
    "shopping-gru": ("shopping", "quick", {"task": {"vocab_size": 8000, "word_vector_size": 32}}),
    "weather-gru": ("weather", "quick", {}),
    "poems-lstm": ("poems", "quick", {"task": {"vocab_size": 3000},
                                      "model": {"hidden_size": 192, "embedding_size": 64}}),
    "waimai-gru": ("waimai", "quick", {"task": {"vocab_size": 3000},
                                       "model": {"arch": "gru", "hidden_size": 32, "embedding_size": 32}}),
}
LESSON_GROUP = "demo-recall"  # the lesson as one group (same data, seed, settings): Inside and Compare show all three
GROUPS = {"recall-rnn": LESSON_GROUP, "recall-lstm": LESSON_GROUP, "recall-gru": LESSON_GROUP}  # others: "demo"


def make_demo(name: str, root: Path = DEMO_ROOT, data_dir: str | None = None) -> Path:
    task, preset, overrides = DEMOS[name]
    if data_dir:
        overrides = {**overrides, "task": {**overrides.get("task", {}), "data_dir": data_dir}}
    store = RunStore(root)
    target = root / name
    if target.exists():
        shutil.rmtree(target)
    run = store.create(build_config(task, preset, overrides, group=GROUPS.get(name, "demo")), run_id=name)
    state = execute(run, stream=io.StringIO(), install_signals=False)
    if state != "completed":
        raise RuntimeError(f"demo {name} did not complete: {run.status().get('error')}")
    slim(run.best_path)
    for leftover in (run.last_path, run.log_path, run.worker_path, run.stop_path):
        leftover.unlink(missing_ok=True)
    return target


def slim(path: Path) -> None:
    """Store floating-point weights as float16: half the size, and they load into float32 models."""
    payload = load_checkpoint(path)
    payload["model"] = {key: value.half() if value.is_floating_point() else value
                        for key, value in payload["model"].items()}
    payload.pop("format")
    save_checkpoint(path, payload)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnnkit.worker.demos", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"demos to rebuild (default: all): {', '.join(DEMOS)}")
    parser.add_argument("--data-dir", default=None, help="folder with the datasets (default: $RNNKIT_DATA_DIR)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in DEMOS]
    if unknown:
        parser.error(f"unknown demo {', '.join(unknown)}; valid: {', '.join(DEMOS)}")
    for name in args.names or DEMOS:
        path = make_demo(name, data_dir=args.data_dir)
        test = load_checkpoint(path / "best.pt").get("test", {})
        size = (path / "best.pt").stat().st_size / 1e6
        shown = ", ".join(f"{k} {v:.4f}" for k, v in test.items() if isinstance(v, float))
        print(f"{name}: {shown} ({size:.1f} MB)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
