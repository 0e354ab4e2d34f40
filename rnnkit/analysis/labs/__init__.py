"""Guided labs: a lab file (rnnkit/labs/<lab id>.<language>.yaml) read, validated and put to work.

    from rnnkit.analysis.labs import (Lab, LabError, lab_ids, load_lab, check_lab_file, step_configs,
                                      evaluate_check, lab_runs, report_html, report_pdf, report_markdown)

    schema.py     Lab, Step, LabError and the names a lab may use (step kinds, views, check kinds, metrics)
    document.py   YAML with the line of every value          validate.py, steps.py   the checks, file/line errors
    catalog.py    the shipped labs: lab_ids, load_lab, check_lab_file
    configs.py    a run step's configs (quick, full, adjusted) and the runs it started: step_configs, lab_runs
    checks.py     a check step on those runs: evaluate_check -> CheckResult(passed, detail)
    report.py     the student's lab report: HTML (offline), Markdown, PDF (WeasyPrint)

The file format is docs/writing-labs.md; the students' progress is rnnkit.runs.lab_progress.
"""
from __future__ import annotations

from rnnkit.analysis.labs.catalog import LAB_FOLDER, check_lab_file, lab_ids, lab_path, load_lab
from rnnkit.analysis.labs.checks import CheckResult, evaluate_check
from rnnkit.analysis.labs.configs import lab_runs, lab_tag, step_configs
from rnnkit.analysis.labs.schema import CHECK_KINDS, METRICS, STEP_KINDS, VIEWS, Lab, LabError, Step

__all__ = ["CHECK_KINDS", "LAB_FOLDER", "METRICS", "STEP_KINDS", "VIEWS", "CheckResult", "Lab", "LabError", "Step",
           "check_lab_file", "evaluate_check", "lab_ids", "lab_path", "lab_runs", "lab_tag", "load_lab",
           "report_html", "report_markdown", "report_pdf", "step_configs"]

REPORT_NAMES = ("report_html", "report_markdown", "report_pdf")


def __getattr__(name: str):
    """The report's functions load plotly and WeasyPrint on first use only."""
    if name in REPORT_NAMES:
        from rnnkit.analysis.labs import report

        return getattr(report, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
