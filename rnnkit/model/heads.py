"""Task models: a recurrent backbone with the head a job needs (each class declares the `jobs` it serves).

    inputs ──► encoder ──► backbone ──► head
               token ids: nn.Embedding (id 0 = padding), plus hashed n-grams when `ngrams` > 1
               features:  used as they are

- `PooledModel`    sequence -> one vector: class logits (classify) or the next values (regress, e.g. the
  next 48 hourly temperatures); the sequence summary is pooled over valid steps only (`last`, `mean`
  or `max`), so padding never changes a prediction.
- `LanguageModel`  sequence -> next-token logits at every step (unidirectional by nature).

`build_model(model_config, spec)` fills every size from the task's `TaskSpec`; the checkpoint stores
both, so a model is rebuilt for inference without the data.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.config.run import NGRAM_BUCKETS, ModelConfig
from rnnkit.config.spec import PADDING_INDEX, TaskSpec
from rnnkit.model.backbones import build_backbone, step_mask
from rnnkit.model.catalog import check_model_config


class SequenceModel(nn.Module):
    """Encoder + backbone; subclasses add the head and name the jobs it serves."""

    jobs: tuple[str, ...] = ()

    def __init__(self, config: ModelConfig, spec: TaskSpec) -> None:
        super().__init__()
        self.config = config
        self.spec = spec
        self.ngrams: NgramEmbedding | None = None
        if spec.input_kind == "tokens":
            width = spec.embedding_size or config.embedding_size
            self.encoder = nn.Embedding(spec.input_size, width, padding_idx=PADDING_INDEX)
            if config.ngrams > 1:
                self.ngrams = NgramEmbedding(config.ngrams, width)
            backbone_input = width
        else:
            self.encoder = nn.Identity()
            backbone_input = spec.input_size
        self.backbone = build_backbone(config, backbone_input, spec.max_steps)
        self.dropout = nn.Dropout(config.dropout)

    @property
    def input_layer(self) -> nn.Module:
        """The module whose output is what the backbone reads (integrated gradients interpolate it)."""
        return self.ngrams if self.ngrams is not None else self.encoder

    def embed(self, inputs: Tensor) -> Tensor:
        """(batch, time) ids or (batch, time, features) -> what the backbone reads."""
        vectors = self.encoder(inputs)
        return self.ngrams(inputs, vectors) if self.ngrams is not None else vectors

    def encode(self, inputs: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """(outputs (batch, time, D), last (batch, D)) of the backbone."""
        return self.backbone(self.embed(inputs), lengths)

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


class NgramEmbedding(nn.Module):
    """Hashed token n-grams (fastText's subword trick, Bojanowski et al. 2017): at each step the 2..n-grams
    of tokens ending there are hashed into `NGRAM_BUCKETS` rows and their vectors added to the token's
    own. For names (tokens = letters) "ski", "ov", "ng" get vectors of their own. Steps before the first
    token count as padding (id 0), so a name's start is an n-gram too; padded steps get no n-grams."""

    def __init__(self, n: int, width: int, buckets: int = NGRAM_BUCKETS) -> None:
        super().__init__()
        self.n = n
        self.buckets = buckets
        self.table = nn.Embedding(buckets, width, padding_idx=PADDING_INDEX)

    def ids(self, inputs: Tensor) -> list[Tensor]:
        """One (batch, time) tensor of bucket ids per n in 2..n; 0 at padded steps."""
        valid = inputs != PADDING_INDEX
        hashed = torch.zeros_like(inputs)
        result = []
        for back in range(self.n):  # fold in the token `back` steps before each step
            earlier = nn.functional.pad(inputs, (back, 0))[:, : inputs.shape[1]] if back else inputs
            hashed = (hashed * 1_000_003 + earlier + back * 7_919) % 2_147_483_647
            if back:
                result.append(torch.where(valid, hashed % (self.buckets - 1) + 1, 0))
        return result

    def forward(self, inputs: Tensor, vectors: Tensor) -> Tensor:
        for ids in self.ids(inputs):
            vectors = vectors + self.table(ids)
        return vectors


class PooledModel(SequenceModel):
    """One output vector per sequence: the backbone's states pooled (last, mean or max over the real steps),
    then a linear head. Classifiers read it as class logits, forecasts as the next `horizon` values."""

    jobs = ("classify", "regress")

    def __init__(self, config: ModelConfig, spec: TaskSpec) -> None:
        super().__init__(config, spec)
        self.head = nn.Linear(self.backbone.output_size, spec.output_size)

    def forward(self, inputs: Tensor, lengths: Tensor) -> Tensor:
        outputs, last = self.encode(inputs, lengths)
        return self.head(self.dropout(pool(outputs, last, lengths, self.config.pooling)))  # (batch, outputs)


class LanguageModel(SequenceModel):
    """One output vector per step: the next token's logits after every prefix."""

    jobs = ("language_model",)

    def __init__(self, config: ModelConfig, spec: TaskSpec) -> None:
        if config.bidirectional:
            raise ValueError("a language model predicts the next token, so it cannot read backwards; "
                             "set bidirectional to false")
        super().__init__(config, spec)
        self.head = nn.Linear(self.backbone.output_size, spec.output_size)

    def forward(self, inputs: Tensor, lengths: Tensor) -> Tensor:
        outputs, _ = self.encode(inputs, lengths)
        return self.head(self.dropout(outputs))  # (batch, time, vocabulary)


MODELS: tuple[type[SequenceModel], ...] = (PooledModel, LanguageModel)


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
    """The model whose head serves the task's job (each model class declares its `jobs`), sized from the spec.
    An unknown architecture or an implementation the cell lacks raises ValueError naming the valid ones."""
    check_model_config(config)
    for model_class in MODELS:
        if spec.job in model_class.jobs:
            return model_class(config, spec)
    raise ValueError(f"no model serves the job {spec.job!r}; valid: "
                     f"{', '.join(job for model_class in MODELS for job in model_class.jobs)}")


def count_parameters(model: nn.Module) -> int:
    return sum(parameter.numel() for parameter in model.parameters())
