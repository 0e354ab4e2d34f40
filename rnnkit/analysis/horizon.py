"""The memory-horizon experiment: `recall` at several sequence lengths T for RNN, LSTM and GRU (or any
registered architecture: minGRU, minLSTM, sLSTM, the Transformer), each with several seeds, one group, then
test accuracy against T (mean over seeds with its interval): where each architecture's memory ends.

    python -m rnnkit horizon                       # T = 5, 10, 20, 50, 100, 150 x rnn, lstm, gru x 3 seeds
    python -m rnnkit horizon --lengths 10,100 --arch rnn,gru --seeds 5
    python -m rnnkit horizon --arch rnn,lstm,gru,mingru,minlstm,slstm,transformer    # the whole family, 126 runs

The group is a sweep over `task.sequence_length` on the recall task's `horizon` preset (fewer
sequences and epochs than `quick`, stopping at 100 % validation accuracy), times the seeds (seed i of
every (T, architecture) is the preset's seed + i, as in every multi-seed group), of kind "horizon" so
Compare and Inside know to draw accuracy against T. It goes through the queue like any group. Its size
is bounded by `MAX_HORIZON_RUNS` (the default lengths x every registered architecture x 3 seeds), not by a
sweep's 64: the whole family at the default lengths and seeds is one group, so one figure holds it.

    queue_horizon(store, c)   queue the configs as one group, in slices of the queue's capacity
    horizon_table(runs)       one row per run: arch, T, seed, state, test accuracy
    horizon_summary(table)    one row per (arch, T): mean, std, 95 % t interval, seeds tested, runs
    horizon_cells(summary)    T x architecture, "mean ± std (n=seeds)" in %, for the page and the CLI
    horizon_verdicts(table)   per T, every two architectures compared on the seeds both tested (paired: seed i
                              is the same data for all), Holm-corrected over that T's pairs, as Compare does

Groups from before the seeds (one run per (T, architecture)) read the same way, with n=1 and no interval.
"""
from __future__ import annotations

import dataclasses
import math

from rnnkit.analysis.sweep import point_config
from rnnkit.config.run import RunConfig
from rnnkit.model.cells import cell_names
from rnnkit.runs.folder import Run
from rnnkit.runs.groups import share_threads

TASK = "recall"
PRESET = "horizon"
LENGTHS = (5, 10, 20, 50, 100, 150)
ARCHITECTURES = ("rnn", "lstm", "gru")
SEEDS = 3  # runs per (T, architecture): enough for a mean with an interval, 3x the work of one
MAX_HORIZON_RUNS = len(LENGTHS) * len(cell_names()) * SEEDS  # the default lengths x every architecture x 3 seeds
KIND = "horizon"
SECONDS_PER_RUN = 68 / 18  # docs/results.md: the 18-run experiment took 68 s on the 2-core CPU (an estimate per run)
FAMILY_SECONDS_PER_RUN = 850 / 126  # docs/architectures.md: the whole family's 126 runs, 2 at a time, took 850 s
LENGTH_OPTION = ("task", "sequence_length")
TABLE_COLUMNS = ["arch", "sequence_length", "seed", "state", "test_accuracy", "test_examples"]
SUMMARY_COLUMNS = ["arch", "sequence_length", "mean", "std", "low", "high", "seeds", "runs"]


