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

**A child serves several jobs** (``LABDB_JOB_CHILD_JOBS``, default 25): forking costs a job
more than the fork. The child starts from the worker's pages (copy on write) and every page it
writes for the first time, an object's reference count as much as a new array, is a page fault
and a copy: for a growing file's version (its cycling and dQ/dV jobs) ~20,000 faults and
~0.1 s of CPU at 100 cycles, ~48,000 and ~0.1-0.2 s at 1,600 (``bench/growing.py --jobs``),
a third of the version's cost at 100 cycles. A
child that stays has those pages already and reuses the memory its earlier jobs freed
(:func:`analysis.runtime.keep_freed_memory`, inherited). So the worker keeps its child and
sends it the next job's work through the pipe (pickled: :class:`labdb.services.job_work.
AnalysisWork` holds only values). It keeps the stored table parts it read or wrote (up to half
of ``LABDB_JOB_CHILD_KEEP_MB``) for the next version's job, which reads them
(:mod:`labdb.table_parts`), and the last parsed table it grew, as a frame, which that job
grows from (:mod:`labdb.services.parsing`). The limits stay per job: the time limit and the
lease are watched from the job's start; the address-space limit is the child's (its worker's address
space at the fork plus ``LABDB_JOB_MAX_MEMORY_MB``; memory kept from earlier jobs is reused
before more is asked for). The child is replaced (a new one forked for the next job) after its
``LABDB_JOB_CHILD_JOBS``-th job; when it holds more than ``LABDB_JOB_CHILD_KEEP_MB`` (512 MiB)
of its own after a job (pages it no longer shares with the worker: a worker's host keeps at
most that much more per worker process than with a child per job); after any job that did not
succeed (a failure may leave state behind; a stopped or dead child is gone anyway); and when
the job comes from another thread than the one that forked it (``PR_SET_PDEATHSIG`` ties the
child to that thread). What a child keeps counts against the next job's address-space limit:
a job that runs out of memory in a child that served earlier jobs is run once more in a new
child (with the time left), where it has the memory a child of its own would have. Work that
cannot be pickled (a test's closure) gets a child of its own, as does every job with
``LABDB_JOB_CHILD_JOBS=1``. Assumes the worker's code and settings do not change while it
runs (true of a Celery worker; tests that patch code run with one child per job).
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import errno
import gc
import logging
import multiprocessing
import os
import pickle  # nosec B403: only the worker's own work, over its own pipe to its child
import resource
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1

Status = Literal["done", "failed", "transient", "timeout", "killed", "lost"]


@dataclass(frozen=True)
class Outcome:
    """How the child ended: ``done`` (``value`` holds what the work returned), ``failed`` or
    ``transient`` (an exception the classifier named, ``message`` says why; ``memory``: the
    work ran out of memory under the limit), ``timeout`` (over the time limit, stopped),
    ``killed`` (died without a word, e.g. by a signal), ``lost`` (the lease could not be
    renewed; stopped)."""

    status: Status
    message: str = ""
    value: Any = None
    memory: bool = False


def out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says the process could not have more memory: under its address-space
    limit, ``MemoryError``, a new thread whose stack cannot be had, or ``ENOMEM``."""
    return (
        isinstance(exc, MemoryError)
        or (isinstance(exc, RuntimeError) and "can't start new thread" in str(exc))
        or (isinstance(exc, OSError) and exc.errno == errno.ENOMEM)
    )


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


def _limit_child(parent: int, memory_bytes: int | None) -> None:
    """The child's limits, set first thing after the fork."""
    _die_with_parent()
    if os.getppid() != parent:  # the worker died before the line above took effect
        os._exit(1)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGUSR1, signal.SIG_DFL)  # Celery's soft limit is the worker's
    if memory_bytes:
        limit = _address_space_bytes() + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _work_once(
    work: Callable[[Callable[[float], None]], Any], classify: Classifier, conn: Any
) -> None:
    """Run ``work`` and send its one outcome message."""

    def progress(fraction: float) -> None:
        conn.send(("progress", fraction))

    try:
        value = work(progress)
        conn.send(("done", value))
    except BaseException as exc:  # every failure is reported to the worker
        status, message = classify(exc)
        if status == "failed" and not message:
            message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        if status == "failed" and out_of_memory(exc):
            status = "memory"  # the worker may run it again in a new child (_run_served)
        conn.send((status, message))


def _child(
    work: Callable[[Callable[[float], None]], Any],
    classify: Classifier,
    conn: Any,
    parent: int,
    memory_bytes: int | None,
) -> None:
    """The life of a child forked for one job: limits, the work, one message, ``os._exit``."""
    code = 0
    try:
        _limit_child(parent, memory_bytes)
        _work_once(work, classify, conn)
    except BaseException:  # nothing may escape a forked child
        code = 1
    finally:
        os._exit(code)


def _serve(
    classify: Classifier, parts_bytes: int, conn: Any, parent: int, memory_bytes: int | None
) -> None:
    """The life of a child that serves jobs in turn: limits, then each pickled work received
    run as :func:`_child` runs its one; an empty message or the worker's end of the pipe
    closed ends it (``os._exit``). It keeps up to ``parts_bytes`` of stored table parts in
    memory for the next jobs (:func:`labdb.table_parts.keep_parts_in_memory`)."""
    code = 0
    try:
        _limit_child(parent, memory_bytes)
        from labdb.table_parts import keep_parts_in_memory

        keep_parts_in_memory(parts_bytes)
        while payload := conn.recv_bytes():
            _work_once(partial(_unpickled, payload), classify, conn)
    except EOFError:  # the worker is gone or closed the pipe
        pass
    except BaseException:  # nothing may escape a forked child
        code = 1
    finally:
        os._exit(code)


def _unpickled(payload: bytes, progress: Callable[[float], None]) -> Any:
    """The work pickled in ``payload``, run (a failure to unpickle is the job's failure)."""
    work = pickle.loads(payload)  # nosec B301: the worker's own pickle, over its own pipe
    return work(progress)


@dataclass
class _Server:
    """The worker's side of a child that serves jobs (module docstring)."""

    pid: int
    conn: Any
    thread: int
    classify: Classifier
    memory_bytes: int | None
    served: int = 0


#: this worker process's serving child, if any; one thread at a time uses it
_server: _Server | None = None
_server_lock = threading.Lock()


def _fork(
    target: Callable[..., None],
    lead: tuple[Any, ...],
    memory_bytes: int | None,
    duplex: bool = False,
) -> tuple[int, Any]:
    """Fork a child that runs ``target(*lead, its end of the pipe, the worker's pid,
    memory_bytes)``; (its pid, the worker's end of the pipe)."""
    mine, theirs = multiprocessing.Pipe(duplex=duplex)
    parent = os.getpid()
    # the child's collector never examines the objects it inherits (the worker's whole heap:
    # a full collection in the child touched every one of them, copying their pages, ~0.2 s
    # in one job of three); the worker's own collector keeps them (unfrozen at once)
    gc.freeze()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, reports through the pipe
        mine.close()
        target(*lead, theirs, parent, memory_bytes)
    gc.unfreeze()
    theirs.close()
    return pid, mine


def _private_bytes(pid: int) -> int:
    """Memory process ``pid`` holds of its own (``Private_Clean`` + ``Private_Dirty`` of
    ``/proc/<pid>/smaps_rollup``: pages it copied or allocated, not those it still shares with
    its worker); 0 where /proc does not tell."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    total += int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        return 0
    return total


def _holds_more_than(pid: int, limit: int) -> bool:
    """Whether process ``pid`` holds more than ``limit`` bytes of its own
    (:func:`_private_bytes`). Its resident set (``/proc/<pid>/statm``, a count the kernel
    keeps) is read first: private pages are resident pages, so a resident set not above the
    limit answers without walking the process's page tables for ``smaps_rollup`` (~5 ms per
    job for an analysis process holding its tables)."""
    try:
        with open(f"/proc/{pid}/statm") as fh:
            resident = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        resident = None
    if resident is not None and resident <= limit:
        return False
    return _private_bytes(pid) > limit


def _end_server(server: _Server, *, kill: bool) -> int:
    """Stop a serving child (at once, or by closing its pipe: it ends after its job) and
    reap it; its wait status."""
    if kill:
        _kill(server.pid)
    else:
        with contextlib.suppress(OSError):
            server.conn.send_bytes(b"")
    server.conn.close()
    try:
        _, wait_status = os.waitpid(server.pid, 0)
    except ChildProcessError:  # reaped already
        return 0
    return wait_status


def _server_for(classify: Classifier, memory_bytes: int | None, parts_bytes: int) -> _Server:
    """This thread's serving child: the one kept from an earlier job when it is alive and was
    started by this thread with the same limits, else a new one."""
    global _server
    server, _server = _server, None
    if server is not None:
        try:
            alive = os.waitpid(server.pid, os.WNOHANG) == (0, 0)  # reaps it if it ended
        except ChildProcessError:  # reaped already
            alive = False
        same = (
            server.thread == threading.get_ident()
            and server.classify is classify
            and server.memory_bytes == memory_bytes
        )
        if alive and same:
            return server
        if alive:
            _end_server(server, kill=True)
        else:
            server.conn.close()
    pid, conn = _fork(_serve, (classify, parts_bytes), memory_bytes, duplex=True)
    return _Server(pid, conn, threading.get_ident(), classify, memory_bytes)


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
    child_jobs: int = 1,
    child_keep_mb: int = 512,
) -> Outcome:
    """Run ``work(progress)`` in a child process under the limits and return how it ended.
    ``memory_mb`` is the address space the child may add to the worker's.

    ``heartbeat()`` renews the lease: True when renewed, False when the lease is no longer this
    attempt's (the child is stopped at once); an exception (say the database is unreachable)
    counts as not renewed, and the child is stopped once no renewal succeeded for
    ``give_up_after_s``. A stopped child is always gone when this returns or raises (Celery's
    soft time limit raises here, in the worker). ``child_jobs`` > 1: the work goes to this
    worker's serving child, which is kept for the next job unless it has served
    ``child_jobs`` jobs, holds more than ``child_keep_mb`` MiB, or the job did not succeed
    (module docstring); work that cannot be pickled gets a child of its own."""
    memory_bytes = memory_mb * 1024 * 1024 if memory_mb else None
    watch = _Watch(time_limit_s, heartbeat, heartbeat_every_s, give_up_after_s, on_progress)
    payload = None
    if child_jobs > 1:
        with contextlib.suppress(Exception):  # a closure (tests' analyses): a child of its own
            payload = pickle.dumps(work, protocol=pickle.HIGHEST_PROTOCOL)
    if payload is not None and _server_lock.acquire(blocking=False):
        try:
            return _run_served(payload, classify, memory_bytes, watch, child_jobs, child_keep_mb)
        finally:
            _server_lock.release()
    pid, reader = _fork(_child, (work, classify), memory_bytes)
    outcome: Outcome | None = None
    try:
        outcome = watch(reader)
    finally:
        reader.close()
        if outcome is None or outcome.status in ("timeout", "lost"):
            _kill(pid)
        _, wait_status = os.waitpid(pid, 0)
    return _named_signal(outcome, wait_status)


def _run_served(
    payload: bytes,
    classify: Classifier,
    memory_bytes: int | None,
    watch: _Watch,
    child_jobs: int,
    keep_mb: int,
) -> Outcome:
    """:func:`run_supervised` through this worker's serving child."""
    global _server
    parts_bytes = keep_mb * 1024 * 1024 // 2
    server = _server_for(classify, memory_bytes, parts_bytes)
    outcome: Outcome | None = None
    wait_status = 0
    started = time.monotonic()
    try:
        try:
            server.conn.send_bytes(payload)
        except OSError:  # it ended since it was looked at: a new one
            _end_server(server, kill=True)
            server = _server_for(classify, memory_bytes, parts_bytes)
            server.conn.send_bytes(payload)
        outcome = watch(server.conn)
        if outcome.memory and server.served > 0:
            # out of memory in a child that holds what its earlier jobs kept (tables, parts,
            # freed blocks), which counts against the job's limit: once more in a new child,
            # with what is left of the job's time, as a child of its own would have run it
            log.warning(
                "out of memory in an analysis process that served %d jobs: "
                "running the job again in a new one",
                server.served,
            )
            _end_server(server, kill=True)
            server = _server_for(classify, memory_bytes, parts_bytes)
            server.conn.send_bytes(payload)
            left = max(0.0, watch.time_limit_s - (time.monotonic() - started))
            outcome = dataclasses.replace(watch, time_limit_s=left)(server.conn)
    finally:
        server.served += 1
        keep = (
            outcome is not None
            and outcome.status == "done"
            and server.served < child_jobs
            and not _holds_more_than(server.pid, keep_mb * 1024 * 1024)
        )
        if keep:
            _server = server
        else:
            stop = outcome is None or outcome.status in ("timeout", "lost", "killed")
            wait_status = _end_server(server, kill=stop)
    return _named_signal(outcome, wait_status)


def _named_signal(outcome: Outcome | None, wait_status: int) -> Outcome:
    """A child that ended without a result: the signal that ended it, where one did."""
    if outcome is None:  # pragma: no cover - the watch returned or raised
        return Outcome("killed", "the analysis process ended without a result")
    if outcome.status == "killed" and os.WIFSIGNALED(wait_status):
        sig = signal.Signals(os.WTERMSIG(wait_status)).name
        return Outcome("killed", f"the analysis process was killed by {sig}")
    return outcome


@dataclass(frozen=True)
class _Watch:
    """The worker's watch over one job's child: its messages, the time limit, the lease."""

    time_limit_s: float
    heartbeat: Callable[[], bool]
    heartbeat_every_s: float
    give_up_after_s: float
    on_progress: Callable[[float], None]

    def __call__(self, conn: Any) -> Outcome:
        """Read ``conn`` until the job's outcome, or stop at its limits (the caller stops the
        child of a ``timeout`` or ``lost`` outcome)."""
        limit = self.time_limit_s
        started = last_renewed = next_beat = time.monotonic()
        next_beat += self.heartbeat_every_s
        while True:
            now = time.monotonic()
            if now - started > limit:
                return Outcome("timeout", f"over the time limit of {limit:g} s")
            if now >= next_beat:
                next_beat = now + self.heartbeat_every_s
                try:
                    renewed = self.heartbeat()
                except Exception as exc:  # a missed renewal, judged below
                    log.warning("could not renew the job's lease: %s", exc)
                else:
                    if not renewed:
                        return Outcome("lost", "the job's lease passed to another attempt")
                    last_renewed = now
                if now - last_renewed > self.give_up_after_s:
                    return Outcome(
                        "lost", f"the lease could not be renewed for {self.give_up_after_s:g} s"
                    )
            wait = max(0.0, min(next_beat, started + limit) - time.monotonic())
            if not conn.poll(min(wait, 1.0)):
                continue
            try:
                kind, value = conn.recv()
            except (EOFError, OSError):
                return Outcome("killed", "the analysis process ended without a result")
            if kind == "progress":
                self.on_progress(value)
            elif kind == "done":
                return Outcome("done", value=value)
            elif kind == "memory":
                return Outcome("failed", str(value), memory=True)
            else:
                return Outcome(kind, str(value))


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
