"""sLSTM, the scalar-memory LSTM of xLSTM (Beck et al. 2024, "xLSTM: Extended Long Short-Term Memory").

It keeps the LSTM's recurrence (the gates read h_prev, so it runs step by step) and changes the gates:
the input and forget gates are exponential, i_t = exp(ĩ_t) and f_t = exp(f̃_t), so one strong input can
outweigh everything stored before ("revise a decision"), where a sigmoid gate can only ever write a
fraction. Exponentials overflow, so the cell keeps two more states:

    n_t  the normaliser: the same running sum as c_t with 1 in place of z_t, so h_t = o_t ⊙ c_t / n_t
         is a weighted average of the candidates z_k, whatever the gates' scale
    m_t  the stabiliser: the running maximum of the log gates; c_t and n_t are stored divided by
         exp(m_t), which cancels in c_t / n_t, so no exponential is ever larger than 1

Notation as in rnnkit.model.cells (x_t, h_prev, W_i*, W_h*, σ, ⊙). This is the paper's sLSTM with one
head (a full recurrent matrix; the paper's block-diagonal heads are left out) and without the
surrounding block (no up/down projections or group norm), so it sits in the same backbone as the LSTM.
The initial stabiliser is m_0 = -∞ (nothing stored yet): the first step's weights are then f'_1 = 0,
i'_1 = 1 exactly.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from rnnkit.model.registry import RecurrentCell, log_gates


class SLSTMState(NamedTuple):
    """sLSTM state, each (batch, hidden): hidden h, cell c, normaliser n, stabiliser m."""

    h: Tensor
    c: Tensor
    n: Tensor
    m: Tensor


class SLSTMCell(RecurrentCell):
    """sLSTM cell: exponential input and forget gates, a normaliser and a stabiliser state."""

    name, title, colour = "slstm", "sLSTM (xLSTM)", "#e377c2"
    gate_names = ("input", "forget", "candidate", "output")
    # no memory_gate: chrono init's σ(b) keep probability does not apply to an exponential forget gate
    measured_states = ("h", "c", "n")  # m cancels in c_t / n_t: its gradient is zero by construction
    equations = (
        "ĩ_t = W_ii x_t + W_hi h_prev + b_i", "f̃_t = W_if x_t + W_hf h_prev + b_f",
        "z_t = tanh(W_iz x_t + W_hz h_prev + b_z)", "o_t = σ(W_io x_t + W_ho h_prev + b_o)",
        "m_t = max(f̃_t + m_prev, ĩ_t)", "i'_t = exp(ĩ_t - m_t),  f'_t = exp(f̃_t + m_prev - m_t)",
        "c_t = f'_t ⊙ c_prev + i'_t ⊙ z_t", "n_t = f'_t ⊙ n_prev + i'_t", "h_t = o_t ⊙ c_t / n_t",
    )
    latex = (r"\begin{aligned} \tilde\imath_t &= W_{ii} x_t + W_{hi} h_{t-1} + b_i && \text{input gate } "
             r"i_t = e^{\tilde\imath_t} \\ "
             r"\tilde f_t &= W_{if} x_t + W_{hf} h_{t-1} + b_f && \text{forget gate } f_t = e^{\tilde f_t} \\ "
             r"z_t &= \tanh(W_{iz} x_t + W_{hz} h_{t-1} + b_z) && \text{candidate} \\ "
             r"o_t &= \sigma(W_{io} x_t + W_{ho} h_{t-1} + b_o) && \text{output gate} \\ "
             r"m_t &= \max(\tilde f_t + m_{t-1},\ \tilde\imath_t) && \text{stabiliser} \\ "
             r"i'_t &= e^{\tilde\imath_t - m_t},\quad f'_t = e^{\tilde f_t + m_{t-1} - m_t} "
             r"&& \text{stabilised gates} \\ "
             r"c_t &= f'_t \odot c_{t-1} + i'_t \odot z_t && \text{cell state} \\ "
             r"n_t &= f'_t \odot n_{t-1} + i'_t && \text{normaliser} \\ "
             r"h_t &= o_t \odot c_t / n_t && \text{hidden state} \end{aligned}")

    def initial_state(self, batch_size: int, like: Tensor) -> SLSTMState:
        zeros = like.new_zeros(batch_size, self.hidden_size)
        return SLSTMState(zeros, zeros, zeros, torch.full_like(zeros, float("-inf")))

    def step(self, projected_t: Tensor, state: SLSTMState, gate_log: dict | None = None):
        pre = torch.addmm(projected_t, state.h, self.weight_hh.t())  # (batch, 4*hidden)
        log_i, log_f, z, o = pre.chunk(4, dim=1)  # ĩ_t = log i_t and f̃_t = log f_t: exponential gates
        z_t = torch.tanh(z)  # candidate    z_t = tanh(W_iz x_t + W_hz h_prev + b_z): what could be written
        o_t = torch.sigmoid(o)  # output gate o_t = σ(W_io x_t + W_ho h_prev + b_o): how much memory to show
        m_t = torch.maximum(log_f + state.m, log_i)  # stabiliser m_t = max(f̃_t + m_prev, ĩ_t)
        i_t = torch.exp(log_i - m_t)  # input gate   i'_t = exp(ĩ_t - m_t) ≤ 1
        f_t = torch.exp(log_f + state.m - m_t)  # forget gate f'_t = exp(f̃_t + m_prev - m_t) ≤ 1
        c_t = f_t * state.c + i_t * z_t  # cell state   c_t = f'_t ⊙ c_prev + i'_t ⊙ z_t
        n_t = f_t * state.n + i_t  # normaliser   n_t = f'_t ⊙ n_prev + i'_t  (≥ i'_t, and i'_t = 1 where ĩ_t wins)
        h_t = o_t * c_t / n_t  # hidden state h_t = o_t ⊙ c_t / n_t
        log_gates(gate_log, input=i_t, forget=f_t, candidate=z_t, output=o_t)
        return h_t, SLSTMState(h_t, c_t, n_t, m_t)
