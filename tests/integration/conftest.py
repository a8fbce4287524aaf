"""The PostgreSQL + Redis + real Celery worker suite (CI step 2).

Runs only when ``DATABASE_URL`` points at PostgreSQL and ``CELERY_BROKER_URL`` at a broker;
the worker is a real ``celery worker`` process that uses the test database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _integration_enabled() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return "DATABASE_URL does not point at PostgreSQL"
    if not os.environ.get("CELERY_BROKER_URL"):
        return "CELERY_BROKER_URL is not set"
    return None


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    reason = _integration_enabled()
    if reason is None:
        return
    for item in items:
        if "integration" in item.keywords:
            continue
    return


def worker_database_url() -> str:
    """The URL of the test database (the one this process uses), for a worker process."""
    from django.db import connection

    db = connection.settings_dict
    return (
        f"postgresql://{db['USER']}"
        + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        + f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def start_worker(
    env: dict[str, str], log_path: Path, *, name: str, queues: str | None = None
) -> subprocess.Popen[str]:
    """A real ``celery worker`` process (solo pool) with exactly ``env``; returns once it is
    ready (raises with its log otherwise). Stop it with :func:`stop_worker`."""
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "labdb",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{name}@%h",
            *(["-Q", queues] if queues else []),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log.close()
    deadline = time.monotonic() + 60
    while "ready." not in log_path.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_worker(proc)
            raise RuntimeError(f"celery worker did not start:\n{log_path.read_text()}")
        time.sleep(0.2)
    return proc


def stop_worker(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=20)


@pytest.fixture
def celery_worker_process(transactional_db: Any, settings: Any) -> Iterator[subprocess.Popen[str]]:
    """A real worker process on the test database, stopped after the test."""
    reason = _integration_enabled()
    if reason:
        pytest.skip(f"integration suite needs PostgreSQL and a broker: {reason}")
    env = os.environ | {
        "DATABASE_URL": worker_database_url(),
        "LABDB_DATA_DIR": str(settings.DATA_DIR),
        "PYTHONUNBUFFERED": "1",
    }
    proc = start_worker(
        env, Path(settings.DATA_DIR) / "worker.log", name=f"labdb-test-{os.getpid()}"
    )
    try:
        yield proc
    finally:
        stop_worker(proc)
