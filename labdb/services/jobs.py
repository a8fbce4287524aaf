"""The analysis job's whole lifecycle: request, claim, run, sweep, re-run.

``job_request`` finds or creates the job for (file, kind, code version, parameters) and sends
it to the workers once the transaction commits; ``job_run`` claims it, parses the file, runs
the kind's pipeline (:mod:`analysis.pipelines`) with a progress callback, and stores the result
(:mod:`labdb.services.results`); ``jobs_sweep`` re-sends lost jobs; ``job_rerun`` asks for the
same analysis with other parameters.

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
import time
from typing import Any

from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from analysis import pipelines
from analysis.readers import ParseError
from labdb import models as m
from labdb.provenance import analysis_version, code_commit, library_versions, sha256_of
from labdb.services.audit import audit
from labdb.services.parsing import parsed_table_store, read_data_file
from labdb.services.results import output_store, result_store

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


class ProgressReporter:
    """The pipeline's ``progress`` callback for a job: writes the fraction done to the job row
    (read by the /jobs/ page), at most every ``interval_s`` seconds and only when it moved by
    at least 1 %. The job's own stages map into ``[start, end]`` of the whole."""

    def __init__(
        self, job: m.AnalysisJob, start: float = 0.0, end: float = 1.0, interval_s: float = 0.5
    ) -> None:
        self.job_pk = job.pk
        self.start, self.end, self.interval_s = start, end, interval_s
        self._last_value = -1.0
        self._last_time = 0.0

    def __call__(self, fraction: float) -> None:
        value = self.start + (self.end - self.start) * min(1.0, max(0.0, fraction))
        now = time.monotonic()
        too_soon = value - self._last_value < 0.01 or now - self._last_time < self.interval_s
        if too_soon and fraction < 1.0:
            return
        self._last_value, self._last_time = value, now
        m.AnalysisJob.objects.filter(pk=self.job_pk, status=m.AnalysisJob.Status.RUNNING).update(
            progress=value
        )


def job_run(job_id: str, *, worker: str | None = None) -> m.AnalysisJob | None:
    """Run one job to its end (succeeded or failed) and return it. Safe to call twice: a second
    call finds nothing to claim and returns None."""
    job = job_claim(job_id, worker=worker or worker_name())
    if job is None:
        return None
    timings: dict[str, float] = {}
    try:
        pipeline = pipelines.get(job.kind)
        params = pipeline.validate(job.parameters)
        t0 = time.perf_counter()
        source = read_data_file(job.data_file)
        if source.kind not in pipeline.accepts:
            raise JobFailure(
                f"{job.data_file.original_name}: the file holds {source.kind} data, "
                f"not data for a {job.kind} analysis"
            )
        parsed = parsed_table_store(job.data_file, source)
        timings["read_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        output = pipeline.run(source.table, params, ProgressReporter(job, 0.3, 0.9))
        timings["analyze_s"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        stored = output_store(output)
        with transaction.atomic():
            locked = m.AnalysisJob.objects.select_for_update().get(pk=job.pk)
            if locked.status != m.AnalysisJob.Status.RUNNING or locked.claimed_by != job.claimed_by:
                return None  # the lease expired and another worker took over
            result_store(job, stored)
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
                output_sha256=stored.sha256,
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


def jobs_sweep(*, now: dt.datetime | None = None) -> list[str]:
    """Send again to the workers the jobs left queued too long or whose lease expired; returns
    their ids. Claiming is idempotent, so a job sent twice still runs once."""
    now = now or timezone.now()
    stale = m.AnalysisJob.objects.filter(
        Q(status=m.AnalysisJob.Status.QUEUED, queued_at__lt=now - REQUEUE_AFTER)
        | Q(status=m.AnalysisJob.Status.RUNNING, lease_expires_at__lt=now)
    ).values_list("pk", flat=True)
    ids = [str(pk) for pk in stale]
    for job_id in ids:
        _enqueue(job_id)
    return ids


def job_rerun(
    *, job: m.AnalysisJob, parameters: dict[str, Any], user: Any
) -> tuple[m.AnalysisJob, bool]:
    """Analyse the same file again with other parameters: ``(job, created)``, a new job unless
    the same analysis was already asked for; old results stay."""
    merged = {**job.parameters, **parameters}
    return job_request(data_file=job.data_file, kind=job.kind, parameters=merged, user=user)


def validated_parameters(kind: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """``parameters`` checked by the ``kind`` pipeline, in its flat JSON form (defaults
    filled in); ``ValidationError`` naming the parameter otherwise."""
    try:
        pipeline = pipelines.get(kind)
    except ValueError as exc:
        raise ValidationError({"kind": str(exc)}) from exc
    try:
        return pipeline.validate(parameters).to_dict()
    except pipelines.ParameterError as exc:
        raise ValidationError({"parameters": f"{kind} analysis: {exc}"}) from exc


def job_request(
    *, data_file: m.DataFile, kind: str, parameters: dict[str, Any], user: Any
) -> tuple[m.AnalysisJob, bool]:
    """The job analysing ``data_file`` as ``kind`` with ``parameters``: ``(job, created)``, the
    existing one for the same file, kind, code version and parameters, else a new queued job
    (sent to a worker once the transaction commits). Raises ``ValidationError`` for an unknown
    kind or parameters the pipeline refuses."""
    parameters = validated_parameters(kind, parameters)
    key = {
        "data_file": data_file,
        "kind": kind,
        "analysis_version": analysis_version(),
        "parameters_sha256": sha256_of(parameters),
    }
    job = m.AnalysisJob.objects.filter(**key).first()
    if job is not None:
        return job, False
    with transaction.atomic():
        job = m.AnalysisJob.objects.create(
            project=data_file.project,
            parameters=parameters,
            code_commit=code_commit(),
            requested_by=user if getattr(user, "is_authenticated", False) else None,
            **key,
        )
        audit(
            project=data_file.project,
            action="analysis.queued",
            user=user,
            target=job,
            details={"kind": kind, "parameters": parameters, "file": data_file.sha256},
        )
        job_id = str(job.pk)
        transaction.on_commit(lambda: _enqueue(job_id))
    return job, True


#: the Celery task that runs a job, by its registered name (labdb.tasks)
RUN_TASK = "labdb.run_analysis_job"


def _enqueue(job_id: str) -> None:
    """Send the job to the workers. A broker that cannot be reached does not fail the request
    that queued the job: the job stays queued in the database and the sweep sends it again."""
    try:
        current_app.tasks[RUN_TASK].delay(job_id)
    except (BrokerError, ConnectionError):
        log.exception("could not send job %s to the workers; the sweep will retry", job_id)
