from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from labdb import models as m
from labdb.services.catalog import record_save
from labdb.services.ingest import data_file_register
from tests.labdb.test_ingest_and_jobs import bdf_csv


@pytest.fixture
def ingested(
    demo: m.Project,
    demo_user: Any,
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> m.AnalysisJob:
    """The demo catalog plus a plating/stripping run on MgAgSn-E-HC1 with one BDF file,
    registered and analysed in-process. Returns the succeeded analysis job."""
    settings.BLOB_DIR = tmp_path / "blobs"
    instrument = m.Instrument.objects.get(label="BCS-805-1")
    run = record_save(
        record=m.TestRun(
            project=demo,
            label="MgAgSn-E-HC1-PS",
            cell=m.Cell.objects.get(label="MgAgSn-E-HC1"),
            protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
            instrument=instrument,
            channel="3",
            operator=demo_user,
        ),
        user=demo_user,
    )
    with django_capture_on_commit_callbacks(execute=True):
        registered = data_file_register(
            test_run=run,
            chunks=[bdf_csv(cycles=3, ce=0.98)],
            original_name="MgAgSn-E-HC1_PS.csv",
            user=demo_user,
            source="cli",
        )
    job = m.AnalysisJob.objects.get(pk=registered.job.pk)
    assert job.status == "succeeded", job.error
    return job
