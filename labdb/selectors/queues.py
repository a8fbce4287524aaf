"""The state of the Celery queues and workers, for the jobs page: how many messages wait in
each queue (read from Redis), how many jobs the database holds queued for it, and which workers
answer, with the queues they consume and the tasks they run (Celery's remote control)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count

from labdb import models as m
from labdb.services.job_queue import job_queue_names, queue_for_kind

log = logging.getLogger(__name__)

#: how long the page keeps an overview (s): asking the workers takes up to WORKER_REPLY_S
CACHE_S = 10
WORKER_REPLY_S = 1.0


@dataclass(frozen=True)
class QueueState:
    name: str
    #: messages waiting in the broker (None: the broker's queue cannot be read)
    waiting: int | None
    #: jobs queued in the database for this queue (sent or about to be)
    jobs_queued: int
    kinds: list[str]


@dataclass(frozen=True)
class WorkerState:
    name: str
    queues: list[str]
    #: tasks running now, and the number of processes that can run them
    active: int
    processes: int | None


@dataclass(frozen=True)
class QueueOverview:
    in_process: bool
    queues: list[QueueState] = field(default_factory=list)
    workers: list[WorkerState] = field(default_factory=list)
    problem: str = ""


def _queue_names() -> list[str]:
    return sorted(set(job_queue_names()) | set(current_app.conf.task_queues or ()))


def _waiting(names: list[str]) -> tuple[dict[str, int | None], str]:
    try:
        with current_app.connection_for_read() as conn:
            channel = conn.default_channel
            client = getattr(channel, "client", None)
            if client is None or not hasattr(channel, "_q_for_pri"):
                return {n: None for n in names}, "the broker's queues cannot be read"
            return {
                n: sum(int(client.llen(channel._q_for_pri(n, p))) for p in channel.priority_steps)
                for n in names
            }, ""
    except Exception as exc:
        log.info("queue overview: broker not reachable", exc_info=True)
        return {n: None for n in names}, f"the broker cannot be reached ({exc})"


def _workers() -> tuple[list[WorkerState], str]:
    try:
        inspect = current_app.control.inspect(timeout=WORKER_REPLY_S)
        queues: dict[str, Any] = inspect.active_queues() or {}
        active: dict[str, Any] = inspect.active() or {}
        stats: dict[str, Any] = inspect.stats() or {}
    except Exception as exc:
        log.info("queue overview: workers could not be asked", exc_info=True)
        return [], f"the workers could not be asked ({exc})"
    workers = [
        WorkerState(
            name=name,
            queues=sorted(q["name"] for q in queues.get(name) or ()),
            active=len(active.get(name) or ()),
            processes=(stats.get(name) or {}).get("pool", {}).get("max-concurrency"),
        )
        for name in sorted(set(queues) | set(active) | set(stats))
    ]
    return workers, ""


def queue_overview(*, fresh: bool = False) -> QueueOverview:
    """Queues (waiting messages, queued jobs, the job kinds sent there) and the workers that
    answer within :data:`WORKER_REPLY_S`, kept :data:`CACHE_S` seconds."""
    if current_app.conf.task_always_eager:
        return QueueOverview(in_process=True)
    cached = None if fresh else cache.get("labdb:queue-overview")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    names = _queue_names()
    waiting, problem = _waiting(names)
    per_kind = dict(
        m.AnalysisJob.objects.filter(status=m.AnalysisJob.Status.QUEUED)
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    kinds = {
        n: sorted(k for k in settings.LABDB_JOB_QUEUES if queue_for_kind(k) == n) for n in names
    }
    queued = {n: sum(c for k, c in per_kind.items() if queue_for_kind(k) == n) for n in names}
    workers, worker_problem = _workers()
    overview = QueueOverview(
        in_process=False,
        queues=[QueueState(n, waiting[n], queued[n], kinds[n]) for n in names],
        workers=workers,
        problem="; ".join(p for p in (problem, worker_problem) if p),
    )
    cache.set("labdb:queue-overview", overview, CACHE_S)
    return overview
