"""Projects, membership, the catalog record base class, and the change history."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from labdb.models.immutable import ImmutableModel
from labdb.text import a


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


#: Code of the error for a label already used in the project.
LABEL_TAKEN = "label_taken"


class CatalogRecord(models.Model):
    """Base of every catalog record: a stable UUID, a human-readable label unique within its
    project and record type, a project.

    Labels are unique per project, not across projects: whether another project uses a label
    can neither be probed (an "already exists" answer) nor prevent its use here."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    label = models.CharField(
        max_length=120,
        db_index=True,
        help_text="Human-readable name, unique in the project, e.g. printed on the sample.",
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
        # Subclasses that declare constraints of their own start from these.
        constraints = [
            models.UniqueConstraint(
                fields=["project", "label"], name="%(class)s_label_unique_in_project"
            )
        ]

    def __str__(self) -> str:
        return self.label

    def unique_error_message(self, model_class: Any, unique_check: Any) -> ValidationError:
        if tuple(unique_check) == ("project", "label"):
            project = Project.objects.filter(pk=self.project_id).first()  # type: ignore[attr-defined]
            return ValidationError(
                f"{a(self._meta.verbose_name)} labelled {self.label!r} already exists in "
                f"project {project}; labels are unique within a project",
                code=LABEL_TAKEN,
            )
        return super().unique_error_message(model_class, unique_check)  # type: ignore[no-any-return]

    def validate_constraints(self, exclude: Any = None) -> None:
        """As Django's, with a label already used in the project reported on ``label``."""
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict({})
            general = errors.get(NON_FIELD_ERRORS, [])
            taken = [e for e in general if getattr(e, "code", None) == LABEL_TAKEN]
            if taken:
                errors["label"] = [*errors.get("label", []), *taken]
                rest = [e for e in general if e not in taken]
                if rest:
                    errors[NON_FIELD_ERRORS] = rest
                else:
                    del errors[NON_FIELD_ERRORS]
            raise ValidationError(errors) from None


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
