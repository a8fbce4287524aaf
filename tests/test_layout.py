"""The layout shows the architecture: no import circles in ``labdb/`` or ``analysis/`` (imports
inside functions count), no module over 500 lines, the API independent of the web pages, the
harvester standard-library only, and analyses run only through the pipelines."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("labdb", "analysis", "harvester")
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the project's packages."""
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _imports(path: Path, name: str, modules: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """The project modules ``path`` imports (anywhere in it, functions included), resolved to
    the module that is loaded: ``from a.b import c`` is ``a.b.c`` when that is a module."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                if not is_package:
                    anchor = anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                targets.append(full if full in modules else base)
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target, node.lineno


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = {t for t, _ in _imports(path, name, modules)}
        # importing a.b.c runs a/__init__ and a/b/__init__ first
        for target in list(edges):
            parts = target.split(".")
            edges |= {
                ".".join(parts[:k]) for k in range(1, len(parts)) if ".".join(parts[:k]) in modules
            }
        # a package's own __init__ is loaded before its submodules: not an edge back
        own_parents = {".".join(name.split(".")[:k]) for k in range(1, name.count(".") + 1)}
        graph[name] = edges - own_parents - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_circle_finder_sees_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circles_in_labdb_or_analysis() -> None:
    graph = _graph()
    assert len(graph) > 150  # the walk saw both packages
    assert "labdb.services.jobs" in graph["labdb.tasks"]  # and imports inside functions
    assert _cycles(graph) == []


def test_no_module_over_500_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in _modules().values()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_api_does_not_import_the_web_pages() -> None:
    graph = _graph()
    crossing = {
        (a, b)
        for a, edges in graph.items()
        if a.startswith("labdb.api")
        for b in edges
        if b.startswith("labdb.web")
    }
    assert crossing == set()


def test_only_the_pipelines_run_analyses() -> None:
    """No module outside analysis/ calls the science entry points directly: the job, the
    command line and the benchmarks go through analysis.pipelines."""
    entry_points = {
        "analyze_cycling",
        "choose_model",
        "fit_circuit",
        "lin_kk",
        "compute_drt",
        "peel_strength",
        "scratch_analysis",
        "oliver_pharr",
        "indentation_set",
        "cv_peaks",
        "dqdv",
    }
    offenders = []
    for folder in ("labdb", "analysis/cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call):
                    fn = node.func
                    called = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
                    if called in entry_points:
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {called}")
    assert offenders == []


def test_analysis_and_its_tests_never_import_labdb() -> None:
    """analysis/ is the science, usable without Django; its tests (tests/analysis) therefore need
    no database or broker, which is why CI's PostgreSQL + Redis run leaves them out (.ci/run)."""
    graph = _graph()
    crossing = {
        (a, b)
        for a, edges in graph.items()
        if a.startswith("analysis")
        for b in edges
        if b.startswith("labdb")
    }
    assert crossing == set()
    offenders = []
    for path in sorted((ROOT / "tests" / "analysis").rglob("*.py")):
        text = path.read_text()
        if "django_db" in text or any(
            name.split(".")[0] in ("labdb", "django")
            for name in _imported_names(ast.parse(text, filename=str(path)))
        ):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def _imported_names(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
