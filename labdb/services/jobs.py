"""The analysis job's whole lifecycle: request, claim, run, sweep, re-run.

``job_request`` finds or creates the job for (file, kind, code version, parameters) and sends
it to the workers once the transaction commits; ``job_run`` claims it, runs the heavy part
(read and verify the file, parse, the kind's pipeline of :mod:`analysis.pipelines`, the
result's blobs) in a watched child process (:mod:`labdb.services.execution`) and stores the
result (:mod:`labdb.services.results`); ``jobs_sweep`` re-sends lost jobs; ``job_rerun`` asks
for the same analysis with other parameters.

State lives in the database. A worker claims a job with a conditional UPDATE (only one process
wins) under a claim token of its own, and holds a short lease (``LABDB_JOB_LEASE_S``) that it
renews while the child works; it stops the child at the job's time limit, and as soon as it
could not renew the lease for half of it, so no attempt ever runs past its lease and a job
never runs twice at once. The results and the job's success are written in one transaction
that checks the claim token, so a failed or stopped attempt leaves no half-written rows.

A job that fails for a reason of its own (a bad file, a damaged stored file, over its memory
or time limit) ends failed at once with the reason. A transient failure (disk full, a
read-only store, the database or broker away) puts it back in the queue with a growing delay
(``retry_delay``); after ``MAX_ATTEMPTS`` starts it ends failed with the last reason.

Sending and the sweep that sends again what was lost are in :mod:`labdb.services.job_queue`.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import time
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from analysis import pipelines
from analysis.readers import ParseError
from labdb import models as m
from labdb.provenance import library_versions
from labdb.services.audit import audit
from labdb.services.conformance import ProtocolCheck
from labdb.services.execution import Outcome, out_of_memory, run_supervised
from labdb.services.follow_on import cycling_source, follow_on_jobs_request
from labdb.services.growing import (
    newer_version_job,
    previous_memo,
    previous_outputs,
)
from labdb.services.insitu import dc_source, linked_eis_requests
from labdb.services.job_claims import (
    MAX_ATTEMPTS,
    ProgressReporter,
    _audit_finish,
    _mine,
    job_claim,
    job_lease_renew,
    lease_duration,
    worker_name,
)
from labdb.services.job_queue import jobs_sweep
from labdb.services.job_requests import (  # noqa: F401 (the service's API, used from here)
    cell_parameters,
    job_request,
    job_rerun,
    validated_parameters,
)
from labdb.services.job_work import AnalysisWork, OtherKinds
from labdb.services.parsing import (
    parsed_table_record,
    previous_table,
)
from labdb.services.results import StoredOutput, result_store
from labdb.storage import BlobCorrupt
from labdb.text import a

__all__ = [
    "MAX_ATTEMPTS",
    "ProgressReporter",
    "job_claim",
    "job_lease_renew",
    "jobs_sweep",
    "lease_duration",
    "worker_name",
]

log = logging.getLogger(__name__)

#: the first wait before a transient failure is retried; it doubles per attempt, to at most
RETRY_BASE = dt.timedelta(seconds=60)
RETRY_MAX = dt.timedelta(minutes=30)
#: OS errors that end when the disk or mount is fixed: the job is retried, not failed
TRANSIENT_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EAGAIN, errno.EMFILE}
)


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait before a job that failed transiently on its ``attempts``-th start runs again."""
    return min(RETRY_MAX, RETRY_BASE * 2 ** max(0, attempts - 1))


class JobFailure(Exception):
    """An expected failure with a message for the user (bad file, wrong kind of data)."""


def _classify(exc: BaseException) -> tuple[str, str]:
    """A failure in the child: ``failed`` (the job's own: the message is for the user) or
    ``transient`` (the machine's: retried later)."""
    if out_of_memory(exc):
        return "failed", (
            f"the analysis needed more memory than its limit of {settings.JOB_MAX_MEMORY_MB} "
            "MiB (LABDB_JOB_MAX_MEMORY_MB)"
        )
    if isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS:
        return "transient", f"{os.strerror(exc.errno or 0)} ({exc.filename or 'file store'})"
    if isinstance(exc, (ParseError, JobFailure, BlobCorrupt, ValueError)):
        return "failed", str(exc)
    return "failed", f"internal error ({type(exc).__name__}: {exc}); please report it"


def _analyse(job: m.AnalysisJob, known_tables: dict[tuple[str, str, str], str]) -> AnalysisWork:
    """The child's work for ``job`` (:class:`labdb.services.job_work.AnalysisWork`), with what
    it needs from the database looked up here, in the worker."""
    pipeline = pipelines.get(job.kind)
    params = pipeline.validate(job.parameters)
    memo = previous_memo(job)
    return AnalysisWork(
        job=job,
        known_tables=known_tables,
        pipeline=pipeline,
        params=params,
        previous=previous_table(job.data_file, pipeline.accepts),
        dc=dc_source(job, getattr(params, "dc_table", None)),
        memo=memo,
        earlier_outputs=previous_outputs(job, memo),
        reused=cycling_source(job),
        protocol_check=ProtocolCheck.of(job.data_file.test_run),
    )


