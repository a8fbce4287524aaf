"""The cell page's dQ/dV in a real browser: choosing another cycle in the dQ/dV card's
selector redraws that card with the chosen cycle's stored curves and peaks (no page reload, no
console error), the dV/dQ card keeps its own cycle, and no plot offers a cloud-sharing
button."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from analysis.simulate.voltammetry import Phase, incremental_capacity_table
from analysis.simulate.writers.bdf import write_bdf
from labdb import models as m
from labdb.services.catalog import record_save
from labdb.services.ingest import data_file_register
from tests.e2e.conftest import Pages

pytestmark = pytest.mark.django_db(transaction=True)

HALF = [Phase(0.45, 0.4, 1.0), Phase(0.25, 1.0, 0.8), Phase(0.10, 0.8, 0.6)]

NAMES = "sel => Array.from(document.querySelector(sel).data || []).map(t => t.name)"


def _half_cell_with_dqdv(tmp: Path) -> m.Cell:
    from labdb.demo import demo_load

    demo_load()
    user = get_user_model().objects.get(username="demo")
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    run = record_save(
        record=m.TestRun(
            project=m.Project.objects.get(),
            label="MgAgSn-E-HC1-PS",
            cell=cell,
            protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
        ),
        user=user,
    )
    table = incremental_capacity_table(HALF, cell_type="half", cycles=3)
    path = write_bdf(tmp / "half.csv", table)
    registered = data_file_register(
        test_run=run, chunks=[path.read_bytes()], original_name="half.csv", user=user, source="web"
    )
    assert registered.job is not None
    dqdv = m.AnalysisJob.objects.get(kind="dqdv")
    assert dqdv.status == "succeeded", dqdv.error
    return cell


def test_the_cycle_selector_changes_the_plotted_cycle(
    tab: Pages, blobs: Any, tmp_path: Path
) -> None:
    cell = _half_cell_with_dqdv(tmp_path)
    tab.login()
    tab.go(f"/cells/{cell.pk}/")
    page = tab.page
    tab.wait_for_plots()
    assert page.evaluate(NAMES, "#plot-dqdv .plot") == [
        "cycle 1 plating",
        "cycle 1 stripping",
        "cycle 1 peaks",
    ]
    first_peaks = page.evaluate("() => document.querySelector('#plot-dqdv .plot').data[2].x.length")
    assert first_peaks == 6
    page.select_option("#plot-dqdv select[name=cycle]", "3")
    page.wait_for_function(
        "() => (document.querySelector('#plot-dqdv .plot').data || [])"
        ".some(t => t.name === 'cycle 3 peaks')",
        timeout=60_000,
    )
    assert page.evaluate(NAMES, "#plot-dqdv .plot") == [
        "cycle 3 plating",
        "cycle 3 stripping",
        "cycle 3 peaks",
    ]
    assert "cycle=3" in (page.get_attribute("#plot-dqdv .plot", "data-plot-url") or "")
    assert "cycle=3" in (page.get_attribute("#plot-dqdv .csv-link", "href") or "")
    # the dV/dQ card has its own selector and still shows cycle 1
    assert page.evaluate(NAMES, "#plot-dvdq .plot") == ["cycle 1 plating", "cycle 1 stripping"]
    peaks = page.evaluate(NAMES, "#plot-dqdv-peaks .plot")
    assert peaks == ["plating peaks", "stripping peaks"]
    assert page.locator("#plot-dqdv [data-title='Edit in Chart Studio']").count() == 0
    assert page.locator("#plot-dqdv [data-title*='Cloud']").count() == 0
    tab.shot("cell-dqdv-cycle-3")
