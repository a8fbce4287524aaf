"""In Chromium at 1366x768 and 390 px: a saved comparison keeps the acceptances it was saved
with (a value accepted later is announced, not counted), the newest data are taken in only by
"Save the newest data as"; "Read as" on a run whose analysis succeeded reads the file again
and marks the earlier analysis superseded. No sideways scrolling, no serious axe violation on
these pages. Screenshots go to LABDB_SCREENSHOT_DIR."""

from __future__ import annotations

from typing import Any

import pytest

from labdb import models as m
from tests.e2e.conftest import Pages
from tests.e2e.test_accessibility import axe_serious
from tests.e2e.test_day_pages import analysed_run, sized_tab
from tests.e2e.test_forms_in_page import no_sideways_scroll

__all__ = ["sized_tab"]  # the fixture, one tab per viewport

pytestmark = pytest.mark.django_db(transaction=True)

ICE_N = 'tr[data-group="MgAgSn-Elastane (half)"] td[data-metric="ice"]'


def _ice_n(tab: Pages) -> str:
    return tab.page.get_attribute(ICE_N, "data-n") or ""


def _check(tab: Pages, name: str) -> None:
    no_sideways_scroll(tab)
    assert axe_serious(tab) == [], name
    tab.shot(name)


def test_pinned_acceptances_and_read_as(sized_tab: tuple[str, Pages], blobs: Any) -> None:
    from labdb.demo import demo_load

    size, tab = sized_tab
    page = tab.page
    demo_load()
    normal = analysed_run("MgAgSn-E-HC1", 0.98)
    overshoot = analysed_run("MgAgSn-E-HC2", 1.3)
    tab.login()

    tab.go("/compare/?group=formulation&kind=half")
    page.fill("#save-name", f"Before acceptance {size}")
    page.click("[data-testid=save-comparison] button[type=submit]")
    page.wait_for_selector("[data-testid=saved-comparison]")
    saved_url = page.url
    assert _ice_n(tab) == "1"

    tab.go(f"/test-runs/{overshoot.pk}/")
    form = page.locator("[data-testid=accept-initial_coulombic_efficiency]")
    form.locator("input[name=reason]").fill("Li-rich seed layer acts as a reservoir")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-accepted=initial_coulombic_efficiency]")

    page.goto(saved_url)
    notice = page.locator("[data-testid=newer-acceptances]")
    assert notice.is_visible() and "1 accepted since" in notice.inner_text()
    assert _ice_n(tab) == "1"  # the comparison stays as saved
    _check(tab, f"pinned-acceptance-notice-{size}")
    page.click("[data-testid=update-comparison] button[type=submit]")
    page.wait_for_url("**/compare/?saved=*")
    assert page.url != saved_url and _ice_n(tab) == "2"
    assert page.locator("[data-testid=newer-acceptances]").count() == 0
    page.goto(saved_url)
    assert _ice_n(tab) == "1"  # the old one did not move

    tab.go(f"/test-runs/{normal.pk}/")
    tab.choose("[data-testid=read-as] select", "bdf (cycling)")
    page.click("[data-testid=read-as] button[type=submit]")
    page.wait_for_selector("text=a new analysis is queued")
    tab.go(f"/test-runs/{normal.pk}/")
    # the detected reading's cycling job and its dQ/dV follow-on, both superseded by the bdf
    # reading's (the dQ/dV follow-on reads the file as its cycling job did)
    superseded = page.locator("[data-testid=run-jobs] tr[data-superseded] td:first-child")
    assert sorted(superseded.all_inner_texts()) == ["cycling", "dqdv"]
    assert page.locator("[data-testid=run-jobs] td[data-reader=bdf]").count() == 2
    _check(tab, f"read-as-superseded-{size}")
    on_run = m.AnalysisJob.objects.filter(data_file__test_run=normal).order_by("queued_at")
    for kind in ("cycling", "dqdv"):
        jobs = on_run.filter(kind=kind)
        assert [(j.reader, j.status) for j in jobs] == [("", "succeeded"), ("bdf", "succeeded")]


def test_api_docs_show_the_recorded_examples(tab: Pages) -> None:
    """Swagger UI, opened on "Register a lot" (POST /api/v1/lots/), shows the recorded request
    and answer (labdb/api/examples.json), not values made up from the types."""
    page = tab.page
    page.set_default_navigation_timeout(120_000)  # Swagger UI's bundle on a loaded machine
    tab.go("/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=60_000)
    page.click("#operations-lots-lots_create .opblock-summary")
    block = page.locator("#operations-lots-lots_create")
    block.locator(".examples-select, .model-example").first.wait_for(timeout=30_000)
    text = block.inner_text()
    assert "Mg-800nm-L2" in text and "US Research Nanomaterials" in text, text[:2000]
    assert '"string"' not in text and "3fa85f64-5717-4562-b3fc-2c963f66afa6" not in text
    tab.shot("api-docs-lot-example")
