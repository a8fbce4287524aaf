"""Readers benchmark: every cycling format labdb reads, read + analysed as a whole process.

``python bench/readers.py [--rows 1000000] [--cycles 500] [--repeat 3] [--quick] [--skip-cellpy]
[--cellpy-repeat N] [--only NAME]``

Generates one Li plating/stripping test (half cell, 1 mA, 1 mAh per plating, rests between
half-cycles; about ``--rows`` rows in ``--cycles`` cycles) and writes it with the simulator's
writers (:mod:`analysis.simulate.writers`) in every text format labdb reads (Arbin CSV, Neware
CSV with ``HH:MM:SS`` times, BioLogic .mpt, Maccor text, Landt, Novonix, Battery Archive, BDF
CSV) and the binary one the simulator writes (BDF Parquet). Then, per format, in one run:

* labdb: ``python -m analysis cycling FILE --cell-type half --json`` as a process of its own
  (interpreter start, imports, detection, read, the cycling pipeline, the JSON), wall time and
  peak resident memory (``VmHWM`` of that process, polled while it runs);
* pyarrow: a process that imports pyarrow and reads the same table with ``pyarrow.csv.read_csv``
  (the header lines skipped, the file's delimiter; ``pyarrow.parquet.read_table`` for
  Parquet): the floor for reading that file. Also both in-process (imports not timed): labdb's
  ``read`` + pipeline against the bare ``read_csv``;
* cellpy (a peer virtualenv, see ``bench/cycling.py``; compared in-process, imports done on
  both sides, and against the whole labdb process) where cellpy has a loader for the
  format (the Neware file names its test time ``Cumulative Time`` and the Maccor file writes
  ``TestTime`` clock texts, the layouts of cellpy's own samples; cellpy is told the Maccor
  file's one preamble line): ``cellpy.get(FILE, instrument=...)`` (load, step table, summary).
  cellpy has no loader for BioLogic .mpt (its ``biologics_mpr`` reads .mpr), Landt, Novonix or
  Battery Archive CSV, and its ``batmo_bdf`` loader expects Batmo's names (``Test Time / h``,
  ``Charge Capacity / Ah``), not BDF's (``Test Time / s``, ``Charging Capacity / Ah``).

Each timing is the best of ``--repeat`` runs, labdb's and the peers' runs alternated (the
machine is shared: a burst of other work falls on both sides alike); each process's CPU time
(user + system, all its threads; the least of the runs) is printed beside its wall time with
the load average: on a loaded machine the wall times stretch with the load, the CPU times
much less. The in-process comparison with cellpy is printed in both as well. An in-process
timing is the better of two calls in one process (the first warms up: lazy imports, memory
touched for the first time), for labdb, pyarrow and cellpy alike. labdb's
bytecode is compiled first (``compileall``, as the Docker image does at build time), as
pyarrow's and cellpy's installed packages are. Targets: labdb within 3x of the pyarrow process,
>= 10x faster than cellpy, peak memory < 1 GB.

``--quick`` (CI) is a check, not a measurement: 20,000 rows in 10 cycles, every format read and
analysed in one process (imports paid once; a broken reader, a wrong cycle count or an error
fails it), then one format through the whole ``python -m analysis cycling`` command whose cycle
count must agree; no pyarrow or cellpy processes, and every process has a time limit
(``--timeout``). Three processes in all, whatever the load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.simulate._trace import MODE_CC, MODE_REST, CyclerTrace  # noqa: E402
from analysis.simulate.writers.rows import CyclerRows, cycler_rows  # noqa: E402

PEERS = ROOT / "bench" / ".peers"
STARTED = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
TARGET_RATIO_VS_PYARROW = 3.0
TARGET_SPEEDUP_VS_CELLPY = 10.0
TARGET_PEAK_MB = 1024.0


def plating_trace(rows: int, cycles: int) -> CyclerTrace:
    """A half-cell test of ``cycles`` cycles in about ``rows`` rows: plating at -1 mA for 1 h,
    rest 10 min, stripping at +1 mA until 1 V (CE about 0.995), rest 10 min."""
    per_cycle = max(rows // cycles, 12)
    rest = max(per_cycle // 20, 2)
    active = (per_cycle - 2 * rest) // 2
    rng = np.random.default_rng(42)
    ce = np.clip(0.995 + rng.normal(0, 0.002, cycles), 0.95, 0.9999)
    ce[0] = 0.85
    trace = CyclerTrace()
    t0 = 0.0
    q0 = 0.0
    step_no = 0
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("t", "v", "i", "q", "e", "s", "c", "m")}
    steps = []
    for n in range(cycles):
        for step, duration, current, count in (
            (1, 3600.0, -1.0, active),
            (2, 600.0, 0.0, rest),
            (3, 3600.0 * ce[n], 1.0, active),
            (4, 600.0, 0.0, rest),
        ):
            frac = np.linspace(0.0, 1.0, count)
            t = frac * duration
            if step == 1:
                v = -0.010 - 0.010 * frac
            elif step == 3:
                v = 0.010 + 0.010 * frac
                v[-1] = 1.0
            else:
                v = (-0.002 if step == 2 else 0.05) * (1 - frac)
            v = v + rng.normal(0, 2e-5, count)
            q = q0 + current * t / 3600.0
            parts["t"].append(t0 + t)
            parts["v"].append(v)
            parts["i"].append(np.full(count, current))
            parts["q"].append(q)
            parts["e"].append(np.abs(current) * t / 3600.0 * np.abs(v).mean() / 1000.0)
            parts["s"].append(np.full(count, step, dtype=np.int64))
            parts["c"].append(np.full(count, n, dtype=np.int64))
            parts["m"].append(np.full(count, MODE_REST if current == 0 else MODE_CC))
            steps.append(np.full(count, step_no, dtype=np.int64))
            t0 += duration + 0.001
            q0 = float(q[-1])
            step_no += 1
    trace.time_s = [np.concatenate(parts["t"])]
    trace.voltage_V = [np.concatenate(parts["v"])]
    trace.current_mA = [np.concatenate(parts["i"])]
    trace.charge_mAh = [np.concatenate(parts["q"])]
    trace.step_energy_Wh = [np.concatenate(parts["e"])]
    trace.step = [np.concatenate(parts["s"])]
    trace.cycle = [np.concatenate(parts["c"])]
    trace.mode = [np.concatenate(parts["m"]).astype(np.int64)]
    trace.control = [np.concatenate(parts["i"])]
    trace.step_number = [np.concatenate(steps)]
    return trace


@dataclass(frozen=True)
class Format:
    name: str
    file: str
    write: Callable[[Path, CyclerTrace, CyclerRows], Path]
    #: pyarrow's plain read of the same table: header lines to skip, delimiter, quoting
    skip_rows: int = 0
    delimiter: str = ","
    quote: bool = True
    encoding: str = "utf-8"
    #: cellpy's loader for the format (None: cellpy has none) and its options
    cellpy: str | None = None
    cellpy_options: dict[str, Any] = field(default_factory=dict)


def _formats() -> list[Format]:
    from analysis.simulate.writers import InstrumentInfo, write_arbin_csv, write_gcpl_mpt
    from analysis.simulate.writers.battery_archive import write_battery_archive_timeseries
    from analysis.simulate.writers.bdf import write_bdf
    from analysis.simulate.writers.landt import write_landt_csv
    from analysis.simulate.writers.maccor import write_maccor_txt
    from analysis.simulate.writers.neware import write_neware_csv
    from analysis.simulate.writers.novonix import write_novonix_csv

    def mpt(path: Path, trace: CyclerTrace, rows: CyclerRows) -> Path:
        info = InstrumentInfo("BCS-805", "0001", 1, STARTED.replace(tzinfo=None), path.stem)
        return write_gcpl_mpt(path, trace, info, settings=[("Ns", ["0", "1", "2", "3"])])

    return [
        Format(
            "Arbin CSV",
            "arbin.csv",
            lambda p, t, r: write_arbin_csv(p, t, STARTED.replace(tzinfo=None)),
            cellpy="arbin_sql_csv",
            cellpy_options={"sep": ","},
        ),
        Format(
            "Neware CSV (HH:MM:SS)",
            "neware.csv",
            lambda p, t, r: write_neware_csv(p, r),
            cellpy="neware_txt",
            cellpy_options={"sep": ","},
        ),
        Format("BioLogic .mpt", "biologic.mpt", mpt, delimiter="\t", encoding="cp1252"),
        Format(
            "Maccor text",
            "maccor.txt",
            lambda p, t, r: write_maccor_txt(p, r, time="clock"),
            skip_rows=1,
            delimiter="\t",
            encoding="latin-1",
            cellpy="maccor_txt",
            # cellpy's default Maccor model skips the three preamble lines of a MIMS Client
            # export; this file has one (MaccorExport's): told so, cellpy reads it.
            cellpy_options={"skiprows": 1},
        ),
        Format("Landt CSV", "landt.csv", lambda p, t, r: write_landt_csv(p, r)),
        Format(
            "Novonix CSV",
            "novonix.csv",
            lambda p, t, r: write_novonix_csv(p, r),
            skip_rows=14,
            quote=False,
        ),
        Format(
            "Battery Archive CSV",
            "ba_timeseries.csv",
            lambda p, t, r: write_battery_archive_timeseries(p, r),
        ),
        Format("BDF CSV", "bdf.csv", lambda p, t, r: write_bdf(p, r)),
        Format("BDF Parquet (binary)", "bdf.parquet", lambda p, t, r: write_bdf(p, r)),
    ]


def generate(folder: Path, rows: int, cycles: int) -> dict[str, Path]:
    """Every format's file (cached: an existing file is reused)."""
    formats = _formats()
    paths = {f.name: folder / f.file for f in formats}
    missing = [f for f in formats if not paths[f.name].exists()]
    if missing:
        trace = plating_trace(rows, cycles)
        table = cycler_rows(trace, STARTED)
        for f in missing:
            t0 = time.perf_counter()
            tmp = paths[f.name].with_name("tmp-" + f.file)
            f.write(tmp, trace, table)
            tmp.rename(paths[f.name])
            print(f"  wrote {f.file} in {time.perf_counter() - t0:.1f} s", flush=True)
    return paths


