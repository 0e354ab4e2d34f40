"""How much memory a run needs, and how much this machine can give one run.

    needed = process base                          Python, torch, a small task's data (measured, below)
           + weights x (1 + 1 + optimiser slots + 1)   weights, gradients, Adam's two moments (SGD: momentum),
                                                   the best epoch's copy the trainer keeps
           + activations of one batch x BACKWARD_PEAK  what the forward pass keeps for the backward pass
           + data                                  the caller's estimate of the task's tensors (e.g. generated
                                                   sequences); the model layer knows no dataset

The parameters are counted by building the model on torch's meta device: every module is created, no
storage is allocated, so the count is the model layer's own (embeddings, n-gram tables, residual
projections, heads) and an absurd size costs nothing. The activations of one batch, per layer and
direction, are batch x steps x hidden x 4 bytes x a factor of the cell's gates:

    fused    gates² + gates + 2   torch's kernels keep a gate workspace: RNN 4, GRU 14, LSTM 22 (oneDNN's)
    scratch  3 x gates + 2        rnnkit's cells keep each gate and the state at every step

fitted to what `torch.autograd.graph.saved_tensors_hooks` measures on every cell, layer count and direction
(tests/test_resources.py checks that the estimate never falls below the measurement), plus
the embedding's output and, for a language model, the logits (batch x steps x vocabulary, three copies:
logits, log-softmax, gradient). The estimate assumes float32 on the CPU (the classroom server).

A run that needs more than is free now less `DASHBOARD_RESERVE` (`usable_memory`) is refused before it
starts (`check_fits`, called where every face builds its groups) with a message that names the settings to
lower. Once started, a run may grow to `run_allowance`: the machine's memory less the reserve, shared by the
runs that train at once (the queue capacity), and never less than twice its estimate or `MIN_ALLOWANCE`;
`rnnkit.worker.limits` runs each worker under that limit.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from rnnkit.config.run import ModelConfig, TrainConfig
from rnnkit.config.spec import TaskSpec
from rnnkit.model.budget import resolve_match
from rnnkit.model.catalog import resolve_impl
from rnnkit.model.cells import get_cell
from rnnkit.model.heads import build_model

GIB = 1 << 30
BYTES_PER_VALUE = 4  # float32 weights, gradients, optimiser state and activations
OPTIMIZER_SLOTS = {"adam": 2, "adamw": 2, "sgd": 1}  # values the optimiser keeps per weight
WEIGHT_COPIES = 3  # the weights, their gradients, the best epoch's copy (Trainer.best_model_state)
BACKWARD_PEAK = 1.5  # during the backward pass the gradients of one layer's activations exist beside them
LOGIT_COPIES = 3  # a language model's logits, their log-softmax and its gradient
PROCESS_BYTES = 640 << 20  # tiny recall/names/poems/weather dry runs peak at 460-575 MB resident (torch 2.13)
DASHBOARD_RESERVE = 1 * GIB  # never given to a run: the dashboard, the system, the other pages' caches
MIN_ALLOWANCE = 2 * GIB  # what a run may always have, however many share the machine


def activation_factor(arch: str, impl: str) -> int:
    """Values kept per (sequence, step, hidden unit) of one layer and direction, for the backward pass."""
    declared = get_cell(arch).activation_values  # an architecture without gates (the Transformer) says
    if declared is not None:
        return declared
    gates = len(get_cell(arch).gate_names)
    return gates * gates + gates + 2 if resolve_impl(arch, impl) == "fused" else 3 * gates + 2


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a run needs, by what needs them."""

    weights: int  # the weights, their gradients, the optimiser's state and the best epoch's copy
    activations: int  # one training batch, forward and backward
    data: int  # the task's tensors, as estimated by the caller
    process: int = PROCESS_BYTES  # Python and torch themselves

    @property
    def total(self) -> int:
        return self.weights + self.activations + self.data + self.process


def count_parameters(model: ModelConfig, spec: TaskSpec) -> tuple[int, int]:
    """(all parameters, those of token embeddings) of the model `model` builds for `spec`, counted on the
    meta device (nothing is allocated). `match_parameters` is resolved first, as the worker will."""
    model = resolve_match(model, spec)[0]  # the sizes the worker will train (hidden, and embedding if searched)
    with torch.device("meta"):
        built = build_model(model, spec)
    embedding = sum(parameter.numel() for module in built.modules() if isinstance(module, nn.Embedding)
                    for parameter in module.parameters())
    return sum(parameter.numel() for parameter in built.parameters()), embedding


