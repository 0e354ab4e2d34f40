"""Recurrent backbones: a stack of recurrent layers over a padded batch of sequences.

Both implementations share one contract:

    backbone(inputs, lengths) -> (outputs, last)
        inputs   (batch, time, input_size)   padded at the end
        lengths  (batch,) int64 on the CPU   valid steps per sequence, 1..time
        outputs  (batch, time, directions*hidden)   zeros at padded steps
        last     (batch, directions*hidden)  the top layer's state after each sequence's last valid
                 step (forward direction) and after reading it backwards to step 0 (backward direction)

so padding never changes a result: a sequence padded to 10 or to 100 steps gives the same `last`.

- `FusedBackbone` wraps torch's nn.RNN/LSTM/GRU (cuDNN on GPU, oneDNN on CPU). On a GPU it packs
  variable-length batches with `pack_padded_sequence`. On a CPU it does not: torch runs a packed
  sequence through a slow step-by-step path (IMDB's report LSTM 256, batch 64, 150-300 steps:
  6.3 s per batch packed, 0.36 s unpacked, `benchmarks/bench_engine.py --part packing`), so it reads
  the padded batch with oneDNN and masks: padding sits at the end, so the forward direction is exact
  at every valid step; a backward direction reads each sequence reversed within its own length
  (`reverse_padded`), one layer and direction at a time with the same kernel torch's module calls.
- `ScratchBackbone` runs rnnkit's hand-written cells (`rnnkit.model.cells`) step by step. Sequences that end
  early keep their state frozen (a mask per step), and the backward direction reads each sequence
  reversed within its own length. A cell whose gates read only x_t (minGRU, minLSTM) can be computed
  with its parallel form (`cell.scan`, all steps at once; padding sits at the end, so every valid step
  is exact and `last` is read at each sequence's last valid step). It is used on a GPU; on a CPU the
  step form trains faster (torch's CPU logcumsumexp is slow: minGRU at T = 500, 33 samples/s scanned
  against 174 step by step, `benchmarks/bench_family.py`), and wherever gates or states are recorded:

        lengths = [4, 2]      forward read      backward read (reversed in place, padding stays put)
        seq 0:  a b c d       a b c d           d c b a
        seq 1:  e f _ _       e f _ _           f e _ _
"""
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnkit.config.run import ModelConfig
from rnnkit.model.catalog import resolve_impl
from rnnkit.model.cells import chrono_init_, get_cell, make_cell


def step_mask(lengths: Tensor, time_steps: int, device: torch.device) -> Tensor:
    """(batch, time) bool: True where a step is inside its sequence."""
    return torch.arange(time_steps, device=device)[None, :] < lengths.to(device)[:, None]


