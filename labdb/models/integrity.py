"""Results of the blob-store verification (``verify_storage`` and its scheduled task)."""

from __future__ import annotations

from django.db import models


class StorageCheck(models.Model):
    """One pass over the blob store: every file re-hashed and compared to its name."""

    id = models.BigAutoField(primary_key=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    checked = models.PositiveIntegerField()
    #: one entry per problem: {"sha256": ..., "path": ..., "problem": ..., "records": [...]}
    problems = models.JSONField(default=list)

    class Meta:
        ordering = ["-finished_at"]

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        state = "ok" if self.ok else f"{len(self.problems)} problem(s)"
        return f"storage check {self.finished_at:%Y-%m-%d %H:%M}: {state}"