def _mpt_header_lines(path: Path) -> int:
    with path.open("rb") as fh:
        fh.readline()
        line = fh.readline().decode("latin-1")
    # Every header line, the column line included (it ends with a tab its rows do not have):
    # pyarrow reads the rows with generated column names.
    return int(line.split(":")[1].split()[0])


def _high_water_mb(pid: int) -> float | None:
    """The process's peak resident memory so far (``VmHWM``: its own, unlike ``ru_maxrss``,
    which a child inherits from the process that forked it)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def timed_process(argv: list[str], repeat: int) -> dict[str, float]:
    """Best wall time of ``argv`` over ``repeat`` runs, the CPU time (user + system, s) of that
    run, and the largest peak memory (MB, the last ``VmHWM`` read while it ran, polled every
    5 ms)."""
    best = float("inf")
    cpu = float("nan")
    peak = 0.0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=env
        )
        high = 0.0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            high = max(high, _high_water_mb(proc.pid) or 0.0)
            time.sleep(0.005)
        elapsed = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        err = proc.stderr.read().decode() if proc.stderr else ""
        if status != 0:
            raise RuntimeError(f"{' '.join(argv[:4])} failed: {err[-2000:]}")
        if elapsed < best:
            best, cpu = elapsed, usage.ru_utime + usage.ru_stime
        peak = max(peak, high)
    return {"total_s": best, "cpu_s": cpu, "peak_mb": peak}


PYARROW_READ = """
import sys, time, json
t0 = time.perf_counter()
import pyarrow as pa, pyarrow.csv as pacsv, pyarrow.parquet as pq
path, skip, delim, quote, enc, repeat = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1", sys.argv[5], int(sys.argv[6])
best = float("inf")
for _ in range(repeat):
    t1 = time.perf_counter()
    if path.endswith(".parquet"):
        table = pq.read_table(path)
    else:
        names = path.endswith(".mpt")
        table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(skip_rows=skip, encoding=enc,
            autogenerate_column_names=names),
            parse_options=pacsv.ParseOptions(delimiter=delim, quote_char='"' if quote else False))
    best = min(best, time.perf_counter() - t1)
    rows = table.num_rows
    del table
