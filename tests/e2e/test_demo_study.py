"""The demo study in a browser: the comparison page shows the paper's figures and a table
whose values are the stored metrics; every dashboard renders without console errors, on a
laptop and on a tablet."""

from __future__ import annotations

import statistics
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from labdb import models as m
from tests.e2e.conftest import Pages

pytestmark = pytest.mark.django_db(transaction=True)


def stored_half_cell_metrics() -> dict[str, dict[str, list[float]]]:
    """formulation name -> metric -> values of its half cells' plating/stripping results."""
    out: dict[str, dict[str, list[float]]] = {}
    results = m.AnalysisResult.objects.filter(
        kind="cycling", test_run__protocol__kind="plating_stripping", test_run__cell__kind="half"
    ).select_related("test_run__cell__anode_batch__formulation")
    for r in results:
        name = r.test_run.cell.anode_batch.formulation.name
        group = out.setdefault(f"{name} (half)", {"ice": [], "average_ce": [], "short": []})
        group["ice"].append(r.initial_coulombic_efficiency)
        group["average_ce"].append(r.average_coulombic_efficiency)
        if r.short_circuit_cycle is not None:
            group["short"].append(r.short_circuit_cycle)
    return out


def table_value(tab: Pages, group: str, metric: str) -> float | None:
    cell = tab.page.locator(
        f'[data-testid=replicate-table] tr[data-group="{group}"] td[data-metric="{metric}"]'
    )
    raw = cell.get_attribute("data-mean")
    return float(raw) if raw else None


