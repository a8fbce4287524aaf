"""A running test's cell page in a real browser: when a new result of the run is stored, the
plots show it without a page reload (the page polls /cells/<id>/live.json and fetches the
stored plot data again)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from labdb import models as m
from labdb.services.catalog import record_save
from labdb.services.ingest import data_file_register
from tests.e2e.conftest import Pages
from tests.labdb.test_ingest_and_jobs import bdf_csv

pytestmark = pytest.mark.django_db(transaction=True)

CE_POINTS = "() => (document.querySelector('#plot-ce .plot').data || [{x: []}])[0].x.length"


def upload(run: m.TestRun, data: bytes, name: str) -> None:
    registered = data_file_register(
        test_run=run, chunks=[data], original_name=name, user=None, source="harvester"
    )
    assert registered.job is not None
    registered.job.refresh_from_db()
    assert registered.job.status == "succeeded", registered.job.error


def test_plots_follow_new_results_without_reload(tab: Pages, blobs: Any, settings: Any) -> None:
    from labdb.demo import demo_load

    settings.LABDB_LIVE_POLL_S = 0.5
    demo_load()
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    run = record_save(
        record=m.TestRun(
            project=cell.project,
            label="HC1-live",
            cell=cell,
            protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
        ),
        user=get_user_model().objects.get(username="demo"),
    )
    upload(run, bdf_csv(cycles=3), "live-1.csv")
    tab.login()
    tab.go(f"/cells/{cell.pk}/")
    tab.wait_for_plots()
    page = tab.page
    assert page.evaluate(CE_POINTS) == 3
    assert "no short in 3 cycles" in page.locator("[data-testid=cell-metrics]").inner_text()
    status = page.locator("[data-testid=live-status]")
    assert status.is_visible() and "Running" in status.inner_text()
    page.evaluate("() => { window.labdbSamePage = true; }")

    upload(run, bdf_csv(cycles=6), "live-2.csv")  # the cycler wrote three more cycles

    page.wait_for_function(f"() => ({CE_POINTS})() === 6", timeout=30_000)
    assert page.evaluate("() => window.labdbSamePage === true")  # no reload
    # the headline numbers follow too
    metrics = page.locator("[data-testid=cell-metrics]")
    metrics.filter(has_text="no short in 6 cycles").wait_for(timeout=30_000)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('[data-plot-url]'))"
        ".every(e => e.dataset.rendered && e.dataset.refreshedAt)",
        timeout=30_000,
    )
    tab.shot("live-cell-after-new-result")
