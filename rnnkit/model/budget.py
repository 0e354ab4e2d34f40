"""Equal parameter budgets: compare architectures at the same size, not only the same hidden width.

At equal hidden size an LSTM has 4/3 of a GRU's recurrent weights and 4 times an RNN's, so "GRU vs
LSTM" at hidden 64 is also "small vs large". With `match_parameters = "lstm"` every run of a group
picks its own size so that its recurrent + head ("core") parameters match those of an LSTM at the
configured hidden size, within `TOLERANCE`. Embedding tables are left out of the count: at the IMDB
presets they dwarf the rest, and they are the same for every architecture.

How a run's size is searched (`resolve_match`, the one rule the worker and the memory estimate use):

    1. hidden size   the size whose core count is closest to the reference's (the count grows with it:
                     bisection, then the neighbours of the crossing)
    2. embedding     only if step 1 misses TOLERANCE and the run embeds tokens itself (no pretrained
                     vectors): the first layer's W_ih has hidden x embedding weights, so the embedding
                     size is a fine second knob. For the hidden sizes around step 1's, the embedding
                     size that brings the count closest; of those within TOLERANCE, the one nearest the
                     configured embedding size. The (uncounted) embedding table changes with it.
    3. otherwise     step 1's size, flagged: `ParameterMatch.within_tolerance` is False and the run says
                     so (small hidden sizes on feature inputs: one more unit is several % of the count)

No parameter is ever added to reach the budget. The worker records the resolved config in config.json
and the `ParameterMatch` in status.json (`parameter_match`) and config.json (`run.matched`), so the
checkpoint, a resume and Compare all see the size that was trained. Models are counted on torch's
meta device: nothing is allocated, whatever the size.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rnnkit.config.run import MAX_WIDTH, ModelConfig
from rnnkit.config.spec import TaskSpec

TOLERANCE = 0.02  # the promise: core parameters within 2 % of the reference's
OFF = "none"
HIDDEN, EMBEDDING = "hidden_size", "embedding_size"  # the settings a match may change, as config.json names them


@dataclass(frozen=True)
class ParameterMatch:
    """What a matched run trains at, against its reference; `to_dict` is what the run folder records."""

    reference: str  # the architecture matched, e.g. "lstm"
    reference_hidden_size: int  # the configured hidden size, at which the reference is counted
    reference_core_parameters: int  # the reference's recurrent + head parameters
    arch: str  # this run's architecture
    hidden_size: int  # this run's hidden size
    core_parameters: int  # this run's recurrent + head parameters
    embedding_size: int | None = None  # this run's embedding size where the match changed it, else None
    configured_embedding_size: int | None = None  # the embedding size configured, where one was searched
    searched: tuple[str, ...] = (HIDDEN,)  # the settings the search varied, in order
    tolerance: float = TOLERANCE

    @property
    def relative_difference(self) -> float:
        """(this run's count - the reference's) / the reference's: +0.042 is 4.2 % more."""
        return (self.core_parameters - self.reference_core_parameters) / max(self.reference_core_parameters, 1)

    @property
    def within_tolerance(self) -> bool:
        return abs(self.core_parameters - self.reference_core_parameters) <= self.tolerance * \
            self.reference_core_parameters

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "searched": list(self.searched),
                "relative_difference": self.relative_difference, "within_tolerance": self.within_tolerance}

    @classmethod
    def from_dict(cls, document: dict[str, Any], arch: str = "") -> ParameterMatch:
        """A recorded match; runs from before the embedding search recorded only the sizes and the counts
        (their tolerance was the same 2 %). Raises ValueError for a document that is not a match."""
        try:
            return cls(reference=str(document["reference"]),
                       reference_hidden_size=int(document["reference_hidden_size"]),
                       reference_core_parameters=int(document["reference_core_parameters"]),
                       arch=str(document.get("arch") or arch), hidden_size=int(document["hidden_size"]),
                       core_parameters=int(document["core_parameters"]),
                       embedding_size=_optional_int(document.get("embedding_size")),
                       configured_embedding_size=_optional_int(document.get("configured_embedding_size")),
                       searched=tuple(str(name) for name in document.get("searched", (HIDDEN,))),
                       tolerance=float(document.get("tolerance", TOLERANCE)))
        except (KeyError, TypeError, ValueError, OverflowError) as error:
            raise ValueError(f"not a parameter match ({type(error).__name__}: {error})") from None

    def summary(self) -> str:
        """One English line for the run's log (the CLI's foreground train shows it)."""
        sizes = f"hidden size {self.hidden_size}"
        if self.embedding_size is not None:
            sizes += f", embedding size {self.embedding_size} (configured {self.configured_embedding_size})"
        counts = (f"{self.core_parameters:,} recurrent + head parameters, {self.reference} at hidden "
                  f"{self.reference_hidden_size} has {self.reference_core_parameters:,} "
                  f"({self.relative_difference * 100:+.1f} %)")
        if self.within_tolerance:
            return f"{sizes}: {counts}, within {self.tolerance * 100:g} %"
        searched = " and ".join(name.replace("_", " ") for name in self.searched)
        return (f"warning: {sizes}: {counts}; the {self.tolerance * 100:g} % tolerance cannot be met (searched: "
                f"{searched}), this is the closest")


