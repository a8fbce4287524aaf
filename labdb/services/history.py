"""The change history of catalog records (append-only)."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import models

from labdb.models import CatalogRecord, HistoryEntry

SKIP_FIELDS = {"created_at", "updated_at", "id"}


def snapshot(record: models.Model) -> dict[str, Any]:
    """The record's field values as JSON-ready data (foreign keys by label where they have one)."""
    data: dict[str, Any] = {}
    for field in record._meta.concrete_fields:
        if field.name in SKIP_FIELDS:
            continue
        if isinstance(field, models.ForeignKey):
            related = getattr(record, field.name)
            data[field.name] = str(related) if related is not None else None
        else:
            data[field.name] = _jsonable(field.value_from_object(record))
    return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    return value


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[Any]]:
    """field -> [before, after] for every field whose value changed."""
    before = before or {}
    return {
        k: [before.get(k), v] for k, v in after.items() if k not in before or before.get(k) != v
    }


def history_record(
    *,
    record: CatalogRecord,
    action: str,
    user: Any,
    before: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> HistoryEntry | None:
    """Append a history entry for ``record``; nothing when an update changed nothing."""
    changes: dict[str, Any] = diff(before, snapshot(record))
    if extra:
        changes.update(extra)
    if action == HistoryEntry.Action.UPDATED and not changes:
        return None
    return HistoryEntry.objects.create(
        project=record.project,
        record_type=record._meta.model_name or "",
        record_id=record.pk,
        record_label=record.label,
        action=action,
        changes=changes,
        user=user if getattr(user, "is_authenticated", False) else None,
    )


def history_deleted(*, record: CatalogRecord, user: Any) -> HistoryEntry:
    """Append the entry of ``record``'s deletion (call before deleting it): every field's
    last value as ``[value, None]``, so the history keeps what the record was."""
    return HistoryEntry.objects.create(
        project=record.project,
        record_type=record._meta.model_name or "",
        record_id=record.pk,
        record_label=record.label,
        action=HistoryEntry.Action.DELETED,
        changes={k: [v, None] for k, v in snapshot(record).items()},
        user=user if getattr(user, "is_authenticated", False) else None,
    )


def history_for(record: CatalogRecord) -> models.QuerySet[HistoryEntry]:
    return HistoryEntry.objects.filter(
        record_type=record._meta.model_name, record_id=record.pk
    ).select_related("user")
