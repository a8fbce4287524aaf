"""The science package stands alone: no module of analysis/ imports Django or labdb."""

import ast
from pathlib import Path

ANALYSIS = Path(__file__).resolve().parents[2] / "analysis"


def test_analysis_never_imports_django_or_labdb() -> None:
    offenders = []
    for path in sorted(ANALYSIS.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(ANALYSIS.parent)}:{node.lineno} imports {n}"
                for n in names
                if n.split(".")[0] in {"django", "labdb", "rest_framework", "celery"}
            ]
    assert offenders == []
    assert len(list(ANALYSIS.rglob("*.py"))) > 30  # the walk really saw the package
