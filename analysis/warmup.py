"""Warm a worker's parent process before its pool forks: every analysis job runs in a child
forked from it (``labdb.services.execution``), so whatever the parent has not yet done once
(the readers' first detection and parse, the cycling pipeline's first run, the first Parquet
write, the first canonical JSON) each job pays for again.

Measured (bench/live.py, a 3,000-row Neware file): the first read in a fresh process took
0.94 s, the second 0.11 s; a live test's jobs are of that size, so the cold start was most of
each job's time. :func:`warm` reads a few small simulated files of common layouts, analyses
one and serialises its result, in memory and a temporary folder only (no database, no blob
store), and never raises: a failure only leaves the process cold.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)


def warm() -> float:
    """Do the first-time work of reading and analysing once; returns the seconds it took."""
    t0 = time.perf_counter()
    try:
        _warm()
    except Exception:
        log.warning("warming the analysis code failed; jobs start cold", exc_info=True)
    return time.perf_counter() - t0


def _warm() -> None:
    from analysis import pipelines
    from analysis.readers import read
    from analysis.serial import jsonable
    from analysis.simulate.cycling import HalfCellModel, simulate_half_cell
    from analysis.simulate.writers.neware import write_neware_csv
    from analysis.simulate.writers.novonix import write_novonix_csv
    from analysis.simulate.writers.rows import cycler_rows

    trace = simulate_half_cell(HalfCellModel(initial_ce=0.9, average_ce=0.99, cycles=3), seed=1)
    rows = cycler_rows(trace, dt.datetime(2026, 1, 5))
    pipeline = pipelines.get("cycling")
    params = pipeline.validate({"cell_type": "half", "area_cm2": 1.0})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = [
            write_neware_csv(folder / "warm-neware.csv", rows),
            write_novonix_csv(folder / "warm-novonix.csv", rows),
        ]
        tables = [read(path).table for path in files]
        plain = folder / "warm.csv"
        tables[0][["test_time_second", "voltage_volt", "current_ampere"]].to_csv(plain, index=False)
        tables.append(read(plain).table)
    result = pipeline.run(tables[0], params)
    jsonable(result.to_json())
    frames = [tables[0], *(result.frame(name) for name in (*result.tables, *result.series))]
    for frame in frames:
        frame.to_parquet(io.BytesIO(), compression="zstd", index=False)
