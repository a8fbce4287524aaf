"""Running analysis jobs: claim, parse, analyse, store, finish; and the sweep that re-queues.

State lives in the database. A worker claims a job with a conditional UPDATE (only one process
wins), holds a lease while it works, and writes the results and the job's success in one
transaction, so a failed or killed job leaves no half-written rows. A periodic sweep re-queues
jobs left queued or whose lease expired; a job that has taken its worker down
``MAX_ATTEMPTS`` times ends as failed with that reason.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from analysis.readers import ParseError, ReadResult, read
from labdb import models as m
from labdb.provenance import library_versions, sha256_of
from labdb.services.audit import audit
from labdb.services.ingest import safe_name
from labdb.storage import blob_path, store_file

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
#: A queued job untouched this long is sent to the workers again.
REQUEUE_AFTER = dt.timedelta(minutes=10)


def lease_duration() -> dt.timedelta:
    return dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


class JobFailure(Exception):
    """An expected failure with a message for the user (bad file, wrong kind of data)."""


def worker_name() -> str:
    return socket.gethostname()


def job_claim(job_id: str, *, worker: str) -> m.AnalysisJob | None:
    """Claim a queued job (or one whose lease expired) for ``worker``; None if another process
    got there first or the job is finished."""
    now = timezone.now()
    stale = Q(status=m.AnalysisJob.Status.RUNNING, lease_expires_at__lt=now)
    exhausted = m.AnalysisJob.objects.filter(pk=job_id, attempts__gte=MAX_ATTEMPTS).filter(
        Q(status=m.AnalysisJob.Status.QUEUED) | stale
    )
    if exhausted.update(
        status=m.AnalysisJob.Status.FAILED,
        finished_at=now,
        error=(
            f"the job stopped its worker {MAX_ATTEMPTS} times (killed, out of memory or over "
            "the time limit); giving up"
        ),
    ):
        _audit_finish(job_id, "analysis.failed")
        return None
    updated = (
        m.AnalysisJob.objects.filter(pk=job_id)
        .filter(Q(status=m.AnalysisJob.Status.QUEUED) | stale)
        .update(
            status=m.AnalysisJob.Status.RUNNING,
            attempts=F("attempts") + 1,
            claimed_by=worker,
            lease_expires_at=now + lease_duration(),
            started_at=now,
            progress=0.0,
            error="",
        )
    )
    if updated != 1:
        return None  # another process got there first, or nothing to do
    job = m.AnalysisJob.objects.select_related(
        "data_file__test_run__cell", "data_file__test_run__protocol"
    ).get(pk=job_id)
    audit(
        project=job.project,
        action="analysis.started",
        user=None,
        target=job,
        details={"worker": worker, "attempt": job.attempts},
    )
    return job


def _set_progress(job: m.AnalysisJob, fraction: float) -> None:
    m.AnalysisJob.objects.filter(pk=job.pk, status=m.AnalysisJob.Status.RUNNING).update(
        progress=max(0.0, min(1.0, fraction))
    )


def job_run(job_id: str, *, worker: str | None = None) -> m.AnalysisJob | None:
    """Run one job to its end (succeeded or failed). Safe to call twice: a second call finds
    nothing to claim and returns None."""
    from labdb.analyses import ANALYZERS

    job = job_claim(job_id, worker=worker or worker_name())
    if job is None:
        return None
    timings: dict[str, float] = {}
    try:
        t0 = time.perf_counter()
        parsed, table = _parsed_table(job)
        timings["read_s"] = time.perf_counter() - t0
        _set_progress(job, 0.4)
        analyzer = ANALYZERS[job.kind]
        if parsed.kind not in analyzer.accepts:
            raise JobFailure(
                f"{job.data_file.original_name}: the file holds {parsed.kind} data, "
                f"not data for a {job.kind} analysis"
            )
        t1 = time.perf_counter()
        output = analyzer.analyze(table, job.parameters)
        timings["analyze_s"] = time.perf_counter() - t1
        _set_progress(job, 0.8)
        t2 = time.perf_counter()
        with transaction.atomic():
            locked = m.AnalysisJob.objects.select_for_update().get(pk=job.pk)
            if locked.status != m.AnalysisJob.Status.RUNNING or locked.claimed_by != job.claimed_by:
                return None  # the lease expired and another worker took over
            analyzer.store(job, output)
            timings["store_s"] = time.perf_counter() - t2
            m.AnalysisJob.objects.filter(pk=job.pk).update(
                status=m.AnalysisJob.Status.SUCCEEDED,
                progress=1.0,
                finished_at=timezone.now(),
                parsed_table=parsed,
                timings=timings,
                library_versions=library_versions(),
                lease_expires_at=None,
                input_sha256=[job.data_file.sha256, parsed.sha256],
                output_sha256=sha256_of(analyzer.to_json(output)),
            )
            audit(
                project=job.project,
                action="analysis.succeeded",
                user=None,
                target=job,
                details={"timings": timings},
            )
    except (ParseError, JobFailure, ValueError) as exc:
        _fail(job, str(exc), timings)
    except SoftTimeLimitExceeded:
        _fail(
            job, f"the analysis took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} s", timings
        )
    except Exception as exc:
        _fail(job, f"internal error ({type(exc).__name__}: {exc}); please report it", timings)
        raise
    job.refresh_from_db()
    return job


def _fail(job: m.AnalysisJob, message: str, timings: dict[str, float]) -> None:
    log.info("job %s failed: %s", job.pk, message)
    m.AnalysisJob.objects.filter(pk=job.pk, status=m.AnalysisJob.Status.RUNNING).update(
        status=m.AnalysisJob.Status.FAILED,
        error=message,
        finished_at=timezone.now(),
        timings=timings,
        library_versions=library_versions(),
        lease_expires_at=None,
    )
    _audit_finish(str(job.pk), "analysis.failed")


def _audit_finish(job_id: str, action: str) -> None:
    job = m.AnalysisJob.objects.get(pk=job_id)
    audit(project=job.project, action=action, user=None, target=job, details={"error": job.error})


def _parsed_table(job: m.AnalysisJob) -> tuple[m.ParsedTable, pd.DataFrame]:
    """The canonical table of the job's file: parsed now, or loaded if this parser version
    already parsed it. Raises ParseError naming the file, row and column."""
    data_file = job.data_file
    result = read_data_file(data_file)
    existing = m.ParsedTable.objects.filter(
        data_file=data_file, parser=result.parser, parser_version=result.parser_version
    ).first()
    if existing is not None:
        return existing, result.table
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "table.parquet"
        result.table.to_parquet(out, compression="zstd", index=False)
        blob = store_file(out, max_bytes=1 << 62)
    parsed, _ = m.ParsedTable.objects.get_or_create(
        data_file=data_file,
        parser=result.parser,
        parser_version=result.parser_version,
        defaults={
            "sha256": blob.sha256,
            "kind": result.kind,
            "format": result.format,
            "rows": len(result.table),
            "columns": [str(c) for c in result.table.columns],
            "warnings": list(result.warnings),
            "metadata": result.summary()["metadata"],
        },
    )
    return parsed, result.table


def read_data_file(data_file: m.DataFile) -> ReadResult:
    """Parse a stored file. The reader sees the file under its original name (a link into a
    temporary folder) so that messages name it and the extension can break detection ties."""
    with tempfile.TemporaryDirectory() as tmp:
        link = Path(tmp) / safe_name(data_file.original_name)
        link.symlink_to(blob_path(data_file.sha256))
        return read(link, format=data_file.format or None)


def load_parsed_table(parsed: m.ParsedTable) -> pd.DataFrame:
    return pd.read_parquet(blob_path(parsed.sha256))


def jobs_sweep(*, now: dt.datetime | None = None) -> list[str]:
    """Send again to the workers the jobs left queued too long or whose lease expired; returns
    their ids. Claiming is idempotent, so a job sent twice still runs once."""
    from labdb.tasks import run_analysis_job

    now = now or timezone.now()
    stale = m.AnalysisJob.objects.filter(
        Q(status=m.AnalysisJob.Status.QUEUED, queued_at__lt=now - REQUEUE_AFTER)
        | Q(status=m.AnalysisJob.Status.RUNNING, lease_expires_at__lt=now)
    ).values_list("pk", flat=True)
    ids = [str(pk) for pk in stale]
    for job_id in ids:
        run_analysis_job.delay(job_id)
    return ids


def job_rerun(*, job: m.AnalysisJob, parameters: dict[str, Any], user: Any) -> m.AnalysisJob:
    """Analyse the same file again with other parameters: a new job; old results stay."""
    from labdb.services.ingest import job_request

    merged = {**job.parameters, **parameters}
    return job_request(data_file=job.data_file, kind=job.kind, parameters=merged, user=user)
