"""shopping: a Chinese product review -> one of 10 product categories (online_shopping_10_cats).

The lab report's recipe (seed report 004):
    rows numbered i = 1..62774 in file order:  i % 5 == 4 validation,  i % 5 == 0 test,  else train
    jieba word segmentation
    gensim Word2Vec, CBOW, window 5, min_count 1, negative 5, "<s>" and "</s>" around every
    sentence, trained on the training split only; its vectors initialise the embedding (frozen or
    fine-tuned: `freeze_embeddings`)

Segmenting 62k reviews and training word2vec take about a minute; both are cached on disk, keyed by
the file's hash and the settings, so the next run starts in seconds. Words that occur only in
validation or test reviews become <unk>. The stray U+FEFF in the first review is removed and the
one empty review is kept as "<s> </s>", so no row is lost and the numbering stays the report's.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch

from rnnkit.config.options import Options, option
from rnnkit.config.run import TaskConfig
from rnnkit.data.sources import DataSource, cached, resolve
from rnnkit.data.tasks.base import (
    UNKNOWN_INDEX,
    Progress,
    SequenceDataset,
    Task,
    TaskData,
    class_weighted_option,
    class_weights,
    max_length_option,
    vocab_size_option,
)
from rnnkit.data.text import SPECIAL_TOKENS, chinese_tokens, clean_text, encode_chinese_reviews, pad

SOURCE = DataSource(
    task="shopping",
    candidates=("online_shopping/online_shopping_10_cats.zip", "online_shopping_10_cats.zip",
                "online_shopping/online_shopping_10_cats.csv", "online_shopping_10_cats.csv"),
    url="https://raw.githubusercontent.com/SophonPlus/ChineseNlpCorpus/master/datasets/"
        "online_shopping_10_cats/online_shopping_10_cats.zip",
    download_name="online_shopping_10_cats.zip",
)
SENTENCE_START, SENTENCE_END = "<s>", "</s>"
DEFAULT_MAX_LENGTH = 200
MAX_INPUT_CHARACTERS = 5_000
WORD2VEC = {"sg": 0, "window": 5, "min_count": 1, "negative": 5, "epochs": 5}  # the report's settings


def read_reviews(path: Path) -> tuple[list[str], list[str]]:
    """(categories, review texts) in file order; a missing review is ""."""
    import pandas as pd

    try:
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                member = next(name for name in archive.namelist() if name.endswith(".csv"))
                frame = pd.read_csv(io.BytesIO(archive.read(member)), dtype=str, keep_default_na=False)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (zipfile.BadZipFile, StopIteration, OSError, ValueError) as error:
        raise ValueError(f"{path} is not the online_shopping_10_cats CSV (or a zip of it): {error}") from error
    missing = {"cat", "review"} - set(frame.columns)
    if missing:
        raise ValueError(f"{path} lacks the column(s) {', '.join(sorted(missing))}; found {', '.join(frame.columns)}")
    return frame["cat"].tolist(), [clean_text(text) for text in frame["review"]]


def report_split(count: int) -> tuple[list[int], list[int], list[int]]:
    """The lab report's split by row number i = 1..count (0-based indices returned)."""
    train, validation, test = [], [], []
    for index in range(count):
        number = index + 1
        (validation if number % 5 == 4 else test if number % 5 == 0 else train).append(index)
    return train, validation, test


def segment(texts: list[str], progress: Progress) -> dict:
    """jieba-segment every review; store as a word list + flat ids (compact and fast to load)."""
    progress(f"shopping: segmenting {len(texts):,} reviews with jieba (once; cached afterwards) ...")
    words: dict[str, int] = {}
    ids, lengths = [], []
    for text in texts:
        tokens = [SENTENCE_START, *chinese_tokens(text), SENTENCE_END]
        ids.extend(words.setdefault(token, len(words)) for token in tokens)
        lengths.append(len(tokens))
    return {"words": list(words), "ids": torch.tensor(ids, dtype=torch.int32),
            "lengths": torch.tensor(lengths, dtype=torch.long)}


def train_word2vec(sentences: list[list[str]], vector_size: int, seed: int, progress: Progress) -> dict:
    from gensim.models import Word2Vec

    progress(f"shopping: training word2vec (CBOW, {vector_size} dimensions) on {len(sentences):,} training reviews ...")
    model = Word2Vec(sentences=sentences, vector_size=vector_size, seed=seed, workers=1, **WORD2VEC)
    words = list(model.wv.index_to_key)
    return {"words": words, "vectors": torch.from_numpy(model.wv.vectors.copy())}


