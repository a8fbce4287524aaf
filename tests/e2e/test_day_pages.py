"""The day's result pages in a real browser on a 1366x768 laptop and a 390 px phone: the cell
page flags an impossible ICE with a visible badge, offers provenance downloads and no plot
button that sends data to an outside service; the test-run, comparison and list pages fit
the screen (wide tables scroll inside their box). Screenshots go to LABDB_SCREENSHOT_DIR."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from labdb import models as m
from labdb.services.catalog import record_save
from labdb.services.ingest import data_file_register
from tests.e2e.conftest import Pages
from tests.e2e.test_forms_in_page import VIEWPORTS, no_sideways_scroll
from tests.labdb.test_ingest_and_jobs import bdf_csv

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=list(VIEWPORTS))
def sized_tab(request: Any, browser: Any, live_server: Any) -> Iterator[tuple[str, Pages]]:
    context = browser.new_context(viewport=VIEWPORTS[request.param])
    pages = Pages(context.new_page(), live_server.url)
    yield request.param, pages
    context.close()
    assert pages.errors == [], "console errors:\n" + "\n".join(pages.errors)


def analysed_run(cell: str, ce: float) -> m.TestRun:
    user = get_user_model().objects.get(username="demo")
    run = record_save(
        record=m.TestRun(
            project=m.Project.objects.get(),
            label=f"{cell}-PS",
            cell=m.Cell.objects.get(label=cell),
            protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
        ),
        user=user,
    )
    registered = data_file_register(
        test_run=run,
        chunks=[bdf_csv(cycles=4, ce=ce)],
        original_name=f"{cell}.csv",
        user=user,
        source="web",
    )
    assert registered.job is not None
    registered.job.refresh_from_db()
    assert registered.job.status == "succeeded", registered.job.error
    return run


def test_result_pages_fit_and_flag(sized_tab: tuple[str, Pages], blobs: Any) -> None:
    from labdb.demo import demo_load

    size, tab = sized_tab
    demo_load()
    analysed_run("MgAgSn-E-HC1", 0.98)
    overshoot = analysed_run("MgAgSn-E-HC2", 1.3)
    tab.login()
    page = tab.page
    no_sideways_scroll(tab)
    tab.shot(f"day-home-{size}")

    cell = m.Cell.objects.get(label="MgAgSn-E-HC2")
    tab.go(f"/cells/{cell.pk}/")
    tab.wait_for_plots()
    badge = page.locator(
        '[data-testid=cell-metrics] [data-implausible="initial_coulombic_efficiency"]'
    )
    assert badge.is_visible() and "at most 100 %" in (badge.get_attribute("title") or "")
    assert page.locator("[data-testid=implausible]").is_visible()
    # the plot mode bar: PNG and SVG downloads, nothing that shares to a cloud service
    page.locator("#plot-ce .plot").hover()
    titles = page.eval_on_selector_all(
        ".modebar-btn", "els => els.map(e => e.getAttribute('data-title') || '')"
    )
    assert any("SVG" in t for t in titles), titles
    assert not [t for t in titles if "cloud" in t.lower() or "chart studio" in t.lower()]
    assert not [t for t in titles if "share" in t.lower()]
    href = page.get_attribute("[data-testid=cell-exports] a:has-text('RO-Crate')", "href")
    assert href == f"/cells/{cell.pk}/export/crate.eln"
    download = page.request.get(tab.base + href)
    assert download.ok and download.body()[:2] == b"PK"
    no_sideways_scroll(tab)
    tab.shot(f"day-cell-{size}")

    tab.go(f"/test-runs/{overshoot.pk}/")
    assert page.locator(
        '[data-testid=run-metrics] [data-implausible="initial_coulombic_efficiency"]'
    ).is_visible()
    no_sideways_scroll(tab)
    tab.shot(f"day-test-run-{size}")

    tab.go("/compare/?group=formulation&kind=half")
    tab.wait_for_plots()
    excluded = page.locator(
        'tr[data-group="MgAgSn-Elastane (half)"] td[data-metric="ice"] [data-excluded]'
    )
    assert excluded.is_visible()
    no_sideways_scroll(tab)
    tab.shot(f"day-compare-{size}")

    # save this selection: its page is a permanent link showing the frozen cells
    page.fill("#save-name", f"Elastane half cells {size}")
    page.click("[data-testid=save-comparison] button[type=submit]")
    page.wait_for_selector("[data-testid=saved-comparison]")
    saved = m.SavedComparison.objects.get(name=f"Elastane half cells {size}")
    assert page.url.endswith(f"/compare/?saved={saved.pk}")
    assert {c.label for c in saved.cells.all()} >= {"MgAgSn-E-HC1", "MgAgSn-E-HC2"}
    tab.wait_for_plots()
    no_sideways_scroll(tab)
    tab.shot(f"day-saved-comparison-{size}")

    for path in ("/cells/", "/lots/", "/formulations/", "/test-runs/"):
        tab.go(path)
        no_sideways_scroll(tab)
    tab.shot(f"day-cells-list-{size}")
