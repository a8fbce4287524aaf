"""Attachments on lots and electrode batches (certificates of analysis, XRD, SEM, EDS, FT-IR),
stored content-addressed with their sha256."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from labdb import models as m
from labdb.services.audit import audit
from labdb.storage import safe_name, store_chunks


def attachment_add(
    *,
    owner: m.MaterialLot | m.ElectrodeBatch,
    kind: str,
    chunks: Iterable[bytes],
    original_name: str,
    content_type: str,
    description: str,
    user: Any,
) -> m.Attachment:
    """Store the file and attach it to ``owner``; the same content attached twice with the same
    kind is one attachment."""
    blob = store_chunks(chunks)
    owner_field = "lot" if isinstance(owner, m.MaterialLot) else "batch"
    with transaction.atomic():
        existing = m.Attachment.objects.filter(
            **{owner_field: owner}, sha256=blob.sha256, kind=kind
        ).first()
        if existing is not None:
            return existing
        attachment = m.Attachment.objects.create(
            **{owner_field: owner},
            kind=kind,
            description=description,
            original_name=safe_name(original_name),
            sha256=blob.sha256,
            size_bytes=blob.size_bytes,
            content_type=content_type[:120],
            uploaded_by=user if getattr(user, "is_authenticated", False) else None,
        )
        audit(
            project=owner.project,
            action="attachment.added",
            user=user,
            target=owner,
            details={"kind": kind, "name": attachment.original_name, "sha256": blob.sha256},
        )
    return attachment
