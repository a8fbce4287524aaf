"""Transient failures are retried, the sweep sends only jobs whose message can no longer be
waiting, concurrent identical requests give one job, and an unreachable broker costs an
upload nothing but a late start."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from labdb import models as m
from labdb.services import job_queue
from labdb.services.job_queue import queue_for_kind
from labdb.services.jobs import job_rerun, job_run, jobs_sweep, retry_delay
from tests.labdb.jobs.conftest import bdf_csv, register
from tests.labdb.jobs.small_disk import small_disk

pytestmark = pytest.mark.django_db(transaction=True)


def test_disk_full_during_a_job_is_retried_later_and_then_succeeds(
    run: m.TestRun, settings: Any, tmp_path: Any, held_in_queue: None, monkeypatch: Any
) -> None:
    with small_disk(tmp_path / "store", 512) as disk:
        settings.BLOB_DIR = disk.path / "blobs"
        job = register(run, bdf_csv(3)).job
        filler = disk.fill()
        t0 = timezone.now()
        assert job_run(str(job.pk), worker="w1").status == "queued"
        job.refresh_from_db()
        assert "waiting to retry" in job.error and "No space left on device" in job.error
        assert job.attempts == 1 and job.lease_expires_at >= t0 + retry_delay(1)
        assert not m.AnalysisResult.objects.filter(job=job).exists()
        # not sent again before the delay; sent once it has passed (space is back by then)
        assert jobs_sweep(now=t0 + retry_delay(1) / 2) == []
        filler.unlink()
        assert jobs_sweep(now=timezone.now() + retry_delay(1)) == [str(job.pk)]
        job.refresh_from_db()
        assert job.status == "succeeded" and job.attempts == 2, job.error
        assert job.result.cycle_count == 3


#: These tests point the app at a broker of their own; in the PostgreSQL + Redis run the app
#: already holds pooled connections to the configured broker, which the swap does not reach.
#: There the same behaviour is proven against real outages by tests/chaos (Redis frozen and
#: down during uploads; the sweep sending lost jobs).
OWN_BROKER = pytest.mark.skipif(
    bool(os.environ.get("CELERY_BROKER_URL")),
    reason="swaps the app's broker; with CELERY_BROKER_URL set, tests/chaos covers it",
)


@OWN_BROKER
def test_broker_unreachable_upload_succeeds_and_the_next_sweep_sends_the_job(
    run: m.TestRun, blobs: Any, client_demo: Any, settings: Any
) -> None:
    from labdb.celery import app

    app.conf.task_always_eager = False
    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"  # the discard port: nothing listens
    app._after_fork()  # forget pooled connections to the old URL
    try:
        t0 = time.monotonic()
        job = register(run, bdf_csv(2)).job
        elapsed = time.monotonic() - t0
    finally:
        app.conf.broker_url = previous
        app.conf.task_always_eager = True
        app._after_fork()
    assert elapsed < 5, f"registering took {elapsed:.1f} s with the broker down"
    job.refresh_from_db()
    assert job.status == "queued" and job.lease_expires_at is None  # not sent
    # the broker is back: the next sweep (every minute) sends it, not ten minutes later
    assert jobs_sweep(now=timezone.now() + job_queue.UNSENT_GRACE) == [str(job.pk)]
    job.refresh_from_db()
    assert job.status == "succeeded"


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="concurrent writers need PostgreSQL"
)
def test_identical_concurrent_reruns_give_one_job_and_one_created_flag(
    run: m.TestRun, blobs: Any, held_in_queue: None
) -> None:
    base = register(run, bdf_csv(1)).job
    start = threading.Barrier(12)
    answers: list[Any] = []

    def rerun() -> None:
        try:
            start.wait()
            answers.append(job_rerun(job=base, parameters={"average_ce_first_cycle": 3}, user=None))
        except Exception as exc:
            answers.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=rerun) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = [a for a in answers if isinstance(a, Exception)]
    assert not errors, errors
    assert len({job.pk for job, _ in answers}) == 1
    assert sum(created for _, created in answers) == 1
    assert m.AnalysisJob.objects.filter(data_file=base.data_file).count() == 2


def _redis_up(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


REDIS_DB = "redis://127.0.0.1:6379/13"  # a database number of the shared Redis of its own


@OWN_BROKER
@pytest.mark.skipif(not _redis_up(REDIS_DB), reason="no Redis on 127.0.0.1:6379")
def test_the_sweep_sends_again_exactly_the_jobs_whose_message_is_not_waiting(
    run: m.TestRun, blobs: Any, tmp_path: Path
) -> None:
    import redis

    from labdb.celery import app
    from tests.labdb.web.conftest import make_run, peis_bytes

    client = redis.Redis.from_url(REDIS_DB)
    client.flushdb()
    app.conf.task_always_eager = False
    previous = app.conf.broker_url
    app.conf.broker_url = REDIS_DB
    app._after_fork()
    try:
        jobs = [register(run, bdf_csv(1, ce=0.9 + i / 100), name=f"{i}.csv").job for i in range(5)]
        eis_run = make_run(run.project, None, "EIS-sweep", "MgAgSn-E-HC1", "EIS-POST")
        eis = register(eis_run, peis_bytes("MgAgSn-Elastane", 5, tmp_path), name="e.mpt").job
        # each job's message waits in the queue of its kind (no worker)
        assert (eis.kind, queue_for_kind("cycling"), queue_for_kind("eis")) == (
            "eis",
            "ingest",
            "fitting",
        )
        assert client.llen("ingest") == 5 and client.llen("fitting") == 1
        t0 = timezone.now()
        for minute in range(1, 121):  # two hours of sweeps: nothing is sent again
            assert jobs_sweep(now=t0 + dt.timedelta(minutes=minute)) == []
        assert client.llen("ingest") == 5 and client.llen("fitting") == 1
        # a worker took one message and died before claiming its job; the broker restarted
        # without the others: every job is sent again once, to its queue, at the next sweep
        client.rpop("ingest")  # what a worker takes: the oldest
        assert jobs_sweep(now=t0 + dt.timedelta(minutes=121)) == [str(jobs[0].pk)]
        client.flushdb()
        sent = jobs_sweep(now=t0 + dt.timedelta(minutes=122))
        assert sorted(sent) == sorted(str(j.pk) for j in [*jobs, eis])
        assert client.llen("ingest") == 5 and client.llen("fitting") == 1
        assert jobs_sweep(now=t0 + dt.timedelta(minutes=123)) == []
    finally:
        client.flushdb()
        app.conf.broker_url = previous
        app.conf.task_always_eager = True
        app._after_fork()
