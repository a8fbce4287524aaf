"""Celery tasks: thin interfaces that load by id and call a service.

Tasks are named explicitly so that a renamed module never strands queued messages.
"""

from __future__ import annotations

import socket
from typing import Any

from celery import shared_task

from labdb.selectors.catalog import project_counts
from labdb.services.alerts import alerts_sweep as _alerts_sweep
from labdb.services.alerts import delivery_attempt, delivery_send
from labdb.services.integrity import storage_verify
from labdb.services.jobs import job_run, jobs_sweep
from labdb.services.tokens import auth_failures_prune


@shared_task(name="labdb.run_analysis_job", ignore_result=True)
def run_analysis_job(job_id: str) -> str | None:
    """Run an analysis job; returns its status (None if another worker had it). The job's
    state is in the database, so sending it needs no result backend (``ignore_result``)."""
    job = job_run(job_id)
    return job.status if job is not None else None


@shared_task(name="labdb.export_run", ignore_result=True)
def export_run(export_id: str) -> str | None:
    """Build an export (data package, report PDF, RO-Crate) on the ``exports`` queue; returns
    its status (None if another worker had it). Its state is in the database."""
    from labdb.services.exports import export_run as run

    job = run(export_id)
    return job.status if job is not None else None


@shared_task(name="labdb.sweep_jobs")
def sweep_jobs() -> list[str]:
    """Re-queue jobs and exports left queued or whose lease expired, and forget passed windows
    of failed API authentication (scheduled by beat)."""
    from labdb.services.exports import exports_sweep

    requeued = jobs_sweep()
    requeued += exports_sweep()
    auth_failures_prune()
    return requeued


@shared_task(name="labdb.verify_storage")
def verify_storage() -> dict[str, Any]:
    """Re-hash the blob store (scheduled daily by beat); failures show as an alert in the app."""
    check = storage_verify()
    return {"checked": check.checked, "problems": len(check.problems)}


@shared_task(name="labdb.sweep_staging")
def sweep_staging() -> int:
    """Remove temporary files a killed process left on this worker's host (scheduled by beat;
    every process that stages files also sweeps now and then, labdb.staging)."""
    from labdb.staging import sweep_staging as sweep

    return len(sweep())


@shared_task(name="labdb.catalog_summary")
def catalog_summary(project_id: str) -> dict[str, Any]:
    """Count a project's catalog records, from whichever worker runs it (a health check that
    proves the worker reaches the same database as the web app)."""
    return {"worker": socket.gethostname(), "counts": project_counts(project_id)}


@shared_task(name="labdb.deliver_alert", ignore_result=True)
def deliver_alert(delivery_id: str) -> None:
    """One attempt at an alert's e-mail or webhook; a failure is sent again after its backoff
    (the delivery's state is in the database; the sweep re-sends what a lost message missed)."""
    wait = delivery_attempt(delivery_id)
    if wait is not None:
        delivery_send(delivery_id, countdown=wait)


@shared_task(name="labdb.alerts_sweep")
def alerts_sweep() -> dict[str, int]:
    """Raise "no new data" alerts, evaluate recent results again, re-send due deliveries
    (scheduled by beat)."""
    return _alerts_sweep()
