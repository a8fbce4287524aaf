"""One attempt's hold on a job: the claim (a conditional UPDATE only one process wins, under a
claim token of its own), the lease it renews while its child works, and the progress it writes
for the /jobs/ page. Part of the job lifecycle of :mod:`labdb.services.jobs`, which re-exports
these names."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import uuid
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.db.models import F, Q
from django.utils import timezone

from labdb import models as m
from labdb.services.audit import audit

log = logging.getLogger("labdb.services.jobs")

#: starts of one job (worker deaths and transient failures) before it ends failed
MAX_ATTEMPTS = 6


def lease_duration() -> dt.timedelta:
    return dt.timedelta(seconds=settings.JOB_LEASE_S)


def worker_name() -> str:
    """A claim token unique to this attempt: host, process and a random part (several pool
    processes of one host never share a claim)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def job_claim(job_id: str, *, worker: str) -> m.AnalysisJob | None:
    """Claim a queued job (or one whose lease expired) for ``worker``; None if another process
    got there first or the job is finished."""
    now = timezone.now()
    stale = Q(status=m.AnalysisJob.Status.RUNNING, lease_expires_at__lt=now)
    exhausted = m.AnalysisJob.objects.filter(pk=job_id, attempts__gte=MAX_ATTEMPTS).filter(
        Q(status=m.AnalysisJob.Status.QUEUED) | stale
    )
    previous = exhausted.values_list("error", flat=True).first()
    if previous is not None and exhausted.update(
        status=m.AnalysisJob.Status.FAILED,
        finished_at=now,
        lease_expires_at=None,
        error=(
            f"the job was started {MAX_ATTEMPTS} times without finishing (its worker was "
            "killed or lost, or a transient failure kept coming back); giving up"
            + (f"; last: {previous}" if previous else "")
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
    if job.claimed_by != worker:
        # the lease ended and another attempt claimed the job between the two statements:
        # this attempt must not go on under the other's name
        return None
    audit(
        project=job.project,
        action="analysis.started",
        user=None,
        target=job,
        details={"worker": worker, "attempt": job.attempts},
    )
    return job


def _mine(job: m.AnalysisJob) -> Any:
    return m.AnalysisJob.objects.filter(
        pk=job.pk, status=m.AnalysisJob.Status.RUNNING, claimed_by=job.claimed_by
    )


def job_lease_renew(job: m.AnalysisJob) -> bool:
    """Extend this attempt's lease; False when the job is no longer this attempt's."""
    return bool(_mine(job).update(lease_expires_at=timezone.now() + lease_duration()))


class ProgressReporter:
    """The pipeline's ``progress`` callback for a job: writes the fraction done to the job row
    (read by the /jobs/ page), at most every ``interval_s`` seconds and only when it moved by
    at least 1 %. The job's own stages map into ``[start, end]`` of the whole."""

    def __init__(
        self, job: m.AnalysisJob, start: float = 0.0, end: float = 1.0, interval_s: float = 0.5
    ) -> None:
        self.job = job
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
        try:
            _mine(self.job).update(progress=value)
        except DatabaseError as exc:  # progress is best effort; the lease decides
            log.warning("job %s: could not record progress: %s", self.job.pk, exc)


def _audit_finish(job_id: str, action: str) -> None:
    job = m.AnalysisJob.objects.get(pk=job_id)
    audit(project=job.project, action=action, user=None, target=job, details={"error": job.error})
