"""Hand-written recurrent cells: the textbook equations, one line per gate.

Every cell has the signature `forward(x_t, state) -> (h_t, state)` and the same parameter names and
layout as `torch.nn.RNNCell / LSTMCell / GRUCell` (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`,
gates stacked in torch's order), so the tests can copy weights across and compare outputs and
gradients.

Notation, shared by all cells (shapes for one time step):
    x_t      input at step t                      (batch, input_size)
    h_prev   hidden state from step t-1           (batch, hidden_size)
    W_i*     input weights of a gate, rows of `weight_ih`
    W_h*     recurrent weights of a gate, rows of `weight_hh`
    σ        logistic sigmoid;  ⊙ element-wise product

A sequence layer (`rnnkit.model.backbones`) calls `step(projected_t, state)` instead of `forward`: the
input projection `W_i* x_t + b` does not depend on the state, so it is computed for all time steps in
one matrix product before the loop (`project_input`), and only the recurrent part stays inside it.

`gate_log`, when given a dict, receives each gate's activation (detached) so the dashboard can show
what the gates do; training passes None and pays nothing.

An architecture is one class. It declares everything the rest of rnnkit knows about it (gate names in
torch's row order, the gate that holds memory, its state, its fused torch twin, its colour, its
equations); the base class and the registry live in `rnnkit.model.registry` (re-exported here). This
module registers the whole family at its end, in the menus' order: the cells here, then minGRU and
minLSTM (`rnnkit.model.minimal`) and xLSTM's sLSTM (`rnnkit.model.slstm`); every process that imports
this module knows them all.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.model.minimal import MinGRUCell, MinLSTMCell
from rnnkit.model.registry import (
    CELLS,
    LSTMState,
    RecurrentCell,
    cell_names,
    chrono_init_,
    get_cell,
    make_cell,
    register_cell,
)
from rnnkit.model.registry import log_gates as _log_gates
from rnnkit.model.slstm import SLSTMCell
from rnnkit.model.transformer import TransformerBackbone

__all__ = ["CELLS", "GRUCell", "LSTMCell", "LSTMState", "MinGRUCell", "MinLSTMCell", "RNNCell", "RecurrentCell",
           "ResidualLSTMCell", "SLSTMCell", "TransformerBackbone", "cell_names", "chrono_init_", "get_cell",
           "make_cell", "register_cell"]


class RNNCell(RecurrentCell):
    """Elman RNN: one tanh layer over the input and the previous state. No gate, so no way to hold
    information for long: the gradient through h is multiplied by W_hh and tanh' at every step."""

    name, title, colour = "rnn", "RNN (Elman)", "#d62728"
    gate_names = ("hidden",)
    fused_layer = "RNN"
    equations = ("h_t = tanh(W_ih x_t + b_ih + W_hh h_prev + b_hh)",)
    latex = r"h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})"

    def step(self, projected_t: Tensor, h_prev: Tensor, gate_log: dict | None = None):
        # h_t = tanh(W_ih x_t + b_ih + W_hh h_prev + b_hh)
        h_t = torch.tanh(torch.addmm(projected_t, h_prev, self.weight_hh.t()))
        _log_gates(gate_log, hidden=h_t)
        return h_t, h_t


class LSTMCell(RecurrentCell):
    """Long short-term memory (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al.).

    The cell state c is updated additively, so information (and gradient) can pass many steps
    unchanged while the forget gate stays near 1.
    """

    name, title, colour = "lstm", "LSTM", "#1f77b4"
    gate_names = ("input", "forget", "candidate", "output")
    memory_gate, write_gate = "forget", "input"
    fused_layer = "LSTM"
    equations = (
        "i_t = σ(W_ii x_t + W_hi h_prev + b_i)", "f_t = σ(W_if x_t + W_hf h_prev + b_f)",
        "g_t = tanh(W_ig x_t + W_hg h_prev + b_g)", "o_t = σ(W_io x_t + W_ho h_prev + b_o)",
        "c_t = f_t ⊙ c_prev + i_t ⊙ g_t", "h_t = o_t ⊙ tanh(c_t)",
    )
    latex = (r"\begin{aligned} i_t &= \sigma(W_{ii} x_t + W_{hi} h_{t-1} + b_i) && \text{input gate} \\ "
             r"f_t &= \sigma(W_{if} x_t + W_{hf} h_{t-1} + b_f) && \text{forget gate} \\ "
             r"g_t &= \tanh(W_{ig} x_t + W_{hg} h_{t-1} + b_g) && \text{candidate} \\ "
             r"o_t &= \sigma(W_{io} x_t + W_{ho} h_{t-1} + b_o) && \text{output gate} \\ "
             r"c_t &= f_t \odot c_{t-1} + i_t \odot g_t && \text{cell state} \\ "
             r"h_t &= o_t \odot \tanh(c_t) && \text{hidden state} \end{aligned}")

    def initial_state(self, batch_size: int, like: Tensor) -> LSTMState:
        zeros = like.new_zeros(batch_size, self.hidden_size)
        return LSTMState(zeros, zeros)

    def gates(self, projected_t: Tensor, state: LSTMState):
        """The four gate activations and the new cell state c_t."""
        pre = torch.addmm(projected_t, state.h, self.weight_hh.t())  # (batch, 4*hidden)
        i, f, g, o = pre.chunk(4, dim=1)
        i_t = torch.sigmoid(i)  # input gate   i_t = σ(W_ii x_t + W_hi h_prev + b_i): how much new to write
        f_t = torch.sigmoid(f)  # forget gate  f_t = σ(W_if x_t + W_hf h_prev + b_f): how much memory to keep
        g_t = torch.tanh(g)  # candidate    g_t = tanh(W_ig x_t + W_hg h_prev + b_g): what could be written
        o_t = torch.sigmoid(o)  # output gate  o_t = σ(W_io x_t + W_ho h_prev + b_o): how much memory to show
        c_t = f_t * state.c + i_t * g_t  # cell state   c_t = f_t ⊙ c_prev + i_t ⊙ g_t
        return i_t, f_t, g_t, o_t, c_t

    def step(self, projected_t: Tensor, state: LSTMState, gate_log: dict | None = None):
        i_t, f_t, g_t, o_t, c_t = self.gates(projected_t, state)
        h_t = o_t * torch.tanh(c_t)  # hidden state h_t = o_t ⊙ tanh(c_t)
        _log_gates(gate_log, input=i_t, forget=f_t, candidate=g_t, output=o_t, cell=c_t)
        return h_t, LSTMState(h_t, c_t)


