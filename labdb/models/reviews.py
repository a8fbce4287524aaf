"""A person's decisions about stored results: a flagged value accepted with a reason, a raw
file removed because it was uploaded by mistake, an item of the home page dismissed.

The results themselves never change (they are immutable); these records say how a person
wants them counted, and every one of them is also written to the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from labdb.models.base import Project
from labdb.models.data import AnalysisResult, DataFile


class FlagAcceptance(models.Model):
    """A person accepted an implausible value (``metric`` of ``result``, as named by
    :mod:`labdb.plausibility`) with a reason: from then on it counts in group statistics.
    Withdrawing the acceptance (``withdrawn_at``) puts it out of them again; the row stays."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    result = models.ForeignKey(
        AnalysisResult, on_delete=models.PROTECT, related_name="flag_acceptances"
    )
    metric = models.CharField(max_length=60)
    reason = models.TextField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdraw_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["result", "metric"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="flag_accepted_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric} of {self.result_id} accepted"


class DataFileRemoval(models.Model):
    """A raw file taken off its test run because it was uploaded by mistake. The file, its
    tables and results stay stored (history kept); pages and statistics leave them out."""

    data_file = models.OneToOneField(DataFile, on_delete=models.PROTECT, related_name="removal")
    reason = models.TextField()
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"removal of {self.data_file_id}"


class Dismissal(models.Model):
    """An item of the home page (``key``, e.g. ``result:<job id>``) a person dismissed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="dismissal_unique_key")]

    def __str__(self) -> str:
        return f"{self.key} dismissed by {self.user_id}"


class FormatChoice(models.Model):
    """The reader a person chose for a raw file whose format was not detected (or detected
    wrongly): later analyses of the file read it with this reader (the newest choice wins)."""

    data_file = models.ForeignKey(DataFile, on_delete=models.PROTECT, related_name="format_choices")
    format = models.CharField(max_length=40)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    chosen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-chosen_at", "-id"]

    def __str__(self) -> str:
        return f"{self.data_file_id} read as {self.format}"
