"""Mixed load with locust: ``python bench/load.py [--users 50] [--minutes 10] [--quick]``.

A stack of the script's own on 127.0.0.1 (PostgreSQL, Redis, gunicorn with the container's
settings: ``docker/gunicorn.conf.py``, 3 processes x 4 threads; a Celery worker with 2 pool
processes; everything stopped by pid at the end; :mod:`tests.chaos.services`), loaded with the
demo study (its 32 simulated files analysed by the worker). Then locust, headless, runs
``--users`` users (``--spawn-rate`` per second, 1 by default: logging in hashes a password)
for ``--minutes``; each user waits 1 to 3 s between
tasks and picks, by weight:

- browse (6): the home page, cell list, a cell's page, a batch page, the search;
- API reads (6): cells, test runs (paged), a run's cycles, a cell;
- comparisons (2): the comparison page with filters and one of its plots (JSON);
- uploads (1): a new small cycling file to a test run through the API (each is analysed by the
  worker while the load goes on).

Users log in through the login form (session + CSRF) for pages and use an API key for the API.
Printed: requests, failures (any non-2xx/3xx, or an upload without its job), requests/s and the
p50 / p95 / p99 latency per kind and overall (locust's percentiles), then the analyses the
uploads queued and how many had finished. Exit 1 if any request failed. ``--quick`` (CI): 10
users for 30 s on the demo catalog plus a few analysed files (no full demo import).

Timing figures depend on this shared 2-core machine (locust itself takes part of a core): the
target here is 0 failures; the latencies are reported, not asserted.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# --- the locust side (this file is also the locustfile; settings come from the environment) --

try:
    from locust import HttpUser, between, task
except ImportError:  # the orchestrating side does not need locust imported
    HttpUser = object  # type: ignore[misc,assignment]

    def task(weight: int) -> Any:  # type: ignore[no-redef]
        return lambda f: f

    def between(a: float, b: float) -> Any:  # type: ignore[no-redef]
        return None


_UPLOADS = itertools.count()


class LabUser(HttpUser):  # type: ignore[misc,valid-type]
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.key = os.environ["LOAD_KEY"]
        self.api = {"Authorization": f"Token {self.key}", "Accept": "application/json"}
        self.cell = os.environ.get("LOAD_CELL", "MgAgSn-E-HC1")
        self.batch = os.environ.get("LOAD_BATCH", "")
        self.run = os.environ["LOAD_RUN"]
        self.upload_run = os.environ["LOAD_UPLOAD_RUN"]
        self.files = Path(os.environ["LOAD_FILES"])
        page = self.client.get("/accounts/login/", name="login form")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        self.client.post(
            "/accounts/login/",
            {
                "username": "demo",
                "password": "demo",
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="login",
        )

    @task(6)
    def browse(self) -> None:
        self.client.get("/", name="page: home")
        self.client.get("/cells/", name="page: cells")
        self.client.get(f"/cells/{self.cell}/", name="page: cell")
        if self.batch:
            self.client.get(f"/batches/{self.batch}/", name="page: batch")
        self.client.get("/search/?q=MgAg", name="page: search")

    @task(6)
    def api_reads(self) -> None:
        self.client.get("/api/v1/cells/", headers=self.api, name="api: cells")
        self.client.get("/api/v1/test-runs/?page_size=20", headers=self.api, name="api: test runs")
        self.client.get(
            f"/api/v1/test-runs/{self.run}/cycles/", headers=self.api, name="api: cycles"
        )
        self.client.get(f"/api/v1/cells/{self.cell}/", headers=self.api, name="api: cell")

    @task(2)
    def compare(self) -> None:
        query = "kind=half&binder=Elastane&group=seed"
        self.client.get(f"/compare/?{query}", name="page: compare")
        self.client.get(f"/compare/plots/ce.json?{query}", name="plot: compare ce")

    @task(1)
    def upload(self) -> None:
        n = next(_UPLOADS)
        data = (self.files / f"u{n % int(os.environ['LOAD_FILES_N'])}.csv").read_bytes()
        with self.client.post(
            f"/api/v1/test-runs/{self.upload_run}/files/",
            headers={"Authorization": f"Token {self.key}"},
            files={"file": (f"load-{n}.csv", data)},
            data={"sha256": hashlib.sha256(data).hexdigest()},
            name="api: upload",
            catch_response=True,
        ) as response:
            if response.status_code in (200, 201) and not response.json().get("job"):
                response.failure("accepted without a job")


# --- the orchestrating side ----------------------------------------------------------------

SETUP = """
from labdb import models as m
from labdb.services.catalog import record_save
from labdb.services.tokens import token_create
from django.contrib.auth import get_user_model
project = m.Project.objects.get()
user = get_user_model().objects.get(username="demo")
for label in ("LOAD-RUN", "LOAD-UPLOADS"):
    record_save(record=m.TestRun(project=project, label=label,
        cell=m.Cell.objects.get(label="MgAgSn-E-HC1"),
        protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh")), user=user)
batch = m.ElectrodeBatch.objects.order_by("label").first()
print("BATCH", batch.label if batch else "")
print("KEY", token_create(user=user, name="load", scope="read-write").key)
"""


def percentile_rows(stats_csv: Path) -> list[dict[str, str]]:
    with stats_csv.open() as fh:
        return list(csv.DictReader(fh))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--spawn-rate", type=float, default=1.0, help="users started per s")
    parser.add_argument("--quick", action="store_true", help="10 users, 30 s, no full demo")
    args = parser.parse_args()
    users, seconds = (10, 30) if args.quick else (args.users, int(args.minutes * 60))

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labdb.settings")
    import django

    django.setup()
    from tests.chaos import scenarios
    from tests.chaos.services import free_port, missing_tools, stack, status, wait_until

    why = missing_tools()
    if why:
        print(f"skipped: {why}")
        return 0
    t0 = time.monotonic()
    with stack(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="load-" + os.urandom(8).hex(),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_HTTPS="0",
        LABDB_DEMO="1",
    ) as s:
        s.manage("collectstatic", "--noinput", "-v0")  # DEBUG off: static files from STATIC_ROOT
        worker = s.worker("load-w", concurrency=2)
        if args.quick:
            s.manage("shell", "-c", "from labdb.demo import demo_load; demo_load()")
        else:
            s.manage("demo")  # 32 simulated files, queued for the worker
        out = s.manage("shell", "-c", SETUP)
        key = next(line.split()[1] for line in out.splitlines() if line.startswith("KEY "))
        batch = next(line[6:] for line in out.splitlines() if line.startswith("BATCH "))
        files = s.base / "uploads"
        files.mkdir()
        n_files = 200 if args.quick else 5000
        for i in range(n_files):
            (files / f"u{i}.csv").write_bytes(scenarios.good_file(10_000 + i))
        port = free_port()
        s.spawn(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "docker/gunicorn.conf.py",
                "-b",
                f"127.0.0.1:{port}",
                "--access-logfile",
                "/dev/null",
                "labdb.wsgi",
            ],
            "web",
            LABDB_LOG_LEVEL="WARNING",
        )
        web = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: status(web + "/accounts/login/") == 200, 120, "web start", 0.5)
        except TimeoutError:
            print((s.base / "web.log").read_text()[-3000:])
            raise
        lab = scenarios.Lab(s, web, key, run="LOAD-RUN")
        for i in range(3):  # the run the API reads has analysed cycles
            code, body = lab.upload(scenarios.good_file(900 + i, cycles=50), f"seed{i}.csv")
            if code != 201:
                raise SystemExit(f"the setup upload answered {code}: {body}")
        lab.wait_all_finished(900)
        setup_s = time.monotonic() - t0
        print(
            f"stack ready in {setup_s:.0f} s: {web}, locust {users} users for {seconds} s",
            flush=True,
        )
        prefix = s.base / "locust"
        env = os.environ | {
            "LOAD_KEY": key,
            "LOAD_RUN": "LOAD-RUN",
            "LOAD_UPLOAD_RUN": "LOAD-UPLOADS",
            "LOAD_BATCH": batch,
            "LOAD_FILES": str(files),
            "LOAD_FILES_N": str(n_files),
        }
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                __file__,
                "--headless",
                "-u",
                str(users),
                "-r",
                str(args.spawn_rate),
                "-t",
                f"{seconds}s",
                "--host",
                web,
                "--csv",
                str(prefix),
                "--only-summary",
                "--stop-timeout",
                "30",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=seconds + 300,
            check=False,
        )
        rows = percentile_rows(Path(f"{prefix}_stats.csv"))
        web_log = (s.base / "web.log").read_text(errors="replace")
        timeouts = web_log.count("WORKER TIMEOUT")
        uploads = scenarios.Lab(s, web, key, run="LOAD-UPLOADS")
        states = uploads.job_states()
        s.stop_process(worker)
    print(
        f"\n{'request':<22} {'count':>7} {'fail':>5} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7}"
    )
    failures = 0
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
        print(
            f"{name:<22} {row['Request Count']:>7} {row['Failure Count']:>5} "
            f"{float(row['Requests/s']):>7.1f} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7}"
        )
        if row["Name"] == "Aggregated":
            failures = int(row["Failure Count"])
    print(f"\nuploads' analyses: {dict(states)} (queued during the load; the worker goes on)")
    print(f"gunicorn worker timeouts (a process killed with its requests): {timeouts}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if done.returncode not in (0, 1):
        print(done.stderr[-3000:])
    failure_csv = Path(f"{prefix}_failures.csv")
    if failures:
        print(failure_csv.read_text()[:3000] if failure_csv.exists() else done.stderr[-3000:])
    print(f"{users} users, {seconds} s, {failures} failures; total {time.monotonic() - t0:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
