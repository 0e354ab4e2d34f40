"""poems: classical Chinese poems as a character language model, and a poem generator.

Data: `title:content` lines, one poem each: the classic 43k-line Tang `poems.txt` of the poem
tutorial, or the 17,000 five-character quatrains of `wujue-all.txt` (the offline data here).
Lines without a colon, with editorial marks (_ ( （ 《 [), or with content shorter than 5 or longer
than 79 characters are dropped, as the tutorial does.

Each poem becomes  <bos> c1 c2 ... cn <eos> ; the model reads it up to cn and predicts the next
character at every step. The loss averages over real characters only (padding is ignored), so a
long poem weighs by its length. Validation perplexity = exp(mean loss): how many characters the
model is effectively choosing between.

Generation: sampling with temperature and top-k from a starting phrase, optionally as an acrostic
(藏头诗: line i starts with the i-th given character). `check_poem` says whether a sample is a
well-formed quatrain: 4 lines of n Chinese characters (not the corpus's □ for a lost one), punctuated
， 。 ， 。 . Free sampling is what the quality benchmark measures; `enforce_form` places the
punctuation by rule instead.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import torch

from rnnkit.config.options import Options, option
from rnnkit.config.run import TaskConfig
from rnnkit.data.sources import DataSource, resolve
from rnnkit.data.tasks.base import (
    IGNORE_INDEX,
    UNKNOWN_INDEX,
    Progress,
    SequenceDataset,
    Task,
    TaskData,
    split_indices,
    vocab_size_option,
)
from rnnkit.data.text import Vocabulary, clean_text, has_cjk, pad

SOURCE = DataSource(
    task="poems", candidates=("poems/poems.txt", "poems.txt", "poems/wujue-all.txt", "wujue-all.txt"),
    url="https://raw.githubusercontent.com/jinfagang/tensorflow_poems/master/data/poems.txt",
    download_name="poems.txt",
)
BOS, EOS = "<bos>", "<eos>"
EDITORIAL_MARKS = set("_(（《[")
COMMA, PERIOD = "，", "。"
PUNCTUATION = set("，。、；：？！,.;:?!")
MIN_CHARACTERS, MAX_CHARACTERS = 5, 79
MAX_START = 20  # characters in a starting phrase
TRAINED_SHAPE_SHARE = 0.1  # a line length counts as trained when this share of the poems has only such lines
DEFAULT_TEMPERATURE = 0.7  # 97 % well formed on sampling seed 1 (README, quality)


def read_poems(path: Path) -> list[str]:
    """Contents of the well-formed `title:content` lines."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not UTF-8 text ({error})") from error
    poems = []
    for line in lines:
        if ":" not in line:
            continue
        content = re.sub(r"\s", "", clean_text(line.split(":", 1)[1]))
        if EDITORIAL_MARKS & set(content) or not MIN_CHARACTERS <= len(content) <= MAX_CHARACTERS:
            continue
        poems.append(content)
    if not poems:
        raise ValueError(f"{path} has no usable title:content lines")
    return poems


def trained_line_lengths(poems: list[str]) -> list[int]:
    """The quatrain line lengths (5, 7) the model really learns: those of at least 10 % of the poems
    (a corpus of 5-character quatrains with a handful of odd poems is a 5-character model)."""
    shapes = Counter(next(iter(set(line_lengths(poem)))) for poem in poems if len(set(line_lengths(poem))) == 1)
    return sorted(n for n in (5, 7) if shapes[n] >= TRAINED_SHAPE_SHARE * len(poems))


def to_vocabulary_script(text: str, known: set[str]) -> tuple[str, list[tuple[str, str]]]:
    """Convert characters the model never saw between simplified and traditional Chinese (OpenCC),
    towards whichever form its vocabulary holds; returns the text and the (from, to) replacements."""
    if all(character in known for character in text):
        return text, []
    from opencc import OpenCC

    converters = [OpenCC("s2t"), OpenCC("t2s")]
    converted, replaced = [], []
    for character in text:
        if character not in known:
            for converter in converters:
                other = converter.convert(character)
                if len(other) == 1 and other in known:
                    replaced.append((character, other))
                    character = other
                    break
        converted.append(character)
    return "".join(converted), replaced


def as_lines(poem: str) -> str:
    """The poem with one line per verse (a line break after each ， and 。)."""
    return re.sub(r"([，。？！；])", "\\1\n", poem).strip()


