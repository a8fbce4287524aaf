"""Exports on a real worker that consumes only the ``exports`` queue (Redis, PostgreSQL): the
request answers at once with the queued job, the worker builds the file, the page's poll sees it
finish and the download is the stored blob."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from labdb import models as m
from labdb.demo import demo_load
from labdb.services.catalog import record_save
from labdb.services.ingest import data_file_register
from labdb.services.jobs import job_run
from tests.integration.conftest import (
    _integration_enabled,
    start_worker,
    stop_worker,
    worker_database_url,
)
from tests.labdb.test_ingest_and_jobs import bdf_csv

pytestmark = pytest.mark.integration


@pytest.fixture
def exports_worker(transactional_db: Any, settings: Any) -> Iterator[Any]:
    """A real worker on the test database that consumes only the ``exports`` queue."""
    reason = _integration_enabled()
    if reason:
        pytest.skip(f"integration suite needs PostgreSQL and a broker: {reason}")
    env = os.environ | {
        "DATABASE_URL": worker_database_url(),
        "LABDB_DATA_DIR": str(settings.DATA_DIR),
        "PYTHONUNBUFFERED": "1",
    }
    log = Path(settings.DATA_DIR) / "exports-worker.log"
    proc = start_worker(env, log, name=f"labdb-exports-{os.getpid()}", queues="exports")
    try:
        yield proc
    finally:
        stop_worker(proc)


def test_the_package_is_built_by_the_exports_worker_not_in_the_request(
    exports_worker: Any,
) -> None:
    from django.conf import settings

    assert not settings.CELERY_TASK_ALWAYS_EAGER
    project = demo_load()
    run = record_save(
        record=m.TestRun(
            project=project,
            label="int-export-PS",
            cell=m.Cell.objects.get(label="MgAgSn-E-HC1"),
            protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
        ),
        user=None,
    )
    registered = data_file_register(
        test_run=run,
        chunks=[bdf_csv(cycles=4, ce=0.98)],
        original_name="e.csv",
        user=None,
        source="cli",
    )
    analysed = job_run(str(registered.job.pk))  # here: the worker takes only exports
    assert analysed is not None and analysed.status == "succeeded", analysed

    user = m.Membership.objects.filter(project=project).first().user  # type: ignore[union-attr]
    client = Client()
    client.force_login(user)
    response = client.get("/compare/package.zip", {"cells": "MgAgSn-E-HC1"})
    assert response.status_code == 303
    job = m.ExportJob.objects.get(pk=response["Location"].split("/")[2])
    assert job.status in ("queued", "running")  # not built in the request

    deadline = time.monotonic() + 300
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = client.get(f"/exports/{job.pk}/status.json").json()
        if status["finished"]:
            break
        time.sleep(0.5)
    assert status.get("status") == "succeeded", status or "no status"
    job.refresh_from_db()
    assert job.attempts == 1 and job.stage == "done"
    _host, pid, _ = job.claimed_by.split(":")
    assert int(pid) != os.getpid()  # built by the worker process
    assert job.provenance["worker"] == job.claimed_by
    data = b"".join(client.get(status["download"]).streaming_content)
    assert hashlib.sha256(data).hexdigest() == job.result_sha256 == status["sha256"]

    # the same button again: the same export, nothing queued
    again = client.get("/compare/package.zip", {"cells": "MgAgSn-E-HC1"})
    assert again["Location"] == response["Location"]
    assert m.ExportJob.objects.count() == 1
