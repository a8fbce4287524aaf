"""Short-circuit detection against known truth: a generated corpus and the shared real files.

``python bench/shorts.py [--cells 500] [--seed 13] [--jobs 2] [--quick] [--no-shared]``

1. A corpus of ``--cells`` generated cells (:mod:`analysis.simulate.cells`: half and full
   cells, healthy and with hard or soft shorts, every realism option mixed in, a fixed seed),
   each analysed by the cycling pipeline as a job would (``analysis.pipelines.run("cycling",
   table, {"cell_type": ...})``) and scored against its truth in protocol cycles
   (:mod:`analysis.simulate.cells.evaluate`).
2. Every cycling file of the shared data (``$LABDB_CONFORMANCE_DATA``, default
   ``../shared/data``, through MANIFEST.tsv and ``analysis.readers``) whose truth is "no
   short" (none of their sources reports one; "short" in some names means a shortened file).
   The cell type is taken from the voltage: a median below 2 V is an electrode against Li
   (half-cell convention, reduction first); above, a cathode or full cell (charge first).

Prints the confusion matrix (healthy cells flagged, shorts found at onset -1..+3, detection
delays), per realism option and per rule, and the targets of issue 13: 0 flagged on the shared
files, <= 1 % on generated healthy cells, >= 95 % of shorts found at onset. ``--quick`` runs 60
cells (CI). The generation knows nothing of the analysis' rules.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import pipelines  # noqa: E402
from analysis.simulate.cells import CellSpec, generate_cell  # noqa: E402
from analysis.simulate.cells.corpus import corpus_specs  # noqa: E402
from analysis.simulate.cells.evaluate import Confusion, Score, score  # noqa: E402


def analyse_generated(job: tuple[CellSpec, int]) -> Score:
    """Generate one cell, run the cycling pipeline on it, score the result."""
    spec, seed = job
    cell = generate_cell(spec, seed)
    params = {"cell_type": spec.cell_type, "area_cm2": spec.area_cm2}
    try:
        result = pipelines.run("cycling", cell.table, params)
    except Exception as exc:
        return score(f"cell {seed}", cell.truth, {}, None, error=f"{type(exc).__name__}: {exc}")
    return score(f"cell {seed}", cell.truth, result.summary, result.tables.get("cycles"))


def shared_cycling_files(root: Path) -> list[Path]:
    """Paths of the MANIFEST's cycling files (the readers decide which hold cycling data)."""
    manifest = root / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    with manifest.open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [root / r["local_path"] for r in rows if r["kind"] == "cycling"]


def analyse_shared(path: Path) -> tuple[str, str, int | None, tuple[str, ...]] | None:
    """(file, cell type, reported short cycle, rules) for a readable cycling file, else None."""
    from analysis.readers import read

    try:
        parsed = read(path)
    except Exception:
        return None
    if parsed.kind != "cycling" or len(parsed.table) < 10:
        return None
    table = parsed.table
    active = table[table["current_ampere"].abs() > 0]
    median = float(np.median((active if len(active) else table)["voltage_volt"]))
    cell_type = "half" if median < 2.0 else "full"
    try:
        result = pipelines.run("cycling", table, {"cell_type": cell_type})
    except Exception as exc:
        return (path.name, cell_type, None, (f"refused: {exc}"[:60],))
    short = result.summary["metrics"].get("short_circuit_cycle")
    rules = tuple(
        sorted({e["rule"] for e in result.summary["short_circuits"] if e["cycle"] == short})
    )
    return (path.name, cell_type, short, rules)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=500)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="60 cells")
    parser.add_argument("--no-shared", action="store_true", help="skip the shared real files")
    args = parser.parse_args(argv)
    n = 60 if args.quick else args.cells
    specs = corpus_specs(n, args.seed)
    started = time.perf_counter()
    if args.jobs > 1:
        with Pool(args.jobs) as pool:
            scores = pool.map(analyse_generated, specs, chunksize=4)
    else:
        scores = [analyse_generated(job) for job in specs]
    elapsed = time.perf_counter() - started
    confusion = Confusion()
    confusion.add(scores)
    print(f"generated corpus: {n} cells, seed {args.seed}, {elapsed:.1f} s ({args.jobs} jobs)")
    for line in confusion.lines():
        print(line)
    flagged_shared = 0
    if not args.no_shared:
        root = Path(os.environ.get("LABDB_CONFORMANCE_DATA", ROOT.parent / "shared" / "data"))
        print(f"\nshared files ({root}), truth: no short")
        for path in shared_cycling_files(root):
            row = analyse_shared(path)
            if row is None:
                continue
            name, cell_type, short, rules = row
            flagged_shared += short is not None
            verdict = "ok" if short is None else f"FLAGGED at cycle {short} ({', '.join(rules)})"
            print(f"  {name[:60]:<60} {cell_type:<4} {verdict}")
    fp = confusion.false_positive_rate()
    hit = confusion.at_onset_rate()
    print(
        f"\ntargets: shared files flagged {flagged_shared} (target 0); generated healthy "
        f"flagged {fp:.1%} (target <= 1 %); shorts at onset {hit:.1%} (target >= 95 %)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
