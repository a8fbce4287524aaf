"""The chaos scenarios that only the issue's sizes need (``bench/chaos.py --full``), and the
time-limit poison job (also in ``tests/chaos``); figures as in :mod:`tests.chaos.scenarios`.

- :func:`time_limit_poison`: a job longer than the worker's time limit ends failed on its first
  attempt with the reason, on a real worker, and the worker goes on with the next job;
- :func:`postgres_restart_with_jobs`: PostgreSQL fast and immediate restarts while a worker
  runs a queue of analyses and uploads and reads go on: no 5xx outside the restart windows, no
  acknowledged upload lost, every job finished once, the workers back at work soon after each
  restart;
- :func:`big_uploads`: large uploads, every other one cut mid-way and sent again: the hashes
  match, no partial file is visible, the web processes' memory does not grow with the size.
"""

from __future__ import annotations

import hashlib
import http.client
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from tests.chaos.scenarios import Lab, good_file
from tests.chaos.services import children, wait_until


def time_limit_poison(lab_: Lab, limit_s: int = 5, sleep_s: int = 120) -> dict[str, Any]:
    """A job that runs ``sleep_s`` (the worker's fault injection ``LABDB_FAULT_SLOW_JOBS``
    makes the job on ``slow.csv`` sleep inside its attempt: deterministic, unlike a big file
    whose analysis time depends on the machine) on a worker whose soft time limit is
    ``limit_s``, then a good file: the first fails on attempt 1 naming the time limit, the
    second succeeds on the same worker."""
    stack = lab_.stack
    slow, good = good_file(4999), good_file(5000)
    worker = stack.worker(
        "slow-w",
        concurrency=1,
        LABDB_TASK_SOFT_TIME_LIMIT=str(limit_s),
        LABDB_TASK_TIME_LIMIT=str(limit_s + 2),
        LABDB_FAULT_SLOW_JOBS=f"slow.csv={sleep_s}",
    )
    t0 = time.monotonic()
    try:
        assert lab_.upload(slow, "slow.csv")[0] in (200, 201)
        assert lab_.upload(good, "after-slow.csv")[0] in (200, 201)
        lab_.wait_all_finished(180)
        alive = worker.poll() is None
    finally:
        stack.stop_process(worker)
    jobs = {name: (status, attempts, error[:200]) for status, error, attempts, name in lab_.jobs()}
    return lab_.figures() | {
        "slow": jobs.get("slow.csv"),
        "after": jobs.get("after-slow.csv"),
        "worker_alive": alive,
        "finished_s": round(time.monotonic() - t0, 1),
    }


def postgres_restart_with_jobs(
    lab_: Lab, n_jobs: int, n_uploads: int, modes: tuple[str, ...], workers: int = 1
) -> dict[str, Any]:
    """``n_jobs`` analyses queued, then ``workers`` workers start on them while ``n_uploads``
    uploads (one every 0.3 s) and reads go on and PostgreSQL restarts once per mode."""
    stack = lab_.stack
    for i in range(n_jobs):
        code, _ = lab_.upload(good_file(6000 + i), f"pg{i}.csv")
        assert code in (200, 201), code
    procs = [stack.worker(f"pg-w{k}", concurrency=2) for k in range(workers)]
    windows: list[tuple[float, float]] = []
    log: list[tuple[float, float, int, str]] = []
    acknowledged: list[str] = []
    stop = threading.Event()

    def uploads() -> None:
        for i in range(n_uploads):
            data = good_file(7000 + i)
            t = time.monotonic()
            code, _ = lab_.upload(data, f"pgu{i}.csv", timeout=30)
            log.append((t, time.monotonic(), code, "upload"))
            if code in (200, 201):
                acknowledged.append(hashlib.sha256(data).hexdigest())
            time.sleep(0.3)

    def reads() -> None:
        while not stop.is_set():
            t = time.monotonic()
            code = lab_.get("/api/v1/test-runs/?page_size=5", timeout=10)
            log.append((t, time.monotonic(), code, "read"))
            time.sleep(0.1)

    def finished_jobs() -> int:
        return int(lab_.job_states().get("succeeded", 0) + lab_.job_states().get("failed", 0))

    clients = [threading.Thread(target=uploads), threading.Thread(target=reads)]
    for c in clients:
        c.start()
    back_to_work: list[float] = []
    try:
        for mode in modes:
            time.sleep(8)
            start = time.monotonic()
            stack.pg.restart(mode)
            wait_until(stack.pg.ready, 60, "postgres back")
            end = time.monotonic()
            windows.append((start, end + 1.0))
            before = _retry(finished_jobs)
            try:  # the workers are back at work when one more job finishes
                wait_until(
                    lambda n=before: _retry(finished_jobs) > n, 120, "a job after the restart"
                )
                back_to_work.append(round(time.monotonic() - end, 1))
            except TimeoutError:
                back_to_work.append(-1.0)  # nothing left to do, or the workers are stuck
        clients[0].join()
    finally:
        stop.set()
        for c in clients:
            c.join()
    try:
        lab_.wait_all_finished(120 + 3 * n_jobs)
    finally:
        for p in procs:
            stack.stop_process(p)
    stored = {
        row[0]
        for row in lab_.sql(
            "SELECT f.sha256 FROM labdb_datafile f JOIN labdb_testrun r ON f.test_run_id = r.id"
            f" WHERE r.label = '{lab_.run}'"
        )
    }

    def inside(sent: float, answered: float) -> bool:
        return any(sent <= b and answered >= a for a, b in windows)

    failed = [(t, e, c, k) for t, e, c, k in log if c >= 500 or c == 0]
    return lab_.figures() | {
        "requests": len(log),
        "uploads_acknowledged": len(acknowledged),
        "acknowledged_lost": len(set(acknowledged) - stored),
        "http_5xx_in_window": sum(1 for t, e, c, k in failed if inside(t, e)),
        "http_500_in_window": sum(1 for t, e, c, k in failed if c == 500 and inside(t, e)),
        "http_5xx_outside": sum(1 for t, e, c, k in failed if not inside(t, e)),
        "restart_window_s": [round(b - a, 1) for a, b in windows],
        "workers_back_s": back_to_work,
    }


