"""The student's lab report as Markdown: the HTML report's sections (report.py) as text and tables, without the
figures. Every text from the lab file, a run folder or the student is escaped, so nothing in it becomes a link,
an image, HTML or a heading; commands are fenced code.
"""
from __future__ import annotations

import re
import time

import pandas as pd

from rnnkit.analysis.figures import translator
from rnnkit.analysis.labs import report_parts
from rnnkit.analysis.labs.checks import CheckResult
from rnnkit.analysis.labs.schema import Lab
from rnnkit.analysis.run_text import runs_table_text
from rnnkit.runs.folder import Run

SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # inline marks, links and tables, anywhere in a line
LINE_START = re.compile(r"^(\s*)(#{1,6}|[+\-]|\d{1,9}[.)])(?=\s|$)")  # headings and lists: at a line's start


def report_markdown(lab: Lab, runs_by_name: dict[str, list[Run]], answers: dict[str, str] | None = None,
                    check_results: dict[int, CheckResult] | None = None, language: str | None = None) -> str:
    """The report as one Markdown document (same arguments as `report_html`)."""
    language = language or lab.language
    _ = translator(language)
    lines = [f"# {escape(lab.title)}", "", escape(_("Lab report, {date}").format(date=time.strftime("%Y-%m-%d %H:%M"))),
             "", "## " + escape(_("Aim")), "", *_paragraph(lab.aim)]
    if lab.background:
        lines += ["## " + escape(_("Background")), "", *_fenced(lab.background)]
    lines += ["## " + escape(_("Method")), ""]
    for step in lab.run_steps():
        runs = runs_by_name.get(step.name, [])
        lines += [f"### {escape(step.name + (': ' + step.text if step.text else ''))}", ""]
        lines += _table(pd.DataFrame(report_parts.method_rows(step, runs, language),
                                     columns=[_("setting"), _("value")]))
        lines += [escape(_("The commands that train these runs again:")), ""]
        lines += _fenced("\n".join(report_parts.commands(lab, step, runs)))
    lines += ["## " + escape(_("Results")), ""]
    for step in lab.run_steps():
        runs = runs_by_name.get(step.name, [])
        lines += [f"### {escape(step.name)}", ""]
        if not runs:
            lines += [escape(_("No runs yet.")), ""]
        elif step.experiment == "horizon":
            from rnnkit.analysis.horizon import horizon_cells, horizon_summary, horizon_table

            cells = horizon_cells(horizon_summary(horizon_table(runs))).reset_index()
            cells.columns = [_("T")] + [str(name).upper() for name in cells.columns[1:]]
            lines += _table(cells)
        else:
            lines += _table(runs_table_text(runs, language))
    source = report_parts.source_frame(lab, runs_by_name, language)
    if source is not None:
        heading = _("The seed report's numbers beside yours")
        lines += [f"## {escape(heading)}", "", *_table(source)]
    checks = report_parts.check_rows(lab, runs_by_name, check_results, language)
    if checks:
        lines += ["## " + escape(_("Checks")), ""]
        for row in checks:
            lines.append(f"- **{escape(row['claim'])}**: {escape(row['outcome'])}; {escape(row['detail'])}"
                         + (f" ({escape(row['hint'])})" if row["hint"] else ""))
        lines.append("")
    questions = report_parts.answer_rows(lab, answers, language)
    if questions:
        lines += ["## " + escape(_("Your answers")), ""]
        for row in questions:
            lines += [f"### {escape(row['question'])}", ""]
            lines += [f"- {escape(choice)}" for choice in row["choices"]] + ([""] if row["choices"] else [])
            answer = row["answer"] or _("(no answer)")
            lines += [f"> {escape(line)}" if line.strip() else ">" for line in answer.splitlines() or [""]] + [""]
    return "\n".join(lines).rstrip() + "\n"


def escape(text: object) -> str:
    """`text` as literal Markdown: its special characters backslash-escaped, < > & as entities, one line."""
    plain = " ".join(str(text).replace("\r", " ").split("\n"))
    plain = plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    plain = SPECIAL.sub(r"\\\1", plain).replace("://", "\\://").replace("www.", "www\\.")  # no autolinks
    return LINE_START.sub(_escaped_mark, plain)


def _escaped_mark(match: re.Match) -> str:
    """'\\# ', '\\- ', '1\\. ': the mark of a heading or list item, escaped."""
    mark = match.group(2)
    escaped = mark[:-1] + "\\" + mark[-1] if mark[0].isdigit() else "\\" + mark
    return match.group(1) + escaped


def _paragraph(text: str) -> list[str]:
    return [escape(line) if line.strip() else "" for line in text.strip().splitlines()] + [""]


def _fenced(text: str) -> list[str]:
    fence = "```"
    while fence in text:
        fence += "`"
    return [fence, text.strip("\n"), fence, ""]


def _table(frame: pd.DataFrame) -> list[str]:
    if frame is None or frame.empty:
        return ["–", ""]
    shown = frame.astype(object).where(frame.notna(), "–")
    header = "| " + " | ".join(escape(column) for column in shown.columns) + " |"
    rule = "|" + "|".join(" --- " for _column in shown.columns) + "|"
    rows = ["| " + " | ".join(escape(value) for value in row) + " |" for row in shown.itertuples(index=False)]
    return [header, rule, *rows, ""]
