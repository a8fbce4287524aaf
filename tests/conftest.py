"""Shared fixtures: where the real instrument files for conformance tests live."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db.backends.signals import connection_created

REPO_ROOT = Path(__file__).resolve().parent.parent

# s3_server / s3_blob_store: a real S3-compatible server (SeaweedFS) for the blob-store tests
pytest_plugins = ["tests.s3server"]


def conformance_root() -> Path:
    """``LABDB_CONFORMANCE_DATA``, defaulting to ``../shared/data`` next to the repository."""
    env = os.environ.get("LABDB_CONFORMANCE_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def conformance_data() -> Path:
    root = conformance_root()
    if not root.is_dir():
        pytest.skip(
            f"conformance data not found at {root} (set LABDB_CONFORMANCE_DATA to the shared data folder)"
        )
    return root


@pytest.fixture(autouse=True)
def _tasks_in_process(request: pytest.FixtureRequest) -> Iterator[None]:
    """Outside the integration suite, Celery tasks run in-process even when a broker is
    configured (CI runs the whole suite with CELERY_BROKER_URL set); the integration tests use
    a real worker."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    from labdb.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _a_child_per_job(request: pytest.FixtureRequest, settings: Any) -> None:
    """Outside the integration suite, each job's analysis gets a process of its own: a child
    kept from an earlier test would run with that test's settings (blob folder) and patches.
    The serving child (labdb.services.execution) is tested in tests/labdb/jobs/test_child_reuse.py
    and by the integration and chaos suites, whose real workers run with the default."""
    if not request.node.get_closest_marker("integration"):
        settings.JOB_CHILD_JOBS = 1


def _allow_test_flush(sender: Any, connection: Any, **kwargs: Any) -> None:
    """The suite's flush between transactional tests TRUNCATEs every table; on PostgreSQL the
    immutable tables refuse TRUNCATE unless the session allows it (migration 0014)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET labdb.allow_truncate = 'on'")


connection_created.connect(_allow_test_flush)
