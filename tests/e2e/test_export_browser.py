"""In a real browser (chromium): the comparison page's data-package button opens the export's
page, which follows the job (polling from a script file, under the CSP) while a worker builds
it, and offers the download once it is built."""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any

import pytest

from labdb import models as m
from labdb.services.exports import export_run
from tests.e2e.conftest import Pages
from tests.labdb.test_ingest_and_jobs import bdf_csv

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_export_page_follows_the_job_and_offers_the_download(
    tab: Pages, blobs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from labdb.demo import demo_load
    from labdb.services.catalog import record_save
    from labdb.services.ingest import data_file_register

    project = demo_load()
    run = record_save(
        record=m.TestRun(
            project=project,
            label="MgAgSn-E-HC1-PS",
            cell=m.Cell.objects.get(label="MgAgSn-E-HC1"),
            protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
        ),
        user=None,
    )
    registered = data_file_register(
        test_run=run, chunks=[bdf_csv(cycles=3, ce=0.98)], original_name="hc1.csv",
        user=None, source="web",
    )  # fmt: skip
    assert registered.job is not None
    # the job is not sent: this test is the worker, so the page meets it queued
    sent: list[str] = []
    monkeypatch.setattr("labdb.services.exports.export_send", sent.append)

    tab.login()
    tab.go("/compare/?cells=MgAgSn-E-HC1&group=cell")
    tab.page.click("[data-testid=package-button]")
    tab.page.wait_for_url("**/exports/*/")
    assert len(sent) == 1
    status = tab.page.locator('[data-testid=export] [data-role="status"]')
    assert status.inner_text() == "queued"
    assert tab.page.locator("[data-testid=export-download] a").count() == 0
    tab.shot("export-queued")

    job = export_run(sent[0])  # the worker builds it while the page polls
    assert job is not None and job.status == "succeeded", job and job.error
    link = tab.page.locator("[data-testid=export-download] a")
    link.wait_for(timeout=30_000)  # the page saw it finish and reloaded
    assert status.inner_text() == "succeeded"
    tab.shot("export-done")
    body = tab.page.request.get(tab.base + str(link.get_attribute("href"))).body()
    assert hashlib.sha256(body).hexdigest() == job.result_sha256
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert any(n.endswith("/report.pdf") for n in names)