def core_parameters(model) -> int:
    """Trainable parameters of the recurrent layers and the head: everything but the token embedding
    (and the hashed n-gram table, an embedding too)."""
    from torch import nn

    embedding = {id(parameter) for module in model.modules() if isinstance(module, nn.Embedding)
                 for parameter in module.parameters()}
    return sum(parameter.numel() for parameter in model.parameters()
               if parameter.requires_grad and id(parameter) not in embedding)


def resolve_match(config: ModelConfig, spec: TaskSpec) -> tuple[ModelConfig, ParameterMatch | None]:
    """The model config a run trains (`match_parameters` resolved to sizes, and off) and what its match
    says; a config without `match_parameters` comes back as it is, with None."""
    if config.match_parameters == OFF:
        return config, None
    hidden, count, target = matched_hidden_size(config, spec)
    match = ParameterMatch(reference=config.match_parameters, reference_hidden_size=config.hidden_size,
                           reference_core_parameters=target, arch=config.arch, hidden_size=hidden,
                           core_parameters=count)
    if not match.within_tolerance and _embeds_tokens(spec):
        match = _match_with_embedding(config, spec, match)
    resolved = dataclasses.replace(config, hidden_size=match.hidden_size, match_parameters=OFF)
    if match.embedding_size is not None:
        resolved = dataclasses.replace(resolved, embedding_size=match.embedding_size)
    return resolved, match


def matched_hidden_size(config: ModelConfig, spec: TaskSpec) -> tuple[int, int, int]:
    """(hidden size, its core parameter count, the reference's count) for `config.arch`, so that its
    core parameters are as close as possible to `config.match_parameters` at `config.hidden_size`
    (the embedding size as configured: step 1 of the module docstring)."""
    target = reference_count(config, spec)
    low, high = _predicted_bracket(config, spec, target) or (1, min(max(4 * config.hidden_size, 8), MAX_WIDTH))
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
    # a residual cell needs no W_res where its hidden size equals its input width: the count dips there
    sizes = {size for size in (low, high, _input_width(config, spec)) if 1 <= size <= MAX_WIDTH}
    counts = {size: _core_count(config, spec, size) for size in sorted(sizes)}
    best = min(counts, key=lambda size: (abs(counts[size] - target), size))
    return best, counts[best], target


def _predicted_bracket(config: ModelConfig, spec: TaskSpec, target: int) -> tuple[int, int] | None:
    """Sizes (low, high) around the crossing, predicted and checked, or None. The count is a quadratic in the
    hidden size (h x h recurrent weights, h x input, the head's h x outputs), so three counts give it and
    the target gives the crossing; a check at both ends makes the bracket exact (a residual cell's dip
    where its hidden size equals its input width can fail it: then the caller searches from 1)."""
    width = _input_width(config, spec)
    points = [size for size in range(config.hidden_size, config.hidden_size + 4) if size != width][:3]
    c0, c1, c2 = (_core_count(config, spec, size) for size in points)
    p0, p1, p2 = points
    first, second = (c1 - c0) / (p1 - p0), (c2 - c1) / (p2 - p1)  # divided differences
    square = (second - first) / (p2 - p0)
    linear = first - square * (p0 + p1)
    constant = c0 - square * p0 * p0 - linear * p0 - target
    if square > 0 and linear * linear - 4 * square * constant >= 0:
        crossing = (-linear + math.sqrt(linear * linear - 4 * square * constant)) / (2 * square)
    elif square == 0 and linear > 0:
        crossing = -constant / linear
    else:
        return None
    low, high = max(math.floor(crossing) - 1, 1), min(math.floor(crossing) + 2, MAX_WIDTH)
    if low >= high or _core_count(config, spec, high) <= target:
        return None
    return (low, high) if low == 1 or _core_count(config, spec, low) <= target else None