def horizon_configs(lengths: tuple[int, ...] = LENGTHS, architectures: tuple[str, ...] = ARCHITECTURES,
                    group: str = "", seeds: int = SEEDS) -> list[RunConfig]:
    """One recall run per (T, architecture, seed), one group of kind 'horizon', threads shared among them."""
    lengths = tuple(lengths)
    if not lengths or any(not isinstance(length, int) or length < 2 for length in lengths):
        raise ValueError("sequence lengths must be whole numbers of at least 2, e.g. 5,10,20,50,100,150")
    if len(set(lengths)) != len(lengths):
        raise ValueError("each sequence length may appear once")
    if not architectures:
        raise ValueError("choose at least one architecture")
    if not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 1:
        raise ValueError(f"the number of seeds must be a whole number >= 1, not {seeds!r}")
    if len(set(architectures)) != len(architectures):
        raise ValueError("each architecture may appear once")
    count = len(lengths) * len(architectures) * seeds
    if count > MAX_HORIZON_RUNS:
        raise ValueError(f"this horizon experiment has {count} runs ({len(lengths)} lengths x {len(architectures)} "
                         f"architectures x {seeds} seeds); at most {MAX_HORIZON_RUNS}: fewer lengths or seeds")
    # as a sweep's grid (seed offset, then T, then architecture), each validated as the CLI would
    configs = [point_config(TASK, PRESET, {LENGTH_OPTION: length}, arch=arch, offset=offset, group=group)
               for offset in range(seeds) for length in sorted(lengths) for arch in architectures]
    return share_threads([dataclasses.replace(config, kind=KIND) for config in configs])


def queue_horizon(store, configs: list[RunConfig]) -> list:
    """Queue the experiment's runs as one group in slices of the queue's capacity: the queue starts each slice
    whole when there is room, so a large group (the whole family: 126 runs) never trains at once on a small
    machine (measured: 90 runs at once took the load average to 93 and 18 of 24 GB), and the figure still
    reads one group. A student's group already starts within the capacity: queued whole (one waiting entry)."""
    from rnnkit.runs.limits import default_capacity

    size = len(configs) if store.limits.within_capacity else store.limits.capacity or default_capacity()
    return [run for start in range(0, len(configs), size) for run in store.start(configs[start:start + size])]


