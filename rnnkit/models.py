"""Task models: one class per job around a shared recurrent backbone.

    inputs ──► encoder ──► backbone ──► head
               token ids: nn.Embedding (id 0 = padding)
               features:  used as they are

- `SequenceClassifier`  sequence -> class logits; the sequence summary is pooled over valid steps
  only (`last`, `mean` or `max`), so padding never changes a prediction.
- `SequenceRegressor`   sequence -> vector (e.g. the next 48 hourly temperatures).
- `LanguageModel`       sequence -> next-token logits at every step (unidirectional by nature).

`build_model(model_config, spec)` fills every size from the task's `TaskSpec`; the checkpoint stores
both, so a model is rebuilt for inference without the data.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.backbones import build_backbone, step_mask
from rnnkit.config import ModelConfig
from rnnkit.spec import PADDING_INDEX, TaskSpec


class SequenceModel(nn.Module):
    """Encoder + backbone; subclasses add the head."""

    def __init__(self, config: ModelConfig, spec: TaskSpec) -> None:
        super().__init__()
        self.config = config
        self.spec = spec
        if spec.input_kind == "tokens":
            width = spec.embedding_size or config.embedding_size
            self.encoder = nn.Embedding(spec.input_size, width, padding_idx=PADDING_INDEX)
            backbone_input = width
        else:
            self.encoder = nn.Identity()
            backbone_input = spec.input_size
        self.backbone = build_backbone(config, backbone_input, spec.max_steps)
        self.dropout = nn.Dropout(config.dropout)

    def encode(self, inputs: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """(outputs (batch, time, D), last (batch, D)) of the backbone."""
        return self.backbone(self.encoder(inputs), lengths)

    def load_embedding(self, vectors: Tensor, freeze: bool) -> None:
        """Initialise the embedding from pretrained vectors (e.g. word2vec), optionally frozen."""
        if not isinstance(self.encoder, nn.Embedding):
            raise ValueError("this task has no token embedding to initialise")
        if tuple(vectors.shape) != tuple(self.encoder.weight.shape):
            raise ValueError(
                f"pretrained vectors have shape {tuple(vectors.shape)}, the embedding needs "
                f"{tuple(self.encoder.weight.shape)}; set embedding_size to {vectors.shape[1]}"
            )
        with torch.no_grad():
            self.encoder.weight.copy_(vectors)
        self.encoder.weight.requires_grad_(not freeze)


class SequenceClassifier(SequenceModel):
    def __init__(self, config: ModelConfig, spec: TaskSpec) -> None:
        super().__init__(config, spec)
        self.head = nn.Linear(self.backbone.output_size, spec.output_size)

    def forward(self, inputs: Tensor, lengths: Tensor) -> Tensor:
        outputs, last = self.encode(inputs, lengths)
        return self.head(self.dropout(pool(outputs, last, lengths, self.config.pooling)))  # (batch, classes)


class SequenceRegressor(SequenceModel):
    def __init__(self, config: ModelConfig, spec: TaskSpec) -> None:
        super().__init__(config, spec)
        self.head = nn.Linear(self.backbone.output_size, spec.output_size)

    def forward(self, inputs: Tensor, lengths: Tensor) -> Tensor:
        outputs, last = self.encode(inputs, lengths)
        return self.head(self.dropout(pool(outputs, last, lengths, self.config.pooling)))  # (batch, horizon)


class LanguageModel(SequenceModel):
    def __init__(self, config: ModelConfig, spec: TaskSpec) -> None:
        if config.bidirectional:
            raise ValueError("a language model predicts the next token, so it cannot read backwards; "
                             "set bidirectional to false")
        super().__init__(config, spec)
        self.head = nn.Linear(self.backbone.output_size, spec.output_size)

    def forward(self, inputs: Tensor, lengths: Tensor) -> Tensor:
        outputs, _ = self.encode(inputs, lengths)
        return self.head(self.dropout(outputs))  # (batch, time, vocabulary)


def pool(outputs: Tensor, last: Tensor, lengths: Tensor, how: str) -> Tensor:
    """Summarise (batch, time, D) over each sequence's valid steps."""
    if how == "last":
        return last
    mask = step_mask(lengths, outputs.shape[1], outputs.device).unsqueeze(-1)  # (batch, time, 1)
    if how == "mean":
        return (outputs * mask).sum(1) / lengths.to(outputs.device, outputs.dtype).unsqueeze(1)
    if how == "max":
        return outputs.masked_fill(~mask, float("-inf")).amax(1)
    raise ValueError(f"unknown pooling {how!r}; valid: last, mean, max")


def build_model(config: ModelConfig, spec: TaskSpec) -> SequenceModel:
    """The model class of the task's job (`rnnkit.jobs`), sized from the spec."""
    from rnnkit.jobs import get_job

    return get_job(spec.job).model_class(config, spec)


def count_parameters(model: nn.Module) -> int:
    return sum(parameter.numel() for parameter in model.parameters())