@dataclass(frozen=True)
class ShoppingOptions(Options):
    max_length: int = max_length_option(f"{DEFAULT_MAX_LENGTH}")
    vocab_size: int = vocab_size_option()
    word_vector_size: int = option(128, "word2vec dimensions (the embedding then has this width)",
                                   label="word2vec size", above=0, maximum=1024)
    freeze_embeddings: bool = option(False, "keep the word2vec vectors fixed while training", label="freeze word2vec")
    class_weighted: bool = class_weighted_option()


class ShoppingTask(Task):
    name = "shopping"
    job, input_kind, selection_metric = "classify", "tokens", "macro_f1"
    pretrained_vectors = True
    sources = (SOURCE,)
    Options = ShoppingOptions
    playground, example_input = "text", "书的内容很精彩，纸张质量好，物流很快，很满意。"  # the demo: 书籍, 99.7 %
    title = "Online shopping reviews → 10 categories (Chinese, jieba + word2vec)"
    description = (
        "Guess which of 10 product categories (books, tablets, phones, fruit, shampoo, water heaters, "
        "Mengniu dairy, clothes, computers, hotels) a Chinese review is about. Words come from jieba "
        "segmentation; their vectors start from word2vec trained on the training reviews. The lab "
        "report's macro-F1: RNN 0.72, GRU 0.81, LSTM 0.83."
    )

    def load(self, config: TaskConfig, seed: int, progress: Progress = print) -> TaskData:
        path = resolve(SOURCE, config.data_dir, progress)
        categories, texts = read_reviews(path)
        segmented = cached("shopping-jieba", path, {"segmenter": "jieba/1"}, lambda: segment(texts, progress), progress)
        words = segmented["words"]
        offsets = torch.cat([torch.zeros(1, dtype=torch.long), segmented["lengths"].cumsum(0)]).tolist()
        all_ids = segmented["ids"].tolist()
        documents = [all_ids[start:end] for start, end in zip(offsets[:-1], offsets[1:])]
        train, validation, test = report_split(len(texts))

        options = config.options
        vector_size = options.word_vector_size
        settings = {"split": "report-i%5", "vector_size": vector_size, "seed": seed, **WORD2VEC}
        sentences = lambda: [[words[i] for i in documents[row]] for row in train]  # noqa: E731
        word2vec = cached("shopping-word2vec", path, settings,
                          lambda: train_word2vec(sentences(), vector_size, seed, progress), progress)

        kept = len(word2vec["words"]) if not options.vocab_size else max(options.vocab_size - len(SPECIAL_TOKENS), 1)
        vocabulary = list(SPECIAL_TOKENS) + word2vec["words"][:kept]  # word2vec orders words by frequency
        position = {word: index for index, word in enumerate(vocabulary)}
        remap = torch.tensor([position.get(word, UNKNOWN_INDEX) for word in words])  # segmenter id -> vocabulary id
        max_length = options.max_length or DEFAULT_MAX_LENGTH
        inputs, lengths = pad([remap[torch.tensor(document)].tolist() for document in documents], max_length)
        class_names = tuple(sorted(set(categories)))
        targets = torch.tensor([class_names.index(category) for category in categories])
        full = SequenceDataset(inputs, lengths, targets)
        splits = [full.subset(torch.tensor(rows)) for rows in (train, validation, test)]

        vectors = torch.zeros(len(vocabulary), vector_size)
        vectors[len(SPECIAL_TOKENS):] = word2vec["vectors"][:kept]  # <pad> stays zero, <unk> too
        spec = self.spec(input_size=len(vocabulary), output_size=len(class_names), max_steps=max_length,
                         class_names=class_names, embedding_size=vector_size)
        weights = class_weights(splits[0].targets, len(class_names)) if options.class_weighted else None
        progress(f"shopping: {len(train)}/{len(validation)}/{len(test)} reviews, {len(vocabulary):,} words")
        return TaskData(spec, *splits, artifacts={"vocabulary": vocabulary, "max_length": max_length},
                        class_weights=weights, embedding_vectors=vectors, bucket=True,
                        freeze_embeddings=options.freeze_embeddings)

    def encode(self, texts: list[str], artifacts: dict) -> tuple[torch.Tensor, torch.Tensor]:
        return encode_chinese_reviews(texts, artifacts["vocabulary"], int(artifacts["max_length"]),
                                      MAX_INPUT_CHARACTERS, around=(SENTENCE_START, SENTENCE_END))