def line_lengths(poem: str) -> list[int]:
    return [len(part) for part in re.split(r"[，。、；：？！,.;:?!]", poem) if part]


def not_chinese(poem: str) -> list[str]:
    """The characters of `poem` that are neither Chinese characters nor punctuation, in order of first
    appearance: the corpus's boxes for lost characters (□ ○), the replacement character U+FFFD, letters."""
    return list(dict.fromkeys(ch for ch in poem if ch not in PUNCTUATION and not is_chinese_character(ch)))


def is_chinese_character(character: str) -> bool:
    """A CJK ideograph (every block, the compatibility ones included) or 〇, the ideographic zero."""
    return character == "〇" or unicodedata.name(character, "").startswith(("CJK UNIFIED IDEOGRAPH",
                                                                           "CJK COMPATIBILITY IDEOGRAPH"))


def poem_problem(poem: str, line_length: int) -> tuple[str, dict] | None:
    """What keeps `poem` from being a well-formed quatrain, as (what, details), or None when it is one:
    4 lines of `line_length` Chinese characters, punctuated ， 。 ， 。. `what` is "characters" (details:
    `characters`, those that are not Chinese), "lines" (`count`), "lengths" (`lengths`) or "punctuation"."""
    strange = not_chinese(poem)
    if strange:
        return "characters", {"characters": " ".join(strange)}
    expected = "".join(("X" * line_length) + mark for mark in (COMMA, PERIOD, COMMA, PERIOD))
    if "".join(ch if ch in PUNCTUATION else "X" for ch in poem) == expected:
        return None
    lengths = line_lengths(poem)
    if len(lengths) != 4:
        return "lines", {"count": len(lengths)}
    if any(length != line_length for length in lengths):
        return "lengths", {"lengths": lengths}
    return "punctuation", {}


def check_poem(poem: str, line_length: int) -> tuple[bool, str]:
    """(well formed?, why not): 4 lines of `line_length` Chinese characters, punctuated ， 。 ， 。"""
    problem = poem_problem(poem, line_length)
    if problem is None:
        return True, "well formed"
    what, details = problem
    return False, {
        "characters": "characters that are not Chinese: {characters}",
        "lines": "{count} lines instead of 4",
        "lengths": "line lengths {lengths}, expected {n} each",
        "punctuation": "punctuation is not ， 。 ， 。",
    }[what].format(n=line_length, **details)


@dataclass(frozen=True)
class PoemsOptions(Options):
    line_length: int = option(0, "characters per line kept for training (0 = all; 5 or 7)",
                              label="line length (0 = all)", choices=(0, 5, 7))
    vocab_size: int = vocab_size_option()


class PoemsTask(Task):
    name = "poems"
    job, input_kind, selection_metric = "language_model", "tokens", "perplexity"
    sources = (SOURCE,)
    Options = PoemsOptions
    playground = "poem"
    title = "Tang poems: a character language model that writes quatrains"
    description = (
        "Learn classical Chinese poems one character at a time, then write new ones: give a starting "
        "phrase or the first character of every line (藏头诗), choose the temperature (higher = bolder) "
        "and top-k. Validation perplexity tells how many characters the model hesitates between."
    )

    def load(self, config: TaskConfig, seed: int, progress: Progress = print) -> TaskData:
        path = resolve(SOURCE, config.data_dir, progress)
        poems = read_poems(path)
        line_length = config.options.line_length
        if line_length:
            poems = [poem for poem in poems if set(line_lengths(poem)) == {line_length}]
            if not poems:
                raise ValueError(f"{path} has no poems with {line_length}-character lines")
        generator = torch.Generator().manual_seed(seed)
        train, validation, test = split_indices(len(poems), (0.05, 0.05), generator)
        vocabulary = Vocabulary.build((list(poems[i]) for i in train.tolist()), max_size=config.options.vocab_size,
                                      extra=(BOS, EOS))
        bos, eos = vocabulary.index[BOS], vocabulary.index[EOS]
        encoded = [vocabulary.encode(list(poem)) for poem in poems]
        inputs, lengths = pad([[bos, *ids] for ids in encoded])
        targets, _ = pad([[*ids, eos] for ids in encoded])
        steps = torch.arange(inputs.shape[1])[None, :]
        targets = targets.masked_fill(steps >= lengths[:, None], IGNORE_INDEX)  # padding is not a target
        full = SequenceDataset(inputs, lengths, targets)
        splits = [full.subset(rows) for rows in (train, validation, test)]
        spec = self.spec(input_size=len(vocabulary), output_size=len(vocabulary), max_steps=int(lengths.max()))
        shapes = trained_line_lengths(poems)
        progress(f"poems: {len(poems):,} poems, {len(vocabulary):,} characters; split "
                 f"{len(train)}/{len(validation)}/{len(test)}")
        artifacts = {"vocabulary": vocabulary.tokens, "line_lengths": shapes}
        return TaskData(spec, *splits, artifacts=artifacts, bucket=True)

    def generate(self, model, artifacts: dict, **options) -> str:
        return generate(model, artifacts, **options)