def reverse_padded(x: Tensor, lengths: Tensor) -> Tensor:
    """Reverse each sequence of (batch, time, ...) within its own length; padded steps stay in place."""
    time_steps = x.shape[1]
    steps = torch.arange(time_steps, device=x.device)[None, :]  # (1, time)
    source = lengths.to(x.device)[:, None] - 1 - steps  # (batch, time)
    source = torch.where(source >= 0, source, steps)
    index = source.view(*source.shape, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(1, index)


class FusedBackbone(nn.Module):
    """torch's own multi-layer RNN/LSTM/GRU."""

    def __init__(self, config: ModelConfig, input_size: int, max_steps: int) -> None:
        super().__init__()
        layer = get_cell(config.arch).fused_layer
        if layer is None:
            raise ValueError(f"the {config.arch!r} cell has no fused torch layer; use impl='scratch'")
        self.directions = 2 if config.bidirectional else 1
        self.output_size = self.directions * config.hidden_size
        self.rnn = getattr(nn, layer)(
            input_size,
            config.hidden_size,
            num_layers=config.num_layers,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            bidirectional=config.bidirectional,
        )
        if config.gate_init == "chrono":
            for name, _ in self.rnn.named_parameters():
                if name.startswith("bias_ih"):
                    suffix = name[len("bias_ih") :]
                    chrono_init_(
                        config.arch,
                        getattr(self.rnn, name),
                        getattr(self.rnn, "bias_hh" + suffix),
                        max_steps,
                    )

    def forward(self, inputs: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        time_steps = inputs.shape[1]
        if int(lengths.min()) == time_steps:  # equal lengths: nothing to pack or mask
            outputs, final = self.rnn(inputs)
            return outputs, self._top_state(final)
        if inputs.device.type == "cpu":
            return self.unpacked(inputs, lengths)
        return self.packed(inputs, lengths)

    def _top_state(self, final: Tensor | tuple[Tensor, Tensor]) -> Tensor:
        h_n = final[0] if isinstance(final, tuple) else final  # (layers*directions, batch, hidden)
        return torch.cat(list(h_n[-self.directions :]), dim=1)  # top layer, both directions

    def packed(self, inputs: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """torch's packed path (fast with cuDNN)."""
        packed = pack_padded_sequence(inputs, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, final = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=inputs.shape[1])
        return outputs, self._top_state(final)

    def unpacked(self, inputs: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """The padded batch through the fused kernel, masked: same results as `packed`."""
        batch, time_steps, _ = inputs.shape
        lengths = lengths.to(inputs.device)
        mask = step_mask(lengths, time_steps, inputs.device).unsqueeze(-1)  # (batch, time, 1)
        rows = torch.arange(batch, device=inputs.device)
        if self.directions == 1:  # padding comes after every valid step: one call for the whole stack
            outputs, _ = self.rnn(inputs)
            outputs = outputs * mask
            return outputs, outputs[rows, lengths - 1]
        rnn, hidden = self.rnn, self.rnn.hidden_size
        kernel = _KERNELS[rnn.mode]
        layer_input = inputs
        for layer in range(rnn.num_layers):
            halves = []
            for direction in range(2):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                weights = [getattr(rnn, name + suffix) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
                read = layer_input if direction == 0 else reverse_padded(layer_input, lengths)
                zeros = inputs.new_zeros(1, batch, hidden)
                state = (zeros, zeros) if rnn.mode == "LSTM" else zeros
                # (input, state, weights, has_biases, layers, dropout, train, bidirectional, batch_first)
                read_out = kernel(read, state, weights, True, 1, 0.0, self.training, False, True)[0]
                halves.append(read_out if direction == 0 else reverse_padded(read_out, lengths))
            layer_input = torch.cat(halves, dim=-1) * mask
            if layer < rnn.num_layers - 1 and rnn.dropout > 0:
                layer_input = nn.functional.dropout(layer_input, rnn.dropout, self.training)
        outputs = layer_input
        # forward: after each sequence's last valid step; backward: after reading back to step 0
        last = torch.cat([outputs[rows, lengths - 1, :hidden], outputs[:, 0, hidden:]], dim=1)
        return outputs, last


_KERNELS = {"LSTM": torch.lstm, "GRU": torch.gru, "RNN_TANH": torch.rnn_tanh, "RNN_RELU": torch.rnn_relu}


class ScratchLayer(nn.Module):
    """One direction of one layer: a cell unrolled over time."""

    def __init__(self, arch: str, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.arch = arch
        self.cell = make_cell(arch, input_size, hidden_size)
        self.state_taps: dict[str, list[Tensor]] | None = None  # set by rnnkit.analysis.gradient_flow.record_states
        self.parallel: bool | None = None  # the cell's parallel form, if it has one: None = on a GPU only

    def forward(self, inputs: Tensor, lengths: Tensor, gate_log: dict | None = None) -> tuple[Tensor, Tensor]:
        batch, time_steps, _ = inputs.shape
        shortest = int(lengths.min())
        # time-major, so each step's slice is one contiguous block: (time, batch, gates*hidden),
        # one matmul for all steps
        projected = self.cell.project_input(inputs.transpose(0, 1))
        running = step_mask(lengths, time_steps, inputs.device).t().unsqueeze(-1)  # (time, batch, 1)
        parallel = inputs.is_cuda if self.parallel is None else self.parallel
        if parallel and self.cell.has_scan and gate_log is None and self.state_taps is None:
            outputs = self.cell.scan(projected)  # (time, batch, hidden), every step at once
            if shortest < time_steps:
                outputs = outputs * running
            last = outputs[lengths.to(inputs.device) - 1, torch.arange(batch, device=inputs.device)]
            return outputs.transpose(0, 1), last
        state = self.cell.initial_state(batch, inputs)
        outputs = []
        for t, projected_t in enumerate(projected.unbind(0)):
            h_t, new_state = self.cell.step(projected_t, state, gate_log)
            if self.state_taps is not None:  # rnnkit.analysis.gradient_flow: dL/dh_t, dL/dc_t
                self._tap(new_state)
            if t >= shortest:  # some sequences have ended: their state stays as it was
                new_state = _where(running[t], new_state, state)
            state = new_state
            outputs.append(h_t)
        outputs = torch.stack(outputs)  # (time, batch, hidden)
        if shortest < time_steps:
            outputs = outputs * running
        last = state[0] if isinstance(state, tuple) else state  # h of a (h, c, ...) state
        return outputs.transpose(0, 1), last  # (batch, time, hidden)

    def _tap(self, new_state) -> None:
        """Keep step t's state in the graph with its gradient retained: the state the cell computed, before
        the mask, i.e. the h_t that is the step's output AND, while the sequence runs, the next step's
        input, so its gradient holds both paths (the masked copy would miss the output's). Rows that have
        ended get a zero gradient here (their output is masked, the mask keeps their old state)."""
        for name, value in (new_state._asdict() if isinstance(new_state, tuple) else {"h": new_state}).items():
            if value.requires_grad:
                value.retain_grad()
            self.state_taps.setdefault(name, []).append(value)


def _where(keep: Tensor, new, old):
    if isinstance(new, tuple):  # a NamedTuple state: (h, c) of the LSTM, (h, c, n, m) of the sLSTM
        return type(new)(*(torch.where(keep, part, old_part) for part, old_part in zip(new, old)))
    return torch.where(keep, new, old)


class ScratchBackbone(nn.Module):
    """A stack of `ScratchLayer`s, optionally bidirectional, with dropout between layers."""

    def __init__(self, config: ModelConfig, input_size: int, max_steps: int) -> None:
        super().__init__()
        self.directions = 2 if config.bidirectional else 1
        self.output_size = self.directions * config.hidden_size
        self.dropout = nn.Dropout(config.dropout)
        self.layers = nn.ModuleList()
        for index in range(config.num_layers):
            layer_input = input_size if index == 0 else self.output_size
            directions = [ScratchLayer(config.arch, layer_input, config.hidden_size) for _ in range(self.directions)]
            self.layers.append(nn.ModuleList(directions))
        if config.gate_init == "chrono":
            for directions in self.layers:
                for layer in directions:
                    chrono_init_(config.arch, layer.cell.bias_ih, getattr(layer.cell, "bias_hh", None), max_steps)

    def tap_points(self) -> list[ScratchLayer]:
        """The layers whose `state_taps` record the per-step states (rnnkit.analysis.gradient_flow)."""
        return [layer for directions in self.layers for layer in directions]

    def forward(
        self, inputs: Tensor, lengths: Tensor, gate_logs: list[dict] | None = None
    ) -> tuple[Tensor, Tensor]:
        """`gate_logs`, if given, receives one dict of per-step gate activations per layer and direction."""
        outputs = inputs
        for index, directions in enumerate(self.layers):
            if index > 0:
                outputs = self.dropout(outputs)
            results = []
            for direction, layer in enumerate(directions):
                log = {} if gate_logs is not None else None
                if direction == 0:
                    results.append(layer(outputs, lengths, log))
                else:
                    reversed_outputs, reversed_last = layer(reverse_padded(outputs, lengths), lengths, log)
                    results.append((reverse_padded(reversed_outputs, lengths), reversed_last))
                if gate_logs is not None:
                    gate_logs.append({name: torch.stack(steps, dim=1) for name, steps in log.items()})
            outputs = torch.cat([result[0] for result in results], dim=-1)
        last = torch.cat([result[1] for result in results], dim=-1)
        return outputs, last


BACKBONES = {"fused": FusedBackbone, "scratch": ScratchBackbone}


def build_backbone(config: ModelConfig, input_size: int, max_steps: int) -> nn.Module:
    """The backbone of `config.impl` (auto: fused where the cell has a torch twin); `max_steps` (longest
    sequence) sizes the chrono init."""
    architecture = get_cell(config.arch)
    if architecture.own_backbone:  # the Transformer: the registered class is the backbone
        resolve_impl(config.arch, config.impl)  # it exists only as rnnkit's own code ("scratch")
        return architecture(config, input_size, max_steps)
    return BACKBONES[resolve_impl(config.arch, config.impl)](config, input_size, max_steps)
