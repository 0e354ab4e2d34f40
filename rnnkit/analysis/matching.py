"""What runs trained with equal parameter budgets (`match_parameters`) say about their match, in words
for Compare, the HTML report and `python -m rnnkit report`.

A matched run records its `ParameterMatch` (`rnnkit.model.budget`) in status.json (`parameter_match`) and
config.json (`run.matched`). Runs from before the embedding search recorded only the sizes and the two
counts under `run.matched`; their difference and verdict are computed here from those counts, against the
same 2 % the option promised then. Light: no torch (the cells' titles are looked up on first use).

    GRU has 3.5 % more recurrent + head parameters than LSTM (1,294 vs 1,250): the closest hidden size (19);
    the 2 % tolerance cannot be met here.
    6 of 9 matched runs within 2 % of the reference's recurrent + head parameters (largest difference -1.5 %).
"""
from __future__ import annotations

import functools

from rnnkit.core.i18n import translate
from rnnkit.model.budget import ParameterMatch
from rnnkit.runs.folder import Run, RunError


def parameter_match(run: Run) -> ParameterMatch | None:
    """The run's match, or None for a run without one (or whose record is unreadable)."""
    try:
        status = run.raw_status().get("parameter_match")
        document = status if isinstance(status, dict) else run.info().get("matched")
        if not isinstance(document, dict):
            return None
        arch = run.config().model.arch
    except (RunError, OSError):
        return None
    try:
        return ParameterMatch.from_dict(document, arch)
    except ValueError:
        return None


def matching_notes(runs: list[Run], language: str = "en") -> list[str]:
    """One sentence per distinct note: each match outside its tolerance, each embedding size the match
    changed, then how close the matched runs are (the largest difference). Empty without matched runs."""
    _ = functools.partial(translate, language=language)
    matches = [match for match in (parameter_match(run) for run in runs) if match is not None]
    notes: list[str] = []
    for match in matches:
        words = {"arch": _title(match.arch, language), "reference": _title(match.reference, language),
                 "percent": f"{abs(match.relative_difference) * 100:.1f}", "count": f"{match.core_parameters:,}",
                 "reference_count": f"{match.reference_core_parameters:,}", "hidden": match.hidden_size,
                 "tolerance": f"{match.tolerance * 100:g}"}
        if not match.within_tolerance:
            more = match.relative_difference > 0
            sentence = _("{arch} has {percent} % more recurrent + head parameters than {reference} ({count} vs "
                         "{reference_count}): the closest hidden size ({hidden}); the {tolerance} % tolerance cannot "
                         "be met here.") if more else \
                _("{arch} has {percent} % fewer recurrent + head parameters than {reference} ({count} vs "
                  "{reference_count}): the closest hidden size ({hidden}); the {tolerance} % tolerance cannot be "
                  "met here.")
            notes.append(sentence.format(**words))
        elif match.embedding_size is not None:
            notes.append(_("{arch} matches {reference} within {tolerance} % ({count} vs {reference_count} recurrent + "
                           "head parameters) at hidden size {hidden} and embedding size {embedding} instead of "
                           "{configured}: the hidden size alone could not (the embedding table, not counted, changes "
                           "with it).").format(**words, embedding=match.embedding_size,
                                               configured=match.configured_embedding_size))
    within = [match for match in matches if match.within_tolerance]
    if within:
        largest = max(within, key=lambda match: abs(match.relative_difference))
        notes.append(_("{count} of {total} matched runs within {tolerance} % of the reference's recurrent + head "
                       "parameters (largest difference {largest} %).").format(
            count=len(within), total=len(matches), tolerance=f"{largest.tolerance * 100:g}",
            largest=f"{largest.relative_difference * 100:+.1f}"))
    return list(dict.fromkeys(notes))  # seeds of one variant say the same: once


def _title(arch: str, language: str) -> str:
    """An architecture's title in `language` ('GRU', 'residual LSTM'); the name itself if no cell has it."""
    from rnnkit.model.cells import get_cell  # torch: only where a note is worded

    try:
        return translate(get_cell(arch).title, language)
    except ValueError:
        return arch
