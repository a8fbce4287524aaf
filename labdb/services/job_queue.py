"""Sending jobs to the workers, and the sweep that sends again what was lost.

The broker is not trusted to hold a job: the job's state is in the database. A queued job's
``lease_expires_at`` is the time by which its message must have been taken by a worker or be
visible in the broker's queue (``UNSENT_GRACE`` after sending; empty: not sent, e.g. the broker
was down; for a job waiting to be retried, when it is due).

The sweep (beat, every minute) hands back the running jobs whose lease ended (their attempt
stopped itself before that) and sends the queued jobs for which no message is waiting: past
that time and not in the broker's queue (read from Redis: the job ids of the waiting messages).
A message taken by a worker that died before claiming the job is not waiting, so the job is
sent again at once, without waiting for Redis' visibility timeout; a job behind a long queue is
not sent twice. Where the queue cannot be read (another broker), a job is sent again
``REQUEUE_AFTER`` past that time. At most ``SWEEP_MAX_SENDS`` per sweep, oldest first.

A job goes to the queue of its kind (``settings.LABDB_JOB_QUEUES``: "ingest" for parsing and
the per-cycle analyses, "fitting" for EIS); the sweep reads every queue a job can wait in.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging

from celery import current_app
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from labdb import models as m

log = logging.getLogger(__name__)

#: where the broker's queue cannot be read, a sent job is sent again this long after it was due
REQUEUE_AFTER = dt.timedelta(minutes=10)
#: a sent message is taken by a worker or visible in the queue within this
UNSENT_GRACE = dt.timedelta(seconds=20)
#: at most this many jobs are sent per sweep, oldest first
SWEEP_MAX_SENDS = 500
#: at most this many waiting messages are read from the queue per sweep
QUEUE_READ_MAX = 100_000
#: the Celery task that runs a job, by its registered name (labdb.tasks)
RUN_TASK = "labdb.run_analysis_job"


def jobs_sweep(*, now: dt.datetime | None = None) -> list[str]:
    """Hand back the jobs whose lease ended (their attempt stopped: it stops itself before its
    lease ends) and send the queued jobs for which no message can still be waiting; returns
    the ids sent. Claiming is idempotent, so a job sent twice still runs once."""
    now = now or timezone.now()
    Status = m.AnalysisJob.Status
    # the ended lease stays as the (passed) delivery deadline: sent below
    m.AnalysisJob.objects.filter(status=Status.RUNNING, lease_expires_at__lt=now).update(
        status=Status.QUEUED
    )
    waiting = _waiting_job_ids()
    overdue = Q(lease_expires_at__isnull=True, queued_at__lt=now - UNSENT_GRACE)
    if waiting is None:
        overdue |= Q(lease_expires_at__lt=now - REQUEUE_AFTER)
    else:
        overdue |= Q(lease_expires_at__lt=now)
    due = m.AnalysisJob.objects.filter(Q(status=Status.QUEUED) & overdue).order_by("queued_at")
    candidates = due.values_list("pk", flat=True)[: SWEEP_MAX_SENDS + len(waiting or ())]
    ids = [str(pk) for pk in candidates if str(pk) not in (waiting or ())][:SWEEP_MAX_SENDS]
    for job_id in ids:
        job_send(job_id, now=now)
    return ids


def job_send(job_id: str, *, now: dt.datetime | None = None) -> None:
    """Send the job to the workers and note by when its message must be taken or visible in
    the queue (``UNSENT_GRACE``). A broker that cannot be reached (bounded by the broker timeouts in settings) does not fail the request
    that queued the job: the job stays queued, marked as not sent, and the next sweep sends it."""
    now = now or timezone.now()
    queued = m.AnalysisJob.objects.filter(pk=job_id, status=m.AnalysisJob.Status.QUEUED)
    kind = queued.values_list("kind", flat=True).first()
    if kind is None:
        return  # finished or running meanwhile
    due = now + UNSENT_GRACE
    queued.update(lease_expires_at=due)  # before sending: an eager run finishes the job inside
    try:
        current_app.tasks[RUN_TASK].apply_async(
            (job_id,), ignore_result=True, queue=queue_for_kind(kind)
        )
    except Exception:  # any broker failure: the sweep sends it again
        log.warning("could not send job %s to the workers; the sweep will", job_id, exc_info=True)
        queued.filter(lease_expires_at=due).update(lease_expires_at=None)


def queue_for_kind(kind: str) -> str:
    """The Celery queue a job of ``kind`` is sent to (``settings.LABDB_JOB_QUEUES``)."""
    return str(settings.LABDB_JOB_QUEUES.get(kind, settings.LABDB_JOB_DEFAULT_QUEUE))


def job_queue_names() -> list[str]:
    """Every queue a job's message can wait in: the kinds' queues, and the default queue
    (where jobs sent before queues were split wait)."""
    names = {settings.LABDB_JOB_DEFAULT_QUEUE, *settings.LABDB_JOB_QUEUES.values()}
    return sorted(names | {current_app.conf.task_default_queue})


def _waiting_job_ids() -> set[str] | None:
    """The ids of the jobs whose message waits in the broker's queue; None when the queue
    cannot be read (a broker other than Redis, or unreachable). Tasks run in-process: none."""
    app = current_app
    if app.conf.task_always_eager:
        return set()
    try:
        with app.connection_for_read() as conn:
            channel = conn.default_channel
            client = getattr(channel, "client", None)
            if client is None or not hasattr(channel, "_q_for_pri"):
                return None
            ids: set[str] = set()
            for queue in job_queue_names():
                for priority in channel.priority_steps:
                    key = channel._q_for_pri(queue, priority)
                    for raw in client.lrange(key, 0, QUEUE_READ_MAX):
                        ids.update(_job_ids(raw))
            return ids
    except Exception:  # an unreachable broker: nothing can be told
        log.info("sweep: the broker's queue could not be read", exc_info=True)
        return None


def _job_ids(raw: bytes) -> list[str]:
    """The job id a queued message carries (none for other tasks)."""
    try:
        message = json.loads(raw)
        headers = message.get("headers") or {}
        if headers.get("task") != RUN_TASK:
            return []
        body = message["body"]
        if message.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args = json.loads(body)[0]
        return [str(args[0])]
    except (ValueError, KeyError, IndexError, TypeError):
        return []
