"""Text to token ids: tokenisers, a vocabulary, and padding into the tensors datasets hold.

Training and the playground use these same functions with the vocabulary stored in the checkpoint,
so a sentence typed into the dashboard is encoded exactly as the training data was.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Iterable, Sequence

import torch

from rnnkit.config.spec import PADDING_INDEX, UNKNOWN_INDEX

SPECIAL_TOKENS = ("<pad>", "<unk>")  # ids 0 and 1 in every vocabulary
_ENGLISH_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[!?]")
_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def english_tokens(text: str) -> list[str]:
    """Lower-case words (keeping "don't"), digits, and ! / ?; IMDB's `<br />` tags become spaces."""
    return _ENGLISH_TOKEN.findall(_HTML_BREAK.sub(" ", text).lower())


def chinese_tokens(text: str) -> list[str]:
    """jieba word segmentation, without whitespace tokens."""
    import jieba

    jieba.setLogLevel(60)  # jieba prints its dictionary loading to stderr otherwise
    return [token for token in jieba.lcut(clean_text(text)) if token.strip()]


def clean_text(text: str) -> str:
    """NFC-normalise and drop byte-order marks and other invisible format characters."""
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def check_input(text: str, limit: int, what: str = "text") -> str:
    """`text` cleaned and stripped, or a ValueError a user can act on when it is empty or too long."""
    cleaned = clean_text(text).strip()
    if not cleaned:
        raise ValueError(f"type a {what}: the input is empty")
    if len(cleaned) > limit:
        raise ValueError(f"the {what} is too long: {len(cleaned):,} characters, the limit is {limit:,}")
    return cleaned


def cjk_fraction(texts: Iterable[str]) -> float:
    """Share of CJK ideographs among the non-space characters of `texts`."""
    cjk = total = 0
    for text in texts:
        stripped = re.sub(r"\s", "", text)
        cjk += len(_CJK.findall(stripped))
        total += len(stripped)
    return cjk / total if total else 0.0


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


class Vocabulary:
    """Token <-> id. Ids 0 and 1 are padding and unknown; the rest by descending frequency."""

    def __init__(self, tokens: Sequence[str]) -> None:
        if tuple(tokens[: len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
            raise ValueError(f"a vocabulary must start with {SPECIAL_TOKENS}")
        self.tokens = list(tokens)
        self.index = {token: position for position, token in enumerate(self.tokens)}

    @classmethod
    def build(cls, texts: Iterable[Sequence[str]], max_size: int = 0, min_count: int = 1,
              extra: Sequence[str] = ()) -> "Vocabulary":
        """From tokenised texts; `max_size` counts the special tokens too (0: no limit)."""
        counts = Counter(token for tokens in texts for token in tokens)
        reserved = list(SPECIAL_TOKENS) + [token for token in extra if token not in SPECIAL_TOKENS]
        ordered = sorted((t for t, c in counts.items() if c >= min_count and t not in reserved),
                         key=lambda token: (-counts[token], token))
        if max_size:
            ordered = ordered[: max(0, max_size - len(reserved))]
        return cls(reserved + ordered)

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        return [self.index.get(token, UNKNOWN_INDEX) for token in tokens]

    def unknown(self, tokens: Sequence[str]) -> list[str]:
        """The tokens this vocabulary does not know (they would be encoded as <unk>)."""
        return [token for token in tokens if token not in self.index]


def pad(sequences: Sequence[Sequence[int]], max_length: int = 0,
        keep: str = "start") -> tuple[torch.Tensor, torch.Tensor]:
    """Pad id lists into (count, longest) int64 + lengths; longer ones are cut to `max_length`
    keeping the start or the end. An empty sequence becomes one <unk> so every length is ≥ 1."""
    if keep not in ("start", "end"):
        raise ValueError("keep must be 'start' or 'end'")
    cut = []
    for sequence in sequences:
        sequence = list(sequence) or [UNKNOWN_INDEX]
        if max_length and len(sequence) > max_length:
            sequence = sequence[:max_length] if keep == "start" else sequence[-max_length:]
        cut.append(sequence)
    longest = max((len(sequence) for sequence in cut), default=1)
    inputs = torch.full((len(cut), longest), PADDING_INDEX, dtype=torch.long)
    for row, sequence in enumerate(cut):
        inputs[row, : len(sequence)] = torch.tensor(sequence, dtype=torch.long)
    return inputs, torch.tensor([len(sequence) for sequence in cut], dtype=torch.long)


def encode_chinese_reviews(texts: list[str], vocabulary: Sequence[str], max_length: int, max_characters: int,
                           around: tuple[str, ...] = (), require_known: bool = False
                           ) -> tuple[torch.Tensor, torch.Tensor]:
    """Reviews -> padded word ids with jieba, as the Chinese review tasks trained on them: `around` is
    (start, end) markers put around each review; `require_known` refuses a review of unknown words only."""
    index = {token: position for position, token in enumerate(vocabulary)}
    encoded = []
    for text in texts:
        text = check_input(text, max_characters, "review")
        if not has_cjk(text):
            raise ValueError("this model reads Chinese reviews; the input has no Chinese characters")
        words = chinese_tokens(text)
        if require_known and all(word not in index for word in words):
            raise ValueError("none of the words in the review occur in the training data")
        tokens = [around[0], *words, around[1]] if around else words
        encoded.append([index.get(token, UNKNOWN_INDEX) for token in tokens])
    return pad(encoded, max_length)
