"""Many workers on one PostgreSQL database: claiming jobs, and the sweep's cost.

1. Claims: 10,000 queued analysis jobs (COPY), each sent twice (a duplicate message right behind
   the first, as a re-sent job would be), taken by 1, 2, 4 and 8 worker processes that claim
   each job with the service the Celery task uses (``labdb.services.jobs.job_claim``: a
   conditional UPDATE) and then mark it finished. Checks that every job was claimed exactly
   once, and prints jobs per second for each process count (a new set of jobs per round).
2. The sweep with 1,000,000 finished jobs in the table: its time (p50 of 20) and the plan of
   each of its queries.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python bench/workers.py [--quick]

``--quick``: 300 jobs per round and 10,000 finished jobs. Runs in a database of its own
(created and dropped). The machine's cores bound the scaling: the figures are ratios against
one process, measured in the same run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scale import Copier, _admin, _own_database  # noqa: E402


def _queued_jobs(n: int, tag: str) -> list[str]:
    """``n`` queued cycling jobs on one data file of the demo study (distinct parameters)."""
    from django.utils import timezone

    from labdb import models as m

    now = timezone.now()
    data_file = m.DataFile.objects.first()
    ids = [uuid.uuid4() for _ in range(n)]
    Copier(m.AnalysisJob, now).copy(
        {
            "id": job_id,
            "project_id": data_file.project_id,
            "data_file_id": data_file.pk,
            "kind": "cycling",
            "parameters_sha256": f"{tag}{i:020d}".ljust(64, "0"),
            "analysis_version": "bench",
            "status": "queued",
        }
        for i, job_id in enumerate(ids)
    )
    return [str(i) for i in ids]


def _worker(inbox: Any, outbox: Any, name: str) -> None:
    from django.db import connection
    from django.utils import timezone

    from labdb import models as m
    from labdb.services.jobs import job_claim

    claimed = []
    while True:
        job_id = inbox.get()
        if job_id is None:
            break
        job = job_claim(job_id, worker=name)
        if job is not None:
            claimed.append(job_id)
            m.AnalysisJob.objects.filter(pk=job_id, claimed_by=name).update(
                status="succeeded", finished_at=timezone.now(), progress=1.0, lease_expires_at=None
            )
    connection.close()
    outbox.put((name, claimed))


def claims(jobs_per_round: int, log: Any) -> None:
    from django.db import connections

    ctx = mp.get_context("fork")
    base = None
    for processes in (1, 2, 4, 8):
        ids = _queued_jobs(jobs_per_round, f"p{processes}-")
        connections.close_all()  # the children open their own
        inbox, outbox = ctx.Queue(), ctx.Queue()
        for job_id in ids:
            inbox.put(job_id)
            inbox.put(job_id)  # the same job sent again: exactly one claim may win
        for _ in range(processes):
            inbox.put(None)
        t0 = time.perf_counter()
        procs = [
            ctx.Process(target=_worker, args=(inbox, outbox, f"w{processes}-{i}"))
            for i in range(processes)
        ]
        for p in procs:
            p.start()
        results = [outbox.get() for _ in procs]
        for p in procs:
            p.join()
        elapsed = time.perf_counter() - t0
        claimed = [job for _, jobs in results for job in jobs]
        twice = len(claimed) - len(set(claimed))
        if twice or set(claimed) != set(ids):
            raise SystemExit(
                f"{processes} processes: {twice} jobs claimed twice, "
                f"{len(set(ids) - set(claimed))} never claimed"
            )
        rate = len(ids) / elapsed
        base = base or rate
        per = ", ".join(str(len(j)) for _, j in sorted(results))
        log(
            f"{processes} processes: {len(ids)} jobs ({2 * len(ids)} messages) in {elapsed:5.1f} s, "
            f"{rate:6.0f} jobs/s = {rate / base:4.2f} x one process; each job claimed once "
            f"(per process: {per})"
        )


def sweep_cost(finished: int, log: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from labdb import models as m
    from labdb.services.job_queue import jobs_sweep

    now = timezone.now()
    data_file = m.DataFile.objects.first()
    t0 = time.perf_counter()
    Copier(m.AnalysisJob, now).copy(
        {
            "id": uuid.uuid4(),
            "project_id": data_file.project_id,
            "data_file_id": data_file.pk,
            "kind": "cycling",
            "parameters_sha256": f"done{i:020d}".ljust(64, "0"),
            "analysis_version": "bench",
            "status": "succeeded",
            "finished_at": now,
            "lease_expires_at": None,
        }
        for i in range(finished)
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE labdb_analysisjob")
    total = m.AnalysisJob.objects.count()
    log(
        f"\n{finished} finished jobs loaded (COPY) in {time.perf_counter() - t0:.1f} s; {total} jobs"
    )
    _queued_jobs(5, "sweep-")  # a few waiting jobs, as in a lab's day
    times = []
    for _ in range(20):
        with CaptureQueriesContext(connection) as ctx:
            t1 = time.perf_counter()
            jobs_sweep(now=now)  # nothing is overdue yet: the sweep's steady-state cost
            times.append(time.perf_counter() - t1)
    log(
        f"sweep with {total} jobs: p50 {statistics.median(times) * 1000:.1f} ms, "
        f"max {max(times) * 1000:.1f} ms, {len(ctx.captured_queries)} queries"
    )
    for q in ctx.captured_queries:
        sql = q["sql"]
        analyze = "ANALYZE, " if sql.lstrip().upper().startswith("SELECT") else ""
        log(f"\n== {sql[:300]}")
        with connection.cursor() as cur:
            cur.execute(f"EXPLAIN ({analyze}COSTS OFF) {sql}")
            for (line,) in cur.fetchall():
                log("  " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 jobs per round, 10,000 finished")
    parser.add_argument("--jobs", type=int, default=None, help="queued jobs per round")
    parser.add_argument("--finished", type=int, default=None, help="finished jobs for the sweep")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench/workers.py: skipped, it needs DATABASE_URL pointing at a PostgreSQL server")
        return
    bench_url, name = _own_database(url)
    name = name.replace("scale", "workers")
    bench_url = bench_url.replace("scale", "workers")
    _admin(url, f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labdb.settings")
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from labdb.demo import demo_load
    from labdb.services.catalog import record_save
    from labdb.services.ingest import data_file_register
    from tests.labdb.test_ingest_and_jobs import bdf_csv

    def log(text: str) -> None:
        print(text, flush=True)

    try:
        call_command("migrate", verbosity=0)
        import tempfile

        from django.conf import settings

        settings.BLOB_DIR = Path(tempfile.mkdtemp(prefix="bench-workers-")) / "blobs"
        project = demo_load()
        from labdb import models as m

        run = record_save(
            record=m.TestRun(
                project=project,
                label="bench-PS",
                cell=m.Cell.objects.get(label="MgAgSn-E-HC1"),
                protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
            ),
            user=None,
        )
        data_file_register(
            test_run=run, chunks=[bdf_csv(3)], original_name="b.csv", user=None, source="cli"
        )
        claims(args.jobs or (300 if args.quick else 10_000), log)
        sweep_cost(args.finished or (10_000 if args.quick else 1_000_000), log)
    finally:
        connections.close_all()
        _admin(url, f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    main()
