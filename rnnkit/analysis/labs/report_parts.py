"""What the student's lab report says, as data both its forms share (report.py: HTML and PDF; report_text.py:
Markdown): the method of each run step (its exact settings and the commands that train its runs again), the
seed report's numbers beside the student's, the checks' outcomes and the answers.

All texts here are plain; the forms escape them.
"""
from __future__ import annotations

import json

import pandas as pd

from rnnkit.analysis.figures import translator
from rnnkit.analysis.labs.checks import CheckResult, evaluate_check, run_score
from rnnkit.analysis.labs.configs import recipe
from rnnkit.analysis.labs.schema import Lab, Step
from rnnkit.analysis.retrain import reproduce_command
from rnnkit.analysis.run_text import format_score
from rnnkit.analysis.stats import summarise
from rnnkit.runs.folder import Run, RunError


def method_rows(step: Step, runs: list[Run], language: str) -> list[tuple[str, str]]:
    """(setting, value) rows of a run step: what its runs were trained with (the runs' own configs where they
    exist, else the lab's quick recipe)."""
    _ = translator(language)
    chosen = recipe(step)
    configs = _configs(runs)
    rows = [(_("task"), step.task),
            (_("preset"), (configs[0].preset if configs else chosen["preset"]) or _("none")),
            (_("architectures"), ", ".join(dict.fromkeys(config.model.arch for config in configs))
             if configs else ", ".join(chosen["architectures"])),
            (_("seeds"), str(len({config.train.seed for config in configs}) if configs else chosen["seeds"]))]
    if step.experiment:
        lengths = sorted({config.task.options.sequence_length for config in configs}) if configs else chosen["lengths"]
        rows.append((_("sequence lengths T"), ", ".join(map(str, lengths))))
    if configs:
        first = configs[0]
        rows += [(_("hidden size"), str(first.model.hidden_size)), (_("layers"), str(first.model.num_layers)),
                 (_("epochs"), str(first.train.epochs)), (_("batch size"), str(first.train.batch_size)),
                 (_("learning rate"), f"{first.train.learning_rate:g}"), (_("optimiser"), first.train.optimizer)]
    elif chosen["settings"]:
        rows.append((_("settings"), json.dumps(chosen["settings"], ensure_ascii=False, sort_keys=True)))
    rows.append((_("runs"), str(len(runs)) if runs else _("not started yet")))
    return rows


def commands(lab: Lab, step: Step, runs: list[Run]) -> list[str]:
    """The commands that train this step again: the lab's own, then `python -m rnnkit train ...` per run."""
    lines = [f"python -m rnnkit lab run {lab.id} --step {step.index}"]
    for config in _configs(runs):
        try:
            lines.append(reproduce_command(config))
        except ValueError:
            continue
    return list(dict.fromkeys(lines))


def source_frame(lab: Lab, runs_by_name: dict[str, list[Run]], language: str) -> pd.DataFrame | None:
    """The seed report's figure of each architecture beside the student's (mean ± std over seeds, n); None
    when the lab reproduces no report."""
    if not lab.source:
        return None
    _ = translator(language)
    metric = lab.source.get("metric", "test_score")
    report = _("the {year} report").format(year=lab.source.get("year", "")).replace("  ", " ")
    rows = []
    for arch, number in lab.source["numbers"].items():
        scores = []
        for step in lab.run_steps():
            if arch in step.architectures and not step.experiment:
                found = [run_score(run, metric) for run in runs_by_name.get(step.name, []) if _arch(run) == arch]
                scores = [score for score in found if score is not None]
                if scores:
                    break
        name = scores[0].metric if scores else _metric_name(metric)
        if scores:
            summary = summarise([score.value for score in scores])
            yours = format_score(name, summary.mean)
            if summary.count > 1:  # '95.0 ± 1.2 % (n=3)'
                spread, unit = format_score(name, summary.std), " %" if yours.endswith(" %") else ""
                yours = f"{yours.removesuffix(unit)} ± {spread.removesuffix(unit)}{unit} (n={summary.count})"
        else:
            yours = "–"
        rows.append({_("architecture"): arch.upper(), report: format_score(name, number), _("yours"): yours})
    return pd.DataFrame(rows)


def check_rows(lab: Lab, runs_by_name: dict[str, list[Run]], results: dict[int, CheckResult] | None,
               language: str) -> list[dict[str, str]]:
    """Per check step: its claim, the outcome in words, the numbers, and the hint while not yet passed."""
    _ = translator(language)
    rows = []
    for step in lab.steps:
        if step.kind != "check":
            continue
        result = (results or {}).get(step.index) or evaluate_check(lab, step, runs_by_name.get(step.run, []), language)
        outcome = {True: _("passed"), False: _("not yet"), None: _("not enough runs yet")}[result.passed]
        rows.append({"step": str(step.index), "claim": step.text, "outcome": outcome, "detail": result.detail,
                     "hint": step.hint if result.passed is not True else "",
                     "passed": "yes" if result.passed else "no" if result.passed is False else "unknown"})
    return rows


def answer_rows(lab: Lab, answers: dict[str, str] | None, language: str) -> list[dict[str, object]]:
    """Per question: the question, its choices, and the student's answer ('' when none)."""
    rows = []
    for step in lab.steps:
        if step.kind == "question":
            answer = (answers or {}).get(step.id, "")
            rows.append({"id": step.id, "question": step.text, "choices": list(step.choices),
                         "answer": answer if isinstance(answer, str) else str(answer)})
    return rows


def seeds_of(runs: list[Run]) -> int:
    """How many seeds the runs' variants have at most."""
    return max((len({config.train.seed for config in _configs(runs) if config.model.arch == arch})
                for arch in {config.model.arch for config in _configs(runs)}), default=0)


def _configs(runs: list[Run]):
    found = []
    for run in runs:
        try:
            found.append(run.config())
        except (RunError, ValueError):
            continue
    return found


def _arch(run: Run) -> str:
    try:
        return run.config().model.arch
    except (RunError, ValueError):
        return ""


def _metric_name(metric: str) -> str:
    return {"test_accuracy": "accuracy", "test_loss": "loss"}.get(metric, "accuracy")
