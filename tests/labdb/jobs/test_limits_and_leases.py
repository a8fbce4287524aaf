"""A job's own limits and lease: over memory or time it fails on its first attempt with the
reason; while its worker lives it keeps its lease (no second attempt runs beside it); an
attempt that lost its lease stops at once and stores nothing."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import OperationalError

from labdb import models as m
from labdb.services.jobs import job_claim, job_run
from tests.labdb.jobs.conftest import bdf_csv, greedy, register, sleeping, with_runner

pytestmark = pytest.mark.django_db(transaction=True)


def test_job_over_its_memory_limit_fails_on_the_first_attempt_with_the_reason(
    run: m.TestRun, blobs: Any, held_in_queue: None, settings: Any, monkeypatch: Any
) -> None:
    settings.JOB_MAX_MEMORY_MB = 256
    with_runner(monkeypatch, greedy(2 * 1024**3))
    job = register(run, bdf_csv(1)).job
    done = job_run(str(job.pk), worker="w1")
    assert done is not None and done.status == "failed"
    assert done.attempts == 1
    assert "more memory than its limit of 256 MiB" in done.error
    assert not m.AnalysisResult.objects.filter(job=job).exists()
    # the worker process (this one) is fine and runs the next job normally
    settings.JOB_MAX_MEMORY_MB = 4096
    with_runner(monkeypatch, lambda runner: runner)
    other = register(run, bdf_csv(2), name="other.csv").job
    assert job_run(str(other.pk), worker="w1").status == "succeeded"


def test_job_over_its_time_limit_is_stopped_and_fails_on_the_first_attempt(
    run: m.TestRun, blobs: Any, held_in_queue: None, settings: Any, monkeypatch: Any
) -> None:
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 1
    with_runner(monkeypatch, sleeping(60))
    job = register(run, bdf_csv(1)).job
    t0 = time.monotonic()
    done = job_run(str(job.pk), worker="w1")
    elapsed = time.monotonic() - t0
    assert done is not None and done.status == "failed" and done.attempts == 1
    assert "longer than its limit" in done.error and "1 s" in done.error
    assert elapsed < 15, f"the job was stopped only after {elapsed:.1f} s"


def test_a_running_job_keeps_its_lease_past_the_first_lease_so_it_is_not_claimed_twice(
    run: m.TestRun, blobs: Any, held_in_queue: None, settings: Any, monkeypatch: Any
) -> None:
    # Renewed every 2 s; stopped after 4 s without renewal. Long enough that a machine busy
    # with a parallel test run does not starve the renewing thread for a whole lease.
    settings.JOB_LEASE_S = 8
    with_runner(monkeypatch, sleeping(20))
    job = register(run, bdf_csv(1)).job
    outcome: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: outcome.update(job=job_run(str(job.pk), worker="A")))
    worker.start()
    while not m.AnalysisJob.objects.filter(pk=job.pk, claimed_by="A").exists():
        time.sleep(0.05)  # A claims first; B's attempts start once A runs
    second_claims = []
    try:
        deadline = time.monotonic() + 17  # more than two leases of 8 s while A still works
        while time.monotonic() < deadline:
            second_claims.append(_claim_attempt(str(job.pk), worker="B"))
            time.sleep(0.25)
    finally:
        worker.join(timeout=60)
    assert all(c is None for c in second_claims), "a second attempt claimed a job still running"
    assert outcome["job"].status == "succeeded" and outcome["job"].attempts == 1
    assert outcome["job"].claimed_by == "A"


def _claim_attempt(job_id: str, worker: str) -> m.AnalysisJob | None:
    """``job_claim`` by another worker; an attempt refused by the test database's table lock
    claims nothing. (The tests' SQLite database is in memory with a shared cache, where a
    write meeting another thread's write fails at once with "database table is locked"
    instead of waiting as on the file database, WAL and busy timeout, that labdb runs on.)"""
    try:
        return job_claim(job_id, worker=worker)
    except OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return None


def test_an_attempt_that_lost_its_lease_stops_at_once_and_stores_nothing(
    run: m.TestRun, blobs: Any, held_in_queue: None, settings: Any, monkeypatch: Any
) -> None:
    settings.JOB_LEASE_S = 2
    with_runner(monkeypatch, sleeping(30))
    job = register(run, bdf_csv(1)).job
    outcome: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: outcome.update(job=job_run(str(job.pk), worker="A")))
    t0 = time.monotonic()
    worker.start()
    while not m.AnalysisJob.objects.filter(pk=job.pk, claimed_by="A").exists():
        time.sleep(0.05)
    # as if A's lease had ended and attempt B claimed the job
    m.AnalysisJob.objects.filter(pk=job.pk).update(claimed_by="B")
    worker.join(timeout=60)
    assert outcome["job"] is None
    # the job would sleep 30 s; the renewal every 0.5 s finds the lease gone at once (20 s of
    # slack for a loaded machine's fork and database round trips, still far below 30 s)
    assert time.monotonic() - t0 < 20, "the attempt went on after losing its lease"
    job.refresh_from_db()
    assert job.status == "running" and job.claimed_by == "B"
    assert not m.AnalysisResult.objects.filter(job=job).exists()
