"""metrics.jsonl reader benchmark: what one live-view refresh of one run costs.

    python benchmarks/bench_reader.py [--lines 3000] [--reads 8]

A refresh reads the run's metrics about 8 times (start, step, epoch and test records for the
curves, the table and the confusion matrix). Prints the time of `--reads` full parses of a
`--lines`-line file, the same through rnnkit's incremental reader once it has seen the file, and
their ratio.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnkit.core.jsonl import read_records as read_metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=3000, help="records in the file")
    parser.add_argument("--reads", type=int, default=8, help="reads per refresh")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "metrics.jsonl"
        with open(path, "w", encoding="utf-8") as handle:
            for step in range(args.lines):
                handle.write(json.dumps({"kind": "step", "epoch": 1 + step // 300, "step": step, "loss": 1 / (step + 1),
                                         "samples_per_second": 1234.5, "grad_norm": 1.2, "time": 1795356073.4}) + "\n")
        start = time.perf_counter()
        for _ in range(args.reads):
            full = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        parse = time.perf_counter() - start
        assert list(read_metrics(path)) == full  # the first call parses everything once
        start = time.perf_counter()
        for _ in range(args.reads):
            read_metrics(path)
        incremental = time.perf_counter() - start
    print(f"full parse, {args.reads} reads of {args.lines} lines: {parse * 1000:.1f} ms")
    print(f"incremental reader, same reads: {incremental * 1000:.2f} ms")
    print(f"full / incremental: {parse / incremental:.0f}")


if __name__ == "__main__":
    main()
