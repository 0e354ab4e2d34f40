"""Guided labs from the command line: `lab list | check FILE | run LAB | report LAB` (rnnkit.analysis.labs).

    python -m rnnkit lab list                                  one lab a line: id, title, minutes
    python -m rnnkit lab check my-lab.en.yaml                  every problem as 'file, line N: what' (exit 1)
    python -m rnnkit lab run memory-horizon                    every run step through the queue, waiting for each
    python -m rnnkit lab run memory-horizon --step 2 --dry-run what step 2 would start
    python -m rnnkit lab report memory-horizon --html r.html --pdf r.pdf --answers answers.json

A headless way through a lab, for teachers preparing a lesson and for tests. The runs are started as
`python -m rnnkit train --detach` starts them (one group per run step, through the queue) and carry the lab's
tag, so the Lab page and `lab report` find them.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rnnkit.analysis.labs import LabError, check_lab_file, evaluate_check, lab_ids, lab_runs, load_lab, step_configs
from rnnkit.analysis.retrain import reproduce_command
from rnnkit.cli.help_text import examples
from rnnkit.cli.terminal import shown
from rnnkit.runs.folder import ACTIVE_STATES, exit_status
from rnnkit.runs.store import RunStore

ACTIONS = ("list", "check", "run", "report")
POLL_SECONDS = 2.0
MAX_ANSWERS_BYTES = 1_000_000


def add_lab(lab: argparse.ArgumentParser) -> None:
    lab.description = "Guided labs: list them, check a lab file, run a lab's steps, write the student's report."
    lab.epilog = examples(
        "python -m rnnkit lab list",
        "python -m rnnkit lab check rnnkit/labs/memory-horizon.en.yaml",
        "python -m rnnkit lab run memory-horizon --dry-run            # what each run step would start",
        "python -m rnnkit lab run memory-horizon --step 2             # only step 2, waiting for its runs",
        "python -m rnnkit lab report memory-horizon --html report.html --pdf report.pdf")
    lab.add_argument("action", choices=ACTIONS, help="list the labs, check a lab file, run a lab, or write its report")
    lab.add_argument("target", nargs="?", default=None, help="check: the lab file; run and report: the lab's id")
    lab.add_argument("--language", choices=("en", "zh"), default="en", help="the lab's language (default: en)")
    lab.add_argument("--labs-dir", default=None, help="folder of lab files (default: the shipped labs, rnnkit/labs)")
    lab.add_argument("--step", type=int, default=None, help="run: only this run step (1 = the lab's first step)")
    lab.add_argument("--full", action="store_true", help="run: the seed report's own recipe instead of the quick size")
    lab.add_argument("--dry-run", action="store_true", help="run: print what would start, start nothing")
    lab.add_argument("--detach", action="store_true", help="run: start the runs and return without waiting")
    lab.add_argument("--html", default=None, help="report: write the HTML report to this file (offline)")
    lab.add_argument("--pdf", default=None, help="report: also write it as PDF (WeasyPrint)")
    lab.add_argument("--markdown", default=None, help="report: also write it as Markdown")
    lab.add_argument("--answers", default=None, help="report: a JSON file of answers, {question id: text}")
    lab.add_argument("--owner", default=None, help="report: only the runs this user started (default: anyone's)")


def command_lab(args: argparse.Namespace, store: RunStore) -> int:
    if args.action in ("check", "run", "report") and not args.target:
        raise ValueError(f"`lab {args.action}` needs {'a lab file' if args.action == 'check' else 'a lab id'}; "
                         "`python -m rnnkit lab list` lists the labs")
    return {"list": _list, "check": _check, "run": _run, "report": _report}[args.action](args, store)


def _list(args: argparse.Namespace, store: RunStore) -> int:
    failed = 0
    for lab_id in lab_ids(args.labs_dir):
        try:
            lab = load_lab(lab_id, args.language, args.labs_dir)
        except ValueError as error:
            print(f"{lab_id:24}  (this lab file has problems: `python -m rnnkit lab check` names them; "
                  f"{shown(str(error).splitlines()[0])})")
            failed += 1
            continue
        print(f"{lab.id:24}  {shown(lab.title)}  ({lab.minutes} min)")
    return 1 if failed else 0


def _check(args: argparse.Namespace, store: RunStore) -> int:
    try:
        lab = check_lab_file(args.target)
    except LabError as error:
        for line in error.errors:
            print(shown(line))
        return 1
    kinds = ", ".join(f"{sum(step.kind == kind for step in lab.steps)} {kind}"
                      for kind in dict.fromkeys(step.kind for step in lab.steps))
    print(f"{shown(Path(args.target).name)}: ok, lab {lab.id!r}, {len(lab.steps)} steps ({kinds})")
    return 0


def _run(args: argparse.Namespace, store: RunStore) -> int:
    lab = load_lab(args.target, args.language, args.labs_dir)
    steps = lab.run_steps() if args.step is None else [lab.step(args.step)]
    if steps and steps[0].kind != "run":
        raise ValueError(f"step {args.step} of lab {lab.id!r} is a {steps[0].kind} step; its run steps: "
                         f"{', '.join(str(step.index) for step in lab.run_steps())}")
    outcomes = []
    for step in steps:
        configs = step_configs(lab, step, full=args.full)
        print(f"step {step.index} {step.name!r}: {len(configs)} runs of {step.task}"
              f"{' (full recipe)' if args.full else ''}")
        if args.dry_run:
            for config in configs:
                print(f"  {reproduce_command(config)}")
            continue
        runs = store.start(configs)
        print(f"  group {configs[0].group}: started {len(runs)} runs (`python -m rnnkit runs --group "
              f"{configs[0].group}` lists them)")
        if args.detach:
            continue
        outcomes += _wait(runs)
        for check in (item for item in lab.steps if item.kind == "check" and item.run == step.name):
            result = evaluate_check(lab, check, lab_runs(store, lab, step.name, ""), args.language)
            word = {True: "passed", False: "not yet", None: "cannot tell yet"}[result.passed]
            print(f"  check (step {check.index}) {shown(check.text)}: {word}; {shown(result.detail)}")
    return exit_status(outcomes) if outcomes else 0


def _wait(runs) -> list[str]:
    """Wait until every run has ended, printing each change of state or epoch; their final states."""
    seen: dict[str, tuple] = {}
    while True:
        states = []
        for run in runs:
            status = run.status()
            state = str(status.get("state", ""))
            where = (state, status.get("epoch"), status.get("epochs"))
            if seen.get(run.run_id) != where:
                seen[run.run_id] = where
                epoch = f" epoch {where[1]}/{where[2]}" if where[1] and where[2] else ""
                print(f"  {run.run_id}: {state}{epoch}", flush=True)
            states.append(state)
        if not any(state in ACTIVE_STATES for state in states):
            return states
        time.sleep(POLL_SECONDS)


def _report(args: argparse.Namespace, store: RunStore) -> int:
    from rnnkit.analysis.labs import report_html, report_markdown, report_pdf

    if not (args.html or args.pdf or args.markdown):
        raise ValueError("`lab report` needs --html FILE (and/or --pdf FILE, --markdown FILE)")
    lab = load_lab(args.target, args.language, args.labs_dir)
    runs_by_name = {step.name: lab_runs(store, lab, step.name, args.owner) for step in lab.run_steps()}
    answers = _answers(args.answers) if args.answers else {}
    html = report_html(lab, runs_by_name, answers, None, args.language)
    written = []
    if args.html:
        Path(args.html).write_text(html, encoding="utf-8")
        written.append(args.html)
    if args.markdown:
        Path(args.markdown).write_text(report_markdown(lab, runs_by_name, answers, None, args.language),
                                       encoding="utf-8")
        written.append(args.markdown)
    if args.pdf:
        Path(args.pdf).write_bytes(report_pdf(html))
        written.append(args.pdf)
    runs = sum(len(found) for found in runs_by_name.values())
    print(f"wrote {', '.join(shown(name) for name in written)} ({runs} runs of lab {lab.id})")
    return 0


def _answers(path: str) -> dict[str, str]:
    """The answers file: a JSON object of question id -> text (ValueError saying what is wrong, never its content)."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ValueError(f"the answers file cannot be read ({error.strerror or type(error).__name__})") from None
    if len(data) > MAX_ANSWERS_BYTES:
        raise ValueError(f"the answers file is larger than {MAX_ANSWERS_BYTES:,} bytes")
    try:
        answers = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ValueError("the answers file is not a JSON object of question id -> text") from None
    if not isinstance(answers, dict) or not all(isinstance(key, str) and isinstance(value, str)
                                                for key, value in answers.items()):
        raise ValueError("the answers file is not a JSON object of question id -> text")
    return answers


COMMANDS = {"lab": (add_lab, command_lab)}  # name -> (adds its flags, runs it); the one-line help: rnnkit.cli.parser
