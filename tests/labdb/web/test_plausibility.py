"""Impossible numbers are flagged where they are shown: on the cell, test-run and comparison
pages and in the API, from a file written here whose stripping returns more than was plated."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from labdb import models as m
from labdb.plausibility import CE_TOLERANCE, CYCLE_RANGES, PLAUSIBLE_RANGES, metric_flag
from tests.labdb.api.conftest import session_client

pytestmark = pytest.mark.django_db


def test_every_run_metric_declares_its_plausible_range() -> None:
    assert set(PLAUSIBLE_RANGES) == {rm.column for rm in m.RUN_METRICS}
    assert set(CYCLE_RANGES) <= {f.name for f in m.CycleResult._meta.concrete_fields}


def test_bounds_and_tolerance() -> None:
    assert metric_flag("initial_coulombic_efficiency", 1.0 + CE_TOLERANCE) is None
    assert metric_flag("initial_coulombic_efficiency", 1.0 + 2 * CE_TOLERANCE) is not None
    assert metric_flag("cumulative_coulombic_efficiency", -0.1) is not None
    assert metric_flag("capacity_retention", 1.44) is not None
    assert metric_flag("capacity_retention", 0.85) is None
    assert metric_flag("short_circuit_cycle", None) is None


def badges(html: str) -> dict[str, str]:
    """data-implausible metric -> title of each badge on a page."""
    return dict(
        re.findall(r'class="badge implausible" data-implausible="([^"]+)" title="([^"]+)"', html)
    )


def test_cell_page_flags_ice_and_cycles(client_demo: Client, overshoot: m.AnalysisResult) -> None:
    assert overshoot.initial_coulombic_efficiency == pytest.approx(1.3, abs=0.01)
    cell = m.Cell.objects.get(label="MgAgSn-E-HC2")
    html = client_demo.get(f"/cells/{cell.pk}/").content.decode()
    found = badges(html)
    assert "initial_coulombic_efficiency" in found
    assert "at most 100 %" in found["initial_coulombic_efficiency"]
    assert "current sign" in found["initial_coulombic_efficiency"]
    assert re.search(
        r'data-implausible="coulombic_efficiency"><code>[^<]+</code> = 1\.3\d*: '
        r"implausible \(cycles 1, 2, 3, 4\)",
        html,
    )
    normal = m.Cell.objects.get(label="MgAgSn-E-HC1")
    assert badges(client_demo.get(f"/cells/{normal.pk}/").content.decode()) == {}


def test_test_run_page_shows_ice_in_percent_with_the_flag(
    client_demo: Client, overshoot: m.AnalysisResult
) -> None:
    html = client_demo.get(f"/test-runs/{overshoot.test_run_id}/").content.decode()
    assert re.search(
        r"<dd>13\d\.\d\d % <span class=\"badge implausible\" "
        r'data-implausible="initial_coulombic_efficiency"',
        html,
    )


def test_api_result_carries_the_flags(demo_user: Any, overshoot: m.AnalysisResult) -> None:
    client = session_client(demo_user)
    listed = client.get("/api/v1/results/", {"test_run": "MgAgSn-E-HC2-PS"}).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    row = next(r for r in rows if r["test_run"] == "MgAgSn-E-HC2-PS" and r["kind"] == "cycling")
    metrics = {f["metric"]: f for f in row["implausible"]}
    assert metrics["initial_coulombic_efficiency"]["value"] == pytest.approx(1.3, abs=0.01)
    assert "at most 100 %" in metrics["initial_coulombic_efficiency"]["rule"]
    detail = client.get(f"/api/v1/results/{overshoot.job_id}/").json()
    per_cycle = {f["metric"]: f for f in detail["implausible"]}
    assert per_cycle["coulombic_efficiency"]["cycles"] == [1, 2, 3, 4]
    normal = next(
        r
        for r in client.get("/api/v1/results/").json()["results"]
        if r["test_run"] == "MgAgSn-E-HC1-PS" and r["kind"] == "cycling"
    )
    assert normal["implausible"] == []


def test_comparison_leaves_implausible_values_out_of_group_statistics(
    client_demo: Client, overshoot: m.AnalysisResult
) -> None:
    html = client_demo.get("/compare/?group=formulation&kind=half").content.decode()
    row = re.search(r'<tr data-group="MgAgSn-Elastane \(half\)">(.*?)</tr>', html, re.S)
    assert row
    ice = re.search(
        r'data-metric="ice" data-mean="([^"]*)" data-n="(\d+)">(.*?)</td>', row.group(1), re.S
    )
    assert ice
    normal = m.AnalysisResult.objects.get(test_run__label="MgAgSn-E-HC1-PS", kind="cycling")
    assert float(ice.group(1)) == pytest.approx(normal.initial_coulombic_efficiency)
    assert ice.group(2) == "1"
    assert 'data-excluded="1"' in ice.group(3) and "MgAgSn-E-HC2" in ice.group(3)
