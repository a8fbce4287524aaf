"""The harvester runs on a bare Python: standard library only, nothing from labdb, analysis or
Django, so the ``harvester/`` folder can be copied to an instrument PC and run as
``python -m harvester``."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = REPO_ROOT / "harvester"

# Imports every module of the package with only ``root`` on sys.path (``-I -S``: no site-packages,
# no PYTHONPATH, no current directory), then lists every module that got loaded.
IMPORT_ALL = """
import json, pkgutil, sys
sys.path.insert(0, sys.argv[1])
import harvester
for info in pkgutil.iter_modules(harvester.__path__, "harvester."):
    __import__(info.name)
print(json.dumps({"path": sys.path, "modules": sorted(sys.modules),
                  "stdlib": sorted(sys.stdlib_module_names)}))
"""

# ``python -m harvester --help``, with only ``root`` on sys.path.
RUN_MAIN = """
import runpy, sys
sys.path.insert(0, sys.argv[1])
sys.argv = ["harvester", "--help"]
runpy.run_module("harvester", run_name="__main__", alter_sys=True)
"""


def _bare_python(code: str, root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_imports_only_the_standard_library_on_a_bare_python() -> None:
    done = _bare_python(IMPORT_ALL, REPO_ROOT)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert not any("site-packages" in p for p in loaded["path"])
    stdlib = set(loaded["stdlib"]) | {"__main__"}
    tops = {name.split(".")[0] for name in loaded["modules"]}
    assert "harvester" in tops
    assert tops - stdlib == {"harvester"}
    assert not tops & {"labdb", "analysis", "django", "rest_framework"}


def test_no_module_names_anything_outside_the_standard_library() -> None:
    outside = []
    modules = sorted(PACKAGE.glob("*.py"))
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            outside += [
                f"{path.name}:{node.lineno} imports {n}"
                for n in names
                if n.split(".")[0] not in sys.stdlib_module_names | {"harvester", "__future__"}
            ]
    assert outside == []
    assert len(modules) >= 2


def test_a_copy_of_the_folder_runs_as_python_m_harvester(tmp_path: Path) -> None:
    shutil.copytree(PACKAGE, tmp_path / "harvester", ignore=shutil.ignore_patterns("__pycache__"))
    done = _bare_python(RUN_MAIN, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "labdb folder harvester" in done.stdout and "--test-run-from-filename" in done.stdout
