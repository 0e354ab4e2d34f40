"""The parser of `python -m rnnkit COMMAND ...`: every command's name and one-line help, and its flags on demand.

    build_parser()            every command with all its flags (tests, documentation)
    build_parser({"runs"})    every command's name and help, but only `runs`'s flags: what `main` builds
    parse(argv)               what `main` parses: the named command's options anywhere among its inputs

A command's flags and code live in its family module (training, runs, use, results, sweeps), which is
imported only when that command is built, so `--help` and `runs` do not load the tasks or torch.
"""
from __future__ import annotations

import argparse
import importlib
from types import ModuleType
from typing import Callable, Collection

from rnnkit.cli.help_text import HelpFormatter
from rnnkit.cli.terminal import shown

# name -> (the family module in rnnkit.cli that adds its flags and runs it, its one-line help), in --help order
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("training", "train one run per architecture"),
    "runs": ("runs", "list runs and their state"),
    "stop": ("runs", "ask a running run to stop after its current batch"),
    "logs": ("runs", "a run's output (train.log, or the Ray job's log on a cluster)"),
    "resume": ("training", "continue a stopped or interrupted run from last.pt"),
    "eval": ("use", "evaluate a run's checkpoint on a split"),
    "predict": ("use", "run a trained model on your own input"),
    "calibrate": ("results", "fit a finished classifier's temperature and balanced decision on its validation "
                             "split (done after every training run; this is for runs and demos trained before)"),
    "inside": ("use", "look inside a trained model on one input (as the Inside page)"),
    "delete": ("runs", "delete runs' folders (not while they train)"),
    "sweep": ("sweeps", "train a grid of settings as one group, ranked on validation"),
    "horizon": ("sweeps", "the memory-horizon experiment: recall accuracy against T"),
    "export": ("results", "write a run's or a group's results for other tools"),
    "report": ("results", "a comparison as one HTML file (figures and tables, offline)"),
    "queue": ("runs", "show the waiting groups and start those that may start"),
    "presets": ("training", "list the presets of each task"),
    "lab": ("labs", "guided labs: list them, check a lab file, run a lab's steps, write the student's report"),
    "reproduce": ("reproduce", "the lab reports' comparisons again, with seeds: the report's number beside "
                               "mean ± std"),
}


def build_parser(only: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The command-line parser: every command, with the flags of those in `only` (all of them when None)."""
    return _build(only)[0]


def parse(argv: list[str]) -> argparse.Namespace:
    """The command line as `main` reads it. The named command's parser reads its words intermixed, so an option may
    come before, between or after the inputs (`predict RUN --decision balanced Dostoevsky`); anything else (no
    command, a flag before it, `--help`) goes through the whole parser, which prints the usage."""
    command = named_command(argv)
    parser, commands = _build([command] if command else [])
    if command is None or argv[0] != command:
        return parser.parse_args(argv)
    args = commands[command].parse_intermixed_args(argv[1:])
    args.command = command
    return args


class Parser(argparse.ArgumentParser):
    """argparse's parser, except that its error line escapes control characters ("unrecognized arguments: ..."
    echoes the words as typed)."""

    def error(self, message: str):
        super().error(shown(message))


def _build(only: Collection[str] | None) -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = Parser(prog="python -m rnnkit", formatter_class=HelpFormatter,
                                     description="Train, watch and compare recurrent networks.")
    common = Parser(add_help=False)  # every command takes these
    common.add_argument("--checkpoints-dir", default=None,
                        help="folder of run folders "
                             "(default: $RNNKIT_CHECKPOINTS_DIR, else the project's checkpoints/)")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = {}
    for name, (_family, help_text) in COMMANDS.items():
        command = subparsers.add_parser(name, parents=[common], help=help_text, formatter_class=HelpFormatter)
        if only is None or name in only:
            add_arguments, _run = _family_module(name).COMMANDS[name]
            add_arguments(command)
        commands[name] = command
    return parser, commands


def command_function(name: str) -> Callable:
    """The function that runs command `name`: (args, store) -> exit status."""
    _add_arguments, run = _family_module(name).COMMANDS[name]
    return run


def named_command(argv: list[str]) -> str | None:
    """The command on a command line (its first word that is not a flag), if it is one of ours."""
    word = next((word for word in argv if not word.startswith("-")), None)
    return word if word in COMMANDS else None


def _family_module(name: str) -> ModuleType:
    return importlib.import_module(f"rnnkit.cli.{COMMANDS[name][0]}")
