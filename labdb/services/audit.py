"""The append-only audit trail of things that are not catalog edits: files registered,
analyses queued, started and finished (catalog edits are recorded by services.history)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from labdb.models import HistoryEntry, Project


def audit(
    *, project: Project, action: str, user: Any, target: Model, details: dict[str, Any]
) -> HistoryEntry:
    return HistoryEntry.objects.create(
        project=project,
        record_type=target._meta.model_name or "",
        record_id=target.pk,
        record_label=str(getattr(target, "label", target))[:120],
        action=action,
        changes=details,
        user=user if getattr(user, "is_authenticated", False) else None,
    )
