"""How many at once: the counts a person sets beside a run's config, declared once with their bounds.

A run's own settings (hidden size, epochs, ...) are declared in `rnnkit.config.run`. These are the other
numbers a person types: how many seeds, how many runs a group may hold, how many poems to write, how many
examples to predict, and how to sample. Every face reads them from here, so a bound is the same wherever
it is typed:

    command line    `rnnkit.cli.flags.add_count_flag`: --seeds, --trials, --samples, --examples, --top-k,
                    --temperature, --line-length and predict's --seed, with the range in their help
    dashboard       the Train page's seeds and sweep boxes, the Playground's sampling widgets (`bounds`)
    shared links    `rnnkit.ui.form.apply_shared_link` checks a link's seeds with `check_counts`
    library         `rnnkit.runs.groups.group_configs` (seeds, runs per group), `rnnkit.analysis.sweep`
                    (runs per sweep)

A refused count is one line that names it and its range: "seeds must be in [1, 10], got 100000".
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rnnkit.config.options import Options, declared, option

MAX_SEED = 2**31 - 1  # what torch and numpy accept as a seed (the run config's seed has the same bound)


@dataclass(frozen=True)
class Counts(Options):
    """The counts a person sets beside a run's config; constructing one checks them."""

    seeds: int = option(1, "runs per architecture, seeds SEED, SEED+1, ...", label="seeds per architecture",
                        minimum=1, maximum=10)
    runs: int = option(1, "runs in one group: architectures x seeds (x the points of a sweep)", label="runs",
                       minimum=1, maximum=64)
    trials: int = option(8, "points a random or TPE search trains", minimum=1, maximum=64)
    samples: int = option(1, "poems to write", minimum=1, maximum=10)
    examples: int = option(0, "synthetic and weather tasks: predict N held-out examples (0: none, give inputs)",
                           minimum=0, maximum=1000)
    top_k: int = option(0, "sample among the k likeliest characters (0: all)", label="top-k (0 = all)",
                        minimum=0, maximum=500)
    temperature: float = option(0.7, "sampling temperature: lower is safer, higher more surprising",
                                minimum=0.1, maximum=2.0, step=0.1)
    line_length: int = option(0, "characters per line (0: as the model was trained)", choices=(0, 5, 7))
    sampling_seed: int = option(0, "sampling seed", minimum=0, maximum=MAX_SEED)


def check_counts(**values: Any) -> Counts:
    """The counts given (the others at their defaults), checked: a ValueError names the first one out of range."""
    return Counts(**values)


def bounds(name: str) -> tuple[Any, Any]:
    """(smallest, largest) allowed value of count `name`, for a widget's min_value and max_value."""
    for item, declaration in declared(Counts):
        if item.name == name:
            return declaration.minimum, declaration.maximum
    raise ValueError(f"unknown count {name!r}; valid: {', '.join(item.name for item, _ in declared(Counts))}")


def maximum(name: str) -> Any:
    """The largest allowed value of count `name` (e.g. maximum('runs') = 64)."""
    return bounds(name)[1]
