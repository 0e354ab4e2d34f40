"""The attention baseline: a small Transformer encoder (Vaswani et al. 2017) with the backbone contract of
rnnkit.model.backbones, so the same heads, engine, presets and metrics train it beside the recurrent cells.

    backbone(inputs, lengths) -> (outputs, last)      as for the recurrent backbones
        inputs   (batch, time, input_size)   padded at the end
        outputs  (batch, time, hidden)       zeros at padded steps
        last     (batch, hidden)             the output at each sequence's last valid step

    x_t = W_in x_t + p_t                               input projection + sinusoidal position p_t
    per block (pre-norm, `num_layers` blocks):
        a   = softmax(q kᵀ / √d_head + mask) v         each position reads earlier ones (one row per head)
        x  ← x + W_o a(LayerNorm(x))
        x  ← x + W_2 GELU(W_1 LayerNorm(x))            feed-forward, 4 x hidden wide
    outputs = LayerNorm(x)

What position t may read (`allowed`): the valid steps of its own sequence (padding is never read), and
only steps s ≤ t unless `bidirectional` (a language model is never bidirectional, so it is always causal).
A padded step therefore changes no output. The width is `hidden_size`, with 4 heads where it divides
(else 2, else 1); positions are sinusoidal, so any length can be read and they cost no parameter.

For the Inside page: `attention_log`, when set to a list, receives every block's attention weights
(batch, heads, time, time); each block's input per step is tapped for the gradient flow (||dL/dx_t||
of the first block is the gradient reaching input token t) like a recurrent layer's states.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from rnnkit.config.run import ModelConfig
from rnnkit.model.registry import Architecture

FEEDFORWARD = 4  # the feed-forward layer's width, in multiples of the hidden size


def attention_heads(width: int) -> int:
    """4 heads where they divide the width, else 2, else 1."""
    return next(heads for heads in (4, 2, 1) if width % heads == 0)


def sinusoids(steps: int, width: int, like: Tensor) -> Tensor:
    """(steps, width) sinusoidal positions: sin(t / 10000^(2i/width)) and cos(...) interleaved."""
    position = torch.arange(steps, device=like.device, dtype=like.dtype)[:, None]
    even = torch.arange(0, width, 2, device=like.device, dtype=like.dtype)  # 2i
    frequency = torch.exp(even * (-math.log(10000.0) / width))
    table = torch.zeros(steps, width, device=like.device, dtype=like.dtype)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)[:, : width // 2]
    return table


class AttentionBlock(nn.Module):
    """One pre-norm Transformer block: multi-head self-attention, then a feed-forward layer."""

    def __init__(self, width: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.norm_attention = nn.LayerNorm(width)
        self.query_key_value = nn.Linear(width, 3 * width)
        self.attention_output = nn.Linear(width, width)
        self.norm_feedforward = nn.LayerNorm(width)
        self.feedforward = nn.Sequential(nn.Linear(width, FEEDFORWARD * width), nn.GELU(),
                                         nn.Linear(FEEDFORWARD * width, width))
        self.dropout = nn.Dropout(dropout)
        self.state_taps: dict[str, list[Tensor]] | None = None  # set by rnnkit.analysis.gradient_flow.record_states

    def forward(self, x: Tensor, allowed: Tensor, attention_log: list | None = None) -> Tensor:
        """x (batch, time, width); allowed (batch, 1, time, time): may query t read key s."""
        batch, time_steps, width = x.shape
        if self.state_taps is not None:
            x = _tap(x, self.state_taps)
        head_width = width // self.heads
        qkv = self.query_key_value(self.norm_attention(x)).view(batch, time_steps, 3, self.heads, head_width)
        query, key, value = qkv.permute(2, 0, 3, 1, 4)  # each (batch, heads, time, head_width)
        scores = query @ key.transpose(-1, -2) / math.sqrt(head_width)  # (batch, heads, time, time)
        weights = scores.masked_fill(~allowed, float("-inf")).softmax(dim=-1)  # each row sums to 1
        if attention_log is not None:
            attention_log.append(weights.detach())
        read = (self.dropout(weights) @ value).transpose(1, 2).reshape(batch, time_steps, width)
        x = x + self.dropout(self.attention_output(read))
        return x + self.dropout(self.feedforward(self.norm_feedforward(x)))


def _tap(x: Tensor, taps: dict[str, list[Tensor]]) -> Tensor:
    """Keep the block's input of every step in the graph with its gradient retained (as a recurrent
    layer's h_t): the steps are split, tapped and stacked again, so the gradient passes through them."""
    steps = list(x.unbind(1))
    for step in steps:
        if step.requires_grad:
            step.retain_grad()
    taps.setdefault("h", []).extend(steps)
    return torch.stack(steps, dim=1)