print(json.dumps({"read_s": best, "rows": rows}))
"""

LABDB_IN_PROCESS = """
import sys, time, json
from analysis.readers import read
from analysis import pipelines
from analysis.runtime import keep_freed_memory
keep_freed_memory()
best = None
for _ in range(int(sys.argv[2])):
    t0, c0 = time.perf_counter(), time.process_time()
    parsed = read(sys.argv[1])
    t1 = time.perf_counter()
    result = pipelines.run("cycling", parsed.table, {"cell_type": "half"})
    t2, c2 = time.perf_counter(), time.process_time()
    if best is None or t2 - t0 < best["total_s"]:
        best = {"read_s": t1 - t0, "analysis_s": t2 - t1, "total_s": t2 - t0, "cpu_s": c2 - c0}
    found = {"format": parsed.format, "rows": len(parsed.table),
        "cycles": int(result.summary["metrics"]["number_of_cycles"])}
    del parsed, result
print(json.dumps({**best, **found}))
"""

QUICK_CHECK = """
import json, sys
from analysis import pipelines
from analysis.readers import read
for path in sys.argv[1:]:
    try:
        parsed = read(path)
        result = pipelines.run("cycling", parsed.table, {"cell_type": "half"})
        found = {"reader": parsed.format, "rows": len(parsed.table),
            "cycles": int(result.summary["metrics"]["number_of_cycles"])}
    except Exception as exc:
        found = {"error": f"{type(exc).__name__}: {exc}"[:400]}
    print(json.dumps({"file": path, **found}), flush=True)
