"""Reads of alerts: only the alerts of the user's projects (another project's alert is not
found), unread = not dismissed by this user."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from labdb import models as m
from labdb.selectors.access import visible


def alerts_for(user: Any) -> QuerySet[m.Alert]:
    """The user's alerts, newest first, each with ``dismissed`` (by this user)."""
    if not getattr(user, "is_authenticated", False):
        return m.Alert.objects.none()
    return (
        visible(m.Alert, user)
        .select_related("rule", "test_run__cell", "project")
        .annotate(
            dismissed=Exists(m.AlertDismissal.objects.filter(alert=OuterRef("pk"), user=user))
        )
        .order_by("-created_at")
    )


def unread_for(user: Any) -> QuerySet[m.Alert]:
    return alerts_for(user).filter(dismissed=False)


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return visible(m.Alert, user).exclude(dismissals__user=user).count()


def rules_of(project: m.Project) -> QuerySet[m.AlertRule]:
    return m.AlertRule.objects.filter(project=project).order_by("kind", "created_at")


def deliveries_of(alert: m.Alert) -> QuerySet[m.AlertDelivery]:
    return alert.deliveries.order_by("channel")
