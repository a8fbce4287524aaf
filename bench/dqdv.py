"""Cost of the dQ/dV follow-on job against the cycling job it follows, with and without reusing
the cycling result's stored curves.

``python bench/dqdv.py [--cycles 100] [--points 2000] [--repeat 3]``

Generates a full cell with three insertion plateaus (:func:`analysis.simulate.voltammetry.
incremental_capacity_table`, 2 mV voltage noise) as a BDF CSV and times, in this process, the
parts of each job that depend on the data (best of ``--repeat``; imports and the database not
timed):

* cycling job: read the file (``analysis.readers.read``), the cycling pipeline, its tables
  and series written as zstd Parquet (what ``output_store`` writes);
* dQ/dV job before (recomputing): read the file, the ``dqdv`` pipeline on the table (which
  runs the cycling analysis again), its series written;
* dQ/dV job now (reusing): the cycling result's ``profiles`` and ``half_cycles`` Parquet read,
  the ``dqdv`` pipeline given them (``cycling=``), its series written.

Prints each time, the ratios dQ/dV job / cycling job, and whether the reusing result's JSON
(series digests included) is the recomputing one's (it must be: exit status 1 otherwise).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from analysis import pipelines  # noqa: E402
from analysis.pipelines.base import Result  # noqa: E402
from analysis.pipelines.cv import CyclingCurves  # noqa: E402
from analysis.readers import read  # noqa: E402
from analysis.simulate.voltammetry import Phase, incremental_capacity_table  # noqa: E402
from analysis.simulate.writers.bdf import write_bdf  # noqa: E402
from labdb.provenance import sha256_of  # noqa: E402

FULL = [Phase(3.55, 0.6, 1.2), Phase(3.75, 1.0, 1.0), Phase(4.00, 0.7, 1.0)]


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, value = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return min(times), value


def write_series(result: Result, folder: Path) -> dict[str, Path]:
    paths = {}
    for name, frame in {**result.tables, **result.series}.items():
        paths[name] = folder / f"{name}.parquet"
        frame.to_parquet(paths[name], compression="zstd", index=False)
    return paths


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cycles", type=int, default=100)
    ap.add_argument("--points", type=int, default=2000, help="records per half-cycle")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        table = incremental_capacity_table(
            FULL, cell_type="full", cycles=args.cycles, points_per_half_cycle=args.points,
            noise_V=0.002, seed=1,
        )  # fmt: skip
        path = write_bdf(folder / "full.csv", table)
        cyc_params = {"cell_type": "full", "area_cm2": 1.0}
        dq_params = {"cell_type": "full"}

        def cycling_job() -> tuple[Result, dict[str, Path]]:
            t = read(path).table
            r = pipelines.run("cycling", t, cyc_params)
            return r, write_series(r, folder)

        def dqdv_before() -> Result:
            r = pipelines.run("dqdv", read(path).table, dq_params)
            write_series(r, folder / "before")
            return r

        t_cyc, (cycling, stored) = best(cycling_job, args.repeat)

        def dqdv_now() -> Result:
            curves = CyclingCurves(
                pd.read_parquet(stored["profiles"]),
                pd.read_parquet(stored["half_cycles"], columns=["half_cycle", "cycle", "kind"]),
                tuple(cycling.warnings),
            )
            r = pipelines.get("dqdv").run(pd.DataFrame(), dq_params, cycling=curves)
            write_series(r, folder / "now")
            return r

        (folder / "before").mkdir()
        (folder / "now").mkdir()
        t_before, before = best(dqdv_before, args.repeat)
        t_now, now = best(dqdv_now, args.repeat)
        t_read, _ = best(lambda: read(path), args.repeat)
    same = sha256_of(before.to_json()) == sha256_of(now.to_json())
    rows = len(table)
    print(
        f"{args.cycles} cycles, {rows} rows, load {os.getloadavg()[0]:.2f} "
        f"(best of {args.repeat}; read of the file alone {t_read:.3f} s)"
    )
    print(f"cycling job (read + analysis + Parquet):          {t_cyc:.3f} s")
    print(f"dQ/dV job before (read + cycling + dQ/dV):        {t_before:.3f} s "
          f"= {t_before / t_cyc:.2f}x the cycling job")  # fmt: skip
    print(f"dQ/dV job now (stored curves + dQ/dV):            {t_now:.3f} s "
          f"= {t_now / t_cyc:.2f}x the cycling job; {t_before / t_now:.1f}x faster")  # fmt: skip
    print(f"cycling + dQ/dV per file: {(t_cyc + t_before) / t_cyc:.2f}x -> "
          f"{(t_cyc + t_now) / t_cyc:.2f}x a cycling job alone")  # fmt: skip
    print(f"reusing result identical to recomputing (JSON sha256): {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
