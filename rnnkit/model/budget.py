"""Equal parameter budgets: compare architectures at the same size, not only the same hidden width.

At equal hidden size an LSTM has 4/3 of a GRU's recurrent weights and 4 times an RNN's, so "GRU vs
LSTM" at hidden 64 is also "small vs large". With `match_parameters = "lstm"` every run of a group
picks its own hidden size so that its recurrent + head parameters match those of an LSTM at the
configured hidden size, within `TOLERANCE`. Embeddings are left out of the count: at the IMDB presets
they dwarf the rest, and they are the same for every architecture. The worker resolves the size
when the task's data (and with it the input and output sizes) is known, and records it in the run's
config.json, so the checkpoint, a resume and the Compare table all see the size that was trained.
"""
from __future__ import annotations

import dataclasses

from torch import nn

from rnnkit.config.run import MAX_WIDTH, ModelConfig
from rnnkit.config.spec import TaskSpec
from rnnkit.model.catalog import resolve_impl
from rnnkit.model.heads import build_model

TOLERANCE = 0.02
OFF = "none"


def core_parameters(model: nn.Module) -> int:
    """Trainable parameters of the recurrent layers and the head: everything but the token embedding."""
    embedding = {id(parameter) for module in model.modules() if isinstance(module, nn.Embedding)
                 for parameter in module.parameters()}
    return sum(parameter.numel() for parameter in model.parameters()
               if parameter.requires_grad and id(parameter) not in embedding)


def _core_count(config: ModelConfig, spec: TaskSpec, hidden: int) -> int:
    sized = dataclasses.replace(config, hidden_size=hidden, match_parameters=OFF)
    return core_parameters(build_model(sized, spec))


def matched_hidden_size(config: ModelConfig, spec: TaskSpec) -> tuple[int, int, int]:
    """(hidden size, its core parameter count, the reference's count) for `config.arch`, so that its
    core parameters are as close as possible to `config.match_parameters` at `config.hidden_size`."""
    target = _core_count(dataclasses.replace(config, arch=config.match_parameters,
                                             impl=_impl_for(config.match_parameters, config.impl)),
                         spec, config.hidden_size)
    low, high = 1, min(max(4 * config.hidden_size, 8), MAX_WIDTH)
    while _core_count(config, spec, high) < target:  # the matched size is a config value: within its bound
        if high == MAX_WIDTH:
            raise ValueError(f"match_parameters={config.match_parameters!r} needs a {config.arch} hidden size above "
                             f"{MAX_WIDTH}; choose a smaller hidden_size")
        high = min(high * 2, MAX_WIDTH)
    while high - low > 1:  # the count grows with the hidden size: bisect to the last size below the target
        middle = (low + high) // 2
        if _core_count(config, spec, middle) <= target:
            low = middle
        else:
            high = middle
    counts = {size: _core_count(config, spec, size) for size in (low, high)}
    best = min(counts, key=lambda size: abs(counts[size] - target))
    return best, counts[best], target


def _impl_for(arch: str, impl: str) -> str:
    """The reference architecture's implementation: the run's where the reference has it, else its own."""
    return "scratch" if impl == "scratch" else resolve_impl(arch, "auto")
