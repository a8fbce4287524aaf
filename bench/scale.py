"""A decade of a lab's data on PostgreSQL: how fast the pages and the API answer.

Generates, in a database of its own on the PostgreSQL server of ``DATABASE_URL`` (created and
dropped by this script), 50 projects with the demo study's catalog each, 10,000 cells, 50,000
test runs (four cycling runs and one EIS run per cell) with their files, jobs and results,
10,000,000 per-cycle rows (cycle lives of 20 to 480 cycles, capacity fade, CE rising to a
plateau, a few shorted cells) and 100,000 EIS fits (ten spectra per EIS run, resistances growing
with cycling), all loaded with COPY (psycopg 3). Then it times the requests a lab makes, through
the real views (Django's test client, logged in as a member of every project): p50 / p95 over
``--repeat`` requests, the number of SQL queries, and ``EXPLAIN ANALYZE`` of the slowest query
of the three slowest requests.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python bench/scale.py [--quick]

``--quick`` is 1/100 of the size (100 cells, 100,000 cycle rows) for CI, ``--scale F`` any
fraction (a mid size to profile on). Targets from
issue 18 are printed next to each figure; timings are noisy on a shared machine.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROJECTS = 50
CELLS = 10_000
CYCLING_RUNS_PER_CELL = 4
EIS_RUNS_PER_CELL = 1
CYCLE_ROWS = 10_000_000
SPECTRA_PER_EIS_RUN = 10


def _own_database(url: str) -> tuple[str, str]:
    """(the URL of a fresh bench database on the server of ``url``, its name)."""
    parts = urlsplit(url)
    name = f"labdb_bench_scale_{os.getpid()}"
    return urlunsplit(parts._replace(path=f"/{name}")), name


def _admin(url: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(sql)


class Copier:
    """COPY rows of a Django model in text format: the model's concrete columns, each row a
    dict of values by field name; missing fields take their default (``now`` for automatic
    timestamps)."""

    def __init__(self, model: Any, now: Any) -> None:
        self.model = model
        # every column but a serial primary key (the database numbers the rows)
        self.fields = [
            f for f in model._meta.concrete_fields if not getattr(f, "db_returning", False)
        ]
        self.columns = [f.column for f in self.fields]
        self.defaults: dict[str, str] = {}
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value: Any = now
            else:  # the field's default, "" for text without one
                value = f.get_default()
            self.defaults[f.attname] = self.text(f, value)

    @staticmethod
    def text(field: Any, value: Any) -> str:
        from django.db import models

        if value is None:
            return "\\N"
        if isinstance(field, models.JSONField):
            value = json.dumps(value)
        elif isinstance(value, bool):
            value = "t" if value else "f"
        s = str(value)
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

    def line(self, row: dict[str, Any]) -> str:
        return "\t".join(
            self.text(f, row[f.attname]) if f.attname in row else self.defaults[f.attname]
            for f in self.fields
        )

    def copy(self, rows: Iterable[dict[str, Any]]) -> int:
        return copy_lines(self.model._meta.db_table, self.columns, (self.line(r) for r in rows))


def copy_lines(table: str, columns: list[str], lines: Iterable[str], batch: int = 20_000) -> int:
    from django.db import connection

    n = 0
    cols = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cur:
        pg = cur.cursor  # the psycopg 3 cursor under Django's wrapper
        with pg.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
            buf = io.StringIO()
            for line in lines:
                buf.write(line)
                buf.write("\n")
                n += 1
                if n % batch == 0:
                    copy.write(buf.getvalue())
                    buf = io.StringIO()
            copy.write(buf.getvalue())
    return n


def finished_insert_triggers(enable: bool) -> None:
    """Switch the triggers that refuse rows for a finished job's result (migration 0014) off
    for the bulk load of a finished decade (this throw-away database's owner loads it the way
    a restore would) and back on (ENABLE ALWAYS, as the migration leaves them)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname LIKE %s",
            ["%\\_finished\\_insert"],
        )
        for table, name in cur.fetchall():
            state = "ENABLE ALWAYS" if enable else "DISABLE"
            cur.execute(f'ALTER TABLE {table} {state} TRIGGER "{name}"')  # nosec B608: names from pg_trigger