def _retry(f: Any, attempts: int = 30) -> Any:
    for _ in range(attempts - 1):
        try:
            return f()
        except Exception:  # the database is still coming back
            time.sleep(1)
    return f()


def _chunks(seed: int, size_mb: int) -> Iterator[bytes]:
    rng = np.random.default_rng(seed)
    for _ in range(size_mb):
        yield rng.bytes(1 << 20)


def _send(lab_: Lab, seed: int, size_mb: int, cut_at_mb: int | None) -> tuple[int, str]:
    """Upload ``size_mb`` MiB of pseudo-random bytes (``seed``) streamed over one connection;
    ``cut_at_mb``: close the connection after that many MiB instead. (status, sha256)."""
    digest = hashlib.sha256()
    for chunk in _chunks(seed, size_mb):
        digest.update(chunk)
    sha = digest.hexdigest()
    boundary = uuid.uuid4().hex
    pre = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="sha256"\r\n\r\n{sha}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big{seed}.bin"'
        "\r\nContent-Type: application/octet-stream\r\n\r\n"
    ).encode()
    post = f"\r\n--{boundary}--\r\n".encode()
    url = urlsplit(lab_.web)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=600)
    conn.putrequest("POST", f"/api/v1/test-runs/{lab_.run}/files/")
    conn.putheader("Authorization", f"Token {lab_.key}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(pre) + size_mb * (1 << 20) + len(post)))
    conn.endheaders()
    conn.send(pre)
    for i, chunk in enumerate(_chunks(seed, size_mb)):
        if cut_at_mb is not None and i == cut_at_mb:
            conn.close()  # the client goes away mid-upload
            return 0, sha
        conn.send(chunk)
    conn.send(post)
    status = conn.getresponse().status
    conn.close()
    return status, sha


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def big_uploads(lab_: Lab, web_pid: int, n: int = 20, size_mb: int = 150) -> dict[str, Any]:
    """``n`` uploads of ``size_mb`` MiB; every other one is cut half-way and sent again. The
    web processes' resident memory is sampled throughout (``web_pid``: gunicorn's master)."""
    stack = lab_.stack
    workers = children(web_pid)
    baseline = {pid: _rss_kib(pid) for pid in workers}
    peak = dict(baseline)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid in workers:
                peak[pid] = max(peak[pid], _rss_kib(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    statuses, cut, hashes = [], 0, []
    t0 = time.monotonic()
    try:
        for i in range(n):
            seed = 8000 + i
            if i % 2:
                _send(lab_, seed, size_mb, cut_at_mb=size_mb // 2)
                cut += 1
            status, sha = _send(lab_, seed, size_mb, cut_at_mb=None)
            statuses.append(status)
            hashes.append(sha)
    finally:
        done.set()
        sampler.join()
    seconds = time.monotonic() - t0
    blobs = stack.data / "blobs"
    stored = {p.name for p in blobs.rglob("*") if p.is_file() and len(p.name) == 64}
    intact = sum(
        1 for sha in hashes if sha in stored and _file_sha256(blobs / sha[:2] / sha) == sha
    )
    leftovers = (
        [p for p in (blobs / "tmp").rglob("*") if p.is_file()] if (blobs / "tmp").exists() else []
    )
    growth = max((peak[p] - baseline[p] for p in workers), default=0) / 1024
    return {
        "uploads": n,
        "cut_and_resent": cut,
        "statuses": sorted(set(statuses)),
        "stored_and_hash_matches": intact,
        "partial_files_left": len(leftovers),
        "records": lab_.sql(
            "SELECT count(*) FROM labdb_datafile f JOIN labdb_testrun r ON f.test_run_id = r.id"
            f" WHERE r.label = '{lab_.run}'"
        )[0][0],
        "web_rss_growth_mib": round(growth, 1),
        "mb_per_s": round(n * size_mb * 1.048576 / seconds, 1),
    }


def _file_sha256(path: Any) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
