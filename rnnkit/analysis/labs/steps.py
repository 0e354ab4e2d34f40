"""The form of each step kind but `read` (rnnkit.analysis.labs.validate reads the lab around them): each
returns the step's fields for `Step`, and tells the checker what is wrong, on the line it is wrong."""
from __future__ import annotations

import dataclasses
from typing import Any

from rnnkit.analysis.labs import schema
from rnnkit.analysis.labs.configs import build_configs, recipe, settable
from rnnkit.analysis.labs.schema import Step
from rnnkit.config.run import SECTIONS as CONFIG_SECTIONS
from rnnkit.data.tasks import task_names
from rnnkit.model.cells import cell_names
from rnnkit.model.memory import RunTooLarge


def run_step(checker, body: Any, path: tuple, where: str, before: list[Step]) -> dict:
    errors_before = len(checker.errors)  # a step with errors of its form is not built
    run = checker.mapping(body, path, where, schema.RUN_KEYS)
    for key in ("name", "task"):
        if isinstance(body, dict) and key not in run:
            checker.error(path, f"{where}: no {key!r}")
    name = checker.name(run.get("name"), path + ("name",), f"{where}: name") if "name" in run else ""
    if name and any(step.kind == "run" and step.name == name for step in before):
        checker.error(path + ("name",), f"{where}: another run step is already called {name!r}")
    where = f"{where} {name!r}" if name else where
    task = checker.choice(run.get("task"), path + ("task",), f"{where}: task", tuple(task_names())) \
        if "task" in run else ""
    preset = run.get("preset")
    if preset is not None and not isinstance(preset, str):
        checker.error(path + ("preset",), f"{where}: preset must be a preset's name or none")
    experiment = run.get("experiment", "")
    if experiment:
        experiment = checker.choice(experiment, path + ("experiment",), f"{where}: experiment", schema.EXPERIMENTS)
    if "architectures" in run:
        architectures = checker.texts(run["architectures"], path + ("architectures",), f"{where}: architectures")
    else:
        architectures = ("rnn", "lstm", "gru") if experiment else ()
        if not experiment:
            checker.error(path, f"{where}: no 'architectures' (e.g. [rnn, lstm, gru])")
    for position, arch in enumerate(architectures):
        if arch not in cell_names():
            checker.error(path + ("architectures", position), f"{where}: unknown architecture {arch!r}; valid: "
                                                              f"{', '.join(cell_names())}")
    seeds = checker.whole(run.get("seeds", 1), path + ("seeds",), f"{where}: seeds", 1, 20)
    settings = _settings(checker, run.get("settings", {}), path + ("settings",), where)
    lengths: tuple[int, ...] = ()
    if experiment:
        raw = run.get("lengths", [5, 10, 20, 50, 100, 150])
        if not isinstance(raw, list) or not raw:
            checker.error(path + ("lengths",), f"{where}: lengths must be a list of whole numbers, e.g. [5, 10, 50]")
        else:
            lengths = tuple(checker.whole(item, path + ("lengths", index), f"{where}: lengths", 2, 100_000)
                            for index, item in enumerate(raw))
    elif "lengths" in run:
        checker.error(path + ("lengths",), f"{where}: lengths belong to 'experiment: horizon' only")
    adjustable = checker.texts(run["adjustable"], path + ("adjustable",), f"{where}: adjustable") \
        if "adjustable" in run else ()
    full = None
    if run.get("full") is not None:
        full = checker.mapping(run["full"], path + ("full",), f"{where}: full", schema.FULL_KEYS)
        if "seeds" in full:
            checker.whole(full["seeds"], path + ("full", "seeds"), f"{where}: full.seeds", 1, 20)
        if "settings" in full:
            full["settings"] = _settings(checker, full["settings"], path + ("full", "settings"), where)
        if "lengths" in full and not (isinstance(full["lengths"], list) and experiment):
            checker.error(path + ("full", "lengths"), f"{where}: full.lengths must be a list, with experiment: horizon")
    fields = {"name": name, "text": checker.text(run.get("text"), path + ("text",), f"{where}: text", False),
              "task": task, "preset": preset if isinstance(preset, str) and preset != "none" else None,
              "architectures": architectures, "seeds": seeds, "settings": settings, "experiment": experiment,
              "lengths": lengths, "adjustable": adjustable, "full": full}
    if task and name and len(checker.errors) == errors_before:
        dry_build(checker, fields, path, where)
    return fields


def look_step(checker, body: Any, path: tuple, where: str, before: list[Step]) -> dict:
    look = checker.mapping(body, path, where, schema.LOOK_KEYS)
    return {"run": _run_name(checker, look, path, where, before),
            "view": checker.choice(look.get("view"), path + ("view",), f"{where}: view", schema.VIEWS),
            "text": checker.text(look.get("text"), path + ("text",), f"{where}: text", False)}


