"""names: a surname -> one of 18 languages, read character by character.

Data: the PyTorch tutorial's `data/names/<Language>.txt` (one name per line; the file name is the
label), from a `names/` folder or https://download.pytorch.org/tutorial/data.zip.

Exact duplicates within a language (Arabic has 2,000 lines but 108 distinct names) are removed
before the split; otherwise the same name lands in training and test and accuracy is inflated.
A name that occurs in two languages stays in both: that ambiguity is real.

The split is stratified (every language in every split, in proportion) and fixed by the seed.
Classes are very unbalanced (Russian 9,342 distinct names, Vietnamese 71), so macro-F1 is
reported beside accuracy and a class-weighted loss is an option.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import torch

from rnnkit.config.options import Options
from rnnkit.config.run import TaskConfig
from rnnkit.data.sources import DataSource, resolve
from rnnkit.data.tasks.base import (
    Progress,
    SequenceDataset,
    Task,
    TaskData,
    class_weighted_option,
    class_weights,
    stratified_split,
)
from rnnkit.data.text import Vocabulary, check_input, clean_text, pad

SOURCE = DataSource(
    task="names", candidates=("names", "data/names"), url="https://download.pytorch.org/tutorial/data.zip",
    download_name="data.zip", extract=True, unpacked="data/names",
)
MAX_NAME_LENGTH = 40  # characters the playground accepts


def read_names(folder: Path) -> list[tuple[str, str]]:
    """Distinct (name, language) pairs from `<Language>.txt` files."""
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise ValueError(f"no <Language>.txt files in {folder}; expected the tutorial's data/names folder")
    pairs = []
    for file in files:
        language = file.stem
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as error:
            raise ValueError(f"{file} is not UTF-8 text ({error})") from error
        names = dict.fromkeys(clean_text(line).strip() for line in lines)  # ordered, distinct
        pairs.extend((name, language) for name in names if name)
    return pairs


@dataclass(frozen=True)
class NamesOptions(Options):
    class_weighted: bool = class_weighted_option()


class NamesTask(Task):
    name = "names"
    job, input_kind, selection_metric = "classify", "tokens", "accuracy"
    sources = (SOURCE,)
    Options = NamesOptions
    playground, example_input = "name", "Nakamura"
    title = "Names → language (18 languages, character level)"
    description = (
        "Read a surname one character at a time and guess its language among 18 (PyTorch tutorial "
        "data). Russian names are half the data and Vietnamese under 1 %, so look at macro-F1 and "
        "the confusion matrix, not only accuracy; try the class-weighted loss."
    )

    def load(self, config: TaskConfig, seed: int, progress: Progress = print) -> TaskData:
        folder = resolve(SOURCE, config.data_dir, progress)
        pairs = read_names(folder)
        languages = sorted({language for _, language in pairs})
        label_of = {language: index for index, language in enumerate(languages)}
        labels = [label_of[language] for _, language in pairs]
        train, validation, test = stratified_split(labels, seed, validation=0.1, test=0.1)
        vocabulary = Vocabulary.build(list(pairs[i][0]) for i in train)
        inputs, lengths = pad([vocabulary.encode(list(name)) for name, _ in pairs])
        targets = torch.tensor(labels)
        full = SequenceDataset(inputs, lengths, targets)
        splits = [full.subset(torch.tensor(part)) for part in (train, validation, test)]
        spec = self.spec(input_size=len(vocabulary), output_size=len(languages), max_steps=int(lengths.max()),
                         class_names=tuple(languages))
        weights = class_weights(splits[0].targets, len(languages)) if config.options.class_weighted else None
        progress(f"names: {len(pairs)} distinct names in {len(languages)} languages, "
                 f"{len(vocabulary)} characters; split {len(train)}/{len(validation)}/{len(test)}")
        return TaskData(spec, *splits, artifacts={"vocabulary": vocabulary.tokens}, class_weights=weights)

    def prepare(self, text: str, artifacts: dict) -> tuple[str, list[tuple[str, str]]]:
        """Map letters the model never saw to the closest ones it knows (ř -> r, ł -> l), keeping the
        accents it did see (ß, ü, Ś stay as they are); refuse what cannot be mapped."""
        name = check_input(text, MAX_NAME_LENGTH, "name")
        name, replaced = fold_unknown(name, set(artifacts["vocabulary"]))
        unknown = sorted({character for character in name if character not in set(artifacts["vocabulary"])})
        if unknown:
            raise ValueError(
                f"the model never saw these characters: {' '.join(unknown)}, and they have no Latin "
                "equivalent it knows (write the name in Latin script)"
            )
        return name, replaced

    def encode(self, texts: list[str], artifacts: dict) -> tuple[torch.Tensor, torch.Tensor]:
        vocabulary = Vocabulary(artifacts["vocabulary"])
        return pad([vocabulary.encode(list(self.prepare(text, artifacts)[0])) for text in texts])


def fold_unknown(name: str, known: set[str]) -> tuple[str, list[tuple[str, str]]]:
    """Replace each Latin letter not in `known` by its base letter (NFKD without the accent), else by
    its transliteration (anyascii: ł -> l, ø -> o, ß -> ss), where those are known; others stay."""
    from anyascii import anyascii

    folded, replaced = [], []
    for character in name:
        if character not in known and "LATIN" in unicodedata.name(character, ""):  # other scripts: refused
            base = "".join(c for c in unicodedata.normalize("NFKD", character) if not unicodedata.combining(c))
            for candidate in (base, anyascii(character), anyascii(character).capitalize()):
                if candidate and all(c in known for c in candidate):
                    replaced.append((character, candidate))
                    character = candidate
                    break
        folded.append(character)
    return "".join(folded), replaced
