"""Export jobs: heavy downloads (data package, study report PDF, RO-Crate of many cells) built
by a worker on the ``exports`` queue, not in the web request."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from labdb.models.immutable import FinishedJobImmutable, JobQuerySet


class ExportJob(FinishedJobImmutable):
    """One export of one selection with given parameters, and its result.

    Idempotent on ``inputs_sha256``: the hash of the export kind, the cells and the analysis
    results it covers (their ids and output hashes, the cells' last edit), the parameters and
    the code version. Asking again for the same export returns the same job, so the same
    download; a failed job stays as the record of what went wrong and does not block a new
    attempt. The result is a content-addressed blob (``result_sha256``) with its provenance;
    a finished job is never changed.
    """

    record_name = "export job"

    class Kind(models.TextChoices):
        PACKAGE = "package", "data package (ZIP)"
        REPORT_PDF = "report_pdf", "study report (PDF)"
        CRATE = "crate", "RO-Crate (.eln)"

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    #: what was asked for, as asked: a saved comparison (id, group) or the comparison query
    selection = models.JSONField(default=dict)
    #: the records the export covers, pinned when it was asked for: cells (id, label, last
    #: edit) and analysis results (id, output sha256)
    inputs = models.JSONField(default=dict)
    parameters = models.JSONField(default=dict)
    inputs_sha256 = models.CharField(max_length=64)
    code_commit = models.CharField(max_length=40, blank=True)
    export_version = models.CharField(max_length=20)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress = models.FloatField(default=0.0)
    stage = models.CharField(max_length=120, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    claimed_by = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    result_sha256 = models.CharField(max_length=64, blank=True)
    result_size_bytes = models.BigIntegerField(null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    #: how the result was made: library versions, timings, worker
    provenance = models.JSONField(default=dict, blank=True)

    #: a queryset ``update`` touching a finished export is refused, as for analysis jobs (every
    #: update of labdb.services.exports filters on a queued or running status: send, sweep,
    #: claim, progress, finish)
    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["inputs_sha256"],
                condition=~models.Q(status="failed"),
                name="export_idempotent",
            ),
            models.CheckConstraint(
                condition=models.Q(progress__gte=0, progress__lte=1),
                name="export_progress_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} export {str(self.pk)[:8]} ({self.status})"

    @property
    def cell_ids(self) -> list[str]:
        return [c["id"] for c in self.inputs.get("cells", [])]
