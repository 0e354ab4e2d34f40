"""The lab reports' comparisons, reproduced with seeds: now the command `python -m rnnkit reproduce`
(rnnkit/cli/reproduce.py). This wrapper stays for old notes and passes its arguments on:

    python benchmarks/reproduce.py --comparison 004 --seeds 2 --epochs 2   # = python -m rnnkit reproduce ...
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnkit.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", *sys.argv[1:]]))
