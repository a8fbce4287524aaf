"""A lab member's whole day, driven in Chromium through the pages only: register a lot, write
a formulation with it, record an electrode batch, build three cells from the batch in one
step, start a test run from a cell, upload its files, read the results, compare, save the
comparison and export it. Screenshots of the main pages at 1366x768 and at a 390 px phone go
to LABDB_SCREENSHOT_DIR (CI keeps them as artifacts). It runs in both CI passes (SQLite, and
PostgreSQL + Redis with a real worker)."""

from __future__ import annotations

import zipfile
from typing import Any

import pytest

from labdb import models as m
from tests.e2e.conftest import Pages
from tests.e2e.test_forms_in_page import VIEWPORTS, no_sideways_scroll
from tests.labdb.test_ingest_and_jobs import bdf_csv

pytestmark = pytest.mark.django_db(transaction=True)


def save_form(tab: Pages, label: str) -> None:
    tab.page.click("form.record button[type=submit]")
    tab.page.wait_for_selector(f"h1:has-text('{label}')")


def upload(tab: Pages, run_label: str, name: str, data: bytes) -> None:
    page = tab.page
    page.click("a:has-text('Upload data file')")
    page.wait_for_selector("#dropzone")
    page.wait_for_load_state("domcontentloaded")  # upload.js (deferred) has attached its handlers
    assert run_label in page.inner_text("#upload-run option:checked")
    page.set_input_files("#upload-file", {"name": name, "mimeType": "text/csv", "buffer": data})
    page.click("#upload-submit")
    page.wait_for_selector("#upload-result .status-succeeded", timeout=90_000)


def test_a_lab_members_day(tab: Pages, blobs: Any) -> None:
    from labdb.demo import demo_load

    demo_load()
    page = tab.page
    page.set_viewport_size(VIEWPORTS["laptop"])
    tab.login()
    shots: list[tuple[str, str]] = []

    def shot(name: str) -> None:
        tab.shot(f"lab-day-{name}-laptop")
        shots.append((name, page.url))

    shot("home")
    # lot -> formulation -> batch
    tab.go("/lots/new/")
    tab.choose("#id_material", "Ag")
    page.fill("#id_label", "DAY-Ag-L1")
    page.fill("#id_supplier", "Sigma-Aldrich")
    page.fill("#id_lot_number", "DAY-0001")
    save_form(tab, "DAY-Ag-L1")
    shot("lot")
    tab.go("/formulations/new/")
    page.fill("#id_label", "DAY-Ag-Elastane v1")
    page.fill("#id_name", "DAY-Ag-Elastane")
    tab.choose("#id_components-0-lot", "DAY-Ag-L1")
    page.select_option("#id_components-0-role", "seed")
    page.fill("#id_components-0-mass_fraction_pct", "90")
    tab.choose("#id_components-1-lot", "Elastane")
    page.select_option("#id_components-1-role", "binder")
    page.fill("#id_components-1-mass_fraction_pct", "10")
    save_form(tab, "DAY-Ag-Elastane v1")
    tab.go("/batches/new/")
    page.fill("#id_label", "DAY-B1")
    tab.choose("#id_formulation", "DAY-Ag-Elastane v1")
    tab.choose("#id_current_collector_lot", "SUS")
    save_form(tab, "DAY-B1")

    # three cells from the batch in one step
    page.click("[data-testid=batch-cells] summary")
    page.fill("#id_count", "3")
    page.fill("#id_label_prefix", "DAY-HC")
    page.select_option("#id_kind", "half")
    tab.choose("#id_counter_lot", "Li")
    tab.choose("#id_electrolyte_lot", "LPSCl")
    page.fill("#id_area_cm2", "0.785")
    shot("batch")
    page.click("[data-testid=batch-cells] button[type=submit]")
    page.wait_for_selector("text=Made 3 cells")
    assert m.Cell.objects.filter(label__startswith="DAY-HC").count() == 3

    # from each of two cells: "new test run", then its file
    for n, ce in ((1, 0.985), (2, 0.975)):
        tab.go(f"/cells/DAY-HC{n}/")
        page.click("a:has-text('New test run')")
        page.wait_for_selector("#id_label")
        page.fill("#id_label", f"DAY-HC{n}-PS")
        tab.choose("#id_protocol", "PS-1mA-1mAh")
        save_form(tab, f"DAY-HC{n}-PS")
        upload(tab, f"DAY-HC{n}-PS", f"day-hc{n}.csv", bdf_csv(cycles=5, ce=ce))
    shot("upload")

    # results: the run's page (files, format, metrics in %) and the cell's dashboard
    tab.go("/test-runs/DAY-HC1-PS/")
    assert page.get_attribute("[data-testid=run-files] td[data-format]", "data-format") == "bdf"
    assert "98.50 %" in page.inner_text("[data-testid=run-metrics]")
    shot("test-run")
    tab.go("/cells/DAY-HC1/")
    tab.wait_for_plots()
    assert "98.50 %" in page.inner_text("[data-testid=cell-metrics]")
    shot("cell")

    # compare, save, export
    tab.go("/compare/?cells=DAY-HC1&cells=DAY-HC2&group=formulation")
    row = page.locator('tr[data-group="DAY-Ag-Elastane (half)"] td[data-metric="average_ce"]')
    assert row.get_attribute("data-n") == "2"
    assert float(row.get_attribute("data-mean") or "nan") == pytest.approx(0.98, abs=1e-3)
    page.fill("#save-name", "Day comparison")
    page.click("[data-testid=save-comparison] button[type=submit]")
    page.wait_for_selector("[data-testid=saved-comparison]")
    tab.wait_for_plots()
    shot("compare")
    saved = m.SavedComparison.objects.get(name="Day comparison")
    assert sorted(c.label for c in saved.cells.all()) == ["DAY-HC1", "DAY-HC2"]
    page.click("[data-testid=selection-exports] a:has-text('RO-Crate')")
    page.wait_for_url("**/exports/*/")  # an export job (run in-process here), then its file
    with page.expect_download() as info:
        page.click("[data-testid=export-download] a")
    crate = info.value.path()
    with zipfile.ZipFile(crate) as z:
        metadata = next(n for n in z.namelist() if n.endswith("ro-crate-metadata.json"))
        text = z.read(metadata).decode()
    assert "DAY-HC1" in text and "DAY-HC2" in text

    # the same pages on a phone: they fit (no sideways scrolling of the page)
    page.set_viewport_size(VIEWPORTS["phone"])
    for name, url in shots:
        page.goto(url)
        no_sideways_scroll(tab)
        tab.shot(f"lab-day-{name}-phone")
