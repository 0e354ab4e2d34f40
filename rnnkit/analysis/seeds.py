"""Statistics over seeds: the runs that differ only in their seed grouped as one variant, each seed's
best-epoch validation and test scores, mean ± std with intervals, and a verdict per pair of variants
(paired on the seeds both finished, Holm-corrected over all pairs: rnnkit.analysis.stats).
"""
from __future__ import annotations

import json
from typing import Any

import pandas as pd

from rnnkit.analysis.reports import model_label
from rnnkit.analysis.stats import Verdict, compare_all, summarise
from rnnkit.analysis.vocabulary import comparable
from rnnkit.core.metrics import best_epoch_record
from rnnkit.runs.folder import Run, RunError


def variants(runs: list[Run]) -> dict[str, list[Run]]:
    """The runs that differ only in their seed, together: label -> runs (in seed order). Two variants
    that would share a label (e.g. two hidden sizes of one architecture) get a number added."""
    by_key: dict[str, list[Run]] = {}
    labels: dict[str, str] = {}
    for run in runs:
        try:
            document = run.config().to_dict()
        except RunError:
            continue
        seedless = {**document, "group": "", "train": {key: value for key, value in document["train"].items()
                                                       if key not in ("seed", "num_threads")}}
        key = json.dumps(seedless, sort_keys=True)
        by_key.setdefault(key, []).append(run)
        labels.setdefault(key, model_label(run))
    seen: dict[str, int] = {}
    named: dict[str, list[Run]] = {}
    for key, members in by_key.items():
        label = labels[key]
        seen[label] = seen.get(label, 0) + 1
        name = label if seen[label] == 1 else f"{label} #{seen[label]}"
        named[name] = sorted(members, key=lambda run: run.config().train.seed)
    return named


def seed_scores(runs: list[Run], metric: str) -> dict[int, dict[str, float]]:
    """seed -> {"validation": best-epoch validation value, "test": test value} of `metric`, finished runs."""
    scores = {}
    for run in runs:
        epochs, tests = run.metrics("epoch"), run.metrics("test")
        if not epochs or not tests or metric not in tests[-1]["test"]:
            continue
        best = best_epoch_record(epochs)
        validation = best["validation"].get(metric)
        scores[run.config().train.seed] = {"validation": validation, "test": tests[-1]["test"][metric]}
    return scores


def seed_table(groups: dict[str, list[Run]], metric: str) -> pd.DataFrame:
    """Per variant: seeds finished, parameters, and mean ± std with a 95 % interval of the best-epoch
    validation score and the test score."""
    rows = []
    for name, members in groups.items():
        scores = seed_scores(members, metric)
        row: dict[str, Any] = {"model": name, "seeds": f"{len(scores)}/{len(members)}",
                               "hidden size": _hidden(members),
                               "recurrent + head parameters": _parameters(members, "core_parameters"),
                               "parameters": _parameters(members, "parameters")}
        for split in ("validation", "test"):
            values = [score[split] for score in scores.values() if isinstance(score[split], (int, float))]
            summary = summarise(values) if values else None
            row[f"{split} mean"] = summary.mean if summary else None
            row[f"{split} std"] = summary.std if summary else None
            row[f"{split} 95% low"] = summary.low if summary else None
            row[f"{split} 95% high"] = summary.high if summary else None
        rows.append(row)
    return pd.DataFrame(rows)


def seed_verdicts(groups: dict[str, list[Run]], metric: str) -> list[Verdict]:
    """A paired comparison of every two variants on the test `metric`, over the seeds both have finished,
    Holm-corrected over all pairs; `a` is the better of the two on average. Perplexities over
    different vocabularies (`rnnkit.analysis.vocabulary`): none, they are not comparable."""
    if metric == "perplexity" and not comparable([run for members in groups.values() for run in members]):
        return []
    scores = {name: {seed: score["test"] for seed, score in seed_scores(members, metric).items()}
              for name, members in groups.items()}
    examples = {name: max((count for count in map(count_test_examples, members) if count), default=None)
                for name, members in groups.items()}
    return compare_all(scores, metric, examples)


def count_test_examples(run: Run) -> int | None:
    """How many examples the run's test split held (the per-class supports of its test record add up to
    it); None where the record has none (regression, language models, old runs)."""
    tests = run.metrics("test")
    support = (tests[-1].get("test", {}).get("per_class") or {}).get("support") if tests else None
    if isinstance(support, list) and support and all(isinstance(count, int) for count in support):
        return sum(support) or None
    return None


def _parameters(runs: list[Run], field: str) -> int | None:
    """The parameter count the worker recorded (`parameters`: all; `core_parameters`: without embeddings)."""
    for run in runs:
        count = run.raw_status().get(field)
        if isinstance(count, int):
            return count
    return None


def _hidden(runs: list[Run]) -> int | None:
    try:
        return runs[0].config().model.hidden_size
    except (RunError, IndexError):
        return None
