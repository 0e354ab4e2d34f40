"""How a group of runs is built and how its runs share the machine: the one home of both policies.

    architectures x seeds  ->  one RunConfig per (seed offset, architecture), all in one group
    seed i of every architecture = the configured seed + i: the same split, data order and initialisation

Every face (Train page, `python -m rnnkit train --seeds`, sweeps, the memory-horizon experiment) builds its
groups here, and divides the CPU threads among the runs that train at once here. Here too a run that cannot
fit in the memory this machine can give it is refused before any folder exists (`check_memory`, with
`rnnkit.model.memory`'s estimate). Sizes the data decides are not known before it is loaded, so they come
from the task's options where it has them (`sequence_length`, `max_length`, `vocab_size`, `num_samples`) and
otherwise from the stated estimates `ESTIMATED_*` below.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from rnnkit.config import RunConfig
from rnnkit.config.counts import check_counts
from rnnkit.config.run import option_values
from rnnkit.config.spec import TaskSpec
from rnnkit.core import settings
from rnnkit.data.presets import build_config, seeded
from rnnkit.data.tasks import get_task
from rnnkit.model.catalog import check_model_config
from rnnkit.model.memory import MachineMemory, Setting, check_fits, estimate_memory, usable_memory
from rnnkit.runs import machine
from rnnkit.runs.launcher import parallel_threads
from rnnkit.runs.store import new_group_id

# sizes the data decides, for the memory check, where a task's options do not give them: upper estimates for the
# shipped tasks' data (measured on $RNNKIT_DATA_DIR; tests/test_resources.py checks the generated tasks and fixtures)
ESTIMATED_VOCABULARY = 20_000  # tokens: the text tasks' default vocabulary (IMDB, waimai, CSV); poems has 5,983
ESTIMATED_TEXT_STEPS = 400  # steps of a task whose max_length is 0 (its default): IMDB's 400 is the longest
ESTIMATED_STEPS = {"tokens": 120,  # steps of a text task without a length option: short texts (names 20, poems 33)
                   "features": 720}  # ... of a feature task: windows of records (weather: jena's 5 days of 10 min)
ESTIMATED_FEATURES = 16  # values per step of a feature task: recall 11, adding 2, weather up to 14
ESTIMATED_OUTPUTS = 300  # classes or forecast values: weather's 2 days of 10-minute steps are 288


def group_configs(task: str, preset: str | None, architectures: list[str] | None,
                  overrides: dict[str, dict[str, Any]] | None = None, *, seeds: int = 1,
                  group: str | None = None, kind: str = "") -> list[RunConfig]:
    """The configs of one comparison group: one run per architecture and seed. `architectures` None (or
    [None]) trains the preset's own architecture; preset None or "none" means the plain defaults. A group
    of more than one run gets a new group id unless `group` names one. Every config is checked by the task
    (its options) and the cell registry (architecture, implementation) before it is returned."""
    if architectures is not None and not architectures:
        raise ValueError("choose at least one architecture")
    archs = list(architectures) if architectures is not None else [None]
    check_counts(seeds=seeds)  # within the bounds every face declares (rnnkit.config.counts), then the group's size
    check_counts(runs=len(archs) * seeds)
    if group is None:
        group = new_group_id() if len(archs) * seeds > 1 else ""
    preset = None if preset in (None, "none") else preset
    overrides = {section: dict(values) for section, values in (overrides or {}).items()}
    configs, checked = [], set()
    for offset in range(seeds):
        for arch in archs:
            model = {**overrides.get("model", {}), **({"arch": arch} if arch else {})}
            config = build_config(task, preset, {**overrides, "model": model}, group=group)
            # an unknown architecture is refused before any folder exists; impl is stored resolved
            config = dataclasses.replace(config, model=check_model_config(config.model))
            if config.model not in checked:  # the seeds of one architecture need the same memory
                check_memory(config)
                checked.add(config.model)
            configs.append(seeded(dataclasses.replace(config, kind=kind) if kind else config, offset))
    return configs


def check_memory(config: RunConfig, memory: MachineMemory | None = None) -> None:
    """Raise `RunTooLarge` (a ValueError naming the settings to lower) when `config` needs more memory than
    this machine has free, less the dashboard's reserve. `memory` replaces the machine's figures (tests)."""
    usable = usable_memory(memory)
    needed = memory_needed(config)
    if usable is None or needed <= usable:
        return
    check_fits(needed, usable, [Setting(name.replace("_", " "), value, memory_needed(halved))
                                for name, value, halved in _halved_settings(config)])


def memory_needed(config: RunConfig) -> int:
    """Bytes `config` needs (`rnnkit.model.memory.estimate_memory`) with the task's sizes estimated."""
    spec, data_bytes = estimated_spec(config)
    return estimate_memory(config.model, config.train, spec, data_bytes).total


