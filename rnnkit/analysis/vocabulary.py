"""Perplexity is only comparable over one vocabulary. A language model predicts one of V tokens, and every
token outside its vocabulary becomes `<unk>`: a smaller vocabulary turns more rare characters into one
frequent, easy-to-predict `<unk>`, so its perplexity is lower without the model being better. Every
perplexity shown therefore carries its vocabulary size, and runs over different vocabularies are not
ranked or given a verdict on perplexity.

    vocabulary_of(run)                   V of a language-model run (its start record's spec), else None
    vocabularies(runs)                   run id -> V, for the language-model runs whose V is known
    perplexity_label(V, language)        "perplexity (vocabulary 3,000)"
    perplexity_note(runs, language)      the sentence that refuses the comparison, or None when V agrees

V is the start record's `spec.output_size` (the vocabulary the task built: poems' `vocab_size` option is
an upper bound, so the option is not the size). A run that has not started yet has no V and is left out.
Light: no torch, no pandas, no streamlit (the runs table, Compare and the HTML report read it).
"""
from __future__ import annotations

from typing import Iterable

from rnnkit.core.i18n import translate
from rnnkit.runs.folder import Run

LANGUAGE_MODEL = "language_model"  # the job whose headline metric is perplexity (rnnkit.model.jobs)


def vocabulary_of(run: Run) -> int | None:
    """The vocabulary size of a language-model run, from its (latest) start record; None for another job,
    a run not started yet, or a record without a usable size."""
    starts = run.metrics("start")
    if not starts:
        return None
    spec = starts[-1]["spec"]
    size = spec.get("output_size")
    if spec.get("job") != LANGUAGE_MODEL or not isinstance(size, int) or isinstance(size, bool) or size < 1:
        return None
    return size


def vocabularies(runs: Iterable[Run]) -> dict[str, int]:
    """Run id -> vocabulary size, for each language-model run whose size is known."""
    found = {}
    for run in runs:
        size = vocabulary_of(run)
        if size is not None:
            found[run.run_id] = size
    return found


def sizes_text(sizes: Iterable[int]) -> str:
    """'3,000 vs 5,000': the distinct sizes, smallest first."""
    return " vs ".join(f"{size:,}" for size in sorted(set(sizes)))


def perplexity_label(vocabulary: int, language: str = "en", metric: str = "perplexity") -> str:
    """'perplexity (vocabulary 3,000)': the metric's name (already in `language`) with its vocabulary."""
    _ = _translator(language)
    return _("{metric} (vocabulary {size})").format(metric=metric, size=f"{vocabulary:,}")


def comparable(runs: Iterable[Run]) -> bool:
    """True unless the language-model runs among `runs` have more than one vocabulary size."""
    return len(set(vocabularies(runs).values())) < 2


def perplexity_note(runs: Iterable[Run], language: str = "en") -> str | None:
    """The sentence shown instead of a ranking or verdict when the runs' vocabularies differ; None when
    every language-model run has the same vocabulary (or there is at most one)."""
    sizes = set(vocabularies(runs).values())
    if len(sizes) < 2:
        return None
    _ = _translator(language)
    return _("Perplexities over different vocabularies ({sizes}) are not comparable: more <unk> makes it easier "
             "(a smaller vocabulary turns more rare characters into one <unk>, which is easy to predict). No "
             "ranking or verdict on perplexity is given; compare runs with one vocabulary.").format(
        sizes=sizes_text(sizes))


def _translator(language: str):
    def _(message: str) -> str:
        return translate(message, language)

    return _
