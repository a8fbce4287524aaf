"""A lot answers lot questions in one place: the cells built from it with their key metrics
(page and CSV), and quarantine with a reason (history), flagged in comparisons."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from labdb import models as m

pytestmark = pytest.mark.django_db


def test_lot_page_lists_its_cells_with_metrics_and_exports_them(
    client_demo: Client, cycling: m.AnalysisResult
) -> None:
    cell = cycling.test_run.cell
    assert cell is not None
    lot = cell.electrolyte_lot
    page = client_demo.get(f"/lots/{lot.pk}/").content.decode()
    assert 'data-testid="lot-cells"' in page and f'href="/cells/{cell.pk}/"' in page
    rows = list(
        csv.DictReader(io.StringIO(client_demo.get(f"/lots/{lot.pk}/cells.csv").content.decode()))
    )
    built = {r["cell"]: r for r in rows}
    expected = {c.label for c in m.Cell.objects.filter(electrolyte_lot=lot)}
    assert set(built) >= expected  # every cell on this SE lot (and any made from it upstream)
    assert float(built[cell.label]["ICE (%)"]) == pytest.approx(
        cycling.initial_coulombic_efficiency * 100, abs=0.01
    )
    assert built[cell.label]["cycles"] == "5"
    # a seed-powder lot reaches its cells through formulations and electrode batches
    seed = m.FormulationComponent.objects.filter(formulation=cell.anode_batch.formulation).first()
    assert seed is not None
    seed_rows = client_demo.get(f"/lots/{seed.lot_id}/cells.csv").content.decode()
    assert cell.label in seed_rows


def test_quarantine_needs_a_reason_and_flags_the_cells_in_comparisons(
    client_demo: Client, demo_user: Any, cycling: m.AnalysisResult
) -> None:
    cell = cycling.test_run.cell
    assert cell is not None
    lot = cell.electrolyte_lot
    client_demo.post(f"/lots/{lot.pk}/quarantine/", {"quarantined": "1", "reason": ""})
    lot.refresh_from_db()
    assert not lot.quarantined
    client_demo.post(
        f"/lots/{lot.pk}/quarantine/", {"quarantined": "1", "reason": "moisture above spec"}
    )
    lot.refresh_from_db()
    assert lot.quarantined and lot.quarantine_reason == "moisture above spec"
    entry = m.HistoryEntry.objects.filter(record_id=lot.pk, user=demo_user).latest("id")
    assert entry.changes["quarantined"] == [False, True]
    html = client_demo.get(f"/compare/?cells={cell.label}").content.decode()
    assert f'data-quarantined="{cell.label}"' in html and "moisture above spec" in html
    client_demo.post(f"/lots/{lot.pk}/quarantine/", {"quarantined": "0", "reason": "re-tested: ok"})
    html = client_demo.get(f"/compare/?cells={cell.label}").content.decode()
    assert "data-quarantined" not in html
