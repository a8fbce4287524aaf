"""Putting a material lot in quarantine (contaminated, out of specification) and lifting it,
with a required reason in the lot's history. Cells built from a quarantined lot are flagged
in comparisons (labdb.selectors.lots)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from labdb import models as m
from labdb.services.history import history_record, snapshot


@transaction.atomic
def lot_quarantine(
    *, lot: m.MaterialLot, quarantined: bool, reason: str, user: Any
) -> m.MaterialLot:
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ValidationError({"reason": "say why (a reason is required and recorded)"})
    lot = m.MaterialLot.objects.select_for_update().get(pk=lot.pk)
    if lot.quarantined == quarantined:
        state = "in quarantine" if quarantined else "not in quarantine"
        raise ValidationError({"quarantined": f"{lot.label} is {state} already"})
    before = snapshot(lot)
    lot.quarantined = quarantined
    lot.quarantine_reason = reason[:300] if quarantined else ""
    lot.save(update_fields=["quarantined", "quarantine_reason", "updated_at"])
    history_record(
        record=lot,
        action=m.HistoryEntry.Action.UPDATED,
        user=user,
        before=before,
        extra={"reason": [None, reason]},
    )
    return lot
