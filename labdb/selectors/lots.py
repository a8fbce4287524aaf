"""Reads behind a lot's page: every cell built from the lot (at any depth) with its key
metrics, and which cells come from a quarantined lot (flagged in comparisons)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labdb import models as m
from labdb.selectors.lineage import lineage
from labdb.selectors.results import CellMetrics, cell_metrics

#: the cell's own lot fields (the electrode's lots come through its batch's formulation)
CELL_LOT_FIELDS = ("lithium_lot", "cathode_lot", "cathode_coating_lot", "electrolyte_lot")


def cells_of_lot(lot: m.MaterialLot, user: Any) -> list[tuple[m.Cell, CellMetrics]]:
    """Every cell built from ``lot`` (directly or through formulations and electrode
    batches), by label, with its headline metrics."""
    cells = sorted(lineage(lot, user, direction="down").of_type(m.Cell), key=lambda c: c.label)
    metrics = cell_metrics(user, cells)  # type: ignore[arg-type]
    return [(c, metrics[c.pk]) for c in cells]  # type: ignore[misc]


def quarantined_lots_of(cells: Sequence[m.Cell]) -> dict[Any, list[m.MaterialLot]]:
    """cell pk -> the quarantined lots it was built from (cells with none are left out)."""
    held = {lot.pk: lot for lot in m.MaterialLot.objects.filter(quarantined=True)}
    if not held:
        return {}
    out: dict[Any, list[m.MaterialLot]] = {}
    batch_lots: dict[Any, set[Any]] = {}
    for batch_id, lot_id in m.FormulationComponent.objects.filter(
        formulation__batches__in={c.anode_batch_id for c in cells}, lot__in=held
    ).values_list("formulation__batches", "lot"):
        batch_lots.setdefault(batch_id, set()).add(lot_id)
    for cell in cells:
        ids = {getattr(cell, f"{f}_id") for f in CELL_LOT_FIELDS} | batch_lots.get(
            cell.anode_batch_id, set()
        )
        found = [held[i] for i in ids if i in held]
        if found:
            out[cell.pk] = sorted(found, key=lambda lot: lot.label)
    return out
