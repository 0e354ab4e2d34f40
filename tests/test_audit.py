"""The audit (benchmarks/audit.py) stays part of the project: its quick run passes with one line per check,
and it does fail when a figure it checks is off (a gradient norm 1 % high, intervals half as wide)."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.waits import patience

ROOT = Path(__file__).resolve().parent.parent
CHECKS = ("gradient flow, mixed lengths", "interval coverage, 3 seeds", "interval coverage, 5 seeds",
          "interval coverage, 10 seeds", "familywise false-verdict rate, 3 architectures",
          "familywise false-verdict rate, 5 architectures", "parameter matching")
DATA_CHECKS = ("baseline, majority class, names", "baseline, majority class, waimai")  # skip without the data
RUN_CHECKS = ("test ECE and reliability bins", "ECE and bins after temperature scaling",
              "calibration, fitted temperature", "calibration binning on the bin edges")


@pytest.fixture(scope="module")
def audit():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import audit as module

    return module


def test_the_quick_audit_passes_with_one_line_per_check():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "audit.py"), "--quick"], cwd=ROOT,
                            capture_output=True, text=True, timeout=patience(600), env=os.environ.copy())
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    for check in CHECKS + RUN_CHECKS:
        assert any(line.startswith("ok    ") and check in line for line in lines), (check, result.stdout)
    for check in DATA_CHECKS:
        assert any(line.startswith(("ok    ", "skip  ")) and check in line for line in lines), (check, result.stdout)
    assert not any(line.startswith("FAIL") for line in lines)
    assert lines[-1].startswith("audit: ") and " 0 failed" in lines[-1]


def test_a_figure_off_by_one_percent_fails(audit):
    real = audit.compare_figures("norms", [1.0, 0.5, 1e-8], [1.0, 0.5, 1e-8], 1e-5)
    off = audit.compare_figures("norms", [1.01, 0.5, 1e-8], [1.0, 0.5, 1e-8], 1e-5)
    assert real.status == "ok" and off.status == "FAIL" and "1.0e-02" in off.line()
    assert audit.compare_figures("norms", [1.0], [1.0, 2.0], 1e-5).status == "FAIL"  # a step missing


def test_gradient_norms_one_percent_high_fail_the_audit(audit, monkeypatch):
    real = audit.gradient_flow

    def one_percent_high(*arguments, **options):
        return [{name: [value * 1.01 for value in norms] for name, norms in tap.items()}
                for tap in real(*arguments, **options)]

    monkeypatch.setattr(audit, "gradient_flow", one_percent_high)
    (result,) = audit.gradient_flow_check(quick=True)
    assert result.status == "FAIL" and "max relative difference 1.0e-02" in result.detail


def test_intervals_half_as_wide_fail_the_coverage_check(audit, monkeypatch):
    real = audit.compare_all

    def narrowed(*arguments, **options):
        verdicts = []
        for verdict in real(*arguments, **options):
            middle, half = (verdict.low + verdict.high) / 2, (verdict.high - verdict.low) / 4
            verdicts.append(dataclasses.replace(verdict, low=middle - half, high=middle + half))
        return verdicts

    monkeypatch.setattr(audit, "compare_all", narrowed)
    results = audit.coverage_check(quick=True)
    assert [result.status for result in results] == ["FAIL"] * 3
    assert all("intervals cover the true difference" in result.detail for result in results)
