"""Cycling benchmark: labdb read + analysis against cellpy and pyarrow's plain CSV read.

``python bench/cycling.py [--rows 1000000] [--cycles 500]``

Generates a Li plating/stripping test (half cell, 1 mA, 1 mAh per plating, rests between
half-cycles) as an Arbin CSV export (``Test_Time(s)``, ``Current(A)``, ``Charge_Capacity(Ah)``...,
capacities cumulative within the cycle as Arbin counts them), a format that labdb's ``arbin``
reader and cellpy's ``arbin_sql_csv`` loader both read. Then, each in its own process so that
peak memory (``ru_maxrss``) is that of the measured work plus its interpreter:

* labdb: ``analysis.readers.read`` + ``analysis.cycling.analyze_cycling`` (imports not timed);
* cellpy: ``cellpy.get(..., instrument="arbin_sql_csv")`` (load, step table and summary), in a
  virtualenv that this script makes under ``bench/.peers/`` with a pinned cellpy (cellpy 2
  needs Python >= 3.13, looked for on PATH and in pyenv; else the last cellpy for this Python);
* pyarrow: ``pyarrow.csv.read_csv`` of the same file, the floor for reading a CSV.

Each timing is the best of ``--repeat`` runs (default 3) in one process, since the machine may
be shared; peak memory is that process's maximum resident set.

Prints the absolute figures and the ratios against the targets (labdb >= 10x faster than cellpy,
within 3x of the pyarrow floor, peak memory < 1 GB).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

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
from analysis.cycling import analyze_cycling
best = None
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    parsed = read(sys.argv[1])
    t1 = time.perf_counter()
    result = analyze_cycling(parsed.table, cell_type="half", area_cm2=1.0)
    t2 = time.perf_counter()
    if best is None or t2 - t0 < best["total_s"]:
        best = {"read_s": t1 - t0, "analysis_s": t2 - t1, "total_s": t2 - t0}
    found = {"rows": len(parsed.table), "format": parsed.format,
        "cycles": int(result.metrics["number_of_cycles"]),
        "ice": result.metrics["initial_coulombic_efficiency"],
        "short_circuit_cycle": result.metrics["short_circuit_cycle"]}
    del parsed, result  # one table at a time: peak memory is that of one run
print(json.dumps({**best, **found,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

PYARROW = """
import json, resource, sys, time
import pyarrow.csv as pacsv
best = float("inf")
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    table = pacsv.read_csv(sys.argv[1])
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"total_s": best, "rows": table.num_rows,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

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
print(json.dumps({"total_s": best, "rows": len(c.data.raw), "summary_rows": len(s),
    "version": cellpy.__version__,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(python: Path | str, script: str, path: Path, repeat: int = 1) -> dict[str, float]:
    """Run ``script`` on ``path`` in a fresh process; the best of ``repeat`` timings."""
    proc = subprocess.run(
        [str(python), "-c", textwrap.dedent(script), str(path), str(repeat)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{python} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _find_python313() -> Path | None:
    for name in ("python3.14", "python3.13"):
        found = shutil.which(name)
        if found:
            return Path(found)
    pyenv = Path.home() / ".pyenv" / "versions"
    if pyenv.is_dir():
        for version in sorted(pyenv.iterdir(), reverse=True):
            candidate = version / "bin" / "python3"
            if version.name.startswith(("3.13", "3.14")) and candidate.exists():
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
    parser.add_argument("--repeat", type=int, default=3, help="best of N (the machine is shared)")
    parser.add_argument("--skip-cellpy", action="store_true")
    args = parser.parse_args()

    path = PEERS / "data" / f"cycling_{args.rows}_{args.cycles}.arbin.csv"
    if not path.exists():
        generate(path, args.rows, args.cycles)
    size_mb = path.stat().st_size / 1e6
    print(f"file: {path.relative_to(ROOT)} ({size_mb:.0f} MB, Arbin CSV)")

    floor = run(sys.executable, PYARROW, path, args.repeat)
    labdb = run(sys.executable, LABDB, path, args.repeat)
    print(
        f"labdb:   {labdb['total_s']:.3f} s (read {labdb['read_s']:.3f} s, analysis "
        f"{labdb['analysis_s']:.3f} s), {labdb['rows']:.0f} rows via {labdb['format']}, "
        f"{labdb['cycles']:.0f} cycles, peak {labdb['peak_mb']:.0f} MB"
    )
    print(f"pyarrow: {floor['total_s']:.3f} s plain CSV read, peak {floor['peak_mb']:.0f} MB")
    ratio_floor = labdb["total_s"] / floor["total_s"]
    ok = ratio_floor <= TARGET_RATIO_VS_FLOOR and labdb["peak_mb"] < TARGET_PEAK_MB
    if not args.skip_cellpy:
        peer = run(cellpy_python(), CELLPY, path, args.repeat)
        speedup = peer["total_s"] / labdb["total_s"]
        print(
            f"cellpy {peer['version']}: {peer['total_s']:.3f} s load + summary "
            f"({peer['summary_rows']:.0f} summary rows), peak {peer['peak_mb']:.0f} MB"
        )
        print(f"labdb vs cellpy: {speedup:.1f}x faster (target >= {TARGET_SPEEDUP_VS_CELLPY:g}x)")
        ok = ok and speedup >= TARGET_SPEEDUP_VS_CELLPY
    print(f"labdb vs pyarrow floor: {ratio_floor:.2f}x (target <= {TARGET_RATIO_VS_FLOOR:g}x)")
    print(f"labdb peak memory: {labdb['peak_mb']:.0f} MB (target < {TARGET_PEAK_MB:g} MB)")
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
