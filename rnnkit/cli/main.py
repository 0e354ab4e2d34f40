"""Command line: `python -m rnnkit train|runs|stop|resume|eval|predict|presets|...` (`--help` lists them).

This is an edge of the program: flags become configs here and nowhere else. Every flag has help;
every bad value ends with a one-line message that says what is allowed (exit status 2).

    main(argv)  ->  parse (the named command's flags; options anywhere among its inputs)
                ->  the command's family module  ->  exit status

    rnnkit/cli/parser.py     command names, one-line helps, the parser
    rnnkit/cli/flags.py      flags generated from the option declarations; flags -> run configs
    rnnkit/cli/training.py   train, resume, presets          rnnkit/cli/runs.py     runs, stop, logs, delete, queue
    rnnkit/cli/use.py        eval, predict, inside           rnnkit/cli/results.py  report, export, calibrate
    rnnkit/cli/sweeps.py     sweep, horizon                  rnnkit/cli/reproduce.py  reproduce (lab reports)
    rnnkit/cli/terminal.py   echoed text with its control characters escaped; groups as "name (id)"
    rnnkit/cli/summary.py    what `eval` prints without --json
    (exit statuses: rnnkit.runs.folder.exit_status)
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Sequence

from rnnkit.cli.parser import build_parser, command_function, parse
from rnnkit.cli.terminal import shown
from rnnkit.core.files import DiskFull
from rnnkit.runs.limits import QueueFull, queue_full_message
from rnnkit.runs.store import RunError, RunStore

if TYPE_CHECKING:  # for editors and type checkers; at run time it loads on first use (`__getattr__` below)
    from rnnkit.cli.flags import configs_from_args

__all__ = ["build_parser", "configs_from_args", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(list(sys.argv[1:] if argv is None else argv))
    store = RunStore(args.checkpoints_dir)
    try:
        return command_function(args.command)(args, store)
    except QueueFull as error:  # the queue said no: why, and what to do
        print(f"error: {shown(queue_full_message(error))}", file=sys.stderr)
        return 2
    except (ValueError, RunError, DiskFull) as error:  # user errors (and a full disk): one line, no traceback
        print(f"error: {shown(error)}", file=sys.stderr)  # an echoed input's control characters escaped
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `... | head`: the reader has gone
        return 0
