"""minGRU and minLSTM (Feng et al. 2024, "Were RNNs All We Needed?"): the GRU and the LSTM with the
hidden state taken out of the gates, so a whole sequence can be computed at once.

Both cells update the state as  h_t = a_t ⊙ h_prev + b_t,  where a_t and b_t depend on x_t ONLY. Then

    h_t = Σ_{k ≤ t} (a_{k+1} ⊙ ... ⊙ a_t) ⊙ b_k        (h_0 = 0)

is a prefix sum that needs no loop. In log space (every a_t, b_t > 0; the candidate passes through
g(v) = v + 1/2 for v ≥ 0, σ(v) below, which is positive) with A_t = Σ_{j ≤ t} log a_j:

    log h_t = A_t + logcumsumexp_k (log b_k - A_k)

`scan` computes exactly that (two cumulative operations over time), `step` the textbook recurrence one
step at a time. The backbone trains with `scan` on a GPU and with `step` on a CPU (faster there, measured
in docs/architectures.md) and whenever gates or states are watched (Inside, gradient flow), so
tests/test_family.py checks they agree (outputs and gradients, float64).

Notation: x_t input (batch, input_size); h_prev (batch, hidden); W_*, b_* rows of `weight_ih`,
`bias_ih` (no recurrent weights: `recurrent_weights = False`); σ sigmoid; ⊙ element-wise product.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit.model.registry import RecurrentCell, log_gates


def positive(value: Tensor) -> Tensor:
    """g(v) = v + 1/2 for v ≥ 0, σ(v) below: continuous, increasing and always positive."""
    return torch.where(value >= 0, value.clamp(min=0) + 0.5, torch.sigmoid(value))


def log_positive(value: Tensor) -> Tensor:
    """log g(v), computed without leaving log space (log σ(v) = -softplus(-v))."""
    return torch.where(value >= 0, torch.log(value.clamp(min=0) + 0.5), -F.softplus(-value))


def log_space_scan(log_keep: Tensor, log_write: Tensor) -> Tensor:
    """h_t = a_t ⊙ h_prev + b_t over dim 0 (time) from h_0 = 0, given log a_t and log b_t."""
    keep_so_far = torch.cumsum(log_keep, dim=0)  # A_t = Σ_{j≤t} log a_j      (time, batch, hidden)
    return torch.exp(keep_so_far + torch.logcumsumexp(log_write - keep_so_far, dim=0))


class MinGRUCell(RecurrentCell):
    """minGRU: one update gate z_t and a candidate h̃_t, both from x_t alone. No reset gate (there is no
    h_prev inside the candidate to reset). z_t weighs the NEW value here (the paper's convention)."""

    name, title, colour = "mingru", "minGRU", "#17becf"
    gate_names = ("update", "candidate")
    write_gate = "update"  # chrono init: a negative bias, so 1 - z_t keeps memory for long
    recurrent_weights = False
    has_scan = True
    unbounded = ("candidate", "h")  # g(v) > 0 has no upper bound, and h_t averages such values
    equations = ("z_t = σ(W_z x_t + b_z)", "h̃_t = g(W_h x_t + b_h)", "h_t = (1 - z_t) ⊙ h_prev + z_t ⊙ h̃_t")
    latex = (r"\begin{aligned} z_t &= \sigma(W_z x_t + b_z) && \text{update gate} \\ "
             r"\tilde h_t &= g(W_h x_t + b_h) && \text{candidate, } g(v) = v + \tfrac12 \ (v \ge 0),\ \sigma(v) "
             r"\ (v < 0) \\ "
             r"h_t &= (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t && \text{new state} \end{aligned}")

    def step(self, projected_t: Tensor, h_prev: Tensor, gate_log: dict | None = None):
        x_z, x_h = projected_t.chunk(2, dim=1)
        z_t = torch.sigmoid(x_z)  # update gate  z_t = σ(W_z x_t + b_z): how much of the new value to take
        candidate = positive(x_h)  # candidate  h̃_t = g(W_h x_t + b_h): the new value
        h_t = (1 - z_t) * h_prev + z_t * candidate  # new state  h_t = (1 - z_t) ⊙ h_prev + z_t ⊙ h̃_t
        log_gates(gate_log, update=z_t, candidate=candidate)
        return h_t, h_t

    def scan(self, projected: Tensor) -> Tensor:
        x_z, x_h = projected.chunk(2, dim=-1)  # (time, batch, hidden) each
        log_keep = -F.softplus(x_z)  # log(1 - z_t)
        log_write = -F.softplus(-x_z) + log_positive(x_h)  # log(z_t ⊙ h̃_t)
        return log_space_scan(log_keep, log_write)


class MinLSTMCell(RecurrentCell):
    """minLSTM: forget and input gates from x_t alone, normalised to sum to one, so the state is a running
    weighted average of candidates (no cell state beside h, no output gate)."""

    name, title, colour = "minlstm", "minLSTM", "#bcbd22"
    gate_names = ("forget", "input", "candidate")
    memory_gate, write_gate = "forget", "input"
    recurrent_weights = False
    has_scan = True
    unbounded = ("candidate", "h")
    equations = ("f_t = σ(W_f x_t + b_f)", "i_t = σ(W_i x_t + b_i)", "h̃_t = g(W_h x_t + b_h)",
                 "f'_t = f_t / (f_t + i_t),  i'_t = i_t / (f_t + i_t)", "h_t = f'_t ⊙ h_prev + i'_t ⊙ h̃_t")
    latex = (r"\begin{aligned} f_t &= \sigma(W_f x_t + b_f) && \text{forget gate} \\ "
             r"i_t &= \sigma(W_i x_t + b_i) && \text{input gate} \\ "
             r"\tilde h_t &= g(W_h x_t + b_h) && \text{candidate} \\ "
             r"f'_t &= \tfrac{f_t}{f_t + i_t},\quad i'_t = \tfrac{i_t}{f_t + i_t} && \text{normalised gates} \\ "
             r"h_t &= f'_t \odot h_{t-1} + i'_t \odot \tilde h_t && \text{new state} \end{aligned}")

    def step(self, projected_t: Tensor, h_prev: Tensor, gate_log: dict | None = None):
        x_f, x_i, x_h = projected_t.chunk(3, dim=1)
        f_t = torch.sigmoid(x_f)  # forget gate  f_t = σ(W_f x_t + b_f): how much memory to keep
        i_t = torch.sigmoid(x_i)  # input gate   i_t = σ(W_i x_t + b_i): how much new to write
        candidate = positive(x_h)  # candidate  h̃_t = g(W_h x_t + b_h)
        keep, write = f_t / (f_t + i_t), i_t / (f_t + i_t)  # f'_t, i'_t: the two weights sum to one
        h_t = keep * h_prev + write * candidate  # new state  h_t = f'_t ⊙ h_prev + i'_t ⊙ h̃_t
        log_gates(gate_log, forget=keep, input=write, candidate=candidate)
        return h_t, h_t

    def scan(self, projected: Tensor) -> Tensor:
        x_f, x_i, x_h = projected.chunk(3, dim=-1)  # (time, batch, hidden) each
        difference = F.softplus(-x_f) - F.softplus(-x_i)  # log i_t - log f_t
        log_keep = -F.softplus(difference)  # log f'_t = log f_t - log(f_t + i_t)
        log_write = -F.softplus(-difference) + log_positive(x_h)  # log(i'_t ⊙ h̃_t)
        return log_space_scan(log_keep, log_write)
