"""Compare the numbers two versions of labdb compute on the same files.

    python bench/versions.py OLD_REV [NEW_REV]      (NEW_REV: the working tree)

A refactoring must not change results; a science change must change only what it says. This
runs ``python -m analysis cycling|eis FILE --json`` of each version (OLD_REV checked out in a
temporary git worktree, run with this virtual environment) on

* the demo study's raw files, written once by the working tree's simulator (so both versions
  read the same bytes), and
* every cycling and EIS file of the shared peer data (``LABDB_CONFORMANCE_DATA``, default
  ``../shared/data``) that the newer version reads,

and prints, per file, "same", "same up to floating-point rounding" or the values that differ
(``analysis.serial.differences``: floats compared to a relative 1e-9). Compared: the run
metrics, the per-cycle table, the short circuits and the rate-capability table of a cycling
analysis; circuit, parameters, standard errors and chi-square of every fitted spectrum of an
EIS analysis. The JSON layouts of both versions are read (the CLI's output changed with the
pipelines), so any two revisions since the first release can be compared.

Exit status 1 when a file's numbers differ, so the script can guard a refactoring.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.serial import differences  # noqa: E402

DATA = Path(os.environ.get("LABDB_CONFORMANCE_DATA", ROOT.parent / "shared" / "data"))
CYCLING_SUFFIXES = {".csv", ".mpr", ".mpt", ".res", ".txt", ".xlsx", ".ndax", ".nda", ".h5", ".hdf"}


def cases(demo_dir: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """(kind, file, extra CLI arguments) for every file compared."""
    from analysis.simulate.study import write_demo_study

    for demo in write_demo_study(demo_dir):
        if demo.kind == "cycling":
            cell = "full" if "-FC" in demo.cell_label else "half"
            yield "cycling", demo.path, ["--cell-type", cell]
        elif demo.kind == "eis" and "INSITU" not in demo.path.name:
            # In-situ series: the old CLI fitted them without the worker's warm start and
            # refit guard (the drift issue 12 removed), so they are expected to differ.
            yield "eis", demo.path, []
    manifest = DATA / "MANIFEST.tsv"
    if not manifest.exists():
        return
    rows = manifest.read_text(encoding="utf-8").splitlines()
    header = rows[0].split("\t")
    for line in rows[1:]:
        row = dict(zip(header, line.split("\t"), strict=False))
        path = DATA / row["local_path"]
        if row["kind"] == "cycling" and path.suffix.lower() in CYCLING_SUFFIXES:
            yield "cycling", path, ["--cell-type", "full"]
        elif row["kind"] == "eis":
            yield "eis", path, []


def run(tree: Path, kind: str, path: Path, extra: list[str]) -> dict[str, Any] | str:
    """The normalised numbers of one analysis, or the error message."""
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", kind, str(path), "--json", *extra],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(tree)},
    )
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return f"exit {proc.returncode}: {lines[-1] if lines else ''}"
    return normalise(kind, json.loads(proc.stdout))


def normalise(kind: str, out: dict[str, Any]) -> dict[str, Any]:
    """The numbers of either JSON layout (before and after the pipelines) in one shape."""
    if kind == "cycling":
        summary = out.get("summary", out)
        tables = out.get("tables", out)
        return {
            "metrics": summary["metrics"],
            "short_circuits": summary["short_circuits"],
            "cycles": tables["cycles"],
            "rate_capability": tables.get("rate_capability"),
        }
    new_layout = "summary" in out
    fits = [d.get("fit") for d in out["summary"]["details"]] if new_layout else out["spectra"]
    keys = ("circuit", "parameters", "standard_errors", "chi_square")
    return {"fits": [None if f is None else {k: f.get(k) for k in keys} for f in fits]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", help="git revision to compare against")
    parser.add_argument("new", nargs="?", help="git revision (default: the working tree)")
    args = parser.parse_args(argv)
    changed = 0
    with tempfile.TemporaryDirectory(prefix="labdb-versions-") as tmp:
        trees = []
        for rev in (args.old, args.new):
            if rev is None:
                trees.append(ROOT)
                continue
            tree = Path(tmp) / rev.replace("/", "_")
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(tree), rev],
                check=True,
                capture_output=True,
            )
            trees.append(tree)
        try:
            for kind, path, extra in cases(Path(tmp) / "demo"):
                new = run(trees[1], kind, path, extra)
                if isinstance(new, str):
                    continue  # the newer version does not read it: nothing to compare
                old = run(trees[0], kind, path, extra)
                if isinstance(old, str):
                    print(f"{kind:8} {path.name}: only the newer version reads it ({old})")
                    continue
                diff = differences(old, new)
                exact = old == new
                verdict = "same" if exact else "same up to floating-point rounding"
                if diff:
                    changed += 1
                    verdict = f"DIFFERENT ({len(diff)}): " + "; ".join(diff[:5])
                print(f"{kind:8} {path.name}: {verdict}")
        finally:
            for tree in trees:
                if tree != ROOT:
                    subprocess.run(
                        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                        capture_output=True,
                    )
    print(f"\n{changed} file(s) with different numbers")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
