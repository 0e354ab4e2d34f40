"""Options: a config field declared once, with everything the edges need to offer it.

A config dataclass declares each user-facing field with `option(default, help, ...)`:

    hidden_size: int = option(64, "units per direction and layer", minimum=1, maximum=4096)

and the rest is derived from that one line:

    validation     `check(instance)` in `__post_init__`: type, choices, bounds, with a message that
                   names the setting and the valid values or range. Every number has a lower and an
                   upper bound (a student may not ask for 10**9 epochs or a hidden size of 10**6) and
                   must be finite: NaN and infinity are refused, whatever the bounds
    command line   `rnnkit.cli.main` turns every option into a flag (`--hidden-size`, plus `flags` such as
                   the short `--lr` kept for compatibility)
    dashboard      `rnnkit.ui.form` turns every option with `widget=True` into a widget with its
                   `label` and `help`, shown only for tasks where `when(task)` holds

Nothing here imports torch or streamlit.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator


@dataclass(frozen=True)
class Option:
    """What the edges need to know about one config field."""

    help: str  # one line for --help and the widget's tooltip
    label: str = ""  # dashboard label (default: the field name with spaces)
    choices: tuple | None = None  # allowed values (with a catalog: the values allowed beside the catalog's names)
    catalog: str | None = None  # the values also come from a registry one layer up, which checks them (e.g.
    #                             "architectures": the cell registry, `rnnkit.model.cells.choices_of`)
    minimum: float | None = None  # smallest allowed value (inclusive)
    above: float | None = None  # values must be larger than this (exclusive)
    maximum: float | None = None  # largest allowed value (inclusive): every number has this or `below`
    below: float | None = None  # values must be smaller than this (exclusive)
    flags: tuple[str, ...] = ()  # extra command-line spellings kept for compatibility, e.g. ("--lr",)
    widget: bool = True  # offered on the Train page
    command_line: bool = True  # gets a generated flag (False: the CLI has its own, e.g. --arch)
    when: Callable[[Any], bool] | None = None  # offered only for tasks where this holds (gets the task)
    path: bool = False  # a file or folder: the command line stores it as an absolute path
    step: float | None = None  # dashboard number input step

    def valid_choices(self) -> tuple | None:
        """The allowed values this layer knows (a catalog's names are added by the registry that owns it)."""
        return self.choices

    def allows(self, value: float) -> bool:
        """Whether a number lies within the declared bounds (NaN and infinity never do)."""
        return (_finite(value)
                and (self.minimum is None or value >= self.minimum) and (self.above is None or value > self.above)
                and (self.maximum is None or value <= self.maximum) and (self.below is None or value < self.below))

    def range_text(self, kind: type = float) -> str:
        """The allowed range in words: "in [0, 2147483647]", "> 0 and ≤ 10", "in [0, 1)" ("" if unbounded)."""
        low = _number(self.minimum if self.minimum is not None else self.above, kind)
        high = _number(self.maximum if self.maximum is not None else self.below, kind)
        closing = "]" if self.maximum is not None else ")"
        if self.minimum is not None and high:
            return f"in [{low}, {high}{closing}"
        lower = f"{'≥' if self.minimum is not None else '>'} {low}" if low else ""
        upper = f"{'≤' if self.maximum is not None else '<'} {high}" if high else ""
        return " and ".join(part for part in (lower, upper) if part)


def option(default: Any, help: str, **details: Any) -> Any:
    """A dataclass field carrying its `Option` declaration as metadata."""
    return field(default=default, metadata={"option": Option(help=help, **details)})


def declared(cls_or_instance) -> Iterator[tuple[dataclasses.Field, Option]]:
    """(field, Option) for every option field of a config dataclass, in declaration order."""
    for item in dataclasses.fields(cls_or_instance):
        if "option" in item.metadata:
            yield item, item.metadata["option"]


def flag_of(name: str) -> str:
    """The command-line flag of an option: hidden_size -> --hidden-size."""
    return "--" + name.replace("_", "-")


def label_of(item: dataclasses.Field) -> str:
    declared_label = item.metadata["option"].label if "option" in item.metadata else ""
    return declared_label or item.name.replace("_", " ")


def kind_of(item: dataclasses.Field) -> type:
    """bool | int | float | str, from the default value (None defaults are strings such as paths)."""
    default = item.default
    return type(default) if isinstance(default, (bool, int, float, str)) else str


def check(instance) -> None:
    """Validate every option field of a dataclass instance; raise ValueError saying what is allowed."""
    for item, declaration in declared(instance):
        value = getattr(instance, item.name)
        if value is None and item.default is None:
            continue
        _check_type(item, value)
        choices = declaration.valid_choices()
        if choices is not None and declaration.catalog is None and value not in choices:
            shown = ", ".join(str(choice) for choice in choices)
            raise ValueError(f"unknown {item.name.replace('_', ' ')} {value!r}; valid: {shown}")
        kind = kind_of(item)
        if kind in (int, float) and not declaration.allows(value):
            finite = "" if _finite(value) else "a finite number "
            range_text = declaration.range_text(kind)
            raise ValueError(f"{item.name} must be {finite}{range_text or 'finite'}, got {_shown(value)}")


def _check_type(item: dataclasses.Field, value: Any) -> None:
    kind = kind_of(item)
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok = isinstance(value, str)
    if not ok:
        raise ValueError(f"{item.name} must be {_KIND_NAMES[kind]}, got {value!r}")


_KIND_NAMES = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}


def _number(bound: float | None, kind: type) -> str:
    """A bound as the message shows it: whole numbers in full (seeds: 2147483647), others short (1e+06)."""
    if bound is None:
        return ""
    whole = kind is int or (float(bound).is_integer() and abs(bound) < 1e12)
    return str(int(bound)) if whole else f"{bound:g}"


def _finite(value: float) -> bool:
    """Not NaN or ±infinity (a whole number always is finite, even one too large for a float)."""
    return isinstance(value, int) or math.isfinite(value)


def _shown(value: float) -> str:
    """A refused number as the message shows it; a whole number of hundreds of digits by its length only
    (Python refuses to print one of more than 4300)."""
    if isinstance(value, int) and value.bit_length() > 256:
        return f"a whole number of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    return repr(value) if isinstance(value, float) else str(value)


def build(cls: type, values: dict[str, Any], what: str):
    """`cls(**values)`, where an unknown key is an error that lists the known ones."""
    if not isinstance(values, dict):
        raise ValueError(f"{what} must be a JSON object, got {type(values).__name__}")
    known = [item.name for item in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"unknown {what}(s): {', '.join(unknown)}; valid: {', '.join(known) or 'none'}")
    return cls(**values)


class Options:
    """Base of option dataclasses: validates on construction."""

    def __post_init__(self) -> None:
        check(self)
