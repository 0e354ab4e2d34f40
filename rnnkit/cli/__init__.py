"""Command line: `python -m rnnkit ...` (or the `rnnkit` console command) parses, calls the layers below and
prints. `main` is the entry point; rnnkit/cli/main.py lists the files, one per command family."""
from rnnkit.cli.main import main

__all__ = ["main"]
