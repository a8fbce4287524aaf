"""Attachments on lots and electrode batches (certificates of analysis, XRD, SEM, EDS, FT-IR),
stored content-addressed with their sha256.

The media type of an attachment is found on the server from its first bytes, within an
allow-list (:func:`sniff_content_type`); the type the browser claimed is never stored nor
served, so a file cannot become a page of this site (HTML and SVG are served as plain text, as
downloads: see :mod:`labdb.web.attachments`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from django.db import transaction

from labdb import models as m
from labdb.services.audit import audit
from labdb.storage import read_blob_head, safe_name, store_chunks

#: Bytes read from the start of a file to find its type.
SNIFF_BYTES = 8192

#: Magic numbers of the binary types served under their own name (everything else that is
#: not text is application/octet-stream).
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)

#: Zip containers, told apart by their file name (the content is a zip archive either way).
ZIP_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}

#: Text, told apart by the file name; any other text (HTML, SVG, scripts) is text/plain.
TEXT_TYPES = {".csv": "text/csv", ".tsv": "text/tab-separated-values"}

#: Every type :func:`sniff_content_type` can answer: none of them is rendered as a page.
ALLOWED_TYPES = frozenset(
    {t for _, t in MAGIC}
    | set(ZIP_TYPES.values())
    | set(TEXT_TYPES.values())
    | {"application/zip", "text/plain", "application/octet-stream"}
)


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the end of the sample is still text
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


def sniff_content_type(head: bytes, name: str) -> str:
    """The media type of a file from its first bytes (``head``) and its name, one of
    :data:`ALLOWED_TYPES`: a known magic number, a zip container (Office files by their
    extension), UTF-8 text (CSV and TSV by their extension, everything else text/plain, so
    that HTML and SVG are never served as markup), else application/octet-stream."""
    suffix = PurePath(name).suffix.lower()
    for magic, content_type in MAGIC:
        if head.startswith(magic):
            return content_type
    if head.startswith(b"PK\x03\x04"):
        return ZIP_TYPES.get(suffix, "application/zip")
    if head and _is_text(head):
        return TEXT_TYPES.get(suffix, "text/plain")
    return "application/octet-stream"


def attachment_content_type(attachment: m.Attachment) -> str:
    """The type to serve ``attachment`` with, found again from the stored bytes (rows written
    before types were sniffed hold the browser's claim)."""
    return sniff_content_type(
        read_blob_head(attachment.sha256, SNIFF_BYTES), attachment.original_name
    )


def attachment_add(
    *,
    owner: m.MaterialLot | m.ElectrodeBatch,
    kind: str,
    chunks: Iterable[bytes],
    original_name: str,
    description: str,
    user: Any,
) -> m.Attachment:
    """Store the file and attach it to ``owner``; the same content attached twice with the same
    kind is one attachment. Its type is sniffed from the stored bytes."""
    blob = store_chunks(chunks)
    owner_field = "lot" if isinstance(owner, m.MaterialLot) else "batch"
    name = safe_name(original_name)
    content_type = sniff_content_type(read_blob_head(blob.sha256, SNIFF_BYTES), name)
    with transaction.atomic():
        existing = m.Attachment.objects.filter(
            **{owner_field: owner}, sha256=blob.sha256, kind=kind, removed_at__isnull=True
        ).first()
        if existing is not None:
            return existing
        attachment = m.Attachment.objects.create(
            **{owner_field: owner},
            kind=kind,
            description=description,
            original_name=name,
            sha256=blob.sha256,
            size_bytes=blob.size_bytes,
            content_type=content_type,
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


def attachment_remove(*, attachment: m.Attachment, reason: str, user: Any) -> m.Attachment:
    """Remove an attachment from its lot or batch (soft: the bytes and the row stay, the
    page lists it as removed), with a required reason in the owner's history."""
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ValidationError({"reason": "say why (a reason is required and recorded)"})
    if attachment.removed_at is not None:
        raise ValidationError({"attachment": f"{attachment.original_name} is removed already"})
    owner = attachment.lot if attachment.lot_id else attachment.batch
    assert owner is not None  # the attachment_has_owner constraint
    with transaction.atomic():
        attachment.removed_at = timezone.now()
        attachment.removed_by = user if getattr(user, "is_authenticated", False) else None
        attachment.removal_reason = reason[:300]
        attachment.save(update_fields=["removed_at", "removed_by", "removal_reason"])
        audit(
            project=owner.project,
            action="attachment.removed",
            user=user,
            target=owner,
            details={
                "attachment": [attachment.original_name, None],
                "sha256": [attachment.sha256, None],
                "reason": [None, reason],
            },
        )
    return attachment
