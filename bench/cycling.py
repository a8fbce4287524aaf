"""Cycling benchmark: labdb read + analysis against cellpy and pyarrow's plain CSV read.

``python bench/cycling.py [--rows 1000000] [--cycles 500]``

Generates a Li plating/stripping test (half cell, 1 mA, 1 mAh per plating, rests between
half-cycles) as an Arbin CSV export (``Test_Time(s)``, ``Current(A)``, ``Charge_Capacity(Ah)``...,
capacities cumulative within the cycle as Arbin counts them), a format that labdb's ``arbin``
reader and cellpy's ``arbin_sql_csv`` loader both read. Then, each in its own process so that
peak memory (``ru_maxrss``) is that of the measured work plus its interpreter:

* labdb: ``analysis.readers.read`` + the cycling pipeline (``analysis.pipelines``, what a job
  runs, voltage-profile curves included; imports not timed),
  in a process set up as labdb's workers and command line are (``analysis.runtime``: malloc
  keeps freed large blocks), and again with the C library's default malloc for comparison;
* cellpy: ``cellpy.get(..., instrument="arbin_sql_csv")`` (load, step table and summary), in a
  virtualenv that this script makes under ``bench/.peers/`` with a pinned cellpy (cellpy 2
  needs Python >= 3.13, looked for on PATH and in pyenv; else the last cellpy for this Python);
* pyarrow: ``pyarrow.csv.read_csv`` of the same file, the floor for reading a CSV.

Each timing is the best of ``--repeat`` runs (default 5) in one process, since the machine may
be shared; peak memory is that process's maximum resident set.

Prints the absolute figures and the ratios against the targets (labdb >= 10x faster than cellpy,
within 3x of the pyarrow floor, peak memory < 1 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / ".peers"
CELLPY_PIN = "cellpy==2.1.5.post10"
CELLPY_PIN_OLD_PYTHON = "cellpy==1.0.3"

TARGET_SPEEDUP_VS_CELLPY = 10.0
TARGET_RATIO_VS_FLOOR = 3.0
TARGET_PEAK_MB = 1024.0


def generate(path: Path, rows: int, cycles: int) -> None:
    """An Arbin CSV of ``cycles`` plating/stripping cycles in about ``rows`` rows."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    per_cycle = rows // cycles
    rest = max(per_cycle // 20, 2)
    active = (per_cycle - 2 * rest) // 2
    current = 1e-3  # A
    plating_s = 3600.0  # 1 mAh at 1 mA
    rng = np.random.default_rng(42)
    ce = np.clip(0.995 + rng.normal(0, 0.002, cycles), 0.95, 0.9999)
    ce[0] = 0.85

    # One cycle template per step: rows of plating, rest, stripping, rest.
    step_rows = np.array([active, rest, active, rest])
    steps = np.tile(np.arange(1, 5), cycles)
    cycle_of_step = np.repeat(np.arange(1, cycles + 1), 4)
    strip_s = plating_s * ce
    durations = np.stack(
        [np.full(cycles, plating_s), np.full(cycles, 600.0), strip_s, np.full(cycles, 600.0)], 1
    ).ravel()
    counts = np.tile(step_rows, cycles)
    n = int(counts.sum())
    step_id = np.repeat(np.arange(steps.size), counts)
    first_row = np.concatenate(([0], np.cumsum(counts)[:-1]))
    k = np.arange(n) - first_row[step_id]
    frac = k / (counts[step_id] - 1)
    step_time = frac * durations[step_id]
    step_start = np.concatenate(([0.0], np.cumsum(durations)[:-1]))
    test_time = step_start[step_id] + step_time
    kind = steps[step_id]
    i = np.select([kind == 1, kind == 3], [-current, current], 0.0)
    noise = rng.normal(0, 2e-5, n)
    v = (
        np.select(
            [kind == 1, kind == 2, kind == 3, kind == 4],
            [-0.010 - 0.010 * frac, -0.002 * (1 - frac), 0.010 + 0.010 * frac, 0.05 * (1 - frac)],
        )
        + noise
    )
    last_strip = (kind == 3) & (k == counts[step_id] - 1)
    v[last_strip] = 1.0
    # Arbin: capacities cumulative within the cycle, unsigned.
    q = np.where(kind == 1, step_time, 0.0) * current / 3600.0
    q_strip = np.where(kind == 3, step_time, 0.0) * current / 3600.0
    cyc = cycle_of_step[step_id]
    plated = plating_s * current / 3600.0
    discharge_cap = np.where(kind == 1, q, plated)  # plating = discharge (I < 0)
    charge_cap = np.where(
        kind == 3, q_strip, np.where(kind == 4, strip_s[cyc - 1] * current / 3600, 0.0)
    )
    start = np.datetime64("2024-01-01T00:00:00", "ms")
    stamps = start + (test_time * 1000).astype("timedelta64[ms]")
    date_text = np.char.replace(np.datetime_as_string(stamps, unit="ms"), "T", " ")
    table = pa.table(
        {
            "Data_Point": np.arange(1, n + 1),
            "Date_Time": date_text,
            "Test_Time(s)": np.round(test_time, 4),
            "Step_Time(s)": np.round(step_time, 4),
            "Cycle_Index": cyc,
            "Step_Index": kind,
            "Current(A)": i,
            "Voltage(V)": np.round(v, 6),
            "Charge_Capacity(Ah)": charge_cap,
            "Discharge_Capacity(Ah)": discharge_cap,
            "Charge_Energy(Wh)": charge_cap * 0.015,
            "Discharge_Energy(Wh)": discharge_cap * 0.015,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="none"))


LABDB = """
import json, resource, sys, time
from analysis.readers import read
from analysis import pipelines
from analysis.runtime import keep_freed_memory
# As a labdb worker (and the CLI) runs: freed large blocks kept for reuse. The second labdb
# run of the benchmark passes "default" and measures the C library's default instead.
malloc = "default" if sys.argv[3:] == ["default"] else "kept" if keep_freed_memory() else "default"
best = None
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    parsed = read(sys.argv[1])
    t1 = time.perf_counter()
    result = pipelines.run("cycling", parsed.table, {"cell_type": "half", "area_cm2": 1.0})
    t2 = time.perf_counter()
    if best is None or t2 - t0 < best["total_s"]:
        best = {"read_s": t1 - t0, "analysis_s": t2 - t1, "total_s": t2 - t0}
    found = {"rows": len(parsed.table), "format": parsed.format,
        "cycles": int(result.summary["metrics"]["number_of_cycles"]),
        "ice": result.summary["metrics"]["initial_coulombic_efficiency"],
        "short_circuit_cycle": result.summary["metrics"]["short_circuit_cycle"]}
    del parsed, result  # one table at a time: peak memory is that of one run
print(json.dumps({**best, **found, "malloc": malloc,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

PYARROW = """
import json, resource, sys, time
import pyarrow as pa
import pyarrow.csv as pacsv
# The columns labdb's Arbin reader converts (all but Data_Point; numbers as float64, the ISO
# date as a timestamp), and the fewer that the cycling analysis itself uses.
canonical = ["Date_Time", "Test_Time(s)", "Step_Time(s)", "Cycle_Index", "Step_Index",
    "Current(A)", "Voltage(V)", "Charge_Capacity(Ah)", "Discharge_Capacity(Ah)",
    "Charge_Energy(Wh)", "Discharge_Energy(Wh)"]
analysis = [c for c in canonical if c not in ("Date_Time", "Step_Time(s)")]
def options(columns):
    types = {c: pa.float64() for c in columns if c != "Date_Time"}
    if "Date_Time" in columns:
        types["Date_Time"] = pa.timestamp("ns")
    return pacsv.ConvertOptions(include_columns=columns, column_types=types)
cases = {"total_s": None, "canonical_s": options(canonical), "analysis_s": options(analysis)}
best = {k: float("inf") for k in cases}
for _ in range(int(sys.argv[2])):
    for key, convert in cases.items():
        t0 = time.perf_counter()
        table = pacsv.read_csv(sys.argv[1], convert_options=convert)
        best[key] = min(best[key], time.perf_counter() - t0)
        rows = table.num_rows
        del table
print(json.dumps({**best, "rows": rows,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

E2E_SETUP = """
import django
django.setup()
from django.contrib.auth import get_user_model
from labdb import models as m
from labdb.services.catalog import record_save
from labdb.demo import demo_load
project = demo_load()
cell = m.Cell.objects.get(project=project, label="MgAgSn-E-HC1")  # a half cell
protocol = m.TestProtocol.objects.get(project=project, label="PS-1mA-1mAh")
user = get_user_model().objects.get(username="demo")
# What a worker has imported before its first job (the analyzers pull in scipy): not timed.
import analysis.pipelines, labdb.services.jobs, labdb.tasks  # noqa: E401,F401
analysis.pipelines.preload()
"""

E2E = (
    E2E_SETUP
    + """
import json, resource, sys, time
from pathlib import Path
from labdb.services.ingest import data_file_register
path = Path(sys.argv[1])

def chunks(size=1 << 20):
    with path.open("rb") as fh:
        while block := fh.read(size):
            yield block

runs = []
for i in range(int(sys.argv[2])):
    # A new test run each time: the same content on the same run is one file and one job.
    run = record_save(record=m.TestRun(project=project, label=f"BENCH-{cell.label}-{i}",
        cell=cell, protocol=protocol), user=user)
    t0 = time.perf_counter()
    registered = data_file_register(test_run=run, chunks=chunks(), original_name=path.name,
        user=user, source="cli")
    elapsed = time.perf_counter() - t0
    job = registered.job
    job.refresh_from_db()
    if job.status != "succeeded":
        raise SystemExit(f"job {job.pk} {job.status}: {job.error}")
    runs.append({"total_s": elapsed, **job.timings, "cycles": job.result.cycle_count,
        "stored_cycles": job.result.cycles.count(), "format": job.parsed_table.format})
best = min(runs, key=lambda r: r["total_s"])
print(json.dumps({**best, "all_s": [r["total_s"] for r in runs], "cell": cell.label,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
)

CELLPY = """
import json, logging, resource, sys, time, warnings
warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)
import cellpy
import cellpy.config as config
config.reader.sep = ","  # cellpy's CSV default is ";"
best = float("inf")
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    c = cellpy.get(sys.argv[1], instrument="arbin_sql_csv", mass=1.0)
    s = c.data.summary
    best = min(best, time.perf_counter() - t0)
    rows, summary_rows = len(c.data.raw), len(s)
    del c, s
# Where cellpy's time goes: the same work in its three stages (best of the same runs).
parts = {"load_s": float("inf"), "steps_s": float("inf"), "summary_s": float("inf")}
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    c = cellpy.get(sys.argv[1], instrument="arbin_sql_csv", mass=1.0, auto_summary=False)
    t1 = time.perf_counter()
    c.make_step_table()
    t2 = time.perf_counter()
    c.make_summary()
    t3 = time.perf_counter()
    for key, value in zip(parts, (t1 - t0, t2 - t1, t3 - t2)):
        parts[key] = min(parts[key], value)
    del c
print(json.dumps({"total_s": best, **parts, "rows": rows, "summary_rows": summary_rows,
    "version": cellpy.__version__,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(
    python: Path | str,
    script: str,
    path: Path,
    repeat: int = 1,
    env: dict[str, str] | None = None,
    extra: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Run ``script`` on ``path`` in a fresh process; the best of ``repeat`` timings."""
    proc = subprocess.run(
        [str(python), "-c", textwrap.dedent(script), str(path), str(repeat), *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{python} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def end_to_end(path: Path, repeat: int) -> dict[str, Any]:
    """Upload to stored metrics: ``data_file_register`` of ``path`` on a demo half cell's new
    test run, in a Django process of its own on a throw-away SQLite database and blob store
    (Celery eager: the job runs in-process before the call returns)."""
    with tempfile.TemporaryDirectory(prefix="labdb-bench-") as data_dir:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
        }
        env.update(
            LABDB_DATA_DIR=data_dir,
            DJANGO_SETTINGS_MODULE="labdb.settings",
            PYTHONPATH=str(ROOT),
            LABDB_LOG_LEVEL="WARNING",
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        return run(sys.executable, E2E, path, repeat, env=env)


def _find_python313() -> Path | None:
    """A Python >= 3.13 that runs (a pyenv shim on PATH may name one that is not selected)."""
    candidates: list[Path] = []
    for name in ("python3.14", "python3.13"):
        found = shutil.which(name)
        if found:
            candidates.append(Path(found))
    pyenv = Path.home() / ".pyenv" / "versions"
    if pyenv.is_dir():
        for version in sorted(pyenv.iterdir(), reverse=True):
            if version.name.startswith(("3.13", "3.14")):
                candidates.append(version / "bin" / "python3")
    for candidate in candidates:
        probe = subprocess.run(
            [str(candidate), "-c", "import sys; assert sys.version_info >= (3, 13)"],
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0:
            return candidate
    return None


def cellpy_python() -> Path:
    """The peer virtualenv's interpreter, made on first use."""
    venv = PEERS / "cellpy"
    python = venv / "bin" / "python"
    if python.exists():
        return python
    base = _find_python313()
    pin = CELLPY_PIN if base else CELLPY_PIN_OLD_PYTHON
    if base is None:
        print(
            f"no Python >= 3.13 found: cellpy 2 needs it; using {pin} on {sys.version.split()[0]}"
        )
    subprocess.run([str(base or sys.executable), "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", pin], check=True)
    return python


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cycles", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5, help="best of N (the machine is shared)")
    parser.add_argument("--skip-cellpy", action="store_true")
    parser.add_argument("--skip-e2e", action="store_true", help="no end-to-end job timing")
    args = parser.parse_args()

    path = PEERS / "data" / f"cycling_{args.rows}_{args.cycles}.arbin.csv"
    if not path.exists():
        generate(path, args.rows, args.cycles)
    size_mb = path.stat().st_size / 1e6
    print(f"file: {path.relative_to(ROOT)} ({size_mb:.0f} MB, Arbin CSV)")
    print(f"timings: best of {args.repeat} in one process each (shared machine: noisy)")

    floor = run(sys.executable, PYARROW, path, args.repeat)
    labdb = run(sys.executable, LABDB, path, args.repeat)
    plain = run(sys.executable, LABDB, path, args.repeat, extra=("default",))
    print(
        f"labdb:   {labdb['total_s']:.3f} s (read {labdb['read_s']:.3f} s, analysis "
        f"{labdb['analysis_s']:.3f} s), {labdb['rows']:.0f} rows via {labdb['format']}, "
        f"{labdb['cycles']:.0f} cycles, peak {labdb['peak_mb']:.0f} MB; as a worker runs it "
        f"(malloc: freed blocks {labdb['malloc']}, analysis/runtime.py)"
    )
    print(
        f"labdb:   {plain['total_s']:.3f} s (read {plain['read_s']:.3f} s, analysis "
        f"{plain['analysis_s']:.3f} s) with the C library's default malloc, "
        f"peak {plain['peak_mb']:.0f} MB"
    )
    print(
        f"pyarrow: {floor['total_s']:.3f} s plain CSV read (all 12 columns, inferred types), "
        f"peak {floor['peak_mb']:.0f} MB"
    )
    print(
        f"pyarrow: {floor['canonical_s']:.3f} s the 11 columns labdb reads, typed; "
        f"{floor['analysis_s']:.3f} s the 9 the analysis uses (no date, no step time)"
    )
    ratio_floor = labdb["total_s"] / floor["total_s"]
    ok = (
        ratio_floor <= TARGET_RATIO_VS_FLOOR
        and max(labdb["peak_mb"], plain["peak_mb"]) < TARGET_PEAK_MB
    )
    if not args.skip_cellpy:
        peer = run(cellpy_python(), CELLPY, path, args.repeat)
        speedup = peer["total_s"] / labdb["total_s"]
        print(
            f"cellpy {peer['version']}: {peer['total_s']:.3f} s load + summary "
            f"({peer['summary_rows']:.0f} summary rows), peak {peer['peak_mb']:.0f} MB; "
            f"by stage: load {peer['load_s']:.3f} s, step table {peer['steps_s']:.3f} s, "
            f"summary {peer['summary_s']:.3f} s"
        )
        print(
            f"labdb vs cellpy: {speedup:.1f}x faster (target >= {TARGET_SPEEDUP_VS_CELLPY:g}x); "
            f"with the default malloc {peer['total_s'] / plain['total_s']:.1f}x"
        )
        need = peer["total_s"] / TARGET_SPEEDUP_VS_CELLPY
        print(
            f"  10x needs labdb <= {need:.3f} s; the pyarrow read alone of the columns labdb "
            f"reads takes {floor['canonical_s']:.3f} s ({peer['total_s'] / floor['canonical_s']:.1f}x "
            f"under cellpy), of the analysis's columns {floor['analysis_s']:.3f} s "
            f"({peer['total_s'] / floor['analysis_s']:.1f}x), of all {floor['total_s']:.3f} s "
            f"({peer['total_s'] / floor['total_s']:.1f}x)"
        )
        ok = ok and speedup >= TARGET_SPEEDUP_VS_CELLPY
    print(f"labdb vs pyarrow floor: {ratio_floor:.2f}x (target <= {TARGET_RATIO_VS_FLOOR:g}x)")
    print(
        f"labdb vs pyarrow on the same columns: "
        f"{labdb['total_s'] / floor['canonical_s']:.2f}x (read alone "
        f"{labdb['read_s'] / floor['canonical_s']:.2f}x)"
    )
    peak = max(labdb["peak_mb"], plain["peak_mb"])
    print(f"labdb peak memory: {peak:.0f} MB (target < {TARGET_PEAK_MB:g} MB)")
    if not args.skip_e2e:
        job = end_to_end(path, args.repeat)
        print(
            f"end-to-end job (upload to stored metrics, SQLite, in-process): "
            f"{job['total_s']:.3f} s (runs: {', '.join(f'{t:.2f}' for t in job['all_s'])} s); "
            f"job's own timings: read_s {job['read_s']:.3f} (parse + store the parquet table), "
            f"analyze_s {job['analyze_s']:.3f}, store_s {job['store_s']:.3f}; "
            f"{job['stored_cycles']} cycles stored, via {job['format']}, cell {job['cell']}, "
            f"peak {job['peak_mb']:.0f} MB"
        )
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