def reference_count(config: ModelConfig, spec: TaskSpec) -> int:
    """Core parameters of the reference architecture at the configured sizes."""
    reference = dataclasses.replace(config, arch=config.match_parameters,
                                    impl=_impl_for(config.match_parameters, config.impl))
    return _core_count(reference, spec, config.hidden_size)


def _match_with_embedding(config: ModelConfig, spec: TaskSpec, closest: ParameterMatch) -> ParameterMatch:
    """Step 2: the embedding size too. Around the closest hidden size the count is linear in the embedding
    size (W_ih's columns), so two counts give the slope, the target gives the size, and the sizes either
    side are counted exactly. Of the pairs within the tolerance, the least change to the embedding wins."""
    configured, target = config.embedding_size, closest.reference_core_parameters
    searched = dataclasses.replace(closest, searched=(HIDDEN, EMBEDDING), configured_embedding_size=configured)
    found = []
    for hidden in range(max(closest.hidden_size - 2, 1), min(closest.hidden_size + 2, MAX_WIDTH) + 1):
        first = configured if configured != hidden else configured + 1  # (a residual cell dips where they are equal)
        second = first + 1 if first + 1 != hidden else first + 2
        slope = _core_count(config, spec, hidden, second) - _core_count(config, spec, hidden, first)
        if slope <= 0:
            continue
        guess = first + (target - _core_count(config, spec, hidden, first)) * (second - first) / slope
        for width in {math.floor(guess), math.floor(guess) + 1, hidden}:
            if 1 <= width <= MAX_WIDTH:
                count = _core_count(config, spec, hidden, width)
                if abs(count - target) <= closest.tolerance * target:
                    found.append((abs(width - configured), abs(count - target), hidden, width, count))
    if not found:
        return searched
    _change, _gap, hidden, width, count = min(found)
    return dataclasses.replace(searched, hidden_size=hidden, core_parameters=count,
                               embedding_size=None if width == configured else width)


def _embeds_tokens(spec: TaskSpec) -> bool:
    """Whether the model learns its own token embedding, whose width is then a model setting."""
    return spec.input_kind == "tokens" and not spec.embedding_size


def _input_width(config: ModelConfig, spec: TaskSpec) -> int:
    """What the first recurrent layer reads per step (`rnnkit.model.heads.SequenceModel`)."""
    if spec.input_kind == "tokens":
        return spec.embedding_size or config.embedding_size
    return spec.input_size


def _core_count(config: ModelConfig, spec: TaskSpec, hidden: int, embedding: int | None = None) -> int:
    """Core parameters of `config` at `hidden` (and `embedding`)."""
    return _count_sized(dataclasses.replace(config, hidden_size=hidden, match_parameters=OFF,
                                            embedding_size=config.embedding_size if embedding is None else embedding),
                        spec)


@lru_cache(maxsize=16384)
def _count_sized(config: ModelConfig, spec: TaskSpec) -> int:
    """Core parameters of the model `config` builds, counted on the meta device; cached by the sizes
    themselves, so the searches of one group (and the reference's own count) share their counts."""
    import torch

    from rnnkit.model.heads import build_model

    with torch.device("meta"):
        return core_parameters(build_model(config, spec))


def _impl_for(arch: str, impl: str) -> str:
    """The reference architecture's implementation: the run's where the reference has it, else its own."""
    from rnnkit.model.catalog import resolve_impl

    return "scratch" if impl == "scratch" else resolve_impl(arch, "auto")


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