def test_demo_study_comparison_and_dashboards(tab: Pages, blobs: Any) -> None:
    from labdb.demo import demo_load
    from labdb.demo.files import demo_data_load

    project = demo_load()
    demo_data_load(project=project, user=get_user_model().objects.get(username="demo"))
    assert not m.AnalysisJob.objects.exclude(status="succeeded").exists()
    tab.login()
    page = tab.page

    tab.go("/compare/")
    for tag in ("2a", "2b", "2c", "2d", "3e", "5d-e", "6a", "6d"):
        assert page.locator(f"#plot-fig-{tag}").count() == 1, tag
    tab.wait_for_plots()
    for tag in ("2a", "2b", "2c", "2d", "3e", "5d-e", "6a", "6d"):
        assert page.locator(f"#plot-fig-{tag} svg.main-svg").count() >= 1, tag
    stored = stored_half_cell_metrics()
    assert len(stored) == 5
    for group, values in stored.items():
        assert table_value(tab, group, "ice") == pytest.approx(statistics.fmean(values["ice"]))
        assert table_value(tab, group, "average_ce") == pytest.approx(
            statistics.fmean(values["average_ce"])
        )
        short = table_value(tab, group, "short_circuit_cycle")
        if values["short"]:
            assert short == pytest.approx(statistics.fmean(values["short"]))
        else:
            assert short is None
    # the paper's ranking: MgAgSn (Elastane) has the highest ICE and never shorts
    ices = {g: statistics.fmean(v["ice"]) for g, v in stored.items()}
    assert max(ices, key=ices.__getitem__) == "MgAgSn-Elastane (half)"
    rct5 = {
        f.result.test_run.cell.anode_batch.formulation.name: f.rct_ohm_cm2
        for f in m.EISSpectrumFit.objects.filter(result__test_run__after_cycles=5).select_related(
            "result__test_run__cell__anode_batch__formulation"
        )
    }
    for name, value in rct5.items():
        assert table_value(tab, f"{name} (half)", "rct_5") == pytest.approx(value)
    peel = m.AnalysisResult.objects.get(
        kind="peel", test_run__electrode_batch__label="MgAgSn-PVDF-B1"
    )
    mech = page.locator(
        '[data-testid=mechanics-table] tr[data-group="PVDF"] td[data-metric="peel_strength_gf_per_mm"]'
    )
    assert float(mech.get_attribute("data-mean")) == pytest.approx(
        peel.summary["peel_strength_gf_per_mm"]
    )
    tab.shot("compare")

    # the demo records channels and its cyclers' stated accuracy: CE ± and the channel view
    # without editing
    runs = m.TestRun.objects.select_related("instrument", "cell")
    assert runs.exists() and not runs.filter(channel="").exists()
    for run in runs:
        assert 1 <= int(run.channel) <= run.instrument.channels, run.label
    hc1 = runs.get(label="MgAgSn-E-HC1-PS-1mA-1mAh")
    assert hc1.instrument.label == "BCS-805-1"
    # the ten half cells on the 8-channel cycler use all eight channels
    on_bcs = runs.filter(instrument__label="BCS-805-1")
    assert on_bcs.values("channel").distinct().count() == 8
    # a cell keeps one channel of the potentiostat for its EIS runs
    for cell in m.Cell.objects.filter(test_runs__instrument__label="VSP-300-1").distinct():
        on_vsp = {r.channel for r in runs.filter(cell=cell, instrument__label="VSP-300-1")}
        assert len(on_vsp) == 1, (cell.label, on_vsp)
    tab.go("/cells/MgAgSn-E-HC1/")
    assert "BCS-805-1" in page.locator("[data-testid=ce-bounds]").inner_text()
    tab.go("/channels/")
    rows = page.locator("[data-testid=channel-list] tbody tr").all_inner_texts()
    assert any(r.startswith(f"BCS-805-1\t{hc1.channel}\t") for r in rows), rows
    assert not any("(none)" in r for r in rows), rows
    tab.shot("channels-demo")

    tab.go("/compare/?group=binder&kind=half&seed=Ag%2BMg%2BSn")
    tab.wait_for_plots()
    assert page.locator("[data-testid=replicate-table] tr[data-group]").count() == 2
    tab.shot("compare-custom")

    for path, name in [
        ("/cells/MgAgSn-E-HC1/", "cell-MgAgSn-E-HC1"),
        ("/cells/MgAgSn-P-HC2/", "cell-MgAgSn-P-HC2-insitu"),
        ("/cells/MgAgSn-E-HC2/", "cell-MgAgSn-E-HC2-cv"),
        ("/cells/MgAgSn-E-FC1/", "cell-MgAgSn-E-FC1"),
        ("/batches/MgAgSn-PVDF-B1/", "batch-MgAgSn-PVDF-B1"),
        ("/cells/", "cell-list"),
        ("/jobs/", "jobs-demo"),
        ("/", "home-demo"),
        ("/search/?q=MgAgSn", "search-demo"),
        ("/upload/", "upload-page"),
    ]:
        tab.go(path)
        if "/cells/M" in path or "/batches/" in path:
            tab.wait_for_plots()
            assert page.locator('[data-plot-url][data-rendered="1"]').count() >= 1, path
        tab.shot(name)

    # the EIS run selector redraws the Nyquist plot for one in-situ run
    tab.go("/cells/MgAgSn-P-HC2/")
    tab.wait_for_plots()
    # the paper's Fig. 5 from the stored in-situ results, and the lin-KK residuals
    for card in ("insitu-voltage", "insitu-resistance", "kk-residuals"):
        assert page.locator(f'#plot-{card} .plot[data-rendered="1"]').count() == 1, card
    page.select_option("#plot-nyquist select[name=eis]", index=0)
    page.wait_for_function(
        "() => document.querySelector('#plot-nyquist .plot').dataset.rendered === '1'"
    )

    page.set_viewport_size({"width": 768, "height": 1024})
    for path, name in [("/compare/", "tablet-compare"), ("/cells/MgAgSn-E-HC1/", "tablet-cell")]:
        tab.go(path)
        tab.wait_for_plots()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 768 + 1, f"{path} scrolls sideways on a tablet ({width}px)"
        tab.shot(name)
