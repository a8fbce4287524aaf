"""A newcomer's path through the app in a real browser: log in, create a lot, a formulation, an
electrode batch, a cell and a test run through the forms, drop a cycling file on the upload
page, watch its job finish and see the CE plot render."""

from __future__ import annotations

from typing import Any

import pytest

from labdb import models as m
from tests.e2e.conftest import Pages
from tests.labdb.test_ingest_and_jobs import bdf_csv

pytestmark = pytest.mark.django_db(transaction=True)


def save_form(tab: Pages, label: str) -> None:
    tab.page.click("form.record button[type=submit]")
    tab.page.wait_for_selector(f"h1:has-text('{label}')")


def test_catalog_upload_job_and_ce_plot(tab: Pages, blobs: Any) -> None:
    from labdb.demo import demo_load

    demo_load()
    tab.login()
    tab.shot("home")
    page = tab.page

    tab.go("/lots/new/")
    tab.choose("#id_material", "Ag")
    page.fill("#id_label", "E2E-Ag-L1")
    page.fill("#id_supplier", "Sigma-Aldrich")
    page.fill("#id_lot_number", "E2E-0001")
    page.fill("#id_d50_nm", "30 nm")
    tab.shot("lot-form")
    save_form(tab, "E2E-Ag-L1")

    tab.go("/formulations/new/")
    page.fill("#id_label", "E2E-Ag-Elastane v1")
    page.fill("#id_name", "E2E-Ag-Elastane")
    tab.choose("#id_components-0-lot", "E2E-Ag-L1")
    page.select_option("#id_components-0-role", "seed")
    page.fill("#id_components-0-mass_fraction_pct", "90")
    tab.choose("#id_components-1-lot", "Elastane")
    page.select_option("#id_components-1-role", "binder")
    page.fill("#id_components-1-mass_fraction_pct", "10")
    save_form(tab, "E2E-Ag-Elastane v1")

    tab.go("/batches/new/")
    page.fill("#id_label", "E2E-B1")
    tab.choose("#id_formulation", "E2E-Ag-Elastane v1")
    tab.choose("#id_current_collector_lot", "SUS")
    save_form(tab, "E2E-B1")
    tab.shot("batch-page")

    tab.go("/cells/new/")
    page.fill("#id_label", "E2E-HC1")
    page.select_option("#id_kind", "half")
    tab.choose("#id_anode_batch", "E2E-B1")
    tab.choose("#id_lithium_lot", "Li")
    tab.choose("#id_electrolyte_lot", "LPSCl")
    page.fill("#id_area_cm2", "0.785 cm2")
    tab.shot("cell-form")
    save_form(tab, "E2E-HC1")

    tab.go("/test-runs/new/")
    page.fill("#id_label", "E2E-HC1-PS")
    tab.choose("#id_cell", "E2E-HC1")
    tab.choose("#id_protocol", "PS-1mA-1mAh")
    save_form(tab, "E2E-HC1-PS")

    # upload: drop a file on the drop zone, with the progress bar and the job's status
    page.click("a:has-text('Upload data file')")
    page.wait_for_selector("#dropzone")
    # upload.js is deferred: it attaches the drop handler before DOMContentLoaded, which may
    # come after the element is there (a drop before it would be lost)
    page.wait_for_load_state("domcontentloaded")
    csv_text = bdf_csv(cycles=6, ce=0.985).decode()
    page.evaluate(
        """(text) => {
            const dt = new DataTransfer();
            dt.items.add(new File([text], "e2e-hc1.csv", {type: "text/csv"}));
            document.getElementById("dropzone").dispatchEvent(
                new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
        }""",
        csv_text,
    )
    assert "e2e-hc1.csv" in page.inner_text("#upload-chosen")
    page.click("#upload-submit")
    page.wait_for_selector("[data-testid=upload-job-link]")
    page.wait_for_selector("#upload-result .status-succeeded", timeout=60_000)
    assert page.eval_on_selector("#upload-progress", "p => p.value") == 100
    tab.shot("upload")

    job = m.AnalysisJob.objects.get(data_file__original_name="e2e-hc1.csv", kind="cycling")
    assert job.status == "succeeded" and job.data_file.source == "web"
    page.click("[data-testid=upload-job-link]")
    page.wait_for_selector(".job-state .status-succeeded")
    tab.shot("job")
    tab.go("/jobs/")
    assert page.locator(f'.job-state[data-job-id="{job.pk}"] .status-succeeded').count() == 1
    tab.shot("jobs")

    tab.go("/cells/E2E-HC1/")
    tab.wait_for_plots()
    ce_plot = page.locator("#plot-ce .plot")
    assert ce_plot.get_attribute("data-rendered") == "1"
    assert page.locator("#plot-ce svg.main-svg").count() >= 1
    assert page.locator("#plot-ce .scatterlayer .trace").count() == 1
    assert "98.50 %" in page.inner_text("[data-testid=cell-metrics]")
    tab.shot("cell-page")
    csv = page.request.get(tab.base + page.get_attribute("#plot-ce .csv-link", "href"))
    assert csv.ok and "CE (%)" in csv.text() and csv.text().count("\n") == 7

    page.fill("#global-q", "E2E")
    page.press("#global-q", "Enter")
    page.wait_for_selector("[data-testid=search-total]")
    assert page.locator("a:has-text('E2E-HC1')").count() >= 1
    tab.shot("search")
