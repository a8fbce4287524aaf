"""A real Celery worker, through Redis, on PostgreSQL: tasks and analysis jobs end to end."""

from __future__ import annotations

import time
from typing import Any

import pytest

from labdb import models as m
from labdb.demo import demo_load
from labdb.services.catalog import record_save
from labdb.services.ingest import data_file_register
from tests.labdb.test_ingest_and_jobs import bdf_csv

pytestmark = pytest.mark.integration


def test_worker_reads_the_same_database_and_stores_its_result(celery_worker_process: Any) -> None:
    from labdb.tasks import catalog_summary

    project = demo_load()
    async_result = catalog_summary.delay(str(project.pk))
    payload = async_result.get(timeout=60)  # read back from the result backend (Redis)
    assert payload["counts"]["cell"] == m.Cell.objects.filter(project=project).count() == 11
    assert payload["counts"]["materiallot"] == 12


def test_analysis_job_runs_on_the_worker_end_to_end(celery_worker_process: Any) -> None:
    from django.conf import settings

    assert not settings.CELERY_TASK_ALWAYS_EAGER
    project = demo_load()
    run = record_save(
        record=m.TestRun(
            project=project,
            label="int-PS-1",
            cell=m.Cell.objects.get(label="MgAgSn-E-HC1"),
            protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
        ),
        user=None,
    )
    registered = data_file_register(
        test_run=run,
        chunks=[bdf_csv(cycles=5, ce=0.99)],
        original_name="int.csv",
        user=None,
        source="cli",
    )
    job = registered.job
    deadline = time.monotonic() + 90
    while True:
        job.refresh_from_db()
        if job.status in ("succeeded", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert job.status == "succeeded", job.error or job.status
    assert job.claimed_by.startswith("labdb-test-") or job.claimed_by  # the worker's host name
    result = job.result
    assert result.cycle_count == 5
    assert result.initial_coulombic_efficiency == pytest.approx(0.99, rel=1e-3)
    assert result.cycle_rows().count() == 5
    # a second registration of the same bytes does not queue another job
    again = data_file_register(
        test_run=run,
        chunks=[bdf_csv(cycles=5, ce=0.99)],
        original_name="int.csv",
        user=None,
        source="cli",
    )
    jobs = m.AnalysisJob.objects.filter(data_file__test_run=run)
    assert not again.created and sorted(jobs.values_list("kind", flat=True)) == ["cycling", "dqdv"]