class TransformerBackbone(nn.Module, Architecture):
    """A stack of `AttentionBlock`s over a padded batch; registered as the architecture "transformer"."""

    name, title, colour = "transformer", "Transformer", "#8c6d31"
    own_backbone = True
    measured_states = ("h",)
    activation_values = 24  # per (sequence, step, unit) and block, beside the attention maps (measured)
    equations = ("x_t = W_in x_t + p_t", "a_t = Σ_s softmax_s(q_t·k_s / √d) v_s   (s ≤ t, s a real step)",
                 "x_t ← x_t + W_o a_t", "x_t ← x_t + W_2 GELU(W_1 x_t)")
    latex = (r"\begin{aligned} x_t &= W_{in} x_t + p_t && \text{input + position} \\ "
             r"\alpha_{ts} &= \operatorname{softmax}_s\big(q_t \cdot k_s / \sqrt{d}\big),\ s \le t "
             r"&& \text{attention weights} \\ "
             r"x_t &\leftarrow x_t + W_o \textstyle\sum_s \alpha_{ts} v_s && \text{read earlier steps} \\ "
             r"x_t &\leftarrow x_t + W_2\,\mathrm{GELU}(W_1 x_t) && \text{feed-forward} \end{aligned}")

    @classmethod
    def step_activations(cls, config: ModelConfig, steps: int) -> int:
        # per block, the attention scores, weights and their dropout: heads x steps values at every step
        return 3 * config.num_layers * attention_heads(config.hidden_size) * steps

    def __init__(self, config: ModelConfig, input_size: int, max_steps: int) -> None:
        super().__init__()
        width = config.hidden_size
        self.directions = 1  # one stack reads the whole sequence (both ways when bidirectional)
        self.output_size = width
        self.causal = not config.bidirectional
        self.heads = attention_heads(width)
        self.input_projection = nn.Linear(input_size, width)
        self.input_dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(AttentionBlock(width, self.heads, config.dropout)
                                    for _ in range(config.num_layers))
        self.norm = nn.LayerNorm(width)
        self.attention_log: list[Tensor] | None = None  # set by rnnkit.analysis.inside.attention_maps

    def forward(self, inputs: Tensor, lengths: Tensor, gate_logs: list[dict] | None = None) -> tuple[Tensor, Tensor]:
        """`gate_logs`, if given, receives one (empty) dict per block: a Transformer has no gates."""
        batch, time_steps, _ = inputs.shape
        lengths = lengths.to(inputs.device)
        valid = torch.arange(time_steps, device=inputs.device)[None, :] < lengths[:, None]  # (batch, time)
        allowed = valid[:, None, None, :]  # keys: real steps only         (batch, 1, 1, time)
        if self.causal:  # and only earlier ones                            (batch, 1, time, time)
            allowed = allowed & torch.ones(time_steps, time_steps, dtype=torch.bool, device=inputs.device).tril()
        x = self.input_projection(inputs)
        x = self.input_dropout(x + sinusoids(time_steps, x.shape[-1], x))
        for block in self.blocks:
            x = block(x, allowed, self.attention_log)
            if gate_logs is not None:
                gate_logs.append({})
        outputs = self.norm(x) * valid.unsqueeze(-1)  # (batch, time, hidden), zeros at padded steps
        return outputs, outputs[torch.arange(batch, device=inputs.device), lengths - 1]

    def tap_points(self) -> list[nn.Module]:
        """The modules whose `state_taps` record the per-step states (rnnkit.analysis.gradient_flow)."""
        return list(self.blocks)
