"""imdb: movie review -> positive / negative (Maas et al. 2011, the official 25k/25k split).

Data: `aclImdb_v1.tar.gz` read as it is (no extraction needed) or an extracted `aclImdb/` folder;
official URL https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz.

Tokens: lower-cased words, digits and ! / ?; `<br />` tags are removed (`rnnkit.data.text.english_tokens`).
The whole corpus is tokenised once per archive and cached: the vocabulary is ordered by frequency
in the training reviews, so any `vocab_size` is just a cut of the cached one and changing it costs
nothing. A review longer than `max_length` keeps its last tokens, where reviewers sum up.

Validation is 10 % of the official training set (stratified, from the seed); the official test set
is used only for the final test of the best epoch.
"""
from __future__ import annotations

import re
import tarfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import torch

from rnnkit.config.options import Options
from rnnkit.config.run import TaskConfig
from rnnkit.data.sources import DataSource, cached, resolve
from rnnkit.data.tasks.base import (
    UNKNOWN_INDEX,
    Progress,
    SequenceDataset,
    Task,
    TaskData,
    max_length_option,
    stratified_split,
    vocab_size_option,
)
from rnnkit.data.text import SPECIAL_TOKENS, check_input, english_tokens, has_cjk, pad

SOURCE = DataSource(
    task="imdb",
    candidates=("imdb/aclImdb_v1.tar.gz", "aclImdb_v1.tar.gz", "imdb/aclImdb", "aclImdb"),
    url="https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
    download_name="aclImdb_v1.tar.gz",
)
DEFAULT_VOCAB_SIZE = 20_000
DEFAULT_MAX_LENGTH = 400
MAX_INPUT_CHARACTERS = 20_000
CLASS_NAMES = ("negative", "positive")
_MEMBER = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")


def read_reviews(path: Path) -> dict[str, list[tuple[int, str]]]:
    """{"train": [(label, text), ...], "test": [...]} in a fixed order (label, then review id)."""
    found: dict[str, list[tuple[int, int, str]]] = {"train": [], "test": []}

    def add(name: str, read) -> None:
        match = _MEMBER.search(name)
        if match:
            split, polarity, review_id, _ = match.groups()
            found[split].append((int(polarity == "pos"), int(review_id), read().decode("utf-8", errors="replace")))

    if path.is_dir():
        for file in path.rglob("*.txt"):
            add(file.as_posix(), file.read_bytes)
    else:
        try:
            with tarfile.open(path, "r:gz") as archive:
                for member in archive:
                    if member.isfile():
                        add(member.name, archive.extractfile(member).read)
        except (tarfile.TarError, OSError, EOFError) as error:
            raise ValueError(f"{path} is not a readable aclImdb tar.gz archive ({error}); download it again") from error
    if not found["train"] or not found["test"]:
        raise ValueError(f"{path} holds no aclImdb/train and aclImdb/test reviews")
    return {split: [(label, text) for label, _, text in sorted(rows)] for split, rows in found.items()}


def tokenise_corpus(path: Path, progress: Progress) -> dict:
    """Everything expensive, once per archive: the frequency-ordered vocabulary and all reviews as
    token ids in it (flat int32 tensors with offsets)."""
    progress(f"imdb: reading and tokenising {path} (once; cached afterwards) ...")
    reviews = read_reviews(path)
    tokenised = {split: [english_tokens(text) for _, text in rows] for split, rows in reviews.items()}
    counts = Counter(token for tokens in tokenised["train"] for token in tokens)
    vocabulary = list(SPECIAL_TOKENS) + sorted(counts, key=lambda token: (-counts[token], token))
    index = {token: position for position, token in enumerate(vocabulary)}
    result: dict = {"vocabulary": vocabulary}
    for split, documents in tokenised.items():
        ids = [index.get(token, UNKNOWN_INDEX) for tokens in documents for token in tokens]
        lengths = torch.tensor([len(tokens) for tokens in documents])
        result[split] = {
            "ids": torch.tensor(ids, dtype=torch.int32),
            "offsets": torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)]),
            "labels": torch.tensor([label for label, _ in reviews[split]]),
        }
    return result


def to_dataset(part: dict, vocab_size: int, max_length: int) -> SequenceDataset:
    ids = part["ids"].long()
    ids = torch.where(ids < vocab_size, ids, torch.full_like(ids, UNKNOWN_INDEX))
    offsets = part["offsets"].tolist()
    sequences = [ids[start:end].tolist() for start, end in zip(offsets[:-1], offsets[1:])]
    inputs, lengths = pad(sequences, max_length, keep="end")
    return SequenceDataset(inputs, lengths, part["labels"])


@dataclass(frozen=True)
class IMDBOptions(Options):
    max_length: int = max_length_option(f"{DEFAULT_MAX_LENGTH}")
    vocab_size: int = vocab_size_option()


class IMDBTask(Task):
    name = "imdb"
    job, input_kind, selection_metric = "classify", "tokens", "accuracy"
    sources = (SOURCE,)
    Options = IMDBOptions
    playground = "text"
    example_input = ("One of the best films I have seen this year: the acting is superb and the story kept me "
                     "gripped to the end.")
    title = "IMDB sentiment (English movie reviews)"
    description = (
        "Classify a movie review as positive or negative: 25,000 reviews to learn from, 25,000 to "
        "test on. Reviews are long (230 words on average), so this is where gated networks and "
        "pooling over all steps earn their keep. The lab reports reached 81-84 % in 15 epochs."
    )

    def load(self, config: TaskConfig, seed: int, progress: Progress = print) -> TaskData:
        path = resolve(SOURCE, config.data_dir, progress)
        corpus = cached("imdb", path, {"tokeniser": "english_tokens/1"}, lambda: tokenise_corpus(path, progress),
                        progress)
        vocab_size = min(config.options.vocab_size or DEFAULT_VOCAB_SIZE, len(corpus["vocabulary"]))
        max_length = config.options.max_length or DEFAULT_MAX_LENGTH
        full_train = to_dataset(corpus["train"], vocab_size, max_length)
        test = to_dataset(corpus["test"], vocab_size, max_length)
        train_rows, validation_rows, _ = stratified_split(full_train.targets.tolist(), seed, validation=0.1, test=0.0)
        train = full_train.subset(torch.tensor(train_rows))
        validation = full_train.subset(torch.tensor(validation_rows))
        spec = self.spec(input_size=vocab_size, output_size=2, max_steps=max_length, class_names=CLASS_NAMES)
        artifacts = {"vocabulary": corpus["vocabulary"][:vocab_size], "max_length": max_length}
        progress(f"imdb: {len(train)}/{len(validation)}/{len(test)} reviews, vocabulary {vocab_size}, "
                 f"max length {max_length}")
        return TaskData(spec, train, validation, test, artifacts=artifacts, bucket=True)

    def encode(self, texts: list[str], artifacts: dict) -> tuple[torch.Tensor, torch.Tensor]:
        index = {token: position for position, token in enumerate(artifacts["vocabulary"])}
        encoded = []
        for text in texts:
            text = check_input(text, MAX_INPUT_CHARACTERS, "review")
            tokens = english_tokens(text)
            if not tokens:
                script = "Chinese" if has_cjk(text) else "non-English"
                raise ValueError(f"this model reads English reviews; the input has no English words ({script} text?)")
            encoded.append([index.get(token, UNKNOWN_INDEX) for token in tokens])
        return pad(encoded, int(artifacts["max_length"]), keep="end")