def job_run(job_id: str, *, worker: str | None = None) -> m.AnalysisJob | None:
    """Run one job to its end (succeeded, failed, or back in the queue after a transient
    failure) and return it. Safe to call twice: a second call finds nothing to claim and
    returns None; so does an attempt that lost its lease."""
    job = job_claim(job_id, worker=worker or worker_name())
    if job is None:
        return None
    newer = newer_version_job(job)
    if newer is not None:
        return _supersede(job, newer)
    try:
        work = _analyse(
            job,
            {
                (t.parser, t.parser_version, t.kind): t.sha256
                for t in m.ParsedTable.objects.filter(data_file=job.data_file)
            },
        )
    except (ValueError, pipelines.ParameterError) as exc:
        _fail(job, str(exc), {})
        return _reloaded(job)
    lease_s = float(settings.JOB_LEASE_S)
    try:
        outcome = run_supervised(
            work,
            classify=_classify,  # type: ignore[arg-type]
            time_limit_s=float(settings.CELERY_TASK_SOFT_TIME_LIMIT),
            memory_mb=settings.JOB_MAX_MEMORY_MB,
            heartbeat=lambda: job_lease_renew(job),
            heartbeat_every_s=lease_s / 4,
            give_up_after_s=lease_s / 2,
            on_progress=ProgressReporter(job),
            child_jobs=settings.JOB_CHILD_JOBS,
            child_keep_mb=settings.JOB_CHILD_KEEP_MB,
        )
    except SoftTimeLimitExceeded:
        outcome = Outcome(
            "timeout", f"over the time limit of {settings.CELERY_TASK_SOFT_TIME_LIMIT} s"
        )
    return _finish(job, outcome)


def _supersede(job: m.AnalysisJob, newer: m.AnalysisJob) -> m.AnalysisJob | None:
    """End ``job`` (claimed by this attempt) as superseded by ``newer``, and run ``newer`` now
    when it is still queued ("skip to the newest version", once: it is the newest)."""
    message = (
        f"not run: version {newer.data_file.version} of this file (job {newer.pk}) holds the "
        "same data and more, and is analysed instead"
    )
    if not _mine(job).update(
        status=m.AnalysisJob.Status.SUPERSEDED,
        error=message,
        finished_at=timezone.now(),
        lease_expires_at=None,
        progress=0.0,
    ):
        return None
    audit(
        project=job.project,
        action="analysis.superseded",
        user=None,
        target=job,
        details={"by_job": str(newer.pk), "version": newer.data_file.version},
    )
    if newer.status == m.AnalysisJob.Status.QUEUED:
        job_run(str(newer.pk))
    return _reloaded(job)


def _finish(job: m.AnalysisJob, outcome: Outcome) -> m.AnalysisJob | None:
    if outcome.status == "lost":
        log.warning("job %s: attempt %s stopped: %s", job.pk, job.claimed_by, outcome.message)
        return None
    if outcome.status == "timeout":
        _fail(
            job, f"the analysis took longer than its limit and was stopped ({outcome.message})", {}
        )
    elif outcome.status == "killed":
        _fail(job, f"{outcome.message} (out of memory?)", {})
    elif outcome.status == "failed":
        _fail(job, outcome.message, {})
    elif outcome.status == "transient":
        _retry_later(job, outcome.message)
    elif isinstance(outcome.value, OtherKinds):
        kinds = outcome.value.kinds
        _fail(
            job,
            f"{job.data_file.original_name}: the file holds {' and '.join(kinds)} data, not data "
            f"for {a(job.kind)} analysis",
            {},
        )
        with transaction.atomic():  # a file of another kind in the run gets its own analysis
            _request_companion_jobs(job, list(kinds))
    else:
        try:
            if not _store(job, *outcome.value):
                return None  # the lease ended and another attempt took over
        except (DatabaseError, OSError) as exc:
            if isinstance(exc, OSError) and exc.errno not in TRANSIENT_ERRNOS:
                raise
            _retry_later(job, f"{type(exc).__name__}: {exc}")
    return _reloaded(job)