def generate(scale: float, rng: np.random.Generator, log: Callable[[str], None]) -> dict[str, Any]:
    """The catalog (ORM: the demo study's per project) and the bulk (COPY), loaded with the
    finished-result triggers off (:func:`finished_insert_triggers`)."""
    finished_insert_triggers(False)
    try:
        sizes = _generate(scale, rng, log)
    finally:
        finished_insert_triggers(True)
    # the loads marked every cell stale (migration 0032's triggers): computed once here, as
    # the migration's backfill would, so that no measured request pays for it
    from labdb.services.cell_summaries import cell_summaries_rebuild

    t0 = time.perf_counter()
    n = cell_summaries_rebuild()
    log(f"{n} cell summaries (cell_summaries rebuild): {time.perf_counter() - t0:.1f} s")
    return sizes


def _generate(scale: float, rng: np.random.Generator, log: Callable[[str], None]) -> dict[str, Any]:
    from django.utils import timezone

    from labdb import models as m
    from labdb.demo import catalog

    now = timezone.now()
    projects = max(1, round(PROJECTS * min(1.0, scale * 10)))  # --quick: 5 projects
    cells_per_project = max(1, round(CELLS * scale / projects))
    t0 = time.perf_counter()
    for i in range(projects):
        catalog.PROJECT_LABEL = f"lab-{i:02d}"
        catalog.demo_load(with_user=True)
    log(f"catalog of {projects} projects (ORM): {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    cell_copier = Copier(m.Cell, now)
    cells: list[dict[str, Any]] = []
    for project in m.Project.objects.all():
        templates = list(m.Cell.objects.filter(project=project).values())
        for n in range(cells_per_project):
            t = dict(templates[n % len(templates)])
            t["id"] = uuid.uuid4()
            t["label"] = f"{t['label']}-R{n:04d}"
            t["created_at"] = t["updated_at"] = now
            cells.append(t)
    cell_copier.copy(cells)
    log(f"{len(cells)} cells (COPY): {time.perf_counter() - t0:.1f} s")

    protocols = {
        (p.project_id, p.label): p.pk for p in m.TestProtocol.objects.all()
    }  # PS-1mA-1mAh (cycling), EIS-POST (EIS)
    runs, files, jobs, results, eis_results = [], [], [], [], []
    n_cycles: list[int] = []
    for c in cells:
        for r in range(CYCLING_RUNS_PER_CELL + EIS_RUNS_PER_CELL):
            eis = r >= CYCLING_RUNS_PER_CELL
            run_id, file_id, job_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            proto = protocols[(c["project_id"], "EIS-POST" if eis else "PS-1mA-1mAh")]
            label = f"{c['label']}-{'EIS' if eis else 'PS'}{r}"
            runs.append(
                {
                    "id": run_id,
                    "label": label,
                    "project_id": c["project_id"],
                    "cell_id": c["id"],
                    "protocol_id": proto,
                    "status": "finished",
                    "started_at": now,
                    "after_cycles": 100 if eis else None,
                }
            )
            sha = uuid.uuid4().hex * 2
            files.append(
                {
                    "id": file_id,
                    "project_id": c["project_id"],
                    "test_run_id": run_id,
                    "sha256": sha,
                    "size_bytes": 1_000_000,
                    "original_name": f"{label}.csv",
                    "source": "harvester",
                }
            )
            kind = "eis" if eis else "cycling"
            jobs.append(
                {
                    "id": job_id,
                    "project_id": c["project_id"],
                    "data_file_id": file_id,
                    "kind": kind,
                    "parameters_sha256": "0" * 64,
                    "analysis_version": "bench",
                    "status": "succeeded",
                    "progress": 1.0,
                    "attempts": 1,
                    "started_at": now,
                    "finished_at": now,
                    "output_sha256": sha,
                }
            )
            if eis:
                eis_results.append({"job_id": job_id, "test_run_id": run_id, "kind": "eis"})
            else:
                # cycle lives: most cells 100-400 cycles, some short (shorts), mean ~250
                life = int(np.clip(rng.normal(250, 90), 20, 480))
                n_cycles.append(life)
                # each the first result of its lineage, as a file's first version is
                results.append(
                    {
                        "job_id": job_id,
                        "test_run_id": run_id,
                        "kind": "cycling",
                        "cycles_lineage_id": job_id,
                        "cycles_seq": 0,
                    }
                )
    # scale the cycle lives so that the total is the target
    target = int(CYCLE_ROWS * scale)
    lives = np.maximum(5, np.round(np.array(n_cycles) * target / max(1, sum(n_cycles)))).astype(int)
    t0 = time.perf_counter()
    Copier(m.TestRun, now).copy(runs)
    Copier(m.DataFile, now).copy(files)
    Copier(m.AnalysisJob, now).copy(jobs)
    log(f"{len(runs)} test runs, files and jobs (COPY): {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    result_copier = Copier(m.AnalysisResult, now)
    ice = rng.normal(0.93, 0.02, len(results)).clip(0.7, 0.99)
    ace = rng.normal(0.995, 0.003, len(results)).clip(0.95, 0.9999)
    rows = []
    for i, res in enumerate(results):
        rows.append(
            {
                **res,
                "cycle_count": int(lives[i]),
                "initial_coulombic_efficiency": float(ice[i]),
                "average_coulombic_efficiency": float(ace[i]),
                "capacity_retention": float(rng.uniform(0.6, 0.99)),
                "total_time_h": float(lives[i] * 2),
            }
        )
    result_copier.copy(rows)
    result_copier.copy(eis_results)
    log(f"{len(results) + len(eis_results)} results (COPY): {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    n = copy_lines(
        m.CycleResult._meta.db_table,
        [
            "result_id",
            "lineage_id",
            "since",
            "cycle",
            "charge_capacity_mAh",
            "discharge_capacity_mAh",
            "plating_capacity_mAh",
            "stripping_capacity_mAh",
            "coulombic_efficiency",
            "values",
        ],
        _cycle_lines([r["job_id"] for r in results], lives, ice, ace, rng),
    )
    log(f"{n} per-cycle rows (COPY): {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    fit_copier = Copier(m.EISSpectrumFit, now)
    n = fit_copier.copy(_fits([r["job_id"] for r in eis_results], rng))
    log(f"{n} EIS fits (COPY): {time.perf_counter() - t0:.1f} s")
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {"projects": projects, "cells": len(cells), "runs": len(runs)}


def _cycle_lines(
    result_ids: list[int],
    lives: np.ndarray,
    ice: np.ndarray,
    ace: np.ndarray,
    rng: np.random.Generator,
) -> Iterator[str]:
    """Half-cell plating/stripping at 1 mAh/cm2 on 0.785 cm2: stripping capacity fading
    linearly to the retention, CE rising from the ICE to a plateau, noise of 0.2 %."""
    for rid, life, first, plateau in zip(result_ids, lives, ice, ace, strict=True):
        c = np.arange(1, life + 1)
        ce = plateau - (plateau - first) * np.exp(-(c - 1) / 3.0) + rng.normal(0, 0.002, life)
        plating = 0.785 * (1 + rng.normal(0, 0.002, life))
        stripping = plating * ce
        for k in range(life):
            yield (
                f"{rid}\t{rid}\t0\t{k + 1}\t{plating[k]:.6f}\t{stripping[k]:.6f}\t{plating[k]:.6f}"
                f"\t{stripping[k]:.6f}\t{ce[k]:.6f}\t{{}}"
            )


def _fits(result_ids: list[int], rng: np.random.Generator) -> Iterator[dict[str, Any]]:
    """Ten spectra per run (every 10 cycles): bulk, SEI and charge-transfer resistances of a
    Li6PS5Cl cell on 0.785 cm2, SEI and RCT growing with cycling."""
    area = 0.785
    for rid in result_ids:
        rb, rsei, rct = rng.uniform(20, 60), rng.uniform(10, 50), rng.uniform(20, 120)
        for s in range(SPECTRA_PER_EIS_RUN):
            growth = 1 + 0.08 * s
            values = {"rb_ohm": rb, "rsei_ohm": rsei * growth, "rct_ohm": rct * growth**1.5}
            yield {
                "result_id": rid,
                "spectrum": s + 1,
                "cycle": 10 * (s + 1),
                "sequence": s + 1,
                "circuit": "R0-p(R1,CPE1)-p(R2,CPE2)",
                "chi_square": float(rng.uniform(1e-5, 1e-3)),
                "parameters": {
                    "R0": values["rb_ohm"],
                    "R1": values["rsei_ohm"],
                    "R2": values["rct_ohm"],
                },
                **values,
                **{f"{k}_cm2": v * area for k, v in values.items()},
            }


def measure(repeat: int, log: Callable[[str], None], only: str = "") -> list[dict[str, Any]]:
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from labdb import models as m

    client = Client()
    client.force_login(get_user_model().objects.get(username="demo"))
    cell = m.Cell.objects.filter(label__startswith="MgAgSn-E-HC1-R").order_by("label").first()
    run = m.TestRun.objects.filter(cell=cell, label__contains="-PS").first()
    lot = m.MaterialLot.objects.filter(project=cell.project, label="Mg-800nm-L1").first()
    checks: list[tuple[str, str, float]] = [
        ("cell list, first page", "/cells/", 0.2),
        (
            "cell list, seed + binder + kind filters, page 3",
            "/cells/?seed=Mg&binder=Elastane&kind=half&page=3",
            0.2,
        ),
        ("cell list, search", f"/cells/?q={cell.label[:12]}", 0.2),
        ("cell page", f"/cells/{cell.pk}/", 0.3),
        ("cell page plot data (CE)", f"/cells/{cell.pk}/plots/ce.json", 0.3),
        ("/compare/ replicates by seed, all cells", "/compare/?group=seed", 1.0),
        ("/compare/ replicates by binder, all cells", "/compare/?group=binder", 1.0),
        (
            "API results filter",
            "/api/v1/results/?kind=cycling&average_coulombic_efficiency_min=0.999",
            0.2,
        ),
        ("API cycles of one run", f"/api/v1/test-runs/{run.pk}/cycles/", 0.2),
        ("API lineage of a cell", f"/api/v1/cells/{cell.pk}/lineage/", 0.3),
        ("API impact of a lot", f"/api/v1/lots/{lot.pk}/impact/", 0.3),
    ]
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        backend = cur.fetchone()[0]
    out = []
    for name, url, target in checks:
        if only and not any(part in name for part in only.split(",")):
            continue
        times, cpu_py, cpu_pg, loads = [], [], [], []
        for i in range(repeat):
            reset_queries()  # the query log is bounded (9,000): start each request empty
            with CaptureQueriesContext(connection) as ctx:
                t0, p0, g0 = time.perf_counter(), time.process_time(), _cpu_of(backend)
                r = client.get(url)
                if hasattr(r, "streaming_content"):
                    b"".join(r.streaming_content)
                times.append(time.perf_counter() - t0)
                cpu_py.append(time.process_time() - p0)
                cpu_pg.append(_cpu_of(backend) - g0)
                loads.append(os.getloadavg()[0])
            if r.status_code != 200:
                raise SystemExit(f"{url}: HTTP {r.status_code}: {r.content[:300]!r}")
            if i == 0:
                queries = ctx.captured_queries
        # the slowest query that has a plan: a COMMIT (or SAVEPOINT, SET) waiting on the disk's
        # fsync on a loaded machine can be the slowest statement, and EXPLAIN refuses it
        readable = [q for q in queries if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]
        slowest = max(readable, key=lambda q: float(q["time"])) if readable else None
        row = {
            "name": name,
            "url": url,
            "target_s": target,
            "p50_s": statistics.median(times),
            "p95_s": float(np.percentile(times, 95)),
            "cpu_python_s": statistics.median(cpu_py),
            "cpu_postgres_s": statistics.median(cpu_pg),
            "load": statistics.median(loads),
            "queries": len(queries),
            "slowest_sql": slowest["sql"] if slowest else "",
        }
        out.append(row)
        log(
            f"{name:52s} p50 {row['p50_s'] * 1000:7.1f} ms  p95 {row['p95_s'] * 1000:7.1f} ms"
            f"  (target < {target * 1000:.0f} ms)  {row['queries']} queries"
            f"  CPU p50 {row['cpu_python_s'] * 1000:.0f} + {row['cpu_postgres_s'] * 1000:.0f} ms"
            f" (Python + PostgreSQL)  load {row['load']:.1f}"
        )
    return out


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from ``/proc/PID/stat`` (the
    PostgreSQL backend of this connection: the server runs on this machine; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:  # after the command: utime, stime = 11, 12
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def explain(rows: list[dict[str, Any]], log: Callable[[str], None]) -> None:
    from django.db import connection, transaction

    from labdb.selectors.cell_summary import SORT_MEMORY

    for row in sorted(rows, key=lambda r: r["p95_s"], reverse=True)[:3]:
        log(f"\n== plan of the slowest query of: {row['name']} ({row['url']})")
        log(row["slowest_sql"][:600])
        if not row["slowest_sql"]:
            continue
        with transaction.atomic(), connection.cursor() as cur:
            if "ranked AS (" in row["slowest_sql"]:  # the cell summary's own sort memory
                cur.execute(f"SET LOCAL work_mem = '{SORT_MEMORY}'")
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + row["slowest_sql"])
            for (line,) in cur.fetchall():
                # a filter on 10,000 literal ids is one line of 400 kB: its head says enough
                log("  " + (line if len(line) <= 600 else line[:600] + " ..."))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1/100 of the size (CI)")
    parser.add_argument(
        "--scale",
        type=float,
        default=None,
        help="a fraction of the full size (0.1: 1,000 cells, 1 M cycle rows); --quick is 0.01",
    )
    parser.add_argument("--repeat", type=int, default=None, help="requests per check")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--reuse", default="", help="measure a kept bench database (by name)")
    parser.add_argument(
        "--generate-only", action="store_true", help="generate and keep, measure nothing"
    )
    parser.add_argument(
        "--only",
        default="",
        help="measure only the checks whose names contain one of these (comma-separated)",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench/scale.py: skipped, it needs DATABASE_URL pointing at a PostgreSQL server")
        return
    scale = args.scale if args.scale else (0.01 if args.quick else 1.0)
    repeat = args.repeat or (5 if args.quick else 20)
    bench_url, name = _own_database(url)
    if args.reuse:
        bench_url, name = bench_url.replace(name, args.reuse), args.reuse
    else:
        _admin(url, f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labdb.settings")
    os.environ.pop("CELERY_BROKER_URL", None)  # nothing is analysed here
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    def log(text: str) -> None:
        print(text, flush=True)

    try:
        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        log(f"migrated the database {name}: {time.perf_counter() - t0:.1f} s")
        if not args.reuse:
            sizes = generate(scale, np.random.default_rng(18), log)
            log(f"generated {sizes} in the database {name}\n")
        if args.generate_only:
            return
        rows = measure(repeat, log, args.only)
        explain(rows, log)
    finally:
        connection.close()
        if not (args.keep or args.generate_only) and not args.reuse:
            _admin(url, f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    main()