def seeds_within(max_group_runs: int | None, lengths: tuple[int, ...] = LENGTHS,
                 architectures: tuple[str, ...] = ARCHITECTURES, wanted: int = SEEDS) -> int:
    """The seeds per (T, architecture) a group of at most `max_group_runs` runs holds: `wanted`, fewer when
    a classroom's limit is lower (at least 1: below that the queue refuses the group with its own message)."""
    if max_group_runs is None:
        return wanted
    return max(1, min(wanted, max_group_runs // (len(lengths) * len(architectures))))


def estimated_minutes(runs: int, architectures: tuple[str, ...] = ARCHITECTURES) -> tuple[int, int]:
    """(low, high) whole minutes the experiment of `runs` runs takes on two cores, from the measured 18-run
    time of RNN, LSTM and GRU, or the whole family's measured time when a newer architecture is among them."""
    per_run = SECONDS_PER_RUN if set(architectures) <= set(ARCHITECTURES) else FAMILY_SECONDS_PER_RUN
    minutes = runs * per_run / 60
    return max(1, math.floor(minutes)), max(1, math.ceil(minutes))


def horizon_table(runs: list[Run]):
    """One row per run (a DataFrame): architecture, T, seed, state, test accuracy (None until tested) and the
    test split's size (None where the run did not record it)."""
    import pandas as pd

    from rnnkit.analysis.seeds import count_test_examples

    rows = []
    for run in runs:
        try:
            config = run.config()
        except ValueError:
            continue
        tests = run.metrics("test")
        accuracy = tests[-1]["test"].get("accuracy") if tests else None
        rows.append({"arch": config.model.arch, "sequence_length": config.task.options.sequence_length,
                     "seed": config.train.seed, "state": run.status().get("state", ""),
                     "test_accuracy": float(accuracy) if isinstance(accuracy, (int, float)) else None,
                     "test_examples": count_test_examples(run) if tests else None})
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def horizon_verdicts(table) -> list[tuple[int, object]]:
    """(T, `rnnkit.analysis.stats.Verdict`) for every two architectures at every T, in T order: the paired
    t-test of their test accuracies on the seeds both tested, Holm-corrected over the k(k-1)/2 pairs of
    that T (each T is its own question, as a Compare of its runs would be)."""
    from rnnkit.analysis.stats import compare_all

    verdicts = []
    for length in sorted(set(table["sequence_length"])):
        part = table[table["sequence_length"] == length]
        scores: dict[str, dict[int, float]] = {}
        examples: dict[str, int | None] = {}
        for row in part.itertuples():
            scores.setdefault(row.arch, {})
            if not _missing(row.test_accuracy):
                scores[row.arch][int(row.seed)] = float(row.test_accuracy)
            if not _missing(row.test_examples):
                examples[row.arch] = max(int(row.test_examples), examples.get(row.arch) or 0)
        verdicts.extend((int(length), verdict) for verdict in compare_all(scores, "accuracy", examples))
    return verdicts


def verdict_line(length: int, verdict) -> str:
    """'T=50  LSTM > RNN  +91.2 points, 99.8 % interval [85.0, 97.4] (Holm p=0.002, 3 seeds)': the better
    first; '≈' and 'not significant' where the interval holds 0 (Holm's decision)."""
    from rnnkit.model.cells import get_cell

    first, second = get_cell(verdict.a).title, get_cell(verdict.b).title
    if verdict.p_value is None:
        return f"T={length}  {first} vs {second}: {verdict.seeds} paired seed(s), too few for a verdict"
    sign, note = (">", "") if verdict.significant else ("≈", "not significant, ")
    return (f"T={length}  {first} {sign} {second}  {verdict.difference * 100:+.1f} points, "
            f"{verdict.confidence * 100:.1f} % interval [{verdict.low * 100:.1f}, {verdict.high * 100:.1f}] "
            f"({note}Holm p={verdict.adjusted_p:.3f}, {verdict.seeds} seeds)")


def horizon_summary(table):
    """One row per (architecture, T) in the order of `table`: test accuracy's mean, sample std (n - 1) and
    95 % t interval of the mean over the tested seeds (`rnnkit.analysis.stats.summarise`), how many seeds
    were tested and how many runs there are. With one tested seed std, low and high are None (no interval);
    with none, all four are None. Fractions, like the table."""
    import pandas as pd

    from rnnkit.analysis.stats import summarise

    rows = []
    for (arch, length), part in table.groupby(["arch", "sequence_length"], sort=False):
        values = [float(value) for value in part["test_accuracy"] if not _missing(value)]
        summary = summarise(values) if values else None
        spread = summary is not None and summary.count > 1
        rows.append({"arch": arch, "sequence_length": int(length), "mean": summary.mean if summary else None,
                     "std": summary.std if spread else None, "low": summary.low if spread else None,
                     "high": summary.high if spread else None, "seeds": len(values), "runs": len(part)})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def cell_text(row) -> str:
    """'99.2 ± 0.8 (n=3)' in %: mean ± std over the tested seeds; '80.5 (n=1)' for one seed; '–' for none."""
    if row["seeds"] == 0 or _missing(row["mean"]):
        return "–"
    if _missing(row["std"]) or row["seeds"] < 2:
        return f"{row['mean'] * 100:.1f} (n=1)"
    return f"{row['mean'] * 100:.1f} ± {row['std'] * 100:.1f} (n={row['seeds']})"


def horizon_cells(summary):
    """T (rows) x architecture (columns, in the registry's order: RNN ... Transformer, whatever order the
    runs were listed in), each cell `cell_text`."""
    frame = summary.assign(text=[cell_text(row) for _index, row in summary.iterrows()])
    cells = frame.pivot(index="sequence_length", columns="arch", values="text")
    order = {name: index for index, name in enumerate(cell_names())}
    columns = sorted(dict.fromkeys(frame["arch"]), key=lambda arch: order.get(arch, len(order)))
    return cells.reindex(columns=columns).sort_index().fillna("–")


def one_seed_only(summary) -> bool:
    """True when no (T, architecture) has two tested seeds: an old single-seed group (no error bars)."""
    return bool(len(summary)) and int(summary["seeds"].max()) < 2


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def horizon_groups(store) -> list[str]:
    """Groups of kind 'horizon' in the store, newest first."""
    groups: dict[str, float] = {}
    for run in store.runs():
        try:
            config = run.config()
        except ValueError:
            continue
        if config.kind == KIND and config.group:
            groups[config.group] = max(groups.get(config.group, 0.0), run.path.stat().st_mtime)
    return sorted(groups, key=groups.get, reverse=True)
