"""Projects, membership, the catalog record base class, and the change history."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from labdb.models.immutable import ImmutableModel


class Project(models.Model):
    """A study; every catalog record belongs to one, and users see only their projects."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    label = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "member"
        MANAGER = "manager", "manager"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project}"


class UserProfile(models.Model):
    """Per-user preferences: the unit each quantity kind is shown in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="labdb_profile"
    )
    unit_preferences = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"preferences of {self.user}"


class CatalogRecord(models.Model):
    """Base of every catalog record: a stable UUID, a unique human-readable label, a project."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    label = models.CharField(
        max_length=120,
        unique=True,
        help_text="Unique, human-readable name, e.g. printed on the sample.",
    )
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    #: Fields recorded in the history and shown on detail pages, in order.
    history_exclude = ("created_at", "updated_at")
    #: Quantity kind (labdb.units.KINDS) of each field that holds a physical quantity, stored in
    #: the kind's canonical unit; subclasses declare theirs (see labdb.models.quantities).
    QUANTITY_FIELDS: ClassVar[dict[str, str]] = {}

    class Meta:
        abstract = True
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class HistoryEntry(ImmutableModel):
    """One change to a catalog record: who, when, what (field -> [before, after]).

    Append-only: the application never updates or deletes entries.
    """

    class Action(models.TextChoices):
        CREATED = "created", "created"
        UPDATED = "updated", "updated"
        DELETED = "deleted", "deleted"
        IMPORTED = "imported", "imported"

    id = models.BigAutoField(primary_key=True)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    record_type = models.CharField(max_length=60)
    record_id = models.UUIDField(db_index=True)
    record_label = models.CharField(max_length=120)
    action = models.CharField(max_length=20, choices=Action.choices)
    changes: models.JSONField[Any, Any] = models.JSONField(default=dict)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "history entries"
        indexes = [models.Index(fields=["record_type", "record_id"])]

    def __str__(self) -> str:
        return f"{self.record_label} {self.action} at {self.at:%Y-%m-%d %H:%M}"
