"""The comparison page: replicate statistics and overlays from stored results."""

from __future__ import annotations

import re
import statistics
from typing import Any

import pytest
from django.test import Client

from labdb import models as m
from tests.labdb.test_ingest_and_jobs import bdf_csv
from tests.labdb.web.conftest import make_run


@pytest.fixture
def two_replicates(demo: m.Project, demo_user: Any, ingest: Any) -> list[m.AnalysisResult]:
    out = []
    for label, ce in (("MgAgSn-E-HC1", 0.98), ("MgAgSn-E-HC2", 0.96)):
        run = make_run(demo, demo_user, f"{label}-PS", label, "PS-1mA-1mAh")
        out.append(ingest(run, bdf_csv(cycles=4, ce=ce), f"{label}.csv").result)
    return out


def cell_value(html: str, group: str, metric: str) -> float:
    row = re.search(rf'<tr data-group="{re.escape(group)}">(.*?)</tr>', html, re.S)
    assert row, group
    cell = re.search(rf'data-metric="{metric}" data-mean="([^"]*)"', row.group(1))
    assert cell, metric
    return float(cell.group(1))


def test_default_view_is_the_papers_figures(client_demo: Client, blobs: Any) -> None:
    html = client_demo.get("/compare/").content.decode()
    for tag in (
        "Fig. 2a",
        "Fig. 2b",
        "Fig. 2c",
        "Fig. 2d",
        "Fig. 3e",
        "Fig. 5d-e",
        "Fig. 6a",
        "Fig. 6d",
    ):
        assert tag in html


def test_table_gives_mean_and_sd_across_replicates(
    client_demo: Client, two_replicates: list[m.AnalysisResult]
) -> None:
    html = client_demo.get("/compare/?group=formulation&kind=half").content.decode()
    ices = [r.initial_coulombic_efficiency for r in two_replicates]
    group = "MgAgSn-Elastane (half)"
    assert cell_value(html, group, "ice") == pytest.approx(statistics.fmean(ices))
    sd = statistics.stdev(ices) * 100
    assert f"± {sd:.2f}" in html
    avg = [r.average_coulombic_efficiency for r in two_replicates]
    assert cell_value(html, group, "average_ce") == pytest.approx(statistics.fmean(avg))


def test_overlay_has_one_line_per_cell_coloured_by_group(
    client_demo: Client, two_replicates: Any
) -> None:
    fig = client_demo.get("/compare/plots/ce.json?binder=Elastane&group=seed").json()
    names = [t["name"] for t in fig["data"]]
    assert names == ["Ag+Mg+Sn (half): MgAgSn-E-HC1", "Ag+Mg+Sn (half): MgAgSn-E-HC2"]
    assert fig["data"][0]["line"]["color"] == fig["data"][1]["line"]["color"]
    assert fig["data"][1]["y"][0] == pytest.approx(96.0, abs=0.3)
    chosen = client_demo.get("/compare/plots/ce.json?cells=MgAgSn-E-HC2").json()
    assert [t["name"] for t in chosen["data"]] == ["MgAgSn-E-HC2"]
    rows = client_demo.get("/compare/plots/cumulative-ce.csv?group=seed").content.decode()
    assert rows.count("\n") == 1 + 8  # header + 4 cycles of two cells


def test_rct_plot_groups_after_n_cycles(client_demo: Client, eis_after: Any) -> None:
    fig = client_demo.get("/compare/plots/rct.json?kind=half&group=formulation").json()
    assert [t["name"] for t in fig["data"]] == ["after 5 cycles", "after 10 cycles"]
    assert fig["data"][0]["x"] == ["MgAgSn-Elastane (half)"]
    assert fig["data"][1]["y"][0] == pytest.approx(eis_after[10].spectra.get().rct_ohm_cm2)


def test_mechanics_by_binder(client_demo: Client, peel: Any) -> None:
    fig = client_demo.get("/compare/plots/mechanics.json?metric=peel_strength_gf_per_mm").json()
    assert fig["data"][0]["x"] == ["Elastane"]
    assert fig["data"][0]["y"][0] == pytest.approx(peel.summary["peel_strength_gf_per_mm"])
    html = client_demo.get("/compare/").content.decode()
    assert cell_value(html, "Elastane", "peel_strength_gf_per_mm") == pytest.approx(
        peel.summary["peel_strength_gf_per_mm"]
    )


def test_outsider_sees_none_of_the_demo_cells(
    client: Client, outsider: Any, two_replicates: Any
) -> None:
    client.force_login(outsider)
    html = client.get("/compare/").content.decode()
    assert "MgAgSn-E-HC1" not in html
    fig = client.get("/compare/plots/ce.json?cells=MgAgSn-E-HC1").json()
    assert fig["data"] == []


def test_a_chosen_selection_with_an_insitu_run_shows_fig_5(
    demo: m.Project, demo_user: Any, client_demo: Client
) -> None:
    """Fig. 5's in-situ plots are not only the paper's: any selection holding a cell with an
    in-situ EIS run gets them, a selection without one does not."""
    make_run(demo, demo_user, "MgAgSn-P-HC2-INSITU", "MgAgSn-P-HC2", "EIS-INSITU-10min")
    titles = ("In-situ EIS: voltage", "In-situ EIS: Nyquist plots", "In-situ EIS: RSEI and RCT")
    with_insitu = client_demo.get("/compare/?binder=PVDF&group=cell").content.decode()
    for title in titles:
        assert title in with_insitu, title
    assert 'data-plot-url="/compare/plots/insitu.json?group=cell&amp;binder=PVDF"' in with_insitu
    without = client_demo.get("/compare/?binder=Elastane&group=cell").content.decode()
    assert not any(title in without for title in titles)