class GRUCell(RecurrentCell):
    """Gated recurrent unit (Cho et al. 2014), in torch's formulation.

    One update gate z interpolates between keeping the old state and taking a new candidate; the
    reset gate r decides how much of the old state the candidate may look at.
    """

    name, title, colour = "gru", "GRU", "#2ca02c"
    gate_names = ("reset", "update", "candidate")
    memory_gate = "update"  # z keeps the old state
    fused_layer = "GRU"
    equations = (
        "r_t = σ(W_ir x_t + b_ir + W_hr h_prev + b_hr)", "z_t = σ(W_iz x_t + b_iz + W_hz h_prev + b_hz)",
        "n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_prev + b_hn))", "h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_prev",
    )
    latex = (r"\begin{aligned} r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) && \text{reset gate} \\ "
             r"z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) && \text{update gate} \\ "
             r"n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) && \text{candidate} \\ "
             r"h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1} && \text{new state} \end{aligned}")

    def project_input(self, x: Tensor) -> Tensor:
        # b_hn sits inside r ⊙ (...), so only b_ih can be folded into the input projection
        return F.linear(x, self.weight_ih, self.bias_ih)

    def step(self, projected_t: Tensor, h_prev: Tensor, gate_log: dict | None = None):
        x_r, x_z, x_n = projected_t.chunk(3, dim=1)
        h_r, h_z, h_n = torch.addmm(self.bias_hh, h_prev, self.weight_hh.t()).chunk(3, dim=1)
        r_t = torch.sigmoid(x_r + h_r)  # reset gate   r_t = σ(W_ir x_t + b_ir + W_hr h_prev + b_hr)
        z_t = torch.sigmoid(x_z + h_z)  # update gate  z_t = σ(W_iz x_t + b_iz + W_hz h_prev + b_hz)
        n_t = torch.tanh(x_n + r_t * h_n)  # candidate n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_prev + b_hn))
        h_t = n_t + z_t * (h_prev - n_t)  # new state  h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_prev
        _log_gates(gate_log, reset=r_t, update=z_t, candidate=n_t)
        return h_t, h_t


class ResidualLSTMCell(LSTMCell):
    """LSTM with a residual path from the input (the IMDB lab report's "残差LSTM"):

        h_t = o_t ⊙ tanh(c_t) + F(x_t),   F = identity if input and hidden sizes match, else W_res x_t

    Gates and the cell state are the LSTM's. The shortcut gives gradients a path that skips the
    gates; the report found it no better than a plain LSTM on IMDB with one layer.
    """

    name, title, colour = "reslstm", "residual LSTM", "#9467bd"
    fused_layer = None  # torch has no fused version
    equations = (*LSTMCell.equations[:-1], "h_t = o_t ⊙ tanh(c_t) + F(x_t)")
    latex = LSTMCell.latex.replace(r"h_t &= o_t \odot \tanh(c_t)", r"h_t &= o_t \odot \tanh(c_t) + F(x_t)")

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__(input_size, hidden_size)
        if input_size == hidden_size:
            self.residual = nn.Identity()
        else:
            self.residual = nn.Linear(input_size, hidden_size, bias=False)  # W_res

    def project_input(self, x: Tensor) -> Tensor:
        # gate pre-activations and F(x_t) side by side: (..., 4*hidden + hidden)
        return torch.cat([super().project_input(x), self.residual(x)], dim=-1)

    def step(self, projected_t: Tensor, state: LSTMState, gate_log: dict | None = None):
        gate_part, residual_t = projected_t.split([4 * self.hidden_size, self.hidden_size], dim=1)
        i_t, f_t, g_t, o_t, c_t = self.gates(gate_part, state)
        h_t = o_t * torch.tanh(c_t) + residual_t  # h_t = o_t ⊙ tanh(c_t) + F(x_t)
        _log_gates(gate_log, input=i_t, forget=f_t, candidate=g_t, output=o_t, cell=c_t)
        return h_t, LSTMState(h_t, c_t)


# ------------------------------------------------------------------------- registration, menu order
for _cell in (RNNCell, LSTMCell, GRUCell, ResidualLSTMCell, MinGRUCell, MinLSTMCell, SLSTMCell, TransformerBackbone):
    register_cell(_cell)
