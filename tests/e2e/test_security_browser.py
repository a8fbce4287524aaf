"""In a real browser (chromium, tests/e2e's fixtures), under the Content-Security-Policy: the
cell page's Plotly figures render and the API docs start, with no console error (a refused
script or style is a console error); an HTML attachment is a download, not a page."""

from __future__ import annotations

from typing import Any

import pytest

from labdb import models as m
from tests.e2e.conftest import Pages
from tests.labdb.test_ingest_and_jobs import bdf_csv

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_plots_and_api_docs_work_under_the_policy(tab: Pages, blobs: Any) -> None:
    from labdb.demo import demo_load
    from labdb.services.catalog import record_save
    from labdb.services.ingest import data_file_register

    project = demo_load()
    run = record_save(
        record=m.TestRun(
            project=project,
            label="CSP-HC1-PS",
            cell=m.Cell.objects.get(label="MgAgSn-E-HC1"),
            protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
        ),
        user=None,
    )
    registered = data_file_register(
        test_run=run, chunks=[bdf_csv(cycles=3)], original_name="hc1.csv", user=None, source="web"
    )
    assert registered.job is not None
    registered.job.refresh_from_db()
    assert registered.job.status == "succeeded", registered.job.error

    tab.login()
    response = tab.go(f"/cells/{run.cell.pk}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    tab.wait_for_plots()
    drawn = tab.page.locator("[data-plot-url] .main-svg")
    assert drawn.count() >= 1  # Plotly drew its SVG (inline styles allowed)
    tab.shot("csp-cell-page")

    tab.go("/api/v1/docs/")
    tab.page.wait_for_selector(".swagger-ui .opblock", timeout=60_000)
    tab.shot("csp-api-docs")


def test_an_html_attachment_is_downloaded_not_shown(tab: Pages, blobs: Any) -> None:
    from django.contrib.auth import get_user_model

    from labdb.demo import demo_load
    from labdb.services.attachments import attachment_add

    demo_load()
    lot = m.MaterialLot.objects.get(label="Ag-30nm-L1")
    attachment = attachment_add(
        owner=lot,
        kind="other",
        chunks=[b"<html><script>document.title='ran'</script></html>"],
        original_name="report.html",
        description="",
        user=get_user_model().objects.get(username="demo"),
    )
    tab.login()
    with tab.page.expect_download() as download:
        tab.page.evaluate(f"window.location.href = '/attachments/{attachment.pk}/'")
    assert download.value.suggested_filename == "report.html"
    assert tab.page.title() != "ran"
