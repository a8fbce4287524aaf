"""What a new version of a growing cycler file costs to read and analyse, against reading and
analysing the whole file, at two file sizes with the same amount of new data.

``python bench/growing.py [--cycles 1000] [--new-cycles 2] [--quick]``

A simulated half cell (:mod:`analysis.simulate`) is written as a Neware BTSDA CSV export (the
text layout a cycler appends to). The earlier version is the file up to ``--new-cycles``
cycles before its end (cut mid-line); the new version is the whole file. Per size (``--cycles``
and four times as many) it times, best of three, in this process:

- whole read: ``analysis.readers.read`` of the new version;
- grown read: :func:`analysis.readers.growing.read_grown` from the earlier version's table
  (what a job of a version that ``extends`` another does, docs/live.md);
- full analysis: the cycling pipeline on the whole table;
- incremental analysis: the same with the memo of the earlier version's analysis
  (``previous=``, :mod:`analysis.cycling.reuse`: the per-half-cycle values of unchanged
  half-cycles are reused, everything that looks across cycles is recomputed),

and checks that the grown table equals the whole parse and the incremental result's JSON the
full one's. The ratios show what is proportional to the new data (the grown read), what is
mostly (the incremental analysis: its per-half-cycle work runs over the new half-cycles only
and the cycle-level rules are linear in the cycles, but a few vectorised passes over every row
remain) and what is not (the full analysis, the earlier table read from Parquet). The load
average is printed with the figures. ``--sizes 100 500 1000`` times only the two analyses at
those sizes (wall and CPU time: on a loaded machine the CPU time is the steadier figure).
:func:`growth_cost` is importable (bench/live.py).

``--jobs`` times what a worker spends per version, through the app's own job path (a SQLite
database and a blob store in a temporary folder, tasks eager, DEBUG off as in a worker, the
analysis code warmed and freed large blocks kept for reuse, as in a worker's parent:
``analysis.runtime.keep_freed_memory``): a file of ``--cycles`` cycles (and of four times as many) is registered as
a first version and then ``--versions`` more, each ``--append-rows`` rows longer (at line
ends, sent in append mode as the harvester sends them: the new bytes and the whole file's
sha256); each version's cycling job and its dQ/dV follow-on job
run. Printed per file size: the CPU time (this process and the jobs' children) and the wall time
per version and per appended row, the minor page faults per version (this process and the
children: memory the kernel maps afresh, a load-independent count), the jobs' stage times, the rows written to the blob store per version (the
parsed table's new parts), the per-cycle rows the version's cycling result wrote to the
database, and the ratio of all versions' CPU to one analysis of the final file
(read, cycling and dQ/dV on the whole table, this process). The cost per version should not
grow with the file: the same appended rows cost about the same at four times the rows. The
mean per version comes with the median and the least: on a shared machine a version now and
then costs twice the others, and those two are the steadier figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import pipelines  # noqa: E402
from analysis.readers import read  # noqa: E402
from analysis.readers.growing import read_grown  # noqa: E402
from analysis.serial import differences  # noqa: E402
from analysis.simulate.cycling import HalfCellModel, simulate_half_cell  # noqa: E402
from analysis.simulate.writers.neware import write_neware_csv  # noqa: E402
from analysis.simulate.writers.rows import cycler_rows  # noqa: E402


def _best(fn: Any, repeat: int = 3) -> tuple[float, Any]:
    best, value = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    return best, value


def _best_cpu(fn: Any, repeat: int = 5) -> float:
    """The least CPU time of this thread over ``repeat`` calls (s): on a loaded machine the
    wall-clock time measures the other processes as much as this one."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.thread_time()
        fn()
        best = min(best, time.thread_time() - t0)
    return best


