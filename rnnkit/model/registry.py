"""The architecture registry and what every cell shares: the `RecurrentCell` base class, the LSTM-style
state tuple, the gate log, and chrono initialisation.

An architecture is one class. It declares everything the rest of rnnkit knows about it (gate names in
torch's row order, the gate that holds memory, its fused torch twin, its colour, its equations) and is
registered with `register_cell`; config validation, the command line, the dashboard's choices and
colours, and the chrono initialisation all read this registry. The cells themselves live in
`rnnkit.model.cells` (the 1990s family), `rnnkit.model.minimal` (minGRU, minLSTM) and
`rnnkit.model.slstm` (xLSTM's sLSTM); `rnnkit.model.cells` registers them all, in menu order.
"""
from __future__ import annotations

import math
from typing import ClassVar, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class LSTMState(NamedTuple):
    """LSTM state: the hidden state h and the cell (memory) state c, each (batch, hidden_size)."""

    h: Tensor
    c: Tensor


def log_gates(gate_log: dict[str, list[Tensor]] | None, **gates: Tensor) -> None:
    """Append each gate's activation (detached) to `gate_log`, when there is one (Inside's heatmaps)."""
    if gate_log is not None:
        for name, value in gates.items():
            gate_log.setdefault(name, []).append(value.detach())


class Architecture:
    """What an architecture declares about itself (class attributes only); the registry holds such classes.

    Most architectures are a `RecurrentCell` that the shared backbones unroll; one that builds its own
    backbone (the Transformer) sets `own_backbone` and is constructed as `cls(config, input_size, max_steps)`.
    """

    name: ClassVar[str] = ""  # registry name, e.g. "lstm"
    title: ClassVar[str] = ""  # for menus and legends
    gate_names: ClassVar[tuple[str, ...]] = ()  # blocks of weight_ih / weight_hh rows, in torch's order
    memory_gate: ClassVar[str | None] = None  # the gate that keeps memory: chrono init sets its bias
    write_gate: ClassVar[str | None] = None  # a gate chrono init sets to the opposite bias (LSTM input)
    fused_layer: ClassVar[str | None] = None  # torch.nn layer with the same parameters ("LSTM"), if any
    colour: ClassVar[str] = "#7f7f7f"  # its colour on every chart and page
    equations: ClassVar[tuple[str, ...]] = ()  # one line per gate, for display
    latex: ClassVar[str] = ""  # the same equations for st.latex (an aligned block)
    unbounded: ClassVar[tuple[str, ...]] = ()  # logged gates/states outside [0, 1] / [-1, 1]: heatmaps fit the data
    measured_states: ClassVar[tuple[str, ...]] = ("h", "c")  # states whose gradient the flow view measures
    own_backbone: ClassVar[bool] = False  # True: the class is the whole backbone (no cell, no gates)
    activation_values: ClassVar[int | None] = None  # values kept per (sequence, step, unit) for the backward
    # pass where the gate formula of rnnkit.model.memory does not fit (measured: tests/test_family.py)
    has_scan: ClassVar[bool] = False  # a parallel form exists (`RecurrentCell.scan`)

    @classmethod
    def step_activations(cls, config, steps: int) -> int:
        """Values kept per (sequence, step) for the backward pass beyond the per-unit ones (rnnkit.model.memory),
        for a model `config` reading `steps` steps: none for a recurrent cell."""
        return 0


