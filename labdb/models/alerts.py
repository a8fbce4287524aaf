"""Alerts: per-project rules, the alerts they raise (one per event), who dismissed them, and
their deliveries by e-mail and webhook (docs/alerts.md)."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from labdb.models.base import Project
from labdb.models.data import AnalysisResult
from labdb.models.testing import TestRun


def new_webhook_secret() -> str:
    return secrets.token_hex(32)


class AlertRule(models.Model):
    """One rule of a project. Parameters by kind (thresholds are fractions, like the stored
    metrics): ``low_ce`` threshold + cycles; ``low_retention`` threshold; ``no_data`` hours;
    ``temperature`` min_celsius and/or max_celsius; ``short_circuit`` none."""

    class Kind(models.TextChoices):
        SHORT_CIRCUIT = "short_circuit", "short circuit detected"
        LOW_CE = "low_ce", "coulombic efficiency below a threshold for N cycles"
        LOW_RETENTION = "low_retention", "capacity retention below a threshold"
        NO_DATA = "no_data", "no new data for T hours"
        TEMPERATURE = "temperature", "temperature out of range"

    #: the parameters each kind needs (at least one of the temperature pair)
    REQUIRED: dict[str, tuple[str, ...]] = {
        "short_circuit": (),
        "low_ce": ("threshold", "cycles"),
        "low_retention": ("threshold",),
        "no_data": ("hours",),
        "temperature": (),
    }

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="alert_rules")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    threshold = models.FloatField(
        null=True, blank=True, help_text="CE or capacity retention as a fraction, e.g. 0.98"
    )
    cycles = models.PositiveIntegerField(
        null=True, blank=True, help_text="consecutive complete cycles below the CE threshold"
    )
    hours = models.FloatField(null=True, blank=True, help_text="hours without new data")
    min_celsius = models.FloatField(null=True, blank=True)
    max_celsius = models.FloatField(null=True, blank=True)
    email = models.BooleanField(default=True, help_text="send each alert by e-mail")
    webhook = models.BooleanField(default=True, help_text="POST each alert to the webhook")
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "kind", "created_at"]

    def __str__(self) -> str:
        return self.describe()

    @property
    def label(self) -> str:
        return self.describe()[:120]

    def describe(self) -> str:
        """The rule in words, with its parameters."""
        k = self.Kind
        if self.kind == k.LOW_CE:
            return f"CE below {_pct(self.threshold)} for {self.cycles} cycles"
        if self.kind == k.LOW_RETENTION:
            return f"capacity retention below {_pct(self.threshold)}"
        if self.kind == k.NO_DATA:
            return f"no new data for {self.hours:g} h"
        if self.kind == k.TEMPERATURE:
            low = "" if self.min_celsius is None else f"{self.min_celsius:g}"
            high = "" if self.max_celsius is None else f"{self.max_celsius:g}"
            return f"temperature outside {low or '-inf'}..{high or '+inf'} °C"
        return "short circuit detected"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for name in self.REQUIRED.get(self.kind, ()):
            if getattr(self, name) is None:
                errors[name] = f"required for a {self.get_kind_display()} rule"
        if self.threshold is not None and not 0 < self.threshold <= 1.5:
            errors["threshold"] = f"a fraction (0.98 = 98 %), found {self.threshold}"
        if self.cycles is not None and self.cycles < 1:
            errors["cycles"] = "at least 1"
        if self.hours is not None and not self.hours > 0:
            errors["hours"] = f"a positive number of hours, found {self.hours}"
        if self.kind == self.Kind.TEMPERATURE:
            if self.min_celsius is None and self.max_celsius is None:
                errors["min_celsius"] = "give a lower or an upper limit (or both)"
            elif (
                self.min_celsius is not None
                and self.max_celsius is not None
                and self.min_celsius >= self.max_celsius
            ):
                errors["max_celsius"] = "must be above the lower limit"
        if errors:
            raise ValidationError(errors)


def _pct(fraction: float | None) -> str:
    return "?" if fraction is None else f"{100 * fraction:g} %"


class ProjectAlertSettings(models.Model):
    """Where a project's alerts go: e-mail recipients (blank: every member with an address)
    and a webhook URL with its signing secret."""

    project = models.OneToOneField(
        Project, primary_key=True, on_delete=models.CASCADE, related_name="alert_settings"
    )
    email_to = models.TextField(
        blank=True, help_text="addresses, one per line or comma-separated; blank: every member"
    )
    webhook_url = models.URLField(blank=True, max_length=500)
    webhook_secret = models.CharField(max_length=128, default=new_webhook_secret)

    class Meta:
        verbose_name_plural = "project alert settings"

    def __str__(self) -> str:
        return f"alert settings of {self.project}"

    def clean(self) -> None:
        from django.core.validators import validate_email

        bad = [a for a in self.addresses() if not _valid_email(a, validate_email)]
        if bad:
            raise ValidationError({"email_to": f"not e-mail addresses: {', '.join(bad)}"})

    def addresses(self) -> list[str]:
        """The configured recipients (empty: every member)."""
        raw = self.email_to.replace(",", "\n").splitlines()
        return sorted({a.strip() for a in raw if a.strip()})

    @property
    def label(self) -> str:
        return str(self)


def _valid_email(address: str, validate: Any) -> bool:
    try:
        validate(address)
    except ValidationError:
        return False
    return True


class Alert(models.Model):
    """One event a rule found on a test run, with its evidence (result, cycle, values,
    thresholds). At most one per (rule, test run, event key): evaluating the same data again
    (a re-analysis, a re-sent file, the periodic check) finds it exists."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="alerts")
    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="alerts")
    test_run = models.ForeignKey(TestRun, on_delete=models.PROTECT, related_name="alerts")
    result = models.ForeignKey(
        AnalysisResult, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    event_key = models.CharField(max_length=120)
    cycle = models.IntegerField(null=True, blank=True)
    message = models.TextField()
    evidence: models.JSONField[Any, Any] = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "test_run", "event_key"], name="alert_one_per_event"
            )
        ]

    def __str__(self) -> str:
        return self.message[:120]

    @property
    def label(self) -> str:
        return f"{self.rule.get_kind_display()} on {self.test_run.label}"[:120]


class AlertDismissal(models.Model):
    """A user dismissed (read) an alert; alerts without one are unread for that user."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="dismissals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "user"], name="alert_dismissed_once")
        ]


class AlertDelivery(models.Model):
    """Sending one alert by one channel: attempts, the last error, when the next attempt is
    due (exponential backoff), every attempt in ``log``."""

    class Channel(models.TextChoices):
        EMAIL = "email", "e-mail"
        WEBHOOK = "webhook", "webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        DELIVERED = "delivered", "delivered"
        FAILED = "failed", "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    target = models.TextField(help_text="the recipients or the URL")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    log: models.JSONField[Any, Any] = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "channel"], name="alert_delivery_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.channel} of {self.alert_id} ({self.status})"

    @property
    def label(self) -> str:
        return f"{self.channel} delivery"
