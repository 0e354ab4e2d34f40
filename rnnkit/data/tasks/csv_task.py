"""csv: bring your own data, any CSV file with a text column and a label column.

    rnnkit train --task csv --file reviews.csv [--text-column review --label-column label]

- Columns are found by name when not given (text: text, review, content, sentence, comment, 评论,
  内容, 文本 ...; label: label, category, cat, class, sentiment, 标签, 类别 ...).
- Chinese text (≥ 30 % CJK characters) is segmented with jieba, anything else gets the English
  tokeniser; the choice is stored with the model so the playground tokenises the same way.
- The file may be UTF-8 (with or without BOM) or GBK; other encodings are an error.
- Rows with empty text are skipped and counted; a file with one class only, no rows, or a missing
  column is an error that says what to fix. The split is stratified 80/10/10 from the seed.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import torch

from rnnkit.config.options import Options, option
from rnnkit.config.run import TaskConfig
from rnnkit.data.sources import cached
from rnnkit.data.tasks.base import (
    UNKNOWN_INDEX,
    Progress,
    Task,
    TaskData,
    class_weighted_option,
    class_weights,
    labelled_text_splits,
    max_length_option,
    vocab_size_option,
)
from rnnkit.data.text import check_input, chinese_tokens, cjk_fraction, clean_text, english_tokens, pad

TEXT_NAMES = ("text", "review", "reviews", "content", "sentence", "comment", "body", "document",
              "评论", "内容", "文本", "句子")
LABEL_NAMES = ("label", "labels", "category", "cat", "class", "sentiment", "target", "y", "标签", "类别", "分类")
ENCODINGS = ("utf-8-sig", "gbk")
CHINESE_THRESHOLD = 0.3
DEFAULT_VOCAB_SIZE, DEFAULT_MAX_LENGTH = 20_000, 200
MAX_INPUT_CHARACTERS = 10_000


def read_table(path: Path):
    import pandas as pd

    if not path.is_file():
        raise ValueError(f"no CSV file at {path}")
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is empty")
    for encoding in ENCODINGS:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
            break
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            raise ValueError(f"{path} is empty") from None
        except pd.errors.ParserError as error:
            raise ValueError(f"{path} is not a well-formed CSV file: {error}") from error
    else:
        raise ValueError(f"{path} is neither UTF-8 nor GBK text; save it as UTF-8 and try again")
    if len(frame.columns) < 2:  # not a table: say nothing of what the file holds
        raise ValueError(f"{path} is not a CSV file with a text and a label column (it reads as fewer than 2 "
                         "columns)")
    if frame.empty:
        raise ValueError(f"{path} has a header but no rows")
    return frame


def pick_column(frame, given: str, candidates: tuple[str, ...], what: str) -> str:
    columns = list(frame.columns)
    if given:
        if given not in columns:
            raise ValueError(f"no column {given!r} in the CSV; its columns are: {', '.join(columns)}")
        return given
    lowered = {column.strip().lower(): column for column in columns}
    for candidate in candidates:
        if candidate in lowered:
            return lowered[candidate]
    flag = "--text-column" if what == "text" else "--label-column"
    raise ValueError(f"cannot tell which column holds the {what}; name it with {flag} "
                     f"(columns: {', '.join(columns)})")


def tokenise(texts: list[str], chinese: bool) -> list[list[str]]:
    return [chinese_tokens(text) if chinese else english_tokens(text) for text in texts]


@dataclass(frozen=True)
class CSVOptions(Options):
    file: str = option("", "the CSV file to train on", label="CSV file", flags=("--source",), path=True)
    text_column: str = option("", "column holding the text (empty: found by name)", label="text column")
    label_column: str = option("", "column holding the label (empty: found by name)", label="label column")
    max_length: int = max_length_option(f"{DEFAULT_MAX_LENGTH}")
    vocab_size: int = vocab_size_option()
    class_weighted: bool = class_weighted_option()


class CSVTask(Task):
    name = "csv"
    job, input_kind, selection_metric = "classify", "tokens", "macro_f1"
    Options = CSVOptions
    renamed_options = {"source": "file"}
    playground = "text"
    title = "Your own CSV: text column -> label column"
    description = (
        "Train on any CSV with a text column and a label column, Chinese or English (e.g. the "
        "waimai_10k takeaway reviews). Columns are detected by name or chosen by you."
    )

    def load(self, config: TaskConfig, seed: int, progress: Progress = print) -> TaskData:
        options = config.options
        if not options.file:
            raise ValueError("the csv task needs the file: --file path/to/file.csv")
        path = Path(options.file).expanduser()
        frame = read_table(path)
        text_column = pick_column(frame, options.text_column, TEXT_NAMES, "text")
        label_column = pick_column(frame, options.label_column, LABEL_NAMES, "label")
        if text_column == label_column:
            raise ValueError(f"the text and label columns are both {text_column!r}; choose two different columns")
        texts = [clean_text(text).strip() for text in frame[text_column]]
        labels = [label.strip() for label in frame[label_column]]
        keep = [i for i, (text, label) in enumerate(zip(texts, labels)) if text and label]
        skipped = len(texts) - len(keep)
        if skipped:
            rows = [i + 2 for i, (t, lab) in enumerate(zip(texts, labels)) if not (t and lab)][:5]
            progress(f"csv: skipping {skipped} row(s) with empty text or label "
                     f"(file lines {', '.join(map(str, rows))} ...)")
        if not keep:
            raise ValueError(f"every row of {path} has empty text or label")
        texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
        class_names = tuple(sorted(set(labels)))
        if len(class_names) < 2:
            raise ValueError(f"column {label_column!r} has only one class; "
                             "a classifier needs at least two")
        chinese = cjk_fraction(texts[:2000]) >= CHINESE_THRESHOLD
        settings = {"text": text_column, "chinese": chinese, "tokeniser": 1}
        tokens = cached("csv-tokens", path, settings, lambda: {"tokens": tokenise(texts, chinese)}, progress)["tokens"]
        targets = [class_names.index(label) for label in labels]
        counts = torch.bincount(torch.tensor(targets), minlength=len(class_names))
        if int(counts.min()) < 3:
            raise ValueError(f"one class of column {label_column!r} has {int(counts.min())} row(s); each class "
                             "needs at least 3 "
                             "(one each for training, validation and test)")
        max_length = options.max_length or DEFAULT_MAX_LENGTH
        vocabulary, splits = labelled_text_splits(tokens, targets, seed, options.vocab_size or DEFAULT_VOCAB_SIZE,
                                                  max_length)
        spec = self.spec(input_size=len(vocabulary), output_size=len(class_names), max_steps=max_length,
                         class_names=class_names)
        weights = class_weights(splits[0].targets, len(class_names)) if options.class_weighted else None
        progress(f"csv: {len(keep)} rows, {len(class_names)} classes, {'Chinese (jieba)' if chinese else 'English'} "
                 f"tokens, vocabulary {len(vocabulary)}; split {'/'.join(str(len(split)) for split in splits)}")
        artifacts = {"vocabulary": vocabulary.tokens, "max_length": max_length, "chinese": chinese,
                     "file": path.name, "file_sha256": hashlib.sha256(path.read_bytes()).hexdigest()[:16]}
        return TaskData(spec, *splits, artifacts=artifacts, class_weights=weights, bucket=True)

    def encode(self, texts: list[str], artifacts: dict) -> tuple[torch.Tensor, torch.Tensor]:
        index = {token: position for position, token in enumerate(artifacts["vocabulary"])}
        chinese = bool(artifacts["chinese"])
        encoded = []
        for text in texts:
            text = check_input(text, MAX_INPUT_CHARACTERS)
            tokens = tokenise([text], chinese)[0]
            if chinese and cjk_fraction([text]) == 0:
                raise ValueError("this model was trained on Chinese text; the input has no Chinese characters")
            if not tokens or all(token not in index for token in tokens):
                raise ValueError("none of the words in the input occur in the training data")
            encoded.append([index.get(token, UNKNOWN_INDEX) for token in tokens])
        return pad(encoded, int(artifacts["max_length"]))
