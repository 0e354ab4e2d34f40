"""waimai: a Chinese takeaway-delivery review -> positive / negative (ChineseNlpCorpus waimai_10k).

Data: `waimai_10k.csv` (header `label,review`, 1 = positive, 0 = negative; 11,987 rows: 4,000
positive, 7,987 negative), from an `extra/` folder or
https://raw.githubusercontent.com/SophonPlus/ChineseNlpCorpus/master/datasets/waimai_10k/waimai_10k.csv.

Reviews are short (11 jieba words at the median, 84 at the 99th percentile), so `max_length` 100
keeps nearly every review whole. Segmentation is cached per file. The split is stratified 80/10/10
from the seed; the vocabulary comes from the training reviews only. Negative reviews are twice as
common as positive ones, so the best epoch is picked by macro-F1 and a class-weighted loss is an
option.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from rnnkit.config.options import Options
from rnnkit.config.run import TaskConfig
from rnnkit.data.sources import DataSource, cached, resolve
from rnnkit.data.tasks.base import (
    Progress,
    Task,
    TaskData,
    class_weighted_option,
    class_weights,
    labelled_text_splits,
    max_length_option,
    vocab_size_option,
)
from rnnkit.data.text import chinese_tokens, clean_text, encode_chinese_reviews

SOURCE = DataSource(
    task="waimai",
    candidates=("extra/waimai_10k.csv", "waimai_10k/waimai_10k.csv", "waimai_10k.csv"),
    url="https://raw.githubusercontent.com/SophonPlus/ChineseNlpCorpus/master/datasets/waimai_10k/waimai_10k.csv",
    download_name="waimai_10k.csv",
)
CLASS_NAMES = ("negative", "positive")  # label 0, label 1
DEFAULT_MAX_LENGTH, DEFAULT_VOCAB_SIZE = 100, 20_000
MAX_INPUT_CHARACTERS = 2_000


def read_reviews(path: Path) -> tuple[list[int], list[str]]:
    """(labels, review texts) in file order; rows with an empty review or a label other than 0/1 are errors."""
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not the waimai_10k CSV (UTF-8, columns label,review): "
                         f"{type(error).__name__}") from None
    missing = {"label", "review"} - set(frame.columns)
    if missing:
        raise ValueError(f"{path} lacks the column(s) {', '.join(sorted(missing))}; expected label,review")
    bad = [index + 2 for index, label in enumerate(frame["label"]) if label.strip() not in ("0", "1")]
    if bad:
        raise ValueError(f"{path}: label must be 0 or 1; {len(bad)} row(s) are not (file lines {bad[:5]} ...)")
    texts = [clean_text(text).strip() for text in frame["review"]]
    return [int(label) for label in frame["label"]], texts


def segment(texts: list[str], progress: Progress) -> dict:
    progress(f"waimai: segmenting {len(texts):,} reviews with jieba (once; cached afterwards) ...")
    return {"tokens": [chinese_tokens(text) for text in texts]}


@dataclass(frozen=True)
class WaimaiOptions(Options):
    max_length: int = max_length_option(f"{DEFAULT_MAX_LENGTH}")
    vocab_size: int = vocab_size_option()
    class_weighted: bool = class_weighted_option()


class WaimaiTask(Task):
    name = "waimai"
    title = "Takeaway reviews → positive / negative (Chinese, jieba)"
    description = (
        "Tell a positive takeaway-delivery review from a negative one: 11,987 short Chinese reviews "
        "(外卖评论), segmented into words with jieba. Two thirds are negative, so look at macro-F1 "
        "beside accuracy."
    )
    job, input_kind, selection_metric = "classify", "tokens", "macro_f1"
    sources = (SOURCE,)
    Options = WaimaiOptions
    playground, example_input = "text", "送餐很快，味道也不错，还会再点。"

    def load(self, config: TaskConfig, seed: int, progress: Progress = print) -> TaskData:
        options = config.options
        path = resolve(SOURCE, config.data_dir, progress)
        labels, texts = read_reviews(path)
        if any(not text for text in texts):
            raise ValueError(f"{path} has {sum(not text for text in texts)} empty review(s)")
        tokens = cached("waimai-jieba", path, {"segmenter": "jieba/1"}, lambda: segment(texts, progress),
                        progress)["tokens"]
        max_length = options.max_length or DEFAULT_MAX_LENGTH
        vocabulary, splits = labelled_text_splits(tokens, labels, seed, options.vocab_size or DEFAULT_VOCAB_SIZE,
                                                  max_length)
        spec = self.spec(input_size=len(vocabulary), output_size=2, max_steps=max_length, class_names=CLASS_NAMES)
        weights = class_weights(splits[0].targets, 2) if options.class_weighted else None
        progress(f"waimai: {'/'.join(str(len(split)) for split in splits)} reviews, vocabulary {len(vocabulary):,}")
        artifacts = {"vocabulary": vocabulary.tokens, "max_length": max_length}
        return TaskData(spec, *splits, artifacts=artifacts, class_weights=weights, bucket=True)

    def encode(self, texts: list[str], artifacts: dict) -> tuple[torch.Tensor, torch.Tensor]:
        return encode_chinese_reviews(texts, artifacts["vocabulary"], int(artifacts["max_length"]),
                                      MAX_INPUT_CHARACTERS, require_known=True)