@torch.no_grad()
def generate(model, artifacts: dict, start: str = "", acrostic: str = "", line_length: int = 5,
             temperature: float = DEFAULT_TEMPERATURE, top_k: int = 0, enforce_form: bool = False,
             generator: torch.Generator | None = None, replaced: list | None = None) -> str:
    """Sample one poem of 4 lines; raises ValueError on input the model cannot use. Simplified or
    traditional input is converted to the model's script; `replaced`, if given, receives the
    (from, to) character pairs."""
    vocabulary = Vocabulary(artifacts["vocabulary"])
    if line_length not in (5, 7):
        raise ValueError("line_length must be 5 or 7")
    if temperature <= 0:
        raise ValueError("temperature must be > 0")
    start, acrostic = clean_text(start).strip(), re.sub(r"\s", "", clean_text(acrostic))
    known = set(vocabulary.tokens)
    start, start_replaced = to_vocabulary_script(start, known)
    acrostic, acrostic_replaced = to_vocabulary_script(acrostic, known)
    if replaced is not None:
        replaced.extend(dict.fromkeys(start_replaced + acrostic_replaced))
    for what, text, limit in (("starting phrase", start, MAX_START), ("acrostic", acrostic, 4)):
        if len(text) > limit:
            raise ValueError(f"the {what} has {len(text)} characters; the limit is {limit}")
        if text and not has_cjk(text):
            raise ValueError(f"the {what} must be Chinese characters (this model writes classical Chinese)")
        unknown = sorted(set(vocabulary.unknown(list(text))))
        if unknown:
            raise ValueError(f"the model never saw these characters: {' '.join(unknown)} (not in simplified nor "
                             "traditional form); try other ones")
    if start and acrostic:
        raise ValueError("give either a starting phrase or acrostic characters, not both")
    device = next(model.parameters()).device
    banned = [vocabulary.index[token] for token in ("<pad>", "<unk>", BOS)]
    punctuation_ids = [vocabulary.index[mark] for mark in PUNCTUATION if mark in vocabulary.index]
    marks = [COMMA, PERIOD, COMMA, PERIOD]
    ids = [vocabulary.index[BOS], *vocabulary.encode(list(start))]
    text = start
    limit = 4 * (line_length + 1) + 8
    while len(text) < limit:
        line_index = sum(ch in PUNCTUATION for ch in text)
        if line_index >= 4:
            break
        in_line = len(text) - (max(text.rfind(mark) for mark in PUNCTUATION) + 1 if line_index else 0)
        if acrostic and in_line == 0 and line_index < len(acrostic):
            choice = acrostic[line_index]  # 藏头: this line starts with the given character
        elif enforce_form and in_line == line_length:
            choice = marks[line_index] if line_index < 4 else EOS
        else:
            inputs = torch.tensor([ids], device=device)
            logits = model(inputs, torch.tensor([len(ids)]))[0, -1].float() / temperature
            logits[banned] = float("-inf")
            if enforce_form:
                logits[punctuation_ids + [vocabulary.index[EOS]]] = float("-inf")
            if top_k:
                threshold = logits.topk(min(top_k, logits.numel())).values[-1]
                logits[logits < threshold] = float("-inf")
            index = int(torch.multinomial(logits.softmax(-1).cpu(), 1, generator=generator))
            choice = vocabulary.tokens[index]
        if choice == EOS:
            break
        ids.append(vocabulary.index.get(choice, UNKNOWN_INDEX))
        text += choice
    return text
