"""Running the heavy part of a job in a child process that the job's worker watches.

The worker forks a child for the work that can blow up (read and verify the raw file, parse it,
run the pipeline, write the result's blobs) and keeps, in its own process, the job's lease and
its limits:

- the child runs under an address-space limit (``RLIMIT_AS``): the worker's own address space
  plus ``LABDB_JOB_MAX_MEMORY_MB``. An analysis that needs more gets ``MemoryError`` and its job
  fails with that reason on its first attempt, instead of taking the worker down (and failing
  only after repeated worker deaths);
- the worker stops the child at the job's time limit (``LABDB_TASK_SOFT_TIME_LIMIT``), whatever
  Celery's own limits do;
- the worker renews the job's lease while the child works and stops the child as soon as it has
  not managed to for half a lease, so a job never runs past its lease: when the lease ends and
  another worker may claim the job, this attempt has already stopped;
- the child dies with its worker (``PR_SET_PDEATHSIG``): a worker killed with ``kill -9`` leaves
  no analysis running.

The child never touches the database (the connection belongs to the worker); it sends its
progress and its outcome through a pipe and ends with ``os._exit``.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import multiprocessing
import os
import resource
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1

Status = Literal["done", "failed", "transient", "timeout", "killed", "lost"]


@dataclass(frozen=True)
class Outcome:
    """How the child ended: ``done`` (``value`` holds what the work returned), ``failed`` or
    ``transient`` (an exception the classifier named, ``message`` says why), ``timeout`` (over
    the time limit, stopped), ``killed`` (died without a word, e.g. by a signal), ``lost`` (the
    lease could not be renewed; stopped)."""

    status: Status
    message: str = ""
    value: Any = None


Classifier = Callable[[BaseException], tuple[Literal["failed", "transient"], str]]


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the lease still bounds a lost child
        pass


def _address_space_bytes() -> int:
    """This process's virtual size (``VmSize``), 0 where /proc does not tell."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _child(
    work: Callable[[Callable[[float], None]], Any],
    classify: Classifier,
    conn: Any,
    parent: int,
    memory_bytes: int | None,
) -> None:
    """The child's whole life: limits, the work, one message, ``os._exit``."""
    code = 0
    try:
        _die_with_parent()
        if os.getppid() != parent:  # the worker died before the line above took effect
            os._exit(1)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGUSR1, signal.SIG_DFL)  # Celery's soft limit is the worker's
        if memory_bytes:
            limit = _address_space_bytes() + memory_bytes
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

        def progress(fraction: float) -> None:
            conn.send(("progress", fraction))

        try:
            value = work(progress)
            conn.send(("done", value))
        except BaseException as exc:  # every failure is reported to the worker
            status, message = classify(exc)
            if status == "failed" and not message:
                message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            conn.send((status, message))
    except BaseException:  # nothing may escape a forked child
        code = 1
    finally:
        os._exit(code)


def run_supervised(
    work: Callable[[Callable[[float], None]], Any],
    *,
    classify: Classifier,
    time_limit_s: float,
    memory_mb: int | None,
    heartbeat: Callable[[], bool],
    heartbeat_every_s: float,
    give_up_after_s: float,
    on_progress: Callable[[float], None] = lambda f: None,
) -> Outcome:
    """Run ``work(progress)`` in a forked child under the limits and return how it ended.
    ``memory_mb`` is the address space the child may add to the worker's.

    ``heartbeat()`` renews the lease: True when renewed, False when the lease is no longer this
    attempt's (the child is stopped at once); an exception (say the database is unreachable)
    counts as not renewed, and the child is stopped once no renewal succeeded for
    ``give_up_after_s``. The child is always gone when this returns or raises (Celery's soft
    time limit raises here, in the worker)."""
    reader, writer = multiprocessing.Pipe(duplex=False)
    parent = os.getpid()
    memory_bytes = memory_mb * 1024 * 1024 if memory_mb else None
    # the child's collector never examines the objects it inherits (the worker's whole heap:
    # a full collection in the child touched every one of them, copying their pages, ~0.2 s
    # in one job of three); the worker's own collector keeps them (unfrozen at once)
    gc.freeze()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, reports through the pipe
        reader.close()
        _child(work, classify, writer, parent, memory_bytes)
    gc.unfreeze()
    writer.close()
    started = last_renewed = next_beat = time.monotonic()
    next_beat += heartbeat_every_s
    outcome: Outcome | None = None
    try:
        while outcome is None:
            now = time.monotonic()
            if now - started > time_limit_s:
                outcome = Outcome("timeout", f"over the time limit of {time_limit_s:g} s")
                break
            if now >= next_beat:
                next_beat = now + heartbeat_every_s
                try:
                    renewed = heartbeat()
                except Exception as exc:  # a missed renewal, judged below
                    log.warning("could not renew the job's lease: %s", exc)
                else:
                    if not renewed:
                        outcome = Outcome("lost", "the job's lease passed to another attempt")
                        break
                    last_renewed = now
                if now - last_renewed > give_up_after_s:
                    outcome = Outcome(
                        "lost", f"the lease could not be renewed for {give_up_after_s:g} s"
                    )
                    break
            wait = max(0.0, min(next_beat, started + time_limit_s) - time.monotonic())
            if not reader.poll(min(wait, 1.0)):
                continue
            try:
                kind, value = reader.recv()
            except (EOFError, OSError):
                outcome = Outcome("killed", "the analysis process ended without a result")
                break
            if kind == "progress":
                on_progress(value)
            elif kind == "done":
                outcome = Outcome("done", value=value)
            else:
                outcome = Outcome(kind, str(value))
    finally:
        reader.close()
        if outcome is None or outcome.status in ("timeout", "lost"):
            _kill(pid)
        _, wait_status = os.waitpid(pid, 0)
    if outcome.status == "killed" and os.WIFSIGNALED(wait_status):
        sig = signal.Signals(os.WTERMSIG(wait_status)).name
        outcome = Outcome("killed", f"the analysis process was killed by {sig}")
    return outcome


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