def estimated_spec(config: RunConfig) -> tuple[TaskSpec, int]:
    """(the TaskSpec the task will report, within the stated estimates; bytes of its generated tensors)
    before any data is loaded: the options' sizes where they are set, `ESTIMATED_*` otherwise."""
    task = get_task(config.task.name)
    options = option_values(config.task.options)
    steps = (_positive(options.get("sequence_length")) or _positive(options.get("max_length"))
             or (ESTIMATED_TEXT_STEPS if "max_length" in options else ESTIMATED_STEPS[task.input_kind]))
    tokens = task.input_kind == "tokens"
    width = (_positive(options.get("vocab_size")) or ESTIMATED_VOCABULARY) if tokens else ESTIMATED_FEATURES
    outputs = width if task.job == "language_model" else ESTIMATED_OUTPUTS
    # generated sequences: the whole set and its three splits, int64 ids or float32 values
    data_bytes = 2 * (_positive(options.get("num_samples")) or 0) * steps * (8 if tokens else 4 * width)
    spec = task.spec(input_size=width, output_size=outputs, max_steps=steps)
    return spec, data_bytes


def run_threads(parallel_runs: int, load: machine.MachineLoad | None = None) -> int:
    """CPU threads for each of `parallel_runs` runs that start together: RNNKIT_THREADS_PER_RUN where it is set,
    else the cores divided among them (`parallel_threads`), but one where other programs keep the cores busy
    (`rnnkit.runs.machine`; `load` replaces the look at this machine). A parallel region waits for all its
    threads, and on a busy machine one of them is often not running: under `stress -c 8` on 2 cores an epoch of
    the recall lesson's LSTM took 7.5 s with 2 threads and 2.0 s with 1 (idle: 1.3 s and 1.7 s)."""
    threads = parallel_threads(parallel_runs)
    if threads == 1 or settings.threads_per_run() or settings.ray_address():  # set by hand, or a cluster's nodes
        return threads
    return 1 if (load or machine.current_load()).busy else threads


def share_threads(configs: list[RunConfig]) -> list[RunConfig]:
    """`configs` with the CPU threads divided among them, for runs that train at the same time (so they
    share the cores instead of fighting over them; `run_threads`). A run whose threads were set explicitly
    keeps them."""
    threads = run_threads(len(configs))
    return [config if config.train.num_threads else
            dataclasses.replace(config, train=dataclasses.replace(config.train, num_threads=threads))
            for config in configs]


def _halved_settings(config: RunConfig):
    """(name, value, config with that value halved) for every whole-number setting of the model, the training
    and the task's options that can be halved: the candidates a refusal names (those that save the most)."""
    sections = {"model": config.model, "train": config.train}
    for section, part in sections.items():
        for name, value in option_values(part).items():
            if isinstance(value, int) and not isinstance(value, bool) and value > 1:
                try:
                    halved = dataclasses.replace(part, **{name: value // 2})
                except ValueError:  # below the setting's lower bound: not a way out
                    continue
                yield name, value, dataclasses.replace(config, **{section: halved})
    options = config.task.options
    for name, value in option_values(options).items():
        if isinstance(value, int) and not isinstance(value, bool) and value > 1 and dataclasses.is_dataclass(options):
            try:
                halved = dataclasses.replace(options, **{name: value // 2})
            except ValueError:
                continue
            yield name, value, dataclasses.replace(config, task=dataclasses.replace(config.task, options=halved))


def _positive(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
