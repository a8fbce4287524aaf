"""Writes of people: rules, a project's delivery settings, dismissing an alert (each audited)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from labdb import models as m
from labdb.models.alerts import new_webhook_secret
from labdb.services.alerts.raising import rule_parameters
from labdb.services.audit import audit


@transaction.atomic
def alert_rule_save(*, rule: m.AlertRule, user: Any) -> m.AlertRule:
    """Validate and save a rule (new or edited); raises ``ValidationError`` naming the field."""
    created = rule._state.adding
    if created and user is not None and getattr(user, "is_authenticated", False):
        rule.created_by = user
    rule.full_clean()
    rule.save()
    audit(
        project=rule.project,
        action="alert_rule.created" if created else "alert_rule.updated",
        user=user,
        target=rule,
        details={
            "kind": rule.kind,
            "enabled": rule.enabled,
            "email": rule.email,
            "webhook": rule.webhook,
            **rule_parameters(rule),
        },
    )
    return rule


def alert_settings_for(project: m.Project) -> m.ProjectAlertSettings:
    conf, _ = m.ProjectAlertSettings.objects.get_or_create(project=project)
    return conf


@transaction.atomic
def alert_settings_save(
    *, conf: m.ProjectAlertSettings, user: Any, new_secret: bool = False
) -> m.ProjectAlertSettings:
    """Save where alerts go; ``new_secret`` replaces the webhook signing secret (the audit
    trail records that it changed, never the secret)."""
    if new_secret:
        conf.webhook_secret = new_webhook_secret()
    conf.full_clean()
    conf.save()
    audit(
        project=conf.project,
        action="alerts.configured",
        user=user,
        target=conf.project,
        details={
            "email_to": conf.email_to,
            "webhook_url": conf.webhook_url,
            "webhook_secret_replaced": new_secret,
        },
    )
    return conf


def alert_dismiss(*, alert: m.Alert, user: Any) -> bool:
    """Mark ``alert`` read for ``user``; False if it already was (idempotent)."""
    try:
        with transaction.atomic():
            _, created = m.AlertDismissal.objects.get_or_create(alert=alert, user=user)
            if created:
                audit(
                    project=alert.project,
                    action="alert.dismissed",
                    user=user,
                    target=alert,
                    details={},
                )
    except IntegrityError:
        return False
    return created
