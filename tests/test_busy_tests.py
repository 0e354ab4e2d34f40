"""The suite holds on a busy machine: every wait goes through tests/waits.py's patience(), scaled by
RNNKIT_TEST_TIME_FACTOR, and no test asserts how long something took (timings belong in benchmarks/).
The second half reads every test file and fails on a timed assertion, a literal timeout or an
unbounded subprocess call, so the rule stays true as tests are added."""
import ast
from pathlib import Path

import pytest

from tests import waits

TESTS = Path(__file__).resolve().parent
CLOCKS = {"monotonic", "time", "perf_counter", "process_time", "monotonic_ns", "perf_counter_ns", "time_ns"}
SUBPROCESS_CALLS = {"run", "check_output", "check_call", "call"}


def test_the_factor_defaults_to_one_and_scales_every_wait(monkeypatch):
    monkeypatch.delenv(waits.FACTOR_VARIABLE, raising=False)
    assert waits.time_factor() == 1.0 and waits.patience(60) == 60
    monkeypatch.setenv(waits.FACTOR_VARIABLE, "3")
    assert waits.patience(60) == 180 and waits.patience_ms(2) == 6000
    monkeypatch.setenv(waits.FACTOR_VARIABLE, " ")
    assert waits.patience(5) == 5


@pytest.mark.parametrize("bad", ["slow", "0", "-2", "nan", "inf"])
def test_a_factor_that_is_not_a_positive_number_says_what_to_use(monkeypatch, bad):
    monkeypatch.setenv(waits.FACTOR_VARIABLE, bad)
    with pytest.raises(ValueError, match="RNNKIT_TEST_TIME_FACTOR.*e.g. 1, 2 or 3"):
        waits.patience(1)


def test_wait_until_returns_the_first_true_answer_and_names_what_never_happened(monkeypatch):
    answers = iter([None, [], ["ready"]])
    assert waits.wait_until(lambda: next(answers), 60, "an answer", poll=0) == ["ready"]
    monkeypatch.setenv(waits.FACTOR_VARIABLE, "2")
    with pytest.raises(AssertionError, match=r"after 0 s waiting for the moon .*RNNKIT_TEST_TIME_FACTOR, now 2"):
        waits.wait_until(lambda: False, 0.0001, "the moon", poll=0)


# ------------------------------------------------------------------------------------- the rule, read
def _name(node: ast.AST) -> str:
    """`time.monotonic` -> "monotonic", `run` -> "run"."""
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def _reads_a_clock(node: ast.AST) -> bool:
    """Whether `node` calls time.monotonic(), time.time(), perf_counter() and the like."""
    return any(isinstance(call, ast.Call) and _name(call.func) in CLOCKS
               and (isinstance(call.func, ast.Name) or _name(call.func.value) == "time")
               for call in ast.walk(node))


def _literal_seconds(node: ast.AST) -> bool:
    """A number typed into a timeout (0 and sub-second values are the behaviour under test, not a wait)."""
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and node.value >= 1


def violations(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assert) and _reads_a_clock(node.test):
            found.append(f"line {node.lineno}: an assertion on the clock (a timing: benchmarks/)")
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg in {"timeout", "default_timeout"} and _literal_seconds(keyword.value):
                found.append(f"line {node.lineno}: {keyword.arg}={keyword.value.value} (use waits.patience)")
        function = node.func
        if (isinstance(function, ast.Attribute) and _name(function.value) == "subprocess"
                and function.attr in SUBPROCESS_CALLS and not any(k.arg == "timeout" for k in node.keywords)):
            found.append(f"line {node.lineno}: subprocess.{function.attr} without a timeout (unbounded)")
    return found


def test_the_reader_finds_each_kind_of_mistake():
    source = ("import subprocess, time\n"
              "started = time.monotonic()\n"
              "assert time.monotonic() - started < 3.0\n"
              "subprocess.run(['true'])\n"
              "subprocess.run(['true'], timeout=30)\n"
              "page.wait_for(timeout=30_000)\n"
              "api.wait(run, timeout=0.2)\n"
              "subprocess.run(['true'], timeout=patience(30))\n")
    assert [line.split(":")[0] for line in violations(source)] == ["line 3", "line 4", "line 5", "line 6"]


def test_no_test_file_times_an_assertion_or_types_a_timeout():
    found = {path.name: problems for path in sorted(TESTS.glob("*.py"))
             if (problems := violations(path.read_text(encoding="utf-8")))}
    assert not found, found
