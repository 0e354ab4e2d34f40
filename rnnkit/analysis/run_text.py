"""How runs read as text, in one language: scores (percent where they are fractions), states, the runs table and
the result line ('Best by validation accuracy: lstm (validation 81.2 %, test 80.0 %). One seed: ...'). One home
for these words: the dashboard (rnnkit/ui, in the session's language) and the HTML report use the same
functions, so a report reads like the page it came from. No streamlit here.

    format_score("accuracy", 0.088333)            '8.8 %'      (fixed=True, for table columns: errors as '2.190')
    runs_table_text(runs, "zh")                   the runs table as the dashboard shows it (text cells, '–')
    result_line(runs, "en")                       test scores beside chance and the majority class, then the winner
"""
from __future__ import annotations

import statistics

import pandas as pd

from rnnkit.analysis import reports, seeds
from rnnkit.analysis.figure_set import job_of
from rnnkit.analysis.figures import FRACTION_METRICS, baseline_name, translator
from rnnkit.analysis.stats import summarise
from rnnkit.analysis.vocabulary import perplexity_label, vocabularies
from rnnkit.core.metrics import higher_is_better, metric_title
from rnnkit.model.jobs import get_job
from rnnkit.runs.folder import Run


def format_score(metric: str, value: float | None, fixed: bool = False) -> str:
    """'100.0 %' for accuracy, macro-F1 and ECE; '2.19' for errors and perplexity (three significant digits, or
    with `fixed` three decimals, '2.190', so a table's column lines up); '–' for no value."""
    if value is None or pd.isna(value):
        return "–"
    if metric in FRACTION_METRICS:
        return f"{float(value) * 100:.1f} %"
    return f"{float(value):.3f}" if fixed else f"{float(value):.3g}"


def state_word(state: str, language: str = "en") -> str:
    """A run's state in `language`."""
    _ = translator(language)
    words = {"queued": _("queued"), "running": _("running"), "completed": _("completed"), "failed": _("failed"),
             "stopped": _("stopped"), "interrupted": _("interrupted")}
    return words.get(state, state)


def column_title(column: str, language: str = "en", vocabulary: int | None = None) -> str:
    """A column of `reports.comparison_table` in `language`; perplexity carries its vocabulary when given."""
    _ = translator(language)
    fixed = {"run": _("run"), "group": _("group"), "model": _("model"), "seed": _("seed"), "state": _("state"),
             "best epoch": _("best epoch"), "parameters": _("parameters"), "s / epoch": _("s / epoch"),
             "samples / s": _("samples / s")}
    if column in fixed:
        return fixed[column]
    for prefix, template in (("best val ", _("best validation {metric}")), ("test ", _("test {metric}"))):
        if column.startswith(prefix):
            metric = column[len(prefix):]
            title = _(metric_title(metric))
            if metric == "perplexity" and vocabulary is not None:
                title = perplexity_label(vocabulary, language, title)
            return template.format(metric=title)
    return column


def runs_table_text(runs: list[Run], language: str = "en") -> pd.DataFrame:
    """The comparison table (best epoch, its validation score, test scores, size, speed) as text: scores as
    `format_score(fixed=True)`, states in `language`, '–' where a run has no value yet (a stopped run's test)."""
    frame = reports.comparison_table(runs, language)
    if frame.empty:
        return frame
    sizes = vocabularies(runs)  # language-model runs: perplexity is only read with its vocabulary
    shared = next(iter(sizes.values())) if len(set(sizes.values())) == 1 else None
    for column in frame.columns:
        if column.startswith(("best val ", "test ")):
            metric = column.split(" ")[-1]
            frame[column] = [format_score(metric, value, fixed=True) for value in frame[column]]
            if metric == "perplexity" and len(set(sizes.values())) > 1:  # several: each cell says its own
                frame[column] = [text if text == "–" or run_id not in sizes else
                                 perplexity_label(sizes[run_id], language, text)
                                 for run_id, text in zip(frame["run"], frame[column])]
    frame["state"] = [state_word(str(state), language) for state in frame["state"]]
    for column in ("parameters", "samples / s"):  # counts: '20,362' (one type per column, as Arrow wants)
        if column in frame:
            frame[column] = [f"{value:,.0f}" if _is_number(value) and not pd.isna(value) else "–"
                             for value in frame[column]]
    frame = frame.rename(columns=lambda column: column_title(column, language, shared))
    return frame.astype(object).where(frame.notna(), "–")


