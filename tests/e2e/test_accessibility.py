"""Access on every main page, in Chromium: axe-core (vendored, tests/e2e/vendor) reports no
serious or critical violation; the skip link is the first thing Tab reaches and moves focus
to the main landmark; focus is visible. The pages are listed here (PAGES), with records of the
demo study and one analysed run so the dashboards show their tables, flags and forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from labdb import models as m
from tests.e2e.conftest import Pages
from tests.e2e.test_day_pages import analysed_run

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def pages() -> list[str]:
    """The main pages: lists, dashboards, forms, comparison, uploads, jobs, tokens, search."""
    cell = m.Cell.objects.get(label="MgAgSn-E-HC2")
    run = m.TestRun.objects.get(label="MgAgSn-E-HC2-PS")
    lot = m.MaterialLot.objects.get(label="Ag-30nm-L1")
    formulation = m.Formulation.objects.order_by("label").first()
    assert formulation is not None
    return [
        "/",
        "/materials/",
        "/lots/",
        f"/lots/{lot.pk}/",
        "/lots/new/",
        "/formulations/",
        f"/formulations/{formulation.pk}/",
        "/formulations/new/",
        "/batches/",
        f"/batches/{cell.anode_batch_id}/",
        "/batches/new/",
        "/cells/",
        f"/cells/{cell.pk}/",
        "/cells/new/",
        "/test-runs/",
        f"/test-runs/{run.pk}/",
        "/test-runs/new/",
        "/protocols/",
        "/instruments/",
        "/compare/",
        "/upload/",
        "/jobs/",
        "/tokens/",
        "/search/?q=MgAgSn",
    ]


def axe_serious(tab: Pages) -> list[str]:
    """Serious and critical axe-core violations of the page, one line per rule and node.
    The engine is evaluated through the DevTools protocol (page.evaluate), which the page's
    Content-Security-Policy (scripts 'self') does not govern, so the app needs no exception."""
    tab.page.evaluate(AXE.read_text())
    result = tab.page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'])}"
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


def test_every_main_page_passes_axe_and_starts_with_a_skip_link(tab: Pages, blobs: Any) -> None:
    from labdb.demo import demo_load

    demo_load()
    analysed_run("MgAgSn-E-HC2", 1.3)  # flags, accept forms, files table
    tab.go("/accounts/login/")
    problems = {"/accounts/login/": axe_serious(tab)}
    tab.login()
    for path in pages():
        tab.go(path)
        problems[path] = axe_serious(tab)
    found = {p: v for p, v in problems.items() if v}
    assert found == {}, "\n".join(f"{p}: {line}" for p, v in found.items() for line in v)

    tab.go("/")
    tab.page.keyboard.press("Tab")
    first = tab.page.evaluate(
        "() => [document.activeElement.textContent.trim(), "
        "document.activeElement.getAttribute('href')]"
    )
    assert first == ["Skip to content", "#main"]
    outline = tab.page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    tab.page.keyboard.press("Enter")
    assert tab.page.evaluate("() => document.activeElement.id") == "main"
    landmarks = tab.page.evaluate(
        "() => ['header', 'nav', 'main'].filter(t => document.querySelector(t))"
    )
    assert landmarks == ["header", "nav", "main"]
