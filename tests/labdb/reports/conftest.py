"""A small study for the report and package tests: four half cells of three formulations, each
with a plating/stripping run ingested and analysed through the normal pipeline."""

from __future__ import annotations

from typing import Any

import pytest

from labdb import models as m
from labdb.services.comparisons import comparison_save
from tests.labdb.test_ingest_and_jobs import bdf_csv
from tests.labdb.web.conftest import blobs, cycling, eis_after, ingest, make_run

__all__ = ["blobs", "cycling", "eis_after", "ingest"]

#: cell -> coulombic efficiency of its generated record
STUDY_CELLS = {"MgAgSn-E-HC1": 0.98, "MgAgSn-E-HC2": 0.97, "Mg-E-HC1": 0.95, "MgAgSn-P-HC1": 0.96}


@pytest.fixture
def study(demo: m.Project, demo_user: Any, ingest: Any) -> m.SavedComparison:
    """The four cells' runs analysed, saved as a comparison grouped by formulation."""
    for label, ce in STUDY_CELLS.items():
        run = make_run(demo, demo_user, f"{label}-PS", label, "PS-1mA-1mAh")
        ingest(run, bdf_csv(cycles=4, ce=ce), f"{label}.csv")
    cells = list(m.Cell.objects.filter(label__in=STUDY_CELLS))
    return comparison_save(
        user=demo_user,
        name="Seeds and binders",
        cells=cells,
        options={"group": "formulation", "kind": "half", "seed": "", "binder": ""},
    )


@pytest.fixture
def planned_study(demo: m.Project, demo_user: Any) -> m.SavedComparison:
    """The same four cells with their runs recorded but no data yet (no analysis)."""
    for label in STUDY_CELLS:
        make_run(demo, demo_user, f"{label}-PS", label, "PS-1mA-1mAh")
    return comparison_save(
        user=demo_user,
        name="Planned",
        cells=list(m.Cell.objects.filter(label__in=STUDY_CELLS)),
        options={"group": "formulation"},
    )
