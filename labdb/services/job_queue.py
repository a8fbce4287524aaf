"""Sending jobs to the workers, and the sweep that sends again what was lost.

The broker is not trusted to hold a job: the job's state is in the database. A queued job's
``lease_expires_at`` is the end of its delivery window (its message is overdue after it; empty:
not sent, e.g. the broker was down). The sweep (beat, every minute) hands back the running jobs
whose lease ended (their attempt stopped itself before that) and sends the queued jobs for which
no message can still be waiting: never sent, overdue (the window doubles with the job's age,
so a job behind a long queue is sent a few times, not once a sweep), or every message gone
(the broker's queue and its unacknowledged set are both empty: a broker restarted without its
data). At most ``SWEEP_MAX_SENDS`` per sweep, oldest first.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import current_app
from django.db.models import Q
from django.utils import timezone

from labdb import models as m

log = logging.getLogger(__name__)

#: a queued job's first delivery window: its message is overdue after this
REQUEUE_AFTER = dt.timedelta(minutes=10)
#: a job created this long ago and never sent (the broker was down) is sent by the sweep
UNSENT_GRACE = dt.timedelta(seconds=20)
#: at most this many jobs are sent per sweep, oldest first
SWEEP_MAX_SENDS = 500
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
    overdue = Q(lease_expires_at__lt=now) | Q(
        lease_expires_at__isnull=True, queued_at__lt=now - UNSENT_GRACE
    )
    if _broker_holds_nothing():
        overdue |= Q(lease_expires_at__isnull=False)
    due = m.AnalysisJob.objects.filter(Q(status=Status.QUEUED) & overdue).order_by("queued_at")
    ids = [str(pk) for pk in due.values_list("pk", flat=True)[:SWEEP_MAX_SENDS]]
    for job_id in ids:
        job_send(job_id, now=now)
    return ids


def _delivery_window(job_age: dt.timedelta) -> dt.timedelta:
    """How long a sent message may wait before it counts as lost: doubling with the job's age."""
    return max(REQUEUE_AFTER, job_age)


def job_send(job_id: str, *, now: dt.datetime | None = None) -> None:
    """Send the job to the workers and note until when its message may wait. A broker that
    cannot be reached (bounded by the broker timeouts in settings) does not fail the request
    that queued the job: the job stays queued, marked as not sent, and the next sweep sends it."""
    now = now or timezone.now()
    queued = m.AnalysisJob.objects.filter(pk=job_id, status=m.AnalysisJob.Status.QUEUED)
    queued_at = queued.values_list("queued_at", flat=True).first()
    if queued_at is None:
        return  # finished or running meanwhile
    due = now + _delivery_window(now - queued_at)
    queued.update(lease_expires_at=due)  # before sending: an eager run finishes the job inside
    try:
        current_app.tasks[RUN_TASK].apply_async((job_id,), ignore_result=True)
    except Exception:  # any broker failure: the sweep sends it again
        log.warning("could not send job %s to the workers; the sweep will", job_id, exc_info=True)
        queued.filter(lease_expires_at=due).update(lease_expires_at=None)


def _broker_holds_nothing() -> bool:
    """True when the broker's queue and its unacknowledged messages are both empty (so no
    queued job's message can still be waiting); False when unknown (tasks run in-process, a
    broker without these counts, or the broker is unreachable)."""
    app = current_app
    if app.conf.task_always_eager:
        return False
    try:
        with app.connection_for_read() as conn:
            channel = conn.default_channel
            client = getattr(channel, "client", None)
            unacked_key = getattr(channel, "unacked_key", None)
            if client is None or unacked_key is None or not hasattr(channel, "_size"):
                return False  # not Redis: unacknowledged messages cannot be counted
            waiting = int(channel._size(app.conf.task_default_queue))  # every priority's list
            unacked = int(client.hlen(unacked_key))
    except Exception:  # an unreachable broker: nothing can be told
        log.info("sweep: the broker's queue could not be read", exc_info=True)
        return False
    return waiting == 0 and unacked == 0
