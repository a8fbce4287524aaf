"""Building several cells from one electrode batch in one step (replicates)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from labdb import models as m
from labdb.services.catalog import record_save

#: at most this many cells in one step (a coin-cell press run)
MAX_CELLS = 50


@transaction.atomic
def cells_create_from_batch(
    *,
    batch: m.ElectrodeBatch,
    count: int,
    label_prefix: str,
    kind: str,
    counter_lot: m.MaterialLot,
    electrolyte_lot: m.MaterialLot,
    area_cm2: float,
    user: Any,
) -> list[m.Cell]:
    """``count`` cells on ``batch`` labelled ``<label_prefix>1`` .. ``<label_prefix>N``, each
    validated and recorded in its history like a cell made in the form; all or none (a label
    taken or a wrong lot refuses the whole step, naming the cell)."""
    if not 1 <= count <= MAX_CELLS:
        raise ValidationError({"count": f"between 1 and {MAX_CELLS} cells"})
    if not label_prefix.strip():
        raise ValidationError({"label_prefix": "a label prefix is required, e.g. MgAgSn-E-HC"})
    cells = []
    for n in range(1, count + 1):
        cell = m.Cell(
            project=batch.project,
            label=f"{label_prefix.strip()}{n}",
            kind=kind,
            anode_batch=batch,
            lithium_lot=counter_lot if kind == m.Cell.Kind.HALF else None,
            cathode_lot=counter_lot if kind == m.Cell.Kind.FULL else None,
            electrolyte_lot=electrolyte_lot,
            area_cm2=area_cm2,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        try:
            cells.append(record_save(record=cell, user=user))
        except ValidationError as exc:
            raise ValidationError([f"{cell.label}: {msg}" for msg in exc.messages]) from exc
    return cells
