"""The command line that reproduces a run: `python -m rnnkit train ...` with every setting that
differs from the plain defaults (no preset), so it reads the same on any machine and any version of
the presets. Compare shows it per run, with a copy button."""
from __future__ import annotations

import dataclasses
import shlex

from rnnkit.config.options import declared, flag_of
from rnnkit.config.run import RunConfig
from rnnkit.data.tasks import resolve

SKIPPED = {"num_threads"}  # how many cores a run used says nothing about what it learns


def _arguments(instance, skip: set[str] = frozenset()) -> list[str]:
    arguments = []
    for item, declaration in declared(instance):
        if item.name in skip or item.name in SKIPPED or not declaration.command_line:
            continue
        value = getattr(instance, item.name)
        default = item.default if item.default is not dataclasses.MISSING else None
        if value == default or value is None:
            continue
        if isinstance(value, bool):
            arguments.append(flag_of(item.name) if value else "--no-" + flag_of(item.name)[2:])
        else:
            arguments += [flag_of(item.name), str(value)]
    return arguments


def reproduce_command(config: RunConfig) -> str:
    """`python -m rnnkit train --task ... --arch ... --preset none ...` that trains this run again."""
    config = resolve(config)  # an unknown task or option fails here, not in the user's terminal
    arguments = ["python", "-m", "rnnkit", "train", "--task", config.task.name, "--arch", config.model.arch,
                 "--preset", "none"]
    if config.task.data_dir:
        arguments += ["--data-dir", config.task.data_dir]
    arguments += _arguments(config.task.options)
    arguments += _arguments(config.model, skip={"arch"})
    arguments += _arguments(config.train)
    return shlex.join(arguments)
