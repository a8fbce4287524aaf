"""The catalog forms in a real browser: a lot shows only its category's properties, formulation
components and batch steps add and remove rows in the page with a live wt% total, and the pages
fit a 1366x768 laptop and a 390 px phone without sideways scrolling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from labdb import models as m
from tests.e2e.conftest import Pages

pytestmark = pytest.mark.django_db(transaction=True)

VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(VIEWPORTS))
def sized_tab(request: Any, browser: Any, live_server: Any) -> Iterator[tuple[str, Pages]]:
    context = browser.new_context(viewport=VIEWPORTS[request.param])
    pages = Pages(context.new_page(), live_server.url)
    yield request.param, pages
    context.close()
    assert pages.errors == [], "console errors:\n" + "\n".join(pages.errors)


def no_sideways_scroll(tab: Pages) -> None:
    overflow = tab.page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        wide = tab.page.evaluate(
            "() => Array.from(document.querySelectorAll('body *'))"
            ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1"
            " && !e.closest('.scroll-x'))"
            ".slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"
        )
        raise AssertionError(f"{tab.page.url}: the page scrolls sideways by {overflow} px: {wide}")


def visible_properties(tab: Pages) -> list[str]:
    return tab.page.eval_on_selector_all(
        "[data-lot-categories]",
        "els => els.filter(e => !e.closest('.field').hidden && !e.disabled).map(e => e.name)",
    )


def test_forms_in_the_page(sized_tab: tuple[str, Pages]) -> None:
    from labdb.demo import demo_load

    size, tab = sized_tab
    demo_load()
    tab.login()
    page = tab.page

    # a lot: only the chosen category's properties; a binder property typed before switching
    # to a seed metal is not sent (this gave HTTP 500 before)
    tab.go("/lots/new/")
    assert visible_properties(tab) == []
    tab.choose("#id_material", "Elastane")
    assert visible_properties(tab) == ["prop_polymer_type", "prop_molecular_weight_g_mol"]
    page.select_option("#id_prop_polymer_type", "PVDF")
    tab.choose("#id_material", "Ag")
    assert visible_properties(tab) == ["prop_morphology"]
    page.fill("#id_label", f"E2E-Ag-{size}")
    page.fill("#id_supplier", "Sigma-Aldrich")
    page.fill("#id_lot_number", f"E2E-{size}")
    page.fill("#id_prop_morphology", "spherical")
    assert page.inner_text("#id_d50_nm_unit") == "nm"
    page.fill("#id_d50_nm", "30")
    no_sideways_scroll(tab)
    tab.shot(f"lot-form-{size}")
    page.click("form.record button[type=submit]")
    page.wait_for_selector(f"h1:has-text('E2E-Ag-{size}')")
    lot = m.MaterialLot.objects.get(label=f"E2E-Ag-{size}")
    assert lot.properties == {"morphology": "spherical"} and lot.d50_nm == 30.0

    # a formulation: three components (one row added in the page), a live total, saving held
    # until the total is 100 wt%
    tab.go("/formulations/new/")
    assert page.locator("#id_version").count() == 0
    page.fill("#id_label", f"E2E-F-{size} v1")
    page.fill("#id_name", f"E2E-F-{size}")
    tab.choose("#id_components-0-lot", f"E2E-Ag-{size}")
    page.select_option("#id_components-0-role", "seed")
    page.fill("#id_components-0-mass_fraction_pct", "85")
    tab.choose("#id_components-1-lot", "Elastane")
    page.select_option("#id_components-1-role", "binder")
    page.fill("#id_components-1-mass_fraction_pct", "10")
    assert page.get_attribute("[data-wt-total]", "data-total") == "95"
    page.click("[data-formset-add]")
    assert page.locator("tbody[data-formset-rows] tr[data-formset-row]").count() == 3
    assert page.input_value("#id_components-TOTAL_FORMS") == "3"
    tab.choose("#id_components-2-lot", "LPSCl")
    page.select_option("#id_components-2-role", "solid_electrolyte")
    page.fill("#id_components-2-mass_fraction_pct", "4")
    assert "must be 100 wt%" in page.inner_text("[data-wt-total]")
    url = page.url
    page.click("form.record button[type=submit]")
    assert page.url == url and page.get_attribute("[data-wt-total]", "role") == "alert"
    page.fill("#id_components-2-mass_fraction_pct", "5")
    assert "sums to 100 wt%" in page.inner_text("[data-wt-total]")
    no_sideways_scroll(tab)
    tab.shot(f"formulation-form-{size}")
    page.click("form.record button[type=submit]")
    page.wait_for_selector(f"h1:has-text('E2E-F-{size} v1')")
    f = m.Formulation.objects.get(label=f"E2E-F-{size} v1")
    assert sorted(f.components.values_list("mass_fraction_pct", flat=True)) == [5.0, 10.0, 85.0]

    # an electrode batch: add a step row, remove another; the removed one is not saved
    tab.go("/batches/new/")
    page.fill("#id_label", f"E2E-B-{size}")
    tab.choose("#id_formulation", f"E2E-F-{size} v1")
    tab.choose("#id_current_collector_lot", "SUS")
    page.select_option("#id_steps-0-kind", "casting")
    page.fill("#id_steps-0-method", "doctor blade")
    page.fill("#id_steps-0-gap_um", "50")
    page.select_option("#id_steps-1-kind", "mixing")
    page.click("[data-formset-add]")
    page.select_option("#id_steps-2-kind", "pressing")
    page.fill("#id_steps-2-pressure_mpa", "300")
    page.locator("tr[data-formset-row]").nth(1).locator("[data-formset-remove]").click()
    assert page.locator("tr[data-formset-row]:visible").count() == 2
    no_sideways_scroll(tab)
    tab.shot(f"batch-form-{size}")
    page.click("form.record button[type=submit]")
    page.wait_for_selector(f"h1:has-text('E2E-B-{size}')")
    batch = m.ElectrodeBatch.objects.get(label=f"E2E-B-{size}")
    assert list(batch.steps.values_list("order", "kind", "gap_um", "pressure_mpa")) == [
        (1, "casting", 50.0, None),
        (2, "pressing", None, 300.0),
    ]
