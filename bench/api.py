"""API benchmark: ``python bench/api.py``.

Serves a fresh SQLite database (the demo study plus a test run with 1,000 cycles, inserted
directly) with gunicorn on loopback, then measures requests/s and p50/p99 latency of a cell list,
a cell detail and the run's cycles at 1, 8 and 32 concurrent clients (a small threaded
http.client load generator, bounded in count and time), and the upload of a 200 MB file: its
throughput and the growth of the server's memory (RSS) meanwhile (target: under 64 MB).
Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SETUP = r"""
import hashlib, random
from labdb import models as m
from labdb.services.catalog import record_save
from django.contrib.auth import get_user_model
user = get_user_model().objects.get(username="demo")
run = record_save(record=m.TestRun(project=m.Project.objects.get(), label="BENCH-RUN",
    cell=m.Cell.objects.get(label="MgAgSn-E-HC1"),
    protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh")), user=user)
f = m.DataFile.objects.create(project=run.project, test_run=run, sha256="0" * 64,
    size_bytes=1, original_name="bench.csv", source="cli")
job = m.AnalysisJob.objects.create(project=run.project, data_file=f, kind="cycling",
    parameters={}, parameters_sha256="0" * 64, analysis_version="bench", status="running")
result = m.AnalysisResult.objects.create(job=job, test_run=run, kind="cycling", cycle_count=1000)
rng = random.Random(1)
m.CycleResult.objects.bulk_create([m.CycleResult(result=result, cycle=i,
    charge_capacity_mAh=0.77, discharge_capacity_mAh=0.785, plating_capacity_mAh=0.785,
    stripping_capacity_mAh=0.77, coulombic_efficiency=0.98 + rng.random() / 100,
    values={"duration_h": 2.0, "energy_efficiency": 0.9}) for i in range(1, 1001)])
# rows are added while the job runs; a finished job's result takes no new rows
m.AnalysisJob.objects.filter(pk=job.pk).update(status="succeeded", progress=1.0)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def manage(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(d.name))
    return found


def wait_ready(port: int, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/schema/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


def load(port: int, path: str, headers: dict[str, str], clients: int, total: int, seconds: float):
    """``total`` GETs of ``path`` from ``clients`` threads (stops early after ``seconds``)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(total))
    stop = time.monotonic() + seconds

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            with lock:
                if next(counter, None) is None:
                    break
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                ok = False
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt)
                errors += not ok

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    n = len(latencies)
    return {
        "requests": n,
        "errors": errors,
        "rps": n / wall if wall else 0.0,
        "p50_ms": 1000 * statistics.median(latencies) if n else 0.0,
        "p99_ms": 1000 * latencies[min(n - 1, int(0.99 * n))] if n else 0.0,
    }


def upload(port: int, key: str, path: Path, run: str) -> tuple[int, float, dict]:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    boundary = uuid.uuid4().hex
    pre = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="sha256"\r\n\r\n'
        f"{digest.hexdigest()}\r\n--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    post = f"\r\n--{boundary}--\r\n".encode()
    size = path.stat().st_size
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    t0 = time.perf_counter()
    conn.putrequest("POST", f"/api/v1/test-runs/{run}/files/")
    conn.putheader("Authorization", f"Token {key}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(pre) + size + len(post)))
    conn.endheaders()
    conn.send(pre)
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            conn.send(chunk)
    conn.send(post)
    response = conn.getresponse()
    body = json.loads(response.read() or b"{}")
    return response.status, time.perf_counter() - t0, body


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--requests", type=int, default=400, help="per endpoint and concurrency")
    p.add_argument("--seconds", type=float, default=15.0, help="cap per measurement")
    p.add_argument("--upload-mb", type=int, default=200)
    a = p.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="labdb-bench-"))
    env = {
        **os.environ,
        "LABDB_DATA_DIR": str(tmp / "data"),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_HTTPS": "0",  # plain HTTP on the loopback: no redirect, no secure-only cookies
        "LABDB_DEMO": "1",
        "LABDB_MAX_UPLOAD_BYTES": str((a.upload_mb + 50) * 1024 * 1024),
        # Queue analyses instead of running them inside the upload request, so that the upload
        # itself is measured (no worker consumes this in-memory broker).
        "CELERY_BROKER_URL": "memory://",
        "CELERY_RESULT_BACKEND": "cache+memory://",
        "LABDB_LOG_LEVEL": "WARNING",
        "TMPDIR": str(tmp),
    }
    print(f"setting up a fresh database in {tmp} ...", flush=True)
    manage(env, "migrate", "--noinput")
    manage(env, "demo")
    manage(env, "shell", "-c", SETUP)
    key = manage(env, "create_token", "--user", "demo", "--scope", "read-write").splitlines()[-1]
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(PYTHON).with_name("gunicorn")),
            "labdb.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(a.workers),
            "--timeout",
            "600",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_ready(port)
        headers = {"Authorization": f"Token {key}", "Accept": "application/json"}
        endpoints = {
            "cell list": "/api/v1/cells/",
            "cell detail": "/api/v1/cells/MgAgSn-E-HC1/",
            "cycles (1,000)": "/api/v1/test-runs/BENCH-RUN/cycles/",
        }
        print(f"\ngunicorn, {a.workers} sync workers, SQLite, token auth, 127.0.0.1:{port}")
        print(
            f"{'endpoint':<16} {'clients':>7} {'requests':>8} {'req/s':>8} {'p50 ms':>8} "
            f"{'p99 ms':>8} {'errors':>6}"
        )
        for name, path in endpoints.items():
            load(port, path, headers, 2, 20, 5)  # warm-up
            for clients in (1, 8, 32):
                r = load(port, path, headers, clients, a.requests, a.seconds)
                print(
                    f"{name:<16} {clients:>7} {r['requests']:>8} {r['rps']:>8.1f} "
                    f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['errors']:>6}",
                    flush=True,
                )

        big = tmp / "big.bin"
        with big.open("wb") as fh:
            block = os.urandom(1 << 20)
            for i in range(a.upload_mb):
                fh.write(block[i % 256 :] + block[: i % 256])  # distinct content per MiB
        workers = children(server.pid)
        baseline = {pid: rss_kib(pid) for pid in workers}
        peak = dict(baseline)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                for pid in workers:
                    peak[pid] = max(peak[pid], rss_kib(pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        status, seconds, body = upload(port, key, big, "BENCH-RUN")
        done.set()
        sampler.join()
        growth_mib = max(peak[pid] - baseline[pid] for pid in workers) / 1024
        size_mb = big.stat().st_size / 1e6
        print(
            f"\nupload of {size_mb:.0f} MB: HTTP {status} in {seconds:.2f} s = "
            f"{size_mb / seconds:.0f} MB/s; sha256 verified: {body.get('sha256', '')[:12]}"
        )
        print(
            f"server worker RSS: baseline {max(baseline.values()) / 1024:.0f} MiB, growth during "
            f"the upload {growth_mib:.1f} MiB (target < 64 MiB): "
            f"{'OK' if growth_mib < 64 else 'OVER'}"
        )
        return 0 if status == 201 and growth_mib < 64 else 1
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        subprocess.run(["rm", "-rf", str(tmp)], check=False)


if __name__ == "__main__":
    sys.exit(main())