"""

CELLPY = """
import json, logging, sys, time, warnings
warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)
import cellpy
import cellpy.config as config
options = json.loads(sys.argv[4])
if "sep" in options:
    config.reader.sep = options.pop("sep")
best, cpu = float("inf"), float("inf")
for _ in range(int(sys.argv[2])):
    t0, c0 = time.perf_counter(), time.process_time()
    c = cellpy.get(sys.argv[1], instrument=sys.argv[3], mass=1.0, **options)
    rows, summary_rows = len(c.data.raw), len(c.data.summary)
    best = min(best, time.perf_counter() - t0)
    cpu = min(cpu, time.process_time() - c0)
    del c
print(json.dumps({"total_s": best, "cpu_s": cpu, "rows": rows, "summary_rows": summary_rows,
    "version": cellpy.__version__}))
"""


def _json_run(argv: list[str], timeout: float | None = None) -> dict[str, Any]:
    return _json_lines(argv, timeout)[-1]


def _json_lines(argv: list[str], timeout: float | None = None) -> list[dict[str, Any]]:
    """The JSON lines a process prints; RuntimeError if it fails or outlasts ``timeout`` s."""
    try:
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"{' '.join(map(str, argv[:4]))}: over the {timeout:g} s limit") from exc
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-1500:])
    return [json.loads(line) for line in proc.stdout.strip().splitlines() if line.startswith("{")]


def quick_check(formats: list[Format], paths: dict[str, Path], cycles: int, timeout: float) -> bool:
    """Every format read and analysed in one process, one through the whole command line
    (see the module docstring); True when every file gave its cycles."""
    t0 = time.perf_counter()
    files = [str(paths[f.name]) for f in formats]
    found = {
        r["file"]: r
        for r in _json_lines([sys.executable, "-c", textwrap.dedent(QUICK_CHECK), *files], timeout)
    }
    ok = True
    for fmt, file in zip(formats, files, strict=True):
        r = found.get(file, {"error": "no result (the process stopped)"})
        good = "error" not in r and r["cycles"] >= cycles - 1
        ok = ok and good
        detail = (
            f"via {r['reader']:<15} {r['rows']:>7} rows, {r['cycles']} cycles"
            if "error" not in r
            else r["error"]
        )
        print(f"{fmt.name:<22} {'ok  ' if good else 'FAIL'} {detail}", flush=True)
    # The command line, as a user runs it: same cycles as in-process.
    first = formats[0]
    try:
        lines = _json_lines(
            [
                sys.executable,
                "-m",
                "analysis",
                "cycling",
                files[0],
                "--cell-type",
                "half",
                "--json",
            ],
            timeout,
        )
        cli_cycles = int(lines[-1]["summary"]["metrics"]["number_of_cycles"])
        same = cli_cycles == found.get(files[0], {}).get("cycles")
        print(f"python -m analysis cycling ({first.name}): {cli_cycles} cycles", flush=True)
    except (RuntimeError, KeyError, IndexError, ValueError) as exc:
        same = False
        print(f"python -m analysis cycling ({first.name}) FAILED: {exc}", flush=True)
    print(f"quick check: {time.perf_counter() - t0:.1f} s | load {_load_average()}")
    return ok and same


def _best(runs: list[dict[str, Any]], key: str = "total_s") -> dict[str, Any]:
    """The run of least wall time, with the least CPU time of all runs beside it (``cpu_s``:
    a run's CPU time stretches less with the load than its wall time, but it does too)."""
    best = dict(min(runs, key=lambda r: float(r[key])))
    if all("cpu_s" in r for r in runs):
        best["cpu_s"] = min(float(r["cpu_s"]) for r in runs)
    best["peak_mb"] = max(float(r.get("peak_mb", 0.0)) for r in runs)
    return best


def measure(
    fmt: Format, path: Path, repeat: int, cellpy: Path | None, cellpy_repeat: int | None = None
) -> dict[str, Any]:
    """labdb's and the peers' runs of one file, alternated (labdb process, pyarrow process,
    labdb in-process, pyarrow in-process, cellpy in-process, then again ``repeat`` times;
    cellpy in the first ``cellpy_repeat`` rounds only, all by default): the machine is shared,
    and a burst of other work then falls on both sides alike."""
    skip = _mpt_header_lines(path) if path.suffix == ".mpt" else fmt.skip_rows
    labdb_argv = [
        sys.executable, "-m", "analysis", "cycling", str(path), "--cell-type", "half", "--json"
    ]  # fmt: skip
    floor_args = [path, skip, fmt.delimiter, "1" if fmt.quote else "0", fmt.encoding, 1]
    floor_argv = [sys.executable, "-c", textwrap.dedent(PYARROW_READ), *map(str, floor_args)]
    # In-process: the better of two calls in one process, the first warming up (lazy imports,
    # first-touch memory), for labdb, pyarrow and cellpy alike.
    floor_in_argv = [*floor_argv[:-1], "2"]
    inner_argv = [sys.executable, "-c", textwrap.dedent(LABDB_IN_PROCESS), str(path), "2"]
    peer_argv = None
    if cellpy is not None and fmt.cellpy is not None:
        peer_argv = [
            str(cellpy), "-c", textwrap.dedent(CELLPY), str(path), "2", fmt.cellpy,
            json.dumps(fmt.cellpy_options),
        ]  # fmt: skip
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in ("labdb", "floor", "inner", "floor_in")}
    peer_runs: list[dict[str, Any]] = []
    peer_error = None
    for round_ in range(repeat):
        runs["labdb"].append(timed_process(labdb_argv, 1))
        runs["floor"].append(timed_process(floor_argv, 1))
        runs["inner"].append(_json_run(inner_argv))
        runs["floor_in"].append(_json_run(floor_in_argv))
        more = cellpy_repeat is None or round_ < cellpy_repeat
        if peer_argv is not None and peer_error is None and more:
            try:
                peer_runs.append(_json_run(peer_argv))
            except RuntimeError as exc:
                peer_error = str(exc).strip().splitlines()[-1][:160]
    labdb, floor_proc = _best(runs["labdb"]), _best(runs["floor"])
    inner, floor_in = _best(runs["inner"]), _best(runs["floor_in"], "read_s")
    out: dict[str, Any] = {
        "format": fmt.name,
        "reader": inner["format"],
        "rows": inner["rows"],
        "cycles": inner["cycles"],
        "size_mb": path.stat().st_size / 1e6,
        "labdb_process_s": labdb["total_s"],
        "labdb_cpu_s": labdb["cpu_s"],
        "labdb_peak_mb": labdb["peak_mb"],
        "labdb_read_s": inner["read_s"],
        "labdb_analysis_s": inner["analysis_s"],
        "labdb_in_process_s": inner["total_s"],
        "labdb_in_process_cpu_s": inner["cpu_s"],
        "pyarrow_process_s": floor_proc["total_s"],
        "pyarrow_cpu_s": floor_proc["cpu_s"],
        "pyarrow_read_s": floor_in["read_s"],
    }
    if peer_runs:
        peer = _best(peer_runs)
        out["cellpy_s"] = peer["total_s"]
        out["cellpy_cpu_s"] = peer["cpu_s"]
        out["cellpy_version"] = peer["version"]
    if peer_error is not None:
        out["cellpy_error"] = peer_error
    return out


