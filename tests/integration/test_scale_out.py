"""Workers on other hosts: a real worker process that shares no disk with the web side and
knows only the database URL, the broker URL and the object store (a real SeaweedFS), one queue
per kind of work, the sweep reading every queue, and the jobs page showing queues and workers."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from labdb import models as m
from labdb.demo import demo_load
from labdb.services.ingest import data_file_register
from labdb.services.job_queue import UNSENT_GRACE, jobs_sweep
from tests.integration.conftest import (
    _integration_enabled,
    start_worker,
    stop_worker,
    worker_database_url,
)
from tests.labdb.test_ingest_and_jobs import bdf_csv
from tests.labdb.web.conftest import make_run, peis_bytes
from tests.s3server import BUCKET, SeaweedS3

pytestmark = pytest.mark.integration


def _wait_finished(job: m.AnalysisJob, timeout_s: float = 120) -> m.AnalysisJob:
    deadline = time.monotonic() + timeout_s
    while True:
        job.refresh_from_db()
        if job.status in ("succeeded", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.3)


def _remote_worker_env(s3_server: SeaweedS3, prefix: str, data_dir: Path) -> dict[str, str]:
    """All a worker on another host is given: how to reach the database, the broker and the
    object store, and a data folder of its own (temporary copies only)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(data_dir),
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"],
        "LABDB_DATA_DIR": str(data_dir),
        **s3_server.store_env(prefix),
    }


@pytest.mark.django_db(transaction=True)
def test_workers_on_other_hosts_take_their_queues_and_keep_nothing_on_the_web_disk(
    s3_server: SeaweedS3,
    s3_blob_store: str,
    settings: Any,
    tmp_path: Path,
) -> None:
    reason = _integration_enabled()
    if reason:
        pytest.skip(f"integration suite needs PostgreSQL and a broker: {reason}")
    from labdb.celery import app

    demo = demo_load()
    demo_user = get_user_model().objects.get(username="demo")
    client_demo = Client()
    client_demo.force_login(demo_user)
    app.control.purge()  # messages left by an earlier run of this broker database
    ingest_dir, fitting_dir = tmp_path / "ingest-host", tmp_path / "fitting-host"
    ingest_dir.mkdir()
    fitting_dir.mkdir()
    ingest = start_worker(
        _remote_worker_env(s3_server, s3_blob_store, ingest_dir),
        ingest_dir / "worker.log",
        name=f"ingest-{os.getpid()}",
        queues="ingest",
    )
    try:
        cycling_run = make_run(demo, demo_user, "HC1-PS-remote", "MgAgSn-E-HC1", "PS-1mA-1mAh")
        eis_run = make_run(
            demo, demo_user, "HC1-EIS-remote", "MgAgSn-E-HC1", "EIS-POST", after_cycles=5
        )
        cycling = data_file_register(
            test_run=cycling_run,
            chunks=[bdf_csv(cycles=4, ce=0.98)],
            original_name="ps.csv",
            user=demo_user,
            source="cli",
        ).job
        eis = data_file_register(
            test_run=eis_run,
            chunks=[peis_bytes("MgAgSn-Elastane", 5, tmp_path)],
            original_name="eis5.mpt",
            user=demo_user,
            source="cli",
        ).job
        assert (cycling.kind, eis.kind) == ("cycling", "eis")

        # the ingest worker analyses the cycling file, read from S3, and leaves the EIS job
        cycling = _wait_finished(cycling)
        assert cycling.status == "succeeded", cycling.error
        assert cycling.result.cycle_count == 4
        # its dQ/dV follows on the same queue; a solo worker answers no inspection while it
        # runs a job, so the overview below is read once that one has finished too
        dqdv = _wait_finished(m.AnalysisJob.objects.get(data_file=cycling.data_file, kind="dqdv"))
        assert dqdv.status == "succeeded", dqdv.error
        eis.refresh_from_db()
        assert eis.status == "queued" and not eis.claimed_by

        # its message waits in the fitting queue: the sweep does not send it twice
        assert jobs_sweep(now=timezone.now() + UNSENT_GRACE * 2) == []
        cache.delete("labdb:queue-overview")  # the page keeps an overview 10 s
        page = client_demo.get("/jobs/")
        overview = page.context["overview"]
        queues = {q.name: q for q in overview.queues}
        assert (queues["fitting"].waiting, queues["fitting"].jobs_queued) == (1, 1)
        assert queues["ingest"].waiting == 0 and queues["fitting"].kinds == ["eis"]
        workers = {w.name.split("@")[0]: w for w in overview.workers}
        assert workers[f"ingest-{os.getpid()}"].queues == ["ingest"]
        assert b'data-queue="fitting"' in page.content

        # a fitting worker on a third host takes it
        fitting = start_worker(
            _remote_worker_env(s3_server, s3_blob_store, fitting_dir),
            fitting_dir / "worker.log",
            name=f"fitting-{os.getpid()}",
            queues="fitting",
        )
        try:
            eis = _wait_finished(eis)
        finally:
            stop_worker(fitting)
        assert eis.status == "succeeded", eis.error
    finally:
        stop_worker(ingest)

    # every blob is in the bucket; no host kept one on its disk
    listed = s3_server.client().list_objects_v2(Bucket=BUCKET, Prefix=f"{s3_blob_store}/")
    keys = {o["Key"].rsplit("/", 1)[-1] for o in listed["Contents"]}
    for job in (cycling, eis):
        assert {job.data_file.sha256, job.parsed_table.sha256, job.output_sha256} <= keys
    for folder in (ingest_dir, fitting_dir, Path(settings.DATA_DIR)):
        assert not list(folder.rglob("blobs")), folder
        assert not any((folder / "tmp").glob("*")), folder  # temporary copies removed
