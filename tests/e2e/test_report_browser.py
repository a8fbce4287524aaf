"""In a real browser (chromium): the comparison page's study report shows its figures (SVG drawn
on request from stored results) under the Content-Security-Policy, and a plot card's SVG and
PDF links give the vector files."""

from __future__ import annotations

from typing import Any

import pytest

from labdb import models as m
from tests.e2e.conftest import Pages
from tests.labdb.test_ingest_and_jobs import bdf_csv

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_study_report_shows_its_figures_and_cards_offer_vector_files(
    tab: Pages, blobs: Any
) -> None:
    from labdb.demo import demo_load
    from labdb.services.catalog import record_save
    from labdb.services.ingest import data_file_register

    project = demo_load()
    for label, ce in (("MgAgSn-E-HC1", 0.98), ("Mg-E-HC1", 0.95)):
        run = record_save(
            record=m.TestRun(
                project=project,
                label=f"{label}-PS",
                cell=m.Cell.objects.get(label=label),
                protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
            ),
            user=None,
        )
        registered = data_file_register(
            test_run=run, chunks=[bdf_csv(cycles=3, ce=ce)], original_name=f"{label}.csv",
            user=None, source="web",
        )  # fmt: skip
        assert registered.job is not None

    tab.login()
    tab.go("/compare/?cells=MgAgSn-E-HC1&cells=Mg-E-HC1&group=cell")
    svg_link = tab.page.get_attribute("#plot-ce .figure-link[data-fmt=svg]", "href")
    assert svg_link and svg_link.startswith("/compare/figures/ce.svg?")
    svg = tab.page.request.get(tab.base + svg_link)
    assert svg.ok and svg.headers["content-type"] == "image/svg+xml"
    assert b'id="series-1"' in svg.body()  # two cells, two series
    pdf = tab.page.request.get(tab.base + svg_link.replace(".svg?", ".pdf?") + "&width=double")
    assert pdf.ok and pdf.body()[:5] == b"%PDF-"

    tab.page.click("[data-testid=paper-output] >> text=HTML")
    tab.page.wait_for_url("**/compare/report.html?**")
    tab.page.wait_for_function(
        "() => Array.from(document.images).length > 0 && "
        "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)",
        timeout=60_000,
    )
    assert tab.page.locator("tr[data-cell]").count() == 2
    widths = tab.page.eval_on_selector_all("figure img", "els => els.map(e => e.naturalWidth)")
    assert len(widths) >= 4 and min(widths) > 0  # CE, cumulative CE, profiles, voltage-time...
    tab.shot("study-report")