def result_line(runs: list[Run], language: str = "en") -> str | None:
    """The test score of each architecture (mean ± std over its seeds when it has several), beside chance and
    the majority class, ordered by VALIDATION score; then the best by validation (best-epoch validation, mean
    over seeds), its test score for the record, or "tied" where its seeds' 95 % interval overlaps another's.
    Nothing is chosen on the test split; Compare's verdict tests the differences. None before a run finished."""
    _ = translator(language)
    finished = [(run, reports.progress(run)) for run in runs]
    finished = [(run, status) for run, status in finished if status["state"] == "completed" and status["test"]]
    if not finished:
        return None
    monitor = finished[0][1]["monitor"] or get_job(job_of([finished[0][0]])).headline[0]
    done = {run.run_id for run, _status in finished}
    scored = []  # (name, validation summary or None, test mean, text)
    for name, members in seeds.variants(runs).items():
        scores = seeds.seed_scores([run for run in members if run.run_id in done], monitor).values()
        tests = [score["test"] for score in scores if _is_number(score["test"])]
        if not tests:
            continue
        validations = [score["validation"] for score in scores if _is_number(score["validation"])]
        mean = sum(tests) / len(tests)
        text = f"{name} {format_score(monitor, mean)}"
        if len(tests) > 1:
            spread = statistics.stdev(tests)
            shown = f"{spread * 100:.1f}" if monitor in FRACTION_METRICS else f"{spread:.2g}"
            text = _("{model} {mean} ± {std} ({count} seeds)").format(
                model=name, mean=format_score(monitor, mean), std=shown, count=len(tests))
        scored.append((name, summarise(validations) if validations else None, mean, text))
    if not scored:
        return None
    sign = -1.0 if higher_is_better(monitor) else 1.0  # best validation first; variants without one last
    scored.sort(key=lambda item: (0, sign * item[1].mean) if item[1] is not None else (1, 0.0))
    metric = _(metric_title(monitor))
    line = _("Test {metric}: {scores}").format(metric=metric, scores=", ".join(item[3] for item in scored))
    line += " " + baselines_text(finished[0][0], monitor, language) + "."
    if len(scored) > 1 and scored[0][1] is not None:
        line += " " + winner_text(scored, monitor, language)
    waiting = len(runs) - len(finished)
    if waiting:
        line += " " + _("{count} run(s) not finished.").format(count=waiting)
    return line


def baselines_text(run: Run, monitor: str, language: str = "en") -> str:
    """'(chance: 5.6 %; majority class: 51.8 %)' on the test split, for a classifier's accuracy or macro-F1."""
    _ = translator(language)
    parts = []
    chance = reports.chance_accuracy(run) if monitor == "accuracy" else None
    if chance is not None:
        parts.append(_("chance: {value}").format(value=format_score(monitor, chance)))
    for name, values in reports.chart_baselines(run, "test").items():
        if name in (reports.MAJORITY, reports.MAJORITY_OF_TEST) and _is_number(values.get(monitor)):
            parts.append(f"{baseline_name(name, language)}: {format_score(monitor, values[monitor])}")
    return f"({'; '.join(parts)})" if parts else ""


def winner_text(scored: list, monitor: str, language: str = "en") -> str:
    """'Best by validation accuracy: X (validation 81.2 %, test 80.0 %).', or 'Tied ...' when the leader's seeds'
    95 % interval of the mean validation score overlaps another's (one seed: the interval is the value).
    `scored`: (name, validation summary or None, test mean, text) per variant, best validation first."""
    _ = translator(language)
    metric = _(metric_title(monitor))
    name, leader, test, _text = scored[0]
    tied = [other for other, summary, _test, _text in scored[1:]
            if summary is not None and summary.low <= leader.high and leader.low <= summary.high]
    if tied:
        return _("Tied on validation {metric}: {names} (their seeds' 95 % intervals overlap; Compare's verdict "
                 "tests the difference).").format(metric=metric, names=", ".join([name, *tied]))
    line = _("Best by validation {metric}: {name} (validation {validation}, test {test}).").format(
        metric=metric, name=name, validation=format_score(monitor, leader.mean), test=format_score(monitor, test))
    if any(summary is not None and summary.count < 2 for _name, summary, _test, _text in scored):
        line += " " + _("One seed: no interval yet, so this may be luck; train more seeds to know.")
    return line


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
