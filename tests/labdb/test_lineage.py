"""Lineage from a metric back to the powder lots, and the impact of a lot, in a fixed number
of queries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from labdb import models as m
from labdb.selectors.lineage import impact, lineage
from labdb.services.catalog import record_save
from labdb.services.ingest import data_file_register
from tests.labdb.test_ingest_and_jobs import bdf_csv


def _run_with_result(demo: m.Project, cell_label: str) -> m.AnalysisResult:
    run = record_save(
        record=m.TestRun(
            project=demo,
            label=f"{cell_label}-PS",
            cell=m.Cell.objects.get(label=cell_label),
            protocol=m.TestProtocol.objects.get(label="PS-1mA-1mAh"),
        ),
        user=None,
    )
    job = data_file_register(
        test_run=run,
        chunks=[bdf_csv(2, ce=0.95 if "Mg-" in cell_label else 0.97)],
        original_name=f"{cell_label}.csv",
        user=None,
        source="cli",
    ).job
    job.refresh_from_db()
    return job.result


@pytest.mark.django_db(transaction=True)
def test_metric_reaches_the_seed_lots_with_their_d50_in_fixed_queries(
    demo: m.Project, demo_user: Any, settings: Any, tmp_path: Path
) -> None:
    settings.BLOB_DIR = tmp_path / "blobs"
    result = _run_with_result(demo, "MgAgSn-E-HC1")
    # result -> job -> file -> run -> cell -> batch -> formulation -> lot -> material
    with CaptureQueriesContext(connection) as ctx:
        up = lineage(result, demo_user, direction="up")
    lots = up.of_type(m.MaterialLot)
    seeds = {lot.label: lot.d50_nm for lot in lots if lot.label.split("-")[0] in {"Mg", "Ag", "Sn"}}
    assert seeds == {"Mg-800nm-L1": 800.0, "Ag-30nm-L1": 30.0, "Sn-150nm-L1": 150.0}
    labels = {getattr(o, "label", None) for o, _ in up.nodes.values()}
    assert {
        "MgAgSn-E-HC1-PS",
        "MgAgSn-E-HC1",
        "MgAgSn-Elastane-B1",
        "MgAgSn-Elastane v1",
        "Elastane-L1",
        "LPSCl-L1",
        "Li-foil-L1",
        "SUS-foil-L1",
        "PS-1mA-1mAh",
        "Mg",
    } <= labels
    depth = {o.label: d for o, d in up.nodes.values() if hasattr(o, "label")}
    assert depth["MgAgSn-E-HC1-PS"] == 3 and depth["Mg-800nm-L1"] == 7 and depth["Mg"] == 8
    # one walk, plus one query per record type reached: independent of the depth
    types = {t for t, _ in up.nodes}
    assert len(ctx.captured_queries) == 1 + len(types)


@pytest.mark.django_db(transaction=True)
def test_query_count_does_not_grow_with_the_lineage(
    demo: m.Project, demo_user: Any, settings: Any, tmp_path: Path
) -> None:
    settings.BLOB_DIR = tmp_path / "blobs"
    lot = m.MaterialLot.objects.get(label="Mg-800nm-L1")
    _run_with_result(demo, "Mg-E-HC1")
    with CaptureQueriesContext(connection) as few:
        small = impact(lot, demo_user)
    for label in ("Mg-E-HC2", "MgAgSn-E-HC1", "MgAgSn-P-HC1", "MgAgSn-P-HC2"):
        _run_with_result(demo, label)
    with CaptureQueriesContext(connection) as many:
        big = impact(lot, demo_user)
    assert len(big.nodes) > len(small.nodes)
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_impact_of_a_lot_is_exactly_its_dependents(
    demo: m.Project, demo_user: Any, settings: Any, tmp_path: Path
) -> None:
    settings.BLOB_DIR = tmp_path / "blobs"
    _run_with_result(demo, "Ag-E-HC1")
    _run_with_result(demo, "Mg-E-HC1")
    ag = m.MaterialLot.objects.get(label="Ag-30nm-L1")
    found = impact(ag, demo_user)
    cells = {c.label for c in found.of_type(m.Cell)}
    expected = set(
        m.Cell.objects.filter(anode_batch__formulation__components__lot=ag).values_list(
            "label", flat=True
        )
    )
    assert (
        cells
        == expected
        == {
            "Ag-E-HC1",
            "Ag-E-HC2",
            "MgAgSn-E-HC1",
            "MgAgSn-E-HC2",
            "MgAgSn-P-HC1",
            "MgAgSn-P-HC2",
            "MgAgSn-E-FC1",
        }
    )
    assert {r.label for r in found.of_type(m.TestRun)} == {"Ag-E-HC1-PS"}
    assert [f.original_name for f in found.of_type(m.DataFile)] == ["Ag-E-HC1.csv"]
    # the file's cycling result and the dQ/dV result that follows it
    assert sorted(r.kind for r in found.of_type(m.AnalysisResult)) == ["cycling", "dqdv"]
    assert {f.label for f in found.of_type(m.Formulation)} == {
        "Ag-Elastane v1",
        "MgAgSn-Elastane v1",
        "MgAgSn-PVDF v1",
    }
    # the Mg-only cell's data does not depend on the Ag lot
    assert "Mg-E-HC1" not in cells


@pytest.mark.django_db(transaction=True)
def test_detail_pages_show_the_lineage_graph_and_lists(
    client_demo: Client, demo: m.Project, settings: Any, tmp_path: Path
) -> None:
    settings.BLOB_DIR = tmp_path / "blobs"
    _run_with_result(demo, "Sn-E-HC1")
    lot = m.MaterialLot.objects.get(label="Sn-150nm-L1")
    page = client_demo.get(f"/lots/{lot.pk}/").content.decode()
    assert "Everything that depends on this lot" in page
    assert "Sn-E-HC1.csv" in page and 'class="lineage"' in page
    run = m.TestRun.objects.get(label="Sn-E-HC1-PS")
    page = client_demo.get(f"/test-runs/{run.pk}/").content.decode()
    assert "Sn-150nm-L1 (D50 150 nm)" in page and "Cycling metrics" in page
