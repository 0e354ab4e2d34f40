"""What only the cell registry can say about a model config: which implementation `impl="auto"` means,
whether the architecture exists, and the choices of options whose values are architectures.

The config layer declares those options (`catalog="architectures"`) without knowing any cell; the
faces (CLI flags, the Train form) and the model builder ask here."""
from __future__ import annotations

import dataclasses

from rnnkit.config.options import Option
from rnnkit.config.run import ARCHITECTURES, ModelConfig
from rnnkit.model.cells import cell_names, get_cell


def resolve_impl(arch: str, impl: str) -> str:
    """The implementation a run of `arch` trains with: `auto` is torch's fused layer where the cell has a
    twin there, else rnnkit's hand-written cells (e.g. the residual LSTM). The one home of that rule."""
    cell = get_cell(arch)
    if impl == "auto":
        return "scratch" if cell.fused_layer is None else "fused"
    if impl == "fused" and cell.fused_layer is None:
        raise ValueError(f"the {cell.title} ({arch}) exists only as impl='scratch' (torch has no fused version)")
    if impl not in ("fused", "scratch"):
        raise ValueError(f"unknown implementation {impl!r}; valid: auto, fused, scratch")
    return impl


def check_model_config(config: ModelConfig) -> ModelConfig:
    """Raise ValueError (listing the valid names) for an unknown architecture, an implementation the cell
    lacks or an unknown `match_parameters`; returns the config with `impl` resolved (never "auto"), which
    is what a run folder records: runs of one model read the same whether they chose auto or not."""
    impl = resolve_impl(config.arch, config.impl)
    if config.match_parameters != "none":
        get_cell(config.match_parameters)
    return config if impl == config.impl else dataclasses.replace(config, impl=impl)


def choices_of(declaration: Option) -> tuple | None:
    """An option's allowed values, a catalog's names included (e.g. "none" + every architecture)."""
    if declaration.catalog == ARCHITECTURES:
        return (*(declaration.choices or ()), *cell_names())
    return declaration.valid_choices()
