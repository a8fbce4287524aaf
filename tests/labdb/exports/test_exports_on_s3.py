"""Ingest, analysis, pages and exports with the blob store on a real S3-compatible server
(SeaweedFS, tests/s3server.py): every blob in the bucket, none on local disk, read back verified."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.core.management import call_command
from django.test import Client

from labdb import models as m
from labdb.exports.bdf import export_bdf
from labdb.exports.crate import write_crate
from labdb.storage import open_blob
from tests.s3server import BUCKET, SeaweedS3


@pytest.mark.django_db(transaction=True)
def test_ingest_analysis_pages_and_exports_work_on_s3(
    s3_blob_store: str,
    ingested: m.AnalysisJob,
    s3_server: SeaweedS3,
    settings: Any,
    client_demo: Client,
    tmp_path: Path,
) -> None:
    job = ingested
    raw, table = job.data_file, job.parsed_table
    # raw file, parsed table, result tables and the pipeline's JSON are objects in the bucket
    listed = s3_server.client().list_objects_v2(Bucket=BUCKET, Prefix=f"{s3_blob_store}/")
    keys = {o["Key"] for o in listed["Contents"]}
    expected = {raw.sha256, table.sha256}
    for each in raw.jobs.all():  # the cycling job and the dQ/dV job that followed it
        expected |= {each.output_sha256, *(t.sha256 for t in each.result.tables.all())}
    assert keys == {f"{s3_blob_store}/{sha[:2]}/{sha}" for sha in expected}
    assert not Path(settings.BLOB_DIR).exists()  # nothing on local disk

    # the cycles of the stored table, read back from S3, are those the analysis stored
    frame = pd.read_parquet(open_blob(table.sha256))
    assert len(frame) == table.rows and list(frame.columns) == table.columns
    assert job.result.cycle_rows().count() == 3

    # the cell page and its voltage profiles (stored curve tables) render from S3
    run = raw.test_run
    assert client_demo.get("/cells/MgAgSn-E-HC1/").status_code == 200
    plot = client_demo.get("/cells/MgAgSn-E-HC1/plots/profiles.json")
    assert plot.status_code == 200
    assert len([t for t in plot.json()["data"] if t.get("x")]) >= 1

    bdf = export_bdf(run, tmp_path / "bdf")
    pd.testing.assert_frame_equal(
        pd.read_parquet(bdf.parquet_path), frame, check_dtype=False, rtol=1e-12
    )
    eln = write_crate(run.cell, tmp_path / "cell.eln")
    with zipfile.ZipFile(eln) as zf:
        shas = {hashlib.sha256(zf.read(n)).hexdigest() for n in zf.namelist() if n[-1] != "/"}
    assert {raw.sha256, table.sha256} <= shas

    call_command("verify_storage")
    assert m.StorageCheck.objects.latest("finished_at").checked == len(expected)
    call_command("reproduce", str(job.pk))