def check_step(checker, body: Any, path: tuple, where: str, before: list[Step]) -> dict:
    check = checker.mapping(body, path, where, schema.CHECK_KEYS + tuple(schema.CHECK_KINDS))
    run_name = _run_name(checker, check, path, where, before)
    kinds = [key for key in check if key in schema.CHECK_KINDS]
    if len(kinds) != 1:
        checker.error(path, f"{where}: exactly one check kind, one of {', '.join(schema.CHECK_KINDS)}; "
                            f"found {', '.join(kinds) or 'none'}")
        return {"run": run_name, "text": check.get("text", "") or ""}
    kind = kinds[0]
    run = next((step for step in before if step.kind == "run" and step.name == run_name), None)
    params = _params(checker, kind, check[kind], path + (kind,), f"{where}: {kind}", run)
    return {"run": run_name, "check": kind, "params": params,
            "text": checker.text(check.get("text"), path + ("text",), f"{where}: text"),
            "hint": checker.text(check.get("hint"), path + ("hint",), f"{where}: hint", False)}


def question_step(checker, body: Any, path: tuple, where: str, before: list[Step]) -> dict:
    question = checker.mapping(body, path, where, schema.QUESTION_KEYS)
    question_id = checker.name(question.get("id"), path + ("id",), f"{where}: id")
    if question_id and any(step.kind == "question" and step.id == question_id for step in before):
        checker.error(path + ("id",), f"{where}: another question already has the id {question_id!r}")
    choices: tuple[str, ...] = ()
    if question.get("choices") is not None:
        choices = checker.texts(question["choices"], path + ("choices",), f"{where}: choices")
        if len(choices) == 1 or len(set(choices)) != len(choices):
            checker.error(path + ("choices",), f"{where}: choices must be two or more different texts")
    return {"id": question_id, "text": checker.text(question.get("text"), path + ("text",), f"{where}: text"),
            "choices": choices}


def _params(checker, kind: str, value: Any, path: tuple, where: str, run: Step | None) -> dict:
    wanted = schema.CHECK_KINDS[kind]
    if kind == "finished":
        if value not in (None, {}):
            checker.error(path, f"{where} takes no parameters: write 'finished: {{}}'")
        return {}
    params = checker.mapping(value, path, where, wanted)
    for key in wanted:
        if isinstance(value, dict) and key not in params:
            checker.error(path, f"{where}: no {key!r} (it needs {', '.join(wanted)})")
    architectures = run.architectures if run else ()
    for key in ("arch", "than", "of"):
        if key in params and architectures and params[key] not in architectures:
            checker.error(path + (key,), f"{where}: {key} {params[key]!r} is not one of the run's architectures "
                                         f"({', '.join(architectures)})")
    if "metric" in params:
        checker.choice(params["metric"], path + ("metric",), f"{where}: metric", schema.METRICS)
    for key in ("value", "below", "threshold"):
        if key in params:
            params[key] = checker.number(params[key], path + (key,), f"{where}: {key}")
    if "distance" in params:
        checker.whole(params["distance"], path + ("distance",), f"{where}: distance", 0)
    if kind == "horizon_longer" and run is not None and run.experiment != "horizon":
        checker.error(path, f"{where}: horizon_longer needs a run step with experiment: horizon")
    return params


def dry_build(checker, fields: dict, path: tuple, where: str) -> None:
    """Build a run step's configs (quick and full) without creating anything: what they would refuse is an error."""
    step = Step("run", 0, **fields)
    for full in (False, True) if fields.get("full") else (False,):
        try:
            configs = build_configs(recipe(step, full), group="dry-run")
        except RunTooLarge:
            continue  # this machine's free memory is no property of the lab
        except ValueError as error:
            where_in = ("full",) if full else ("settings", "task") if "task option" in str(error) else ()
            checker.error(path + where_in,
                          f"{where}{' (full)' if full else ''}: {str(error).splitlines()[0]}")
            continue
        if not full:
            for name in step.adjustable:
                if not settable(configs[0], name):
                    checker.error(path + ("adjustable",), f"{where}: adjustable {name!r} is no setting of "
                                                          f"task {step.task!r} (e.g. seeds, train.epochs)")


def _run_name(checker, body: dict, path: tuple, where: str, before: list[Step]) -> str:
    name = body.get("run")
    names = [step.name for step in before if step.kind == "run"]
    if name not in names:
        checker.error(path + ("run",), f"{where}: run must name a run step before it "
                                       f"({', '.join(names) or 'there is none yet'}), not {name!r}")
        return ""
    return name


def _settings(checker, value: Any, path: tuple, where: str) -> dict:
    settings = checker.mapping(value, path, f"{where}: settings", ("task", "model", "train"))
    for section, values in list(settings.items()):
        if not isinstance(values, dict):
            checker.error(path + (section,), f"{where}: settings.{section} must be a mapping, e.g. {{epochs: 4}}")
            settings.pop(section)
        else:
            settings[section] = {str(key): item for key, item in values.items()}
            if section in ("model", "train"):  # the task's own options are the task's to check (the dry build)
                known = {item.name for item in dataclasses.fields(CONFIG_SECTIONS[section])}
                for key in settings[section]:
                    if key not in known:
                        checker.error(path + (section, key), f"{where}: unknown {section} setting {key!r}; valid: "
                                                             f"{', '.join(sorted(known))}")
    return settings
