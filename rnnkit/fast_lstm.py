"""The hand-written LSTM's fast path: the whole sequence as one autograd function with a hand-written
backward pass (backpropagation through time written out), used by `ScratchLayer` when nothing asks
for per-step gates or states. Same equations as `rnnkit.cells.LSTMCell`, parity-tested against it
(outputs and every gradient, equal and ragged lengths).

Why it is faster than the cell loop under autograd: autograd records ~12 nodes per step and replays
them one by one; here the forward loop runs without a graph and keeps only the gate activations,
and the backward loop does one small matmul per step (dh_prev = dgates_t W_hh), while the recurrent
weight's gradient is one large matmul over all steps at the end:

    dW_hh = sum_t dgates_t^T h_{t-1}  =  dgates.reshape(T*B, 4H)^T @ h_prev.reshape(T*B, H)

Shapes: T steps, B sequences, H units; gates in torch's row order i, f, g, o. `running` (T, B, 1) is 1
while a sequence is inside its length: past it the state is carried unchanged and the output is 0.
"""
from __future__ import annotations

import torch
from torch import Tensor


class LSTMSequence(torch.autograd.Function):
    @staticmethod
    def forward(ctx, projected: Tensor, h0: Tensor, c0: Tensor, weight_hh: Tensor, running: Tensor | None):
        """projected (T, B, 4H) = W_ih x_t + b_ih + b_hh for every step; returns outputs (T, B, H), h_T, c_T."""
        steps, batch, _ = projected.shape
        hidden = h0.shape[1]
        gates = projected.new_empty(steps, batch, 4 * hidden)  # i, f, g, o after their nonlinearities
        tanh_cells = projected.new_empty(steps, batch, hidden)  # tanh(c_t) the step computed
        h_before = projected.new_empty(steps, batch, hidden)  # the state each step started from
        c_before = projected.new_empty(steps, batch, hidden)
        outputs = projected.new_empty(steps, batch, hidden)
        h, c = h0, c0
        weight_t = weight_hh.t()
        for t in range(steps):
            h_before[t], c_before[t] = h, c
            gate = gates[t]
            pre = torch.addmm(projected[t], h, weight_t)  # (B, 4H)
            torch.sigmoid(pre, out=gate)  # i, f, o = σ(...)
            torch.tanh(pre[:, 2 * hidden:3 * hidden], out=gate[:, 2 * hidden:3 * hidden])  # g = tanh(...)
            i, f, g, o = gate.chunk(4, dim=1)
            c_new = torch.addcmul(f * c, i, g)  # c_t = f ⊙ c_{t-1} + i ⊙ g
            h_new = torch.mul(o, torch.tanh(c_new, out=tanh_cells[t]), out=outputs[t])  # h_t = o ⊙ tanh(c_t)
            if running is None:
                h, c = h_new, c_new
            else:  # a sequence past its end keeps its state; its output is 0
                keep = running[t]
                h, c = torch.where(keep, h_new, h), torch.where(keep, c_new, c)
                outputs[t] *= keep
        ctx.save_for_backward(gates, tanh_cells, h_before, c_before, weight_hh,
                              running if running is not None else h0.new_empty(0))
        ctx.ragged = running is not None
        return outputs, h, c

    @staticmethod
    def backward(ctx, grad_outputs: Tensor, grad_h: Tensor, grad_c: Tensor):
        gates, tanh_cells, h_before, c_before, weight_hh, running = ctx.saved_tensors
        steps, batch, hidden = tanh_cells.shape
        i, f, g, o = gates.chunk(4, dim=2)  # each (T, B, H)
        # everything that does not depend on the recurrence, for all steps at once:
        through_tanh = o * (1 - tanh_cells * tanh_cells)  # dc_t += dh_t ⊙ o ⊙ tanh'(c_t)
        factors = torch.cat([g * i * (1 - i),  # dL/d(pre i)  = dc ⊙ g ⊙ σ'
                             c_before * f * (1 - f),  # dL/d(pre f) = dc ⊙ c_{t-1} ⊙ σ'
                             i * (1 - g * g),  # dL/d(pre g)  = dc ⊙ i ⊙ tanh'
                             tanh_cells * o * (1 - o)], dim=2)  # dL/d(pre o) = dh ⊙ tanh(c_t) ⊙ σ'
        if grad_outputs is None:
            grad_outputs = gates.new_zeros(steps, batch, hidden)
        keep = running.to(gates.dtype) if ctx.ragged else None
        dgates = gates.new_empty(gates.shape)
        dh = grad_h.clone() if grad_h is not None else gates.new_zeros(batch, hidden)
        dc = grad_c.clone() if grad_c is not None else gates.new_zeros(batch, hidden)
        for t in range(steps - 1, -1, -1):
            dh_cell = dh + grad_outputs[t]
            if keep is not None:  # past its end a sequence passes the gradient on unchanged
                through_h, through_c = dh * (1 - keep[t]), dc * (1 - keep[t])
                dh_cell, dc = dh_cell * keep[t], dc * keep[t]
            dc = torch.addcmul(dc, dh_cell, through_tanh[t])  # dL/dc_t
            step, factor = dgates[t], factors[t]
            torch.mul(factor[:, :3 * hidden].view(batch, 3, hidden), dc.unsqueeze(1),
                      out=step[:, :3 * hidden].view(batch, 3, hidden))
            torch.mul(factor[:, 3 * hidden:], dh_cell, out=step[:, 3 * hidden:])
            dh = step @ weight_hh  # (B, 4H) @ (4H, H): to h_{t-1}
            dc = dc * f[t]  # to c_{t-1}
            if keep is not None:
                dh, dc = dh + through_h, dc + through_c
        grad_weight = dgates.reshape(-1, 4 * hidden).t() @ h_before.reshape(-1, hidden)  # one matmul for all t
        return dgates, dh, dc, grad_weight, None