def estimate_memory(model: ModelConfig, train: TrainConfig, spec: TaskSpec, data_bytes: int = 0) -> MemoryEstimate:
    """What a run of `model` trained with `train` on a task of `spec` needs (see the module docstring);
    `data_bytes` is the caller's estimate of the task's own tensors. `match_parameters` is resolved first,
    as the worker will: an RNN matched to an LSTM trains at about twice the hidden size."""
    model = resolve_match(model, spec)[0]
    parameters, _ = count_parameters(model, spec)
    slots = OPTIMIZER_SLOTS.get(train.optimizer, 2)
    weights = parameters * (WEIGHT_COPIES + slots) * BYTES_PER_VALUE
    batch, steps = train.batch_size, spec.max_steps
    directions = 2 if model.bidirectional else 1
    hidden = model.hidden_size  # the resolved size: the one the worker trains
    per_step = hidden * directions * model.num_layers * activation_factor(model.arch, model.impl)
    per_step += get_cell(model.arch).step_activations(model, steps)  # e.g. attention maps: grow with the length
    if spec.input_kind == "tokens":
        per_step += 2 * max(model.ngrams, 1) * (spec.embedding_size or model.embedding_size)  # + reversed copies
    else:
        per_step += 2 * spec.input_size
    activations = batch * steps * per_step * BYTES_PER_VALUE * BACKWARD_PEAK
    if spec.job == "language_model":  # the logits are the largest tensor; their gradient is one of the copies
        activations += batch * steps * LOGIT_COPIES * spec.output_size * BYTES_PER_VALUE
    return MemoryEstimate(weights=weights, activations=math.ceil(activations), data=max(int(data_bytes), 0))


# ------------------------------------------------------------------------------------- the machine
@dataclass(frozen=True)
class MachineMemory:
    total: int  # bytes of memory this process's machine (or container) has
    available: int  # bytes free for a new process now (the kernel's MemAvailable)


def machine_memory() -> MachineMemory | None:
    """The memory of this machine, or of its container where a cgroup caps it; None where neither
    /proc/meminfo nor sysconf says (then nothing is refused for want of memory)."""
    total, available = _meminfo()
    if total is None:
        try:
            page = os.sysconf("SC_PAGE_SIZE")
            total, available = page * os.sysconf("SC_PHYS_PAGES"), page * os.sysconf("SC_AVPHYS_PAGES")
        except (AttributeError, ValueError, OSError):
            return None
    cap, used = _cgroup_limit()
    if cap is not None:
        total, available = min(total, cap), min(available, max(cap - (used or 0), 0))
    return MachineMemory(total=total, available=available)


def usable_memory(memory: MachineMemory | None = None) -> int | None:
    """What a run starting now can have: what is free less the dashboard's reserve (None: unknown)."""
    memory = memory or machine_memory()
    return None if memory is None else max(memory.available - DASHBOARD_RESERVE, 0)


def run_allowance(capacity: int, needed: int = 0, memory: MachineMemory | None = None) -> int | None:
    """What one run may grow to before its worker's memory limit stops it: the machine's memory less the
    dashboard's reserve, shared by the `capacity` runs that train at once, and never less than twice its
    estimate (`needed`) or `MIN_ALLOWANCE`; None when the machine's memory is unknown."""
    memory = memory or machine_memory()
    if memory is None:
        return None
    share = (memory.total - DASHBOARD_RESERVE) // max(int(capacity), 1)
    return max(MIN_ALLOWANCE, 2 * int(needed), share)


class RunTooLarge(ValueError):
    """A run that cannot fit in the memory this machine can give it (the message names what to lower)."""


@dataclass(frozen=True)
class Setting:
    """A setting the refusal may name: its label, its value and what the run would need at half of it."""

    label: str  # "hidden size"
    value: object  # 4096
    needed_at_half: int  # bytes the run needs with this setting halved


def check_fits(needed: int, usable: int | None, settings: list[Setting]) -> None:
    """Raise RunTooLarge when `needed` bytes exceed `usable`, naming the setting whose halving saves the
    most first (with its value) and the next one: "hidden size 4096 needs about 290 GB; this machine
    has 20 GB free: lower the hidden size or the num layers"."""
    if usable is None or needed <= usable:
        return
    ranked = sorted((item for item in settings if item.needed_at_half < needed), key=lambda item: item.needed_at_half)
    if not ranked:
        raise RunTooLarge(f"this run needs about {format_bytes(needed)}; this machine has {format_bytes(usable)} "
                          f"free")
    lower = " or the ".join(item.label for item in ranked[:2])
    raise RunTooLarge(f"{ranked[0].label} {ranked[0].value} needs about {format_bytes(needed)}; this machine has "
                      f"{format_bytes(usable)} free: lower the {lower}")


def format_bytes(count: float) -> str:
    """3.7 TB, 20 GB, 640 MB (decimal units, two significant digits below 10)."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            value = count / size
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{int(count)} bytes"


def _meminfo() -> tuple[int | None, int | None]:
    try:
        lines = Path("/proc/meminfo").read_text(encoding="ascii", errors="replace").splitlines()
    except OSError:
        return None, None
    fields = {}
    for line in lines:
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            fields[name] = int(parts[0]) * 1024  # kB
    total = fields.get("MemTotal")
    return total, fields.get("MemAvailable", fields.get("MemFree", total))


def _cgroup_limit() -> tuple[int | None, int | None]:
    """(memory.max, memory.current) of this process's cgroup (v2) when it sets a limit."""
    try:
        line = Path("/proc/self/cgroup").read_text(encoding="ascii", errors="replace").splitlines()[0]
        folder = Path("/sys/fs/cgroup") / line.split("::", 1)[1].strip().lstrip("/")
        cap = (folder / "memory.max").read_text().strip()
        used = (folder / "memory.current").read_text().strip()
    except (OSError, IndexError):
        return None, None
    return (int(cap) if cap.isdigit() else None), (int(used) if used.isdigit() else None)