def growth_cost(cycles: int, new_cycles: int, folder: Path, seed: int = 1) -> dict[str, Any]:
    """Seconds to read the whole file, to read it grown from its earlier version, and to
    analyse it; rows in all and new (see the module docstring)."""
    model = HalfCellModel(initial_ce=0.9, average_ce=0.995, cycles=cycles)
    rows = cycler_rows(simulate_half_cell(model, seed=seed), dt.datetime(2026, 1, 5))
    path = write_neware_csv(folder / f"cell-{cycles}.csv", rows)
    data = path.read_bytes()
    whole = read(path).table
    keep = int((whole["cycle_count"] <= whole["cycle_count"].max() - new_cycles).sum())
    cut = sum(len(line) for line in data.splitlines(keepends=True)[: keep + 1]) + 7
    earlier = folder / "earlier" / path.name
    earlier.parent.mkdir(exist_ok=True)
    earlier.write_bytes(data[:cut])
    previous_parquet = folder / "previous.parquet"
    read(earlier).table.to_parquet(previous_parquet, compression="zstd", index=False)

    def grown_read() -> pd.DataFrame:
        previous = pd.read_parquet(previous_parquet)
        grown = read_grown(path, format="neware-csv", previous=previous, previous_bytes=cut)
        assert grown is not None, "the grown read fell back to a whole read"
        return grown.table

    whole_s, _ = _best(lambda: read(path))
    grown_s, table = _best(grown_read)
    assert table.equals(whole), "the grown table differs from the whole parse"
    pipeline = pipelines.get("cycling")
    params = pipeline.validate({"cell_type": "half", "area_cm2": 0.785})
    analysis_s, full = _best(lambda: pipeline.run(table, params))
    memo = pipeline.run(read(earlier).table, params).series["half_cycle_memo"]
    incremental_s, grown = _best(lambda: pipeline.run(table, params, previous=memo))
    assert differences(grown.to_json(), full.to_json()) == [], "incremental != full analysis"
    analysis_cpu_s = _best_cpu(lambda: pipeline.run(table, params))
    incremental_cpu_s = _best_cpu(lambda: pipeline.run(table, params, previous=memo))
    return {
        "rows": len(whole),
        "new_rows": len(whole) - keep,
        "whole_read_s": whole_s,
        "grown_read_s": grown_s,
        "analysis_s": analysis_s,
        "incremental_s": incremental_s,
        "analysis_cpu_s": analysis_cpu_s,
        "incremental_cpu_s": incremental_cpu_s,
        "reused": grown.reuse["reused"],
        "computed": grown.reuse["computed"],
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cycles", type=int, default=1000)
    p.add_argument("--new-cycles", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="250 and 1000 cycles (CI)")
    p.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        help="only the analysis, at these file sizes (cycles): full vs incremental, wall and CPU",
    )
    p.add_argument("--jobs", action="store_true", help="per-version worker CPU (see above)")
    p.add_argument("--versions", type=int, default=6)
    p.add_argument("--append-rows", type=int, default=400)
    a = p.parse_args()
    if a.jobs:
        job_sizes = (100, 400) if a.quick else (a.cycles, 4 * a.cycles)
        return jobs_per_version(job_sizes, a.versions, a.append_rows)
    if a.sizes:
        return _analysis_by_size(a.sizes, a.new_cycles)
    base = 250 if a.quick else a.cycles
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")
    print(
        f"{'rows':>9} {'new':>6} {'whole read':>11} {'grown read':>11} {'full an.':>9} "
        f"{'incr. an.':>10} {'reused/computed':>16} {'whole/grown read':>17} "
        f"{'full/incr. analysis':>20}"
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for cycles in (base, 4 * base):
            r = growth_cost(cycles, a.new_cycles, Path(tmp))
            results.append(r)
            print(
                f"{r['rows']:>9} {r['new_rows']:>6} {r['whole_read_s']:>10.3f}s "
                f"{r['grown_read_s']:>10.3f}s {r['analysis_s']:>8.3f}s "
                f"{r['incremental_s']:>9.3f}s {r['reused']:>8}/{r['computed']:<7} "
                f"{r['whole_read_s'] / r['grown_read_s']:>16.1f}x "
                f"{r['analysis_s'] / r['incremental_s']:>19.1f}x"
            )
    small, large = results
    print(
        f"4x the rows, same new data: whole read x{large['whole_read_s'] / small['whole_read_s']:.1f}, "
        f"grown read x{large['grown_read_s'] / small['grown_read_s']:.1f}, "
        f"full analysis x{large['analysis_s'] / small['analysis_s']:.1f}, "
        f"incremental analysis x{large['incremental_s'] / small['incremental_s']:.1f}"
    )
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")
    return 0


def _serving_pid() -> int | None:
    """The process id of the worker's serving child, if one is alive."""
    from labdb.services import execution

    server = execution._server
    return None if server is None else server.pid


def _serving_child() -> tuple[float, int]:
    """CPU seconds and minor page faults so far of the worker's serving child, if one is alive
    (``labdb.services.execution``: a child that serves several jobs is counted by
    ``RUSAGE_CHILDREN`` only once it has ended)."""
    import os

    pid = _serving_pid()
    if pid is None:
        return 0.0, 0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0
    # after the command's closing parenthesis: state is field 3, minflt 10, utime 14, stime 15
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks, int(fields[7])


def _usage() -> tuple[float, int]:
    """CPU seconds and minor page faults of this process, its finished children (each job runs
    in a child) and the serving child that is still alive. Faults are the pages the kernel
    mapped for them (~1-5 us a fault), a figure that, unlike time, the machine's load does not
    change."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu, child_faults = _serving_child()
    cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime + child_cpu
    return cpu, int(own.ru_minflt + kids.ru_minflt) + child_faults


def jobs_per_version(sizes: tuple[int, ...], versions: int, append_rows: int) -> int:
    """Per-version worker CPU through the app's job path (module docstring, ``--jobs``); the
    temporary database and blob store (~250 MB at 400 cycles) are removed at the end."""
    folder = Path(tempfile.mkdtemp(prefix="bench-growing-"))
    try:
        return _jobs_per_version(folder, sizes, versions, append_rows)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _jobs_per_version(folder: Path, sizes: tuple[int, ...], versions: int, append_rows: int) -> int:
    import os

    os.environ.pop("DATABASE_URL", None)  # SQLite in the temporary folder
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ["LABDB_DATA_DIR"] = str(folder)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labdb.settings")
    # a worker runs with DEBUG off: with it on, Django also logs every query with its
    # parameters (on SQLite quoting each through a query of its own), ~40 % of the cost of
    # storing a result's cycle rows
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(32))
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost")
    os.environ["LABDB_DEMO"] = "1"
    import logging

    import django

    django.setup()
    logging.getLogger("celery").setLevel(logging.WARNING)
    from django.core.management import call_command

    from analysis.runtime import keep_freed_memory
    from analysis.warmup import warm
    from labdb import models as m
    from labdb.demo import demo_load
    from labdb.services.ingest import data_file_register
    from labdb.table_parts import table_parts

    call_command("migrate", verbosity=0)
    demo = demo_load()
    keep_freed_memory()  # as a Celery worker does at start (labdb.celery)
    warm()
    pipeline, dqdv = pipelines.get("cycling"), pipelines.get("dqdv")
    params = pipeline.validate({"cell_type": "half", "area_cm2": 0.785})
    dqdv_params = dqdv.validate({"cell_type": "half"})
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")
    print(
        f"{'cycles':>6} {'rows':>7} {'version':>7} {'+rows':>6} {'CPU':>8} {'wall':>8} {'us/row':>7} "
        f"{'faults':>7} {'rows stored':>11} {'cycle rows':>10}  "
        "stages (ms, wall): cycling read/analyse/store, dQ/dV"
    )
    for cycles in sizes:
        run = m.TestRun.objects.create(
            project=demo,
            label=f"BENCH-{cycles}",
            cell=m.Cell.objects.get(label="MgAgSn-E-HC1"),
            protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
        )
        model = HalfCellModel(initial_ce=0.9, average_ce=0.995, cycles=cycles)
        rows = cycler_rows(simulate_half_cell(model, seed=1), dt.datetime(2026, 1, 5))
        path = write_neware_csv(folder / f"cell-{cycles}.csv", rows)
        data = path.read_bytes()
        ends = [i + 1 for i, b in enumerate(data) if b == 10]  # line ends
        first = len(ends) - versions * append_rows
        cuts = [ends[first - 1 + k * append_rows] for k in range(versions + 1)]
        total_cpu, stored_before, per_version, walls, fault_counts = 0.0, set[str](), [], [], []
        warm_versions: list[float] = []
        base: m.DataFile | None = None
        for k, cut in enumerate(cuts):
            # the harvester's append mode: the bytes after the earlier version and the sha256
            # of the whole (hashed on the instrument PC, not counted)
            sent = [data[base.size_bytes : cut]] if base else [data[:cut]]
            whole = hashlib.sha256(data[:cut]).hexdigest()
            child = _serving_pid()
            (c0, f0), w0 = _usage(), time.perf_counter()
            reg = data_file_register(
                test_run=run,
                chunks=sent,
                base=base,
                offset=base.size_bytes if base else None,
                expected_sha256=whole,
                original_name=path.name,
                user=None,
                source="cli",
            )
            base = reg.data_file
            (c1, f1), wall = _usage(), time.perf_counter() - w0
            used, faults = c1 - c0, f1 - f0
            jobs = {j.kind: j for j in m.AnalysisJob.objects.filter(data_file=reg.data_file)}
            assert all(j.status == "succeeded" for j in jobs.values()), jobs
            table = m.ParsedTable.objects.get(data_file=reg.data_file, kind="cycling")
            parts = table_parts(table.sha256)
            written = sum(p.stop - p.start for p in parts if p.sha256 not in stored_before)
            stored_before = {p.sha256 for p in parts}
            # the per-cycle rows the version's cycling result wrote to the database
            cycle_rows = m.CycleResult.objects.filter(result_id=jobs["cycling"].pk).count()
            stages = " ".join(
                f"{kind} "
                + "/".join(
                    f"{1e3 * jobs[kind].timings.get(s, 0.0):.0f}"
                    for s in ("read_s", "analyze_s", "store_s")
                )
                for kind in ("cycling", "dqdv")
                if kind in jobs
            )
            new_rows = append_rows if k else first
            # a version whose jobs started a new serving child (the worker replaces it after
            # LABDB_JOB_CHILD_JOBS jobs): nothing kept in memory yet, its tables read back
            fresh = child is None or _serving_pid() != child
            if k:
                total_cpu += used
                per_version.append(used)
                walls.append(wall)
                fault_counts.append(faults)
                if not fresh:
                    warm_versions.append(used)
            print(
                f"{cycles:>6} {table.rows:>7} {reg.data_file.version:>7} {new_rows:>6} "
                f"{used * 1e3:>6.0f}ms {wall * 1e3:>6.0f}ms {1e6 * used / new_rows:>7.0f} "
                f"{faults:>7} {written:>11} {cycle_rows:>10}  "
                f"{stages}{' (new analysis process)' if fresh else ''}",
                flush=True,
            )
        final = read(path).table

        def once(path: Path = path, final: pd.DataFrame = final) -> None:
            pipeline.run(read(path).table, params)
            dqdv.run(final, dqdv_params)

        once_cpu = _best_cpu(once, repeat=2)
        mean = total_cpu / versions
        median = float(np.median(per_version))
        print(
            f"{cycles} cycles ({len(final)} rows): per version of {append_rows} new rows "
            f"{mean * 1e3:.0f} ms CPU (median {median * 1e3:.0f} ms, least "
            f"{min(per_version) * 1e3:.0f} ms; wall median {float(np.median(walls)) * 1e3:.0f} ms; "
            f"{1e6 * mean / append_rows:.0f} us per appended row; median "
            f"{float(np.median(fault_counts)):.0f} page faults; median of the "
            f"{len(warm_versions)} versions served by an analysis process already warm "
            f"{float(np.median(warm_versions or [np.nan])) * 1e3:.0f} ms); "
            f"one analysis of the final file (read, cycling, dQ/dV) {once_cpu * 1e3:.0f} ms "
            f"({1e6 * once_cpu / len(final):.1f} us per row) -> the {versions} versions / one "
            f"analysis = {total_cpu / once_cpu:.1f}x; per appended row, versions / one analysis "
            f"per row = {(mean / append_rows) / (once_cpu / len(final)):.0f}x",
            flush=True,
        )
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")
    return 0


def _analysis_by_size(sizes: list[int], new_cycles: int) -> int:
    """Full and incremental analysis at each size, the same new data: the incremental one should
    stay about the same while the full one grows with the file."""
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")
    print(
        f"{'cycles':>7} {'rows':>8} {'new':>5} {'full wall':>10} {'incr. wall':>11} "
        f"{'full CPU':>9} {'incr. CPU':>10} {'full/incr. CPU':>15}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for cycles in sizes:
            r = growth_cost(cycles, new_cycles, Path(tmp))
            print(
                f"{cycles:>7} {r['rows']:>8} {r['new_rows']:>5} {r['analysis_s'] * 1e3:>8.1f}ms "
                f"{r['incremental_s'] * 1e3:>9.1f}ms {r['analysis_cpu_s'] * 1e3:>7.1f}ms "
                f"{r['incremental_cpu_s'] * 1e3:>8.1f}ms "
                f"{r['analysis_cpu_s'] / r['incremental_cpu_s']:>14.1f}x",
                flush=True,
            )
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