class RecurrentCell(nn.Module, Architecture):
    """Shared parameters and helpers; a subclass declares itself (see `Architecture`) and defines `step`."""

    recurrent_weights: ClassVar[bool] = True  # False: the gates read only x_t (no weight_hh, bias_hh)

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        rows = len(self.gate_names) * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(rows, input_size))
        self.bias_ih = nn.Parameter(torch.empty(rows))
        if self.recurrent_weights:
            self.weight_hh = nn.Parameter(torch.empty(rows, hidden_size))
            self.bias_hh = nn.Parameter(torch.empty(rows))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # torch's initialisation, so both implementations start from the same distribution
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def initial_state(self, batch_size: int, like: Tensor):
        return like.new_zeros(batch_size, self.hidden_size)

    def project_input(self, x: Tensor) -> Tensor:
        """W_ih x + biases for any leading shape, e.g. (batch, time, input) -> (batch, time, gates*hidden)."""
        bias = self.bias_ih + self.bias_hh if self.recurrent_weights else self.bias_ih
        return F.linear(x, self.weight_ih, bias)

    def forward(self, x_t: Tensor, state=None, gate_log: dict | None = None):
        if state is None:
            state = self.initial_state(x_t.shape[0], x_t)
        return self.step(self.project_input(x_t), state, gate_log)

    def step(self, projected_t: Tensor, state, gate_log: dict | None = None):
        raise NotImplementedError

    # A cell whose gates read only x_t can also compute a whole sequence at once (the parallel form);
    # it overrides `scan` and sets `has_scan`. The backbone uses it for training and the step form
    # whenever gates or states are recorded (Inside, gradient flow), so both forms must agree.
    def scan(self, projected: Tensor) -> Tensor:
        """(time, batch, gates*hidden) projected inputs -> (time, batch, hidden) outputs from a zero state."""
        raise NotImplementedError(f"the {self.title} has no parallel form")


# ------------------------------------------------------------------------------------- registry
CELLS: dict[str, type[Architecture]] = {}  # name -> class, in registration order (the menus' order)


def register_cell(cell: type[Architecture]) -> type[Architecture]:
    """Add an architecture to the registry (usable as a decorator); its declaration is checked here."""
    if not cell.name or not (cell.gate_names or cell.own_backbone):
        raise ValueError(f"{cell.__name__} must declare a name and its gate_names")
    for gate in (cell.memory_gate, cell.write_gate):
        if gate is not None and gate not in cell.gate_names:
            raise ValueError(f"{cell.__name__}: {gate!r} is not one of its gates {cell.gate_names}")
    if cell.fused_layer is not None and not hasattr(nn, cell.fused_layer):
        raise ValueError(f"{cell.__name__}: torch.nn has no layer {cell.fused_layer!r}")
    CELLS[cell.name] = cell
    return cell


def cell_names() -> tuple[str, ...]:
    return tuple(CELLS)


def get_cell(name: str) -> type[Architecture]:
    """The class registered as `name`; an unknown name raises ValueError listing the valid ones."""
    if name not in CELLS:
        raise ValueError(f"unknown architecture {name!r}; valid: {', '.join(CELLS)}")
    return CELLS[name]


def make_cell(arch: str, input_size: int, hidden_size: int) -> RecurrentCell:
    cell = get_cell(arch)
    if not issubclass(cell, RecurrentCell):
        raise ValueError(f"the {cell.title} ({arch}) is not a recurrent cell")
    return cell(input_size, hidden_size)


@torch.no_grad()
def chrono_init_(arch: str, bias_ih: Tensor, bias_hh: Tensor | None, max_steps: int) -> None:
    """Chrono initialisation (Tallec & Ollivier, ICLR 2018) of one layer's biases, in torch's layout
    (the same for a cell and its fused twin; `bias_hh` is None for cells whose gates read only x_t).

    A gate that keeps memory with probability σ(b) remembers for about 1/(1-σ(b)) steps. Drawing
    b_keep = log(U[1, max_steps-1]) spreads the units' memory spans over 1..max_steps, so from the
    first update the gradient reaches back to the start of long sequences. The cell's `memory_gate`
    gets b_keep (LSTM: forget gate; GRU: update gate), its `write_gate` -b_keep (LSTM: input gate;
    minGRU: its update gate, which weighs the NEW value). A cell with neither (the RNN) is left as it
    is: that is exactly why it cannot learn long memories.
    """
    cell = get_cell(arch)
    if (cell.memory_gate is None and cell.write_gate is None) or bias_ih.is_meta:
        return  # on the meta device (counting parameters) there are no values; torch.rand there imports dynamo (1 s)
    hidden = bias_ih.shape[0] // len(cell.gate_names)
    span = torch.log(torch.rand(hidden, device=bias_ih.device) * max(max_steps - 2, 1) + 1)
    for gate, value in ((cell.memory_gate, span), (cell.write_gate, -span)):
        if gate is None:
            continue
        rows = slice(cell.gate_names.index(gate) * hidden, (cell.gate_names.index(gate) + 1) * hidden)
        bias_ih[rows] = value
        if bias_hh is not None:
            bias_hh[rows] = 0