def _store(
    job: m.AnalysisJob,
    parsed: dict[str, Any],
    stored: StoredOutput,
    timings: dict[str, float],
    incremental: dict[str, Any],
) -> bool:
    t2 = time.perf_counter()
    with transaction.atomic():
        locked = m.AnalysisJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != m.AnalysisJob.Status.RUNNING or locked.claimed_by != job.claimed_by:
            return False
        table = parsed_table_record(job.data_file, parsed)
        result_store(job, stored)
        timings["store_s"] = timings.pop("store_blobs_s", 0.0) + time.perf_counter() - t2
        copied = {}
        if stored.json_rows_from:  # the JSON rows whose text came from the earlier result's
            timings["json_rows_copied"] = float(stored.json_rows_copied)
            copied = {"json_rows_from": stored.json_rows_from}
        m.AnalysisJob.objects.filter(pk=job.pk).update(
            status=m.AnalysisJob.Status.SUCCEEDED,
            progress=1.0,
            finished_at=timezone.now(),
            parsed_table=table,
            timings=timings,
            library_versions=library_versions(),
            lease_expires_at=None,
            input_sha256=[job.data_file.sha256, table.sha256]
            + ([job.parameters["dc_table"]] if job.parameters.get("dc_table") else [])
            + [incremental[k] for k in INPUT_BLOBS if k in incremental]
            + list(incremental.get("reused_sha256", [])),
            output_sha256=stored.sha256,
        )
        # a version read whole instead of from the earlier version's table: why (docs/live.md)
        read_whole = {}
        if parsed["metadata"].get("read_whole") and "cycling_job" not in incremental:
            read_whole = {"read_whole": parsed["metadata"]["read_whole"]}
            log.info(
                "job %s: %s (version %s) read whole, not from the earlier version's table: %s",
                job.pk,
                job.data_file.original_name,
                job.data_file.version,
                read_whole["read_whole"],
            )
        audit(
            project=job.project,
            action="analysis.succeeded",
            user=None,
            target=job,
            details={"timings": timings, **incremental, **read_whole, **copied},
        )
        _request_companion_jobs(job, parsed["metadata"].get("other_tables") or [])
        linked_eis_requests(job, table, job_request=job_request, cell_parameters=cell_parameters)
        follow_on_jobs_request(job, stored.data, job_request=job_request)  # its dQ/dV
    return True


#: the blobs besides the file and its table that an analysis read, named in its provenance
#: (an earlier version's memo; a dQ/dV job's cycling curves), recorded in ``input_sha256``
#: (with ``reused_sha256``: the earlier dQ/dV outputs whose rows a dQ/dV job kept)
INPUT_BLOBS = ("memo_sha256", "profiles_sha256", "half_cycles_sha256")


#: the analysis each kind of table gets when it comes as another table of a mixed file
COMPANION_ANALYSIS = {"cycling": "cycling", "eis": "eis"}


def _request_companion_jobs(job: m.AnalysisJob, kinds: list[str]) -> None:
    """The other tables of a mixed file get their own analysis (a file giving cycling and
    spectra gets a cycling job and an EIS job, each naming the file and its table), asked for
    once: nothing is requested when the file already has a job of that kind (idempotent; a
    parameter choice of the user's is never doubled by an automatic one)."""
    for table_kind in kinds:
        kind = COMPANION_ANALYSIS.get(table_kind)
        if kind is None or job.data_file.jobs.filter(kind=kind).exists():
            continue
        params = cell_parameters(job.data_file.test_run, kind)
        try:
            job_request(data_file=job.data_file, kind=kind, parameters=params, user=None)
        except ValidationError as exc:
            audit(
                project=job.project,
                action="analysis.refused",
                user=None,
                target=job.data_file,
                details={"reason": "; ".join(exc.messages), "kind": kind, "mixed_file": True},
            )


def _reloaded(job: m.AnalysisJob) -> m.AnalysisJob:
    job.refresh_from_db()
    return job


def _retry_later(job: m.AnalysisJob, message: str) -> None:
    """Back to the queue, due after :func:`retry_delay`; the sweep sends it then."""
    delay = retry_delay(job.attempts)
    log.warning("job %s: transient failure, retried in %s: %s", job.pk, delay, message)
    try:
        _mine(job).update(
            status=m.AnalysisJob.Status.QUEUED,
            error=f"waiting to retry after a transient failure: {message}",
            lease_expires_at=timezone.now() + delay,
            progress=0.0,
        )
    except DatabaseError:
        log.exception("job %s: could not queue it again; its lease will end", job.pk)


def _fail(job: m.AnalysisJob, message: str, timings: dict[str, float]) -> None:
    log.info("job %s failed: %s", job.pk, message)
    if _mine(job).update(
        status=m.AnalysisJob.Status.FAILED,
        error=message,
        finished_at=timezone.now(),
        timings=timings,
        library_versions=library_versions(),
        lease_expires_at=None,
    ):
        _audit_finish(str(job.pk), "analysis.failed")
