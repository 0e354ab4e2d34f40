"""Flags from the option declarations, and flags back into run configs: the CLI's edge of the config layer.

    declared options (TaskConfig, each task's Options, ModelConfig, TrainConfig)
        -> generated flags (--hidden-size, --lr, --sequence-length, ...)       `add_config_flags`
        -> the flags a user gave, as overrides {"task": {...}, "model": {...}}  `overrides_from_args`
        -> one RunConfig per architecture and seed (`rnnkit.runs.groups`)      `configs_from_args`

A task's own option is one flag shared by the tasks that declare it; given for a task that lacks it,
it is an error that lists the task's options. The counts beside a run's config (--seeds, --trials, --samples,
--examples, --top-k, --temperature, ...) come from `rnnkit.config.counts` the same way (`add_count_flag`), and
`counts_from_args` checks them against the bounds the dashboard and shared links use too.
"""
from __future__ import annotations

import argparse
import os
from typing import Any

from rnnkit.config.counts import Counts, check_counts
from rnnkit.config.options import declared, flag_of, kind_of
from rnnkit.config.run import ModelConfig, TaskConfig, TrainConfig
from rnnkit.data.presets import preset_names
from rnnkit.data.sources import check_named_folder
from rnnkit.data.tasks import get_task, task_names
from rnnkit.model.catalog import choices_of
from rnnkit.model.cells import cell_names
from rnnkit.runs.groups import group_configs, share_threads

_TASK_OPTION, _TASK_ALIAS = "task_option.", "task_alias."  # argparse dests of the generated task flags


def add_config_flags(train: argparse.ArgumentParser) -> None:
    """Flags generated from the option declarations: every task's options, the model's, the training's."""
    data = train.add_argument_group("data (the task's own options; each says which tasks take it)")
    for item, declaration in declared(TaskConfig):
        _add_option(data, item, declaration, f"task.{item.name}", [flag_of(item.name)], declaration.help)
    owners: dict[str, list[str]] = {}
    helps: dict[str, dict[str, list[str]]] = {}  # option -> help text -> tasks that declare it so
    first: dict[str, tuple] = {}
    for name in task_names():
        for item, declaration in declared(get_task(name).Options):
            helps.setdefault(item.name, {}).setdefault(declaration.help, []).append(name)
            first.setdefault(item.name, (item, declaration))
            for alias in declaration.flags:
                owners.setdefault(alias, []).append(name)
    for option_name, (item, declaration) in first.items():
        text = "; ".join(f"{', '.join(tasks)}: {help_text}" for help_text, tasks in helps[option_name].items())
        _add_option(data, item, declaration, _TASK_OPTION + option_name, [flag_of(option_name)], text)
    aliases = {alias for item_decl in first.values() for alias in item_decl[1].flags}
    for alias in sorted(aliases):
        data.add_argument(alias, dest=_TASK_ALIAS + alias, default=None, metavar="VALUE",
                          help=f"{', '.join(owners[alias])}: the same as that task's own flag (kept for old scripts)")
    for section, part in (("model", ModelConfig), ("training", TrainConfig)):
        group = train.add_argument_group(section)
        for item, declaration in declared(part):
            if declaration.command_line:
                dest = f"{'model' if section == 'model' else 'train'}.{item.name}"
                _add_option(group, item, declaration, dest, [flag_of(item.name), *declaration.flags], declaration.help)


def _add_option(group, item, declaration, dest: str, flags: list[str], help_text: str, default: Any = None) -> None:
    """One generated flag: a switch pair for booleans, a typed value otherwise; default None = not given."""
    kind = kind_of(item)
    choices = choices_of(declaration)  # a catalog's names too (match parameters of: none + every architecture)
    if choices:
        help_text += f" ({' | '.join(map(str, choices))})"
    elif kind in (int, float) and declaration.range_text(kind) not in help_text:  # e.g. "; > 0 and ≤ 4096"
        help_text += f"; {declaration.range_text(kind)}"
    help_text = help_text.replace("%", "%%")  # argparse formats help with %: "within 2 %" must stay text
    if kind is bool:
        group.add_argument(*flags, dest=dest, action=argparse.BooleanOptionalAction, default=default, help=help_text)
    else:
        group.add_argument(*flags, dest=dest, type=kind, default=default, help=help_text,
                           metavar=flags[0].lstrip("-").replace("-", "_").upper())


COUNT_FLAGS = {"sampling_seed": "--seed"}  # a count whose flag is not its name's (predict's --seed)


