"""The chaos scenarios, each bounded in time and sized by its caller: the short versions are
``tests/chaos`` (``pytest tests/chaos``), the long ones ``bench/chaos.py`` (figures printed).

Every scenario runs on a :class:`~tests.chaos.services.Stack` of its own (PostgreSQL, Redis,
gunicorn, Celery workers on 127.0.0.1) and returns its figures as a dict:

- ``jobs``: jobs uploaded; ``succeeded`` / ``failed``: how they ended;
- ``results``: analysis results stored (one per succeeded job when nothing ran twice);
- ``executions``: attempts started (``analysis.started`` audit entries);
- ``kills``: processes killed with SIGKILL;
- ``max_request_s``: the slowest HTTP request, seconds; ``http_5xx``: answers >= 500;
- ``recovered_s``: seconds from the end of the fault until every job had finished.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
import requests

from labdb.models.immutable import FINISHED_JOB_STATES
from tests.chaos.services import ROOT, Stack, children, wait_until
from tests.labdb.test_ingest_and_jobs import bdf_csv

SETUP = """
from labdb import models as m
from labdb.demo import demo_load
from labdb.services.catalog import record_save
from labdb.services.tokens import token_create
from django.contrib.auth import get_user_model
project = demo_load()
user = get_user_model().objects.get(username="demo")
for label in {labels!r}:
    record_save(record=m.TestRun(project=project, label=label,
        cell=m.Cell.objects.get(label="MgAgSn-E-HC1"),
        protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh")), user=user)
print("KEY", token_create(user=user, name="chaos", scope="upload").key)
"""

SWEEPER = """
import logging, time
from django.db import close_old_connections
from labdb.services.jobs import jobs_sweep
while True:  # like beat: a sweep that fails (database restarting) does not stop the next
    try:
        close_old_connections()
        jobs_sweep()
    except Exception:
        logging.getLogger("sweeper").warning("sweep failed", exc_info=True)
    time.sleep({interval})
"""


@dataclass
class Lab:
    """A stack with the demo study, a test run and an upload key."""

    stack: Stack
    web: str
    key: str
    run: str = "CHAOS-KILL"
    request_s: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def upload(self, data: bytes, name: str, timeout: float = 30) -> tuple[int, dict[str, Any]]:
        t0 = time.monotonic()
        try:
            r = requests.post(
                f"{self.web}/api/v1/test-runs/{self.run}/files/",
                headers={"Authorization": f"Token {self.key}"},
                files={"file": (name, data)},
                data={"sha256": hashlib.sha256(data).hexdigest()},
                timeout=timeout,
            )
            code, body = (
                r.status_code,
                (
                    r.json()
                    if r.headers.get("content-type", "").startswith("application/json")
                    else {}
                ),
            )
        except requests.RequestException:
            code, body = 0, {}
        self.request_s.append(time.monotonic() - t0)
        self.statuses.append(code)
        return code, body

    def get(self, path: str, timeout: float = 30) -> int:
        t0 = time.monotonic()
        try:
            code = requests.get(
                self.web + path, headers={"Authorization": f"Token {self.key}"}, timeout=timeout
            ).status_code
        except requests.RequestException:
            code = 0
        self.request_s.append(time.monotonic() - t0)
        self.statuses.append(code)
        return code

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.stack.pg.url, connect_timeout=5) as conn:
            return list(conn.execute(query).fetchall())

    def for_run(self, run: str) -> Lab:
        """The same lab, counting the jobs and requests of test run ``run`` only."""
        return Lab(self.stack, self.web, self.key, run)

    def _jobs_sql(self, what: str) -> str:
        """SQL selecting ``what`` over the run's cycling jobs: one per upload. Each succeeded
        cycling job is followed by a dQ/dV job on the same file (labdb.services.follow_on),
        which the scenarios' figures (jobs, results, executions per upload) do not count:
        they are about what happens to an upload, and the follow-on exists only after a
        success, so counting it would make the expected numbers depend on the outcome."""
        return (
            f"SELECT {what} FROM labdb_analysisjob j JOIN labdb_datafile f ON j.data_file_id = f.id"
            f" JOIN labdb_testrun r ON f.test_run_id = r.id WHERE r.label = '{self.run}'"
            " AND j.kind = 'cycling'"
        )

    def job_states(self) -> dict[str, int]:
        return dict(self.sql(self._jobs_sql("j.status, count(*)") + " GROUP BY j.status"))  # type: ignore[arg-type]

    def jobs(self) -> list[tuple[Any, ...]]:
        """(status, error, attempts, original_name) of every job of the run."""
        return self.sql(self._jobs_sql("j.status, j.error, j.attempts, f.original_name"))

    def figures(self) -> dict[str, Any]:
        states = self.job_states()
        ids = self._jobs_sql("j.id::text")
        return {
            "jobs": sum(states.values()),
            "succeeded": states.get("succeeded", 0),
            "failed": states.get("failed", 0),
            "superseded": states.get("superseded", 0),
            "results": self.sql(
                f"SELECT count(*) FROM labdb_analysisresult WHERE job_id::text IN ({ids})"
            )[0][0],
            "executions": self.sql(
                "SELECT count(*) FROM labdb_historyentry WHERE action = 'analysis.started'"
                f" AND record_id::text IN ({ids})"
            )[0][0],
            "max_request_s": round(max(self.request_s, default=0.0), 2),
            "http_5xx": sum(1 for s in self.statuses if s >= 500),
        }

    def wait_all_finished(self, timeout_s: float) -> float:
        t0 = time.monotonic()
        try:
            wait_until(
                lambda: set(self.job_states()) <= set(FINISHED_JOB_STATES),
                timeout_s,
                "jobs finished",
                0.5,
            )
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}; jobs of {self.run}: {self.jobs()}") from None
        return time.monotonic() - t0

    def sweeper(self, interval_s: float = 3) -> None:
        """A sweep every ``interval_s`` (beat sends one a minute; the short scenarios go faster)."""
        self.stack.spawn(
            [sys.executable, "manage.py", "shell", "-c", SWEEPER.format(interval=interval_s)],
            "sweeper",
        )


RUNS = (
    *("CHAOS-KILL", "CHAOS-POISON", "CHAOS-REDIS", "CHAOS-PG", "CHAOS-BYTE", "CHAOS-DISK"),
    *("CHAOS-SLOW", "CHAOS-PG-JOBS", "CHAOS-BIG"),  # tests.chaos.scenarios_full
)


def lab(stack: Stack, web_workers: int = 2) -> Lab:
    """The demo study, a test run per scenario and an upload key on ``stack``, and its web
    server."""
    out = stack.manage("shell", "-c", SETUP.format(labels=RUNS))
    key = next(line.split()[1] for line in out.splitlines() if line.startswith("KEY "))
    return Lab(stack, stack.web(web_workers), key)


def good_file(i: int, cycles: int = 3) -> bytes:
    """A distinct small half-cell record for every ``i`` (the CE differs, so the bytes and the
    job differ; ``i`` and ``i + 997`` once gave the same bytes, which the app rightly took as
    the same upload sent again)."""
    return bdf_csv(cycles=cycles, ce=0.90 + (i % 997) / 10000 + (i // 997) / 1e6)


def kill_workers(
    lab_: Lab, n_jobs: int, pool_kills: int, main_kills: int, cycles: int
) -> dict[str, Any]:
    """``n_jobs`` uploads while pool children (``pool_kills``) and the main worker process
    (``main_kills``, each replaced by a new worker) are killed with SIGKILL.

    ``interruptible`` bounds the executions the kills may cut short: one per pool child
    killed, and for a killed main process every job its pool was running then (up to its
    concurrency), since SIGKILL of the main process takes its children with it."""
    stack = lab_.stack
    concurrency = 2
    worker = stack.worker("kill-w0", concurrency=concurrency)
    for i in range(n_jobs):
        code, _ = lab_.upload(good_file(i, cycles), f"k{i}.csv")
        assert code in (200, 201), code
    rng = random.Random(17)
    kills = 0
    interruptible = 0
    plan = ["pool"] * pool_kills + ["main"] * main_kills
    rng.shuffle(plan)
    for what in plan:
        wait_until(lambda: lab_.job_states().get("running", 0) > 0, 60, "a running job", 0.2)
        if what == "pool":
            pids = children(worker.pid)
            if not pids:
                continue
            os.kill(rng.choice(pids), signal.SIGKILL)
            interruptible += 1
        else:
            stack.stop_process(worker, signal.SIGKILL)
            interruptible += concurrency
            worker = stack.worker(f"kill-w{kills + 1}", concurrency=concurrency)
        kills += 1
        time.sleep(1.0)
    t0 = time.monotonic()
    try:
        lab_.wait_all_finished(90 + 2 * n_jobs)
    finally:
        stack.stop_process(worker)
    return lab_.figures() | {
        "kills": kills,
        "interruptible": interruptible,
        "recovered_s": round(time.monotonic() - t0, 1),
    }


def big_csv(rows: int, t0: int = 0) -> bytes:
    """A cycling CSV of ``rows`` rows from time ``t0`` (a file whose parsing alone needs far
    more memory than a tight job limit)."""
    t = [
        f"{i + t0}.0,{0.02 if (i // 3600) % 2 else -0.02:.4f},{7.85e-4 if (i // 3600) % 2 else -7.85e-4:.6e},0,0"
        for i in range(rows)
    ]
    header = (
        "test_time_second,voltage_volt,current_ampere,charging_capacity_ah,discharging_capacity_ah"
    )
    return (header + "\n" + "\n".join(t) + "\n").encode()


#: poison files; the ``k``-th variant of a kind differs from the others in its first bytes, so
#: that no variant is a grown version of another (the app analyses only the newest version of a
#: growing file and ends the older ones' jobs as superseded: docs/live.md)
POISON = {
    "garbage.csv": lambda k: b"\x00%d\xff this is not a cycler file \x00" % k * 50,
    "empty-columns.csv": lambda k: b"a%d,b,c\n1,2,3\n4,5,6\n" % k,
    "bomb.csv": lambda k: big_csv(1_600_000, t0=k),
}


def poison_files(n: int) -> dict[str, bytes]:
    """``n`` distinct poison files, the :data:`POISON` kinds in turn (``<k>-<kind>`` beyond
    the first of each kind)."""
    kinds = list(POISON)
    out = {}
    for i in range(n):
        kind, k = kinds[i % len(kinds)], i // len(kinds)
        out[kind if k == 0 else f"{k}-{kind}"] = POISON[kind](k)
    return out


def poison_jobs(
    lab_: Lab, n_good: int, memory_mb: int = 64, n_poison: int = len(POISON)
) -> dict[str, Any]:
    """``n_good`` good files and ``n_poison`` poison files (:func:`poison_files`), on a worker
    whose jobs may add ``memory_mb`` MiB: every poison job fails with its reason on its first
    attempt, every good one succeeds."""
    stack = lab_.stack
    worker = stack.worker("poison-w", concurrency=2, LABDB_JOB_MAX_MEMORY_MB=str(memory_mb))
    names = [f"good{i}.csv" for i in range(n_good)]
    poison = poison_files(n_poison)
    poison_at = {len(names) * (k + 1) // (len(poison) + 1): name for k, name in enumerate(poison)}
    try:
        for i, name in enumerate(names):
            if i in poison_at:
                bad = poison_at[i]
                assert lab_.upload(poison[bad], bad)[0] in (200, 201)
            assert lab_.upload(good_file(1000 + i), name)[0] in (200, 201)
        lab_.wait_all_finished(60 + 3 * n_good)
    finally:
        stack.stop_process(worker)
    jobs = lab_.jobs()
    return lab_.figures() | {
        "poison": {
            name: (status, attempts, error[:160])
            for status, error, attempts, name in jobs
            if name in poison
        },
        "good_failed": [
            (name, error)
            for status, error, _, name in jobs
            if name not in poison and status != "succeeded"
        ],
    }


def during(fault: Callable[[], None], heal: Callable[[], None], work: Callable[[], None]) -> None:
    """Run ``work`` in a thread while ``fault`` then ``heal`` happen."""
    t = threading.Thread(target=work)
    t.start()
    try:
        fault()
    finally:
        heal()
        t.join()


def redis_outage(
    lab_: Lab, n_uploads: int, freeze_s: float, down_s: float, extra_wait_s: float = 0
) -> dict[str, Any]:
    """``n_uploads`` uploads, one every half second, while Redis is frozen (SIGSTOP) for
    ``freeze_s`` then killed for ``down_s`` and started again empty: every upload answers within
    5 s, every 2xx has its job, and every job finishes soon after Redis is back."""
    stack = lab_.stack
    worker = stack.worker("redis-w", concurrency=2)
    answers: list[tuple[int, dict[str, Any]]] = []

    def uploads() -> None:
        for i in range(n_uploads):
            answers.append(lab_.upload(good_file(2000 + i), f"r{i}.csv"))
            time.sleep(0.5)

    def fault() -> None:
        time.sleep(1.0)
        stack.redis.freeze()
        time.sleep(freeze_s)
        stack.redis.freeze(False)
        stack.redis.stop()
        time.sleep(down_s)

    at_120: dict[str, int] = {}
    try:
        during(fault, stack.redis.start, uploads)
        healed = time.monotonic()
        try:
            lab_.wait_all_finished(120)
        except TimeoutError:  # the states then, and how long the rest took
            at_120 = lab_.job_states()
            lab_.wait_all_finished(extra_wait_s)
        recovered = time.monotonic() - healed
    finally:
        stack.stop_process(worker)
    ok = [body for code, body in answers if code in (200, 201)]
    with_job = sum(1 for body in ok if body.get("job"))
    return lab_.figures() | {
        "uploads": len(answers),
        "uploads_2xx": len(ok),
        "uploads_2xx_with_job": with_job,
        "recovered_s": round(recovered, 1),
        "states_120_s_after_recovery": at_120 or "all finished",
    }


def postgres_restart(
    lab_: Lab, seconds: float, modes: tuple[tuple[str, bool], ...]
) -> dict[str, Any]:
    """Reads of the API from two clients for ``seconds`` while PostgreSQL restarts once per
    ``(mode, quiet)``: ``fast`` or ``immediate``; quiet: the clients pause during the restart,
    so the web workers' pooled connections are stale when the next request comes (the case
    ``conn_health_checks`` is for). Counts 5xx of requests under way during a restart window
    (from the restart command until the server accepts connections, plus one second) and of
    the others."""
    stack = lab_.stack
    windows: list[tuple[float, float]] = []
    log: list[tuple[float, float, int]] = []
    stop = threading.Event()
    go = threading.Event()
    go.set()

    def reads() -> None:
        while not stop.is_set():
            go.wait()
            t = time.monotonic()
            code = lab_.get("/api/v1/test-runs/?page_size=5", timeout=10)
            log.append((t, time.monotonic(), code))
            time.sleep(0.05)

    clients = [threading.Thread(target=reads) for _ in range(2)]
    for c in clients:
        c.start()
    try:
        gap = seconds / (len(modes) + 1)
        for mode, quiet in modes:
            time.sleep(gap)
            if quiet:
                go.clear()
                time.sleep(1.0)  # requests under way finish
            start = time.monotonic()
            stack.pg.restart(mode)
            wait_until(stack.pg.ready, 60, "postgres back")
            windows.append((start, time.monotonic() + (0.0 if quiet else 1.0)))
            go.set()
        time.sleep(gap)
    finally:
        stop.set()
        for c in clients:
            c.join()

    def inside(sent: float, answered: float) -> bool:
        """The request was under way during a restart window."""
        return any(sent <= b and answered >= a for a, b in windows)

    failed = [(t, e, c) for t, e, c in log if c >= 500 or c == 0]
    return {
        "requests": len(log),
        "http_5xx_in_window": sum(1 for t, e, c in failed if inside(t, e)),
        "http_500_in_window": sum(1 for t, e, c in failed if c == 500 and inside(t, e)),
        "http_5xx_outside": sum(1 for t, e, c in failed if not inside(t, e)),
        "restart_window_s": [round(b - a, 1) for a, b in windows],
        "max_request_s": round(max(lab_.request_s, default=0.0), 2),
    }


def flipped_byte(lab_: Lab) -> dict[str, Any]:
    """A stored file has a byte flipped on disk: the download refuses it (503 with the reason),
    ``verify_storage`` names it, uploading the good bytes again repairs it."""
    stack = lab_.stack
    worker = stack.worker("byte-w", concurrency=1)
    data = good_file(3000)
    try:
        code, body = lab_.upload(data, "byte.csv")
        assert code == 201, (code, body)
        lab_.wait_all_finished(120)
    finally:
        stack.stop_process(worker)
    sha = hashlib.sha256(data).hexdigest()
    path = stack.data / "blobs" / sha[:2] / sha
    path.chmod(0o644)
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 2] ^= 0x01
    path.write_bytes(bytes(damaged))
    url = f"{lab_.web}/api/v1/files/{body['id']}/download/"
    headers = {"Authorization": f"Token {lab_.key}"}
    refused = requests.get(url, headers=headers, timeout=30)
    verify = subprocess.run(
        [sys.executable, "manage.py", "verify_storage"],
        cwd=ROOT,
        env=stack.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    again = lab_.upload(data, "byte.csv")[0]
    served = requests.get(url, headers=headers, timeout=30)
    return {
        "download_damaged": (refused.status_code, refused.json().get("code")),
        "verify_storage_named_it": verify.returncode != 0 and sha in verify.stderr,
        "reupload": again,
        "download_repaired_matches": served.status_code == 200 and served.content == data,
    }


def disk_full(lab_: Lab) -> dict[str, Any]:
    """The blob store's own small filesystem is filled, then made read-only: uploads answer
    507 then 503 and store nothing; once space is back and it is writable, they succeed."""
    stack = lab_.stack
    disk = stack.blob_disk
    assert disk is not None
    before = lab_.figures()["jobs"]
    # staging files left by the earlier scenarios' kill -9 (a process killed while it wrote a
    # blob cannot remove its own) are not this upload's: count only the new ones
    staged_before = set((disk / "tmp").glob("*")) if (disk / "tmp").exists() else set()
    filler = disk / "filler"
    with contextlib.suppress(OSError), filler.open("wb") as fh:
        while True:
            fh.write(b"\0" * 65536)
            fh.flush()
    full = lab_.upload(good_file(4000), "full.csv")
    staged = set((disk / "tmp").glob("*")) if (disk / "tmp").exists() else set()
    partial = sorted(staged - staged_before)
    filler.unlink()
    stack.remount_blob_disk("ro")
    read_only = lab_.upload(good_file(4001), "ro.csv")
    stack.remount_blob_disk("rw")
    worker = stack.worker("disk-w", concurrency=1)
    try:
        back = [lab_.upload(good_file(4000 + i), f"back{i}.csv")[0] for i in range(2)]
        lab_.wait_all_finished(60)
    finally:
        stack.stop_process(worker)
    figures = lab_.figures()
    return {
        "full": (full[0], full[1].get("code")),
        "read_only": (read_only[0], read_only[1].get("code")),
        "partial_files": len(partial),
        "records_from_refused": figures["jobs"] - before - len(back),
        "after_recovery": back,
        "succeeded_after_recovery": figures["succeeded"],
    }