def _load_average() -> str:
    """The 1-minute load average (the machine is shared: every figure is printed with it)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cycles", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3, help="best of N (the machine is shared)")
    parser.add_argument(
        "--quick", action="store_true", help="CI check: small files, every reader, 3 processes"
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds allowed per process in --quick"
    )
    parser.add_argument("--skip-cellpy", action="store_true")
    parser.add_argument(
        "--cellpy-repeat",
        type=int,
        help="cellpy runs per format (default --repeat; one Maccor run takes cellpy minutes)",
    )
    parser.add_argument("--only", action="append", help="formats whose name contains this")
    parser.add_argument("--generate", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        rows, cycles = args.generate
        generate(PEERS / "data" / f"readers_{rows}_{cycles}", rows, cycles)
        return 0
    if args.quick:
        args.rows, args.cycles, args.repeat, args.skip_cellpy = 20_000, 10, 1, True
    folder = PEERS / "data" / f"readers_{args.rows}_{args.cycles}"
    print(f"generating {args.rows} rows, {args.cycles} cycles in {folder.relative_to(ROOT)}")
    # Generated in a process of its own: this one stays small while it times the others.
    subprocess.run(
        [sys.executable, __file__, "--generate", str(args.rows), str(args.cycles)],
        check=True,
        cwd=ROOT,
        timeout=args.timeout if args.quick else None,
    )
    paths = {f.name: folder / f.file for f in _formats()}
    selected = [
        f
        for f in _formats()
        if not args.only or any(o.lower() in f.name.lower() for o in args.only)
    ]
    if args.quick:
        ok = quick_check(selected, paths, args.cycles, args.timeout)
        print("every format read" if ok else "READERS FAILED")
        return 0 if ok else 1
    # Compiled bytecode for labdb as for the peers' installed packages (the environment may
    # say PYTHONDONTWRITEBYTECODE, which would recompile labdb in every timed process).
    subprocess.run([sys.executable, "-m", "compileall", "-q", "analysis"], check=True, cwd=ROOT)
    cellpy = None
    if not args.skip_cellpy:
        sys.path.insert(0, str(ROOT / "bench"))
        from cycling import cellpy_python

        cellpy = cellpy_python()
    results = []
    ok = True
    for fmt in selected:
        r = measure(fmt, paths[fmt.name], args.repeat, cellpy, args.cellpy_repeat)
        results.append(r)
        ratio = r["labdb_process_s"] / r["pyarrow_process_s"]
        cpu_ratio = r["labdb_cpu_s"] / r["pyarrow_cpu_s"]
        line = (
            f"{r['format']:<22} {r['size_mb']:6.0f} MB via {r['reader']:<15} "
            f"labdb {r['labdb_process_s']:6.2f} s wall, {r['labdb_cpu_s']:.2f} s cpu (read "
            f"{r['labdb_read_s']:.2f} + analysis {r['labdb_analysis_s']:.2f} in-process), peak "
            f"{r['labdb_peak_mb']:5.0f} MB | pyarrow {r['pyarrow_process_s']:5.2f} s wall, "
            f"{r['pyarrow_cpu_s']:.2f} s cpu (read {r['pyarrow_read_s']:.2f}) -> {ratio:4.2f}x "
            f"wall, {cpu_ratio:4.2f}x cpu"
        )
        if "cellpy_s" in r:
            # Like for like: cellpy's load + summary is timed in its process with its imports
            # done, so labdb's read + analysis is too (as bench/cycling.py); the whole process
            # is shown beside it.
            speedup = r["cellpy_s"] / r["labdb_in_process_s"]
            cpu_speedup = r["cellpy_cpu_s"] / r["labdb_in_process_cpu_s"]
            line += (
                f"\n{'':<22} cellpy {r['cellpy_s']:6.2f} s wall, {r['cellpy_cpu_s']:.2f} s cpu "
                f"in-process against labdb's {r['labdb_in_process_s']:.2f} s, "
                f"{r['labdb_in_process_cpu_s']:.2f} s cpu -> {speedup:4.1f}x faster wall, "
                f"{cpu_speedup:4.1f}x cpu ({r['cellpy_s'] / r['labdb_process_s']:.1f}x the whole "
                "labdb process)"
            )
            ok = ok and speedup >= TARGET_SPEEDUP_VS_CELLPY
        elif "cellpy_error" in r:
            line += f"\n{'':<22} cellpy failed: {r['cellpy_error']}"
        line += f" | load {_load_average()}"
        print(line, flush=True)
        ok = ok and ratio <= TARGET_RATIO_VS_PYARROW and r["labdb_peak_mb"] < TARGET_PEAK_MB
        ok = ok and r["cycles"] >= args.cycles - 1
    (folder / "results.json").write_text(json.dumps(results, indent=2))
    print(
        f"targets: labdb <= {TARGET_RATIO_VS_PYARROW:g}x the pyarrow process, >= "
        f"{TARGET_SPEEDUP_VS_CELLPY:g}x faster than cellpy, peak < {TARGET_PEAK_MB:g} MB"
    )
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
