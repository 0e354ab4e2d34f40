"""What a run's embedding learnt: nearest neighbours and a 2-D map, before and after training.

    Embedding.of_model(model, tokens)      the trained vectors, one row per vocabulary token
    save_embedding_start(run, model)       at train start: the vectors training begins from (random, or
                                           word2vec for the shopping task), float16, in the run folder
    embedding_start(run_folder, payload)   those vectors back: the stored file, else rebuilt from the
                                           run's seed (older runs and the demos: the same code, the
                                           same seed, the same random draw; not for word2vec starts)
    Embedding.neighbours(token, k, among)  the k tokens with the highest cosine similarity, among the
                                           `among` most frequent (NEIGHBOUR_TOKENS on the Inside page)
    Embedding.map(count)                   the `count` most frequent tokens projected on their first two
                                           principal components (vocabularies are ordered by frequency)

PCA, not t-SNE or UMAP: it is deterministic, takes milliseconds for 20,000 x 128 vectors, and its
axes mean the same thing on every redraw, which a class comparing before/after needs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch

from rnnkit.data.text import SPECIAL_TOKENS

MAP_TOKENS = 100  # tokens drawn on the map by default (readable labels)
# neighbours are looked for among the most frequent tokens only: a token seen a few times in training keeps
# nearly its random start, and of 10,000 random vectors some are always close to any word by chance (the
# IMDB demo's "mess": category, missile, sholay among 10,000; boring, crap, garbage among 2,000)
NEIGHBOUR_TOKENS = 2000
MARKER = re.compile(r"^<[a-z/]+>$")  # <bos>, <s>, </s>: markers, not words


def is_special(token: str) -> bool:
    return token in SPECIAL_TOKENS or bool(MARKER.match(token))


@dataclass
class Embedding:
    tokens: list[str]  # vocabulary, by descending frequency after the special tokens
    vectors: np.ndarray  # (tokens, width)

    @classmethod
    def of_model(cls, model, tokens: list[str]) -> "Embedding":
        if not isinstance(model.encoder, torch.nn.Embedding):
            raise ValueError("this task reads numbers, not tokens: it has no embedding")
        return cls(list(tokens), model.encoder.weight.detach().float().cpu().numpy())

    def index_of(self, token: str) -> int:
        token = token.strip()
        if not token:
            raise ValueError("type a word or a character to look up")
        for candidate in (token, token.lower()):
            if candidate in self.tokens and not is_special(candidate):
                return self.tokens.index(candidate)
        raise ValueError("that token is not in this model's vocabulary; try a more common one")

    def neighbours(self, token: str, count: int = 10, among: int | None = None) -> list[tuple[str, float]]:
        """The `count` tokens nearest to `token` by cosine similarity (itself and specials left out), among
        the `among` most frequent tokens (None: all; `token` itself may be rarer)."""
        index = self.index_of(token)
        norms = np.linalg.norm(self.vectors, axis=1)
        similarity = self.vectors @ self.vectors[index] / np.maximum(norms * norms[index], 1e-12)
        similarity[[i for i, t in enumerate(self.tokens) if is_special(t)] + [index]] = -np.inf
        if among is not None:
            similarity[self.frequent_end(among):] = -np.inf
        order = np.argsort(-similarity, kind="stable")[:count]
        return [(self.tokens[i], float(similarity[i])) for i in order if np.isfinite(similarity[i])]

    def frequent_end(self, among: int) -> int:
        """The vocabulary position after the `among` most frequent tokens (specials not counted)."""
        words = [i for i, token in enumerate(self.tokens) if not is_special(token)]
        return words[among - 1] + 1 if 0 < among <= len(words) else (len(self.tokens) if among > 0 else 0)

    def most_moved(self, start: "Embedding", among: int = 1000) -> str:
        """Of the `among` most frequent tokens, the one whose neighbourhood training changed most: the
        largest cosine distance between its start and trained vectors (a telling first lookup)."""
        candidates = [i for i, token in enumerate(self.tokens) if not is_special(token)][:among]
        if not candidates:
            raise ValueError("the vocabulary has no tokens to look up")
        after, before = self.vectors[candidates], start.vectors[candidates]
        cosine = (after * before).sum(axis=1) / np.maximum(
            np.linalg.norm(after, axis=1) * np.linalg.norm(before, axis=1), 1e-12)
        return self.tokens[candidates[int(np.argmin(cosine))]]

    def map(self, count: int = MAP_TOKENS, include: tuple[str, ...] = ()) -> tuple[list[str], np.ndarray]:
        """(tokens, (n, 2) coordinates): the most frequent `count` tokens and any `include`d ones, on the
        first two principal components of those tokens' vectors."""
        chosen = [i for i, token in enumerate(self.tokens) if not is_special(token)][:count]
        spelt = {token: i for i, token in enumerate(self.tokens)}  # a neighbour as spelt (" " is a name's character)
        chosen += [i for i in (spelt[t] if t in spelt else self.index_of(t) for t in include) if i not in chosen]
        vectors = self.vectors[chosen]
        centred = vectors - vectors.mean(axis=0)
        if len(chosen) < 2:
            return [self.tokens[i] for i in chosen], np.zeros((len(chosen), 2))
        _, _, right = np.linalg.svd(centred, full_matrices=False)
        axes = np.zeros((vectors.shape[1], 2))
        axes[:, : min(2, right.shape[0])] = right[:2].T
        return [self.tokens[i] for i in chosen], centred @ axes


def save_embedding_start(run, model) -> None:
    """Store the embedding training starts from, so Inside can show before and after (float16: a
    20,000-word IMDB vocabulary at width 128 is 5 MB)."""
    from rnnkit.core.files import write_atomic

    if not isinstance(model.encoder, torch.nn.Embedding):
        return
    weights = model.encoder.weight.detach().to("cpu", torch.float16).clone()
    write_atomic(run.embedding_start_path, lambda handle: torch.save(weights, handle))


def embedding_start(folder, payload: dict) -> np.ndarray | None:
    """The vectors the run started from: `embedding_start.pt` in its folder, else rebuilt from its seed
    (exact: the runner seeds torch and builds the model the same way); None when the start came from
    pretrained vectors that were not stored."""
    from pathlib import Path

    from rnnkit.config.run import RunConfig
    from rnnkit.config.spec import TaskSpec
    from rnnkit.data.tasks import get_task
    from rnnkit.model.heads import build_model

    stored = Path(folder) / "embedding_start.pt"
    if stored.is_file() and not stored.is_symlink():  # a link is never followed: the start is rebuilt below
        return torch.load(stored, map_location="cpu", weights_only=True).float().numpy()
    config = RunConfig.from_dict(payload["config"])
    if getattr(get_task(config.task.name), "pretrained_vectors", False):
        return None
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.train.seed)
        model = build_model(config.model, TaskSpec.from_dict(payload["spec"]))
    if not isinstance(model.encoder, torch.nn.Embedding):
        return None
    return model.encoder.weight.detach().float().numpy()
