"""Saved comparisons: a named, frozen set of cells with the analysis results they had when
saved and the comparison page's settings, so a figure or table made from it never takes in
new cells or newer analyses silently."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from labdb.models.base import Project
from labdb.models.cells import Cell
from labdb.models.data import AnalysisResult
from labdb.models.reviews import FlagAcceptance


class SavedComparison(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    #: the comparison page's settings when saved: group, kind, seed, binder
    options = models.JSONField(default=dict, blank=True)
    cells = models.ManyToManyField(Cell, related_name="+")
    #: the results of the cells' test runs when saved (the analysis versions shown)
    results = models.ManyToManyField(AnalysisResult, related_name="+", blank=True)
    #: the acceptances of implausible values standing when saved: the values they let into
    #: the group statistics; an acceptance made or withdrawn later is offered, never taken in
    acceptances = models.ManyToManyField(FlagAcceptance, related_name="+", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="comparison_unique_name")
        ]

    def __str__(self) -> str:
        return self.name
