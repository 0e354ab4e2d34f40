"""The folders are the layers: the contracts hold, no module imports itself back through others (not even
inside a function), the light layers stay light, and no module outgrows one concern."""
import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from tests.waits import patience

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 300


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: the groups of modules that reach each other (a cycle), largest first; a module
    that imports itself counts as a group of one."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups, key=len, reverse=True)


def test_the_cycle_finder_finds_cycles_and_only_cycles():
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert strongly_connected({"a": {"b"}, "b": set(), "c": {"c"}}) == [{"c"}]
    assert strongly_connected({"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": set()}) == []


def import_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph("rnnkit")  # every import statement, in functions and TYPE_CHECKING blocks too
    return {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}


def test_the_package_has_no_import_cycle():
    cycles = strongly_connected(import_graph())
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(sorted(group)) for group in cycles)


def test_the_layer_contracts_hold():
    result = subprocess.run(["lint-imports"],
                            cwd=ROOT, capture_output=True, text=True, timeout=patience(600))
    assert result.returncode == 0, result.stdout[-4000:]
    assert "BROKEN" not in result.stdout and " KEPT" in result.stdout


@pytest.mark.parametrize("module", ["rnnkit", "rnnkit.config", "rnnkit.core.settings", "rnnkit.runs.store",
                                    "rnnkit.runs.queue", "rnnkit.core.metrics"])
def test_the_light_layers_import_neither_torch_nor_streamlit(module):
    script = (f"import sys, {module}\n"
              "print(sorted(name for name in ('torch', 'streamlit') if name in sys.modules))")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                            timeout=patience(300), env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]", f"import {module} loads {result.stdout.strip()}"


def test_no_module_is_over_300_lines():
    long = {str(path.relative_to(ROOT)): lines for path in sorted((ROOT / "rnnkit").rglob("*.py"))
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these by concern (at most {MAX_LINES} lines): {long}"


def test_an_installed_package_without_its_checkout_keeps_runs_out_of_site_packages(tmp_path, monkeypatch):
    from rnnkit.core import settings

    monkeypatch.delenv("RNNKIT_CHECKPOINTS_DIR", raising=False)
    monkeypatch.setenv("RNNKIT_CACHE_DIR", str(tmp_path / "cache"))
    assert settings.checkpoints_dir() == ROOT / "checkpoints"  # a checkout: its own folder
    monkeypatch.setattr(settings, "PROJECT_ROOT", tmp_path / "site-packages")  # no app.py beside the package
    assert settings.checkpoints_dir() == tmp_path / "cache" / "checkpoints"
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path / "mine"))
    assert settings.checkpoints_dir() == tmp_path / "mine"


def test_pages_and_app_never_import_training_or_the_worker():
    """The contracts cover rnnkit/; the pages and app.py are the dashboard too."""
    import ast

    offenders = []
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
            offenders += [f"{path.name}: {name}" for name in names
                          if name.startswith(("rnnkit.training", "rnnkit.worker"))]
    assert not offenders