def add_count_flag(group, name: str, help_text: str | None = None, default: Any = None) -> None:
    """A flag for count `name` of `rnnkit.config.counts` (dest `name`), typed and with its range in the help as
    declared there; `help_text` replaces the declared help where a command says more, `default` the declared
    default."""
    item, declaration = next((item, declaration) for item, declaration in declared(Counts) if item.name == name)
    text = help_text or declaration.help
    if declaration.choices is None and declaration.range_text(kind_of(item)) not in text:
        text += f"; {declaration.range_text(kind_of(item))}"
    _add_option(group, item, declaration, name, [COUNT_FLAGS.get(name, flag_of(name))], text,
                default=item.default if default is None else default)


def counts_from_args(args: argparse.Namespace, **extra: Any) -> Counts:
    """The counts among `args` (and `extra`, e.g. runs=...), checked against their declared bounds; an error
    names the flag: "--seeds must be in [1, 10], got 100000"."""
    names = {item.name for item, _declaration in declared(Counts)}
    values = {name: value for name, value in vars(args).items() if name in names and value is not None}
    try:
        return check_counts(**values, **extra)
    except ValueError as error:
        text = str(error)
        for name in values:
            if text.startswith(f"{name} must be "):
                raise ValueError(COUNT_FLAGS.get(name, flag_of(name)) + text[len(name):]) from None
            if text.startswith(f"unknown {name.replace('_', ' ')} "):
                raise ValueError(f"{COUNT_FLAGS.get(name, flag_of(name))} must be one of "
                                 + text.split("valid: ", 1)[1] + f", got {values[name]!r}") from None
        raise


def configs_from_args(args: argparse.Namespace) -> list:
    """The run configs of `train`'s flags: one per architecture and seed, one group when there are several
    (with --detach they train at once, so they share the cores)."""
    preset = chosen_preset(args)
    architectures = parse_architectures(args.arch) if args.arch is not None else None
    counts_from_args(args)  # --seeds within its bounds (the group's size is checked by group_configs)
    overrides = overrides_from_args(args)
    configs = group_configs(args.task, preset, architectures, overrides, seeds=args.seeds, group=args.group or None)
    return share_threads(configs) if args.detach and len(configs) > 1 else configs


def chosen_preset(args: argparse.Namespace) -> str | None:
    """--preset, else quick where the task has it; 'none' = plain defaults. Without --arch, the preset's
    own architecture trains (e.g. shopping's best preset is a BiGRU)."""
    available = preset_names(args.task)
    preset = args.preset if args.preset is not None else ("quick" if "quick" in available else None)
    return None if preset == "none" else preset


def parse_architectures(text: str) -> list[str]:
    """'lstm,gru' -> ['lstm', 'gru']; an unknown or repeated name is an error that lists the valid ones."""
    valid = cell_names()
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in valid]
    if unknown or not names:
        raise ValueError(f"unknown architecture {', '.join(unknown) or repr(text)}; valid: {', '.join(valid)}")
    if len(set(names)) != len(names):
        raise ValueError(f"architecture listed twice in {text!r}")
    return names


def overrides_from_args(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The flags the user gave, as config overrides; a task option the chosen task lacks is an error."""
    overrides: dict[str, dict[str, Any]] = {"task": {}, "model": {}, "train": {}}
    task = get_task(args.task)
    own = {item.name: declaration for item, declaration in declared(task.Options)}
    for dest, value in vars(args).items():
        if value is None:
            continue
        if dest.startswith(_TASK_OPTION) or dest.startswith(_TASK_ALIAS):
            given = dest.split(".", 1)[1]
            name = given if dest.startswith(_TASK_OPTION) else next(
                (option for option, declaration in own.items() if given in declaration.flags), None)
            if name not in own:
                valid = ", ".join(flag_of(option) for option in own) or "none"
                raise ValueError(f"{flag_of(given) if not given.startswith('--') else given} does not apply to task "
                                 f"{task.name!r}; its options: {valid}")
            overrides["task"][name] = _absolute(value) if own[name].path and value else value
        elif "." in dest and dest.split(".", 1)[0] in overrides:
            section, name = dest.split(".", 1)
            overrides[section][name] = value
    if overrides["task"].get("data_dir"):  # a background worker may run elsewhere: store absolute paths
        overrides["task"]["data_dir"] = _absolute(overrides["task"]["data_dir"], always=True)
        check_named_folder(task.sources, overrides["task"]["data_dir"])  # refused before any run folder exists
    return overrides


def _absolute(value: str, always: bool = False) -> str:
    expanded = os.path.expanduser(value)
    return os.path.abspath(expanded) if always or os.path.exists(expanded) else value
