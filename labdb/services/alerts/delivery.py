"""Delivering an alert by e-mail (Django's mail backend) and by webhook (a JSON POST signed
with HMAC-SHA256 over the body with the project's secret), retried with exponential backoff.

One attempt at a time: an attempt claims the delivery with a conditional UPDATE that moves its
``next_attempt_at`` past the attempt's own time limit, so the countdown message and the sweep
never send the same alert twice at once. A failed attempt is due again after
``LABDB_ALERT_RETRY_BASE_S * 2**(attempts - 1)``; after ``LABDB_ALERT_MAX_ATTEMPTS`` it ends
failed (audited). Receivers should still treat the alert id as an idempotency key (a reply lost
after the receiver stored the alert makes the next attempt a repeat).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from labdb import models as m
from labdb.services.audit import audit

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Labdb-Signature"
ALERT_ID_HEADER = "X-Labdb-Alert"


def signature(secret: str, body: bytes) -> str:
    """The value of the signature header: ``sha256=`` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def alert_url(alert: m.Alert) -> str:
    return f"{settings.LABDB_SITE_URL}/alerts/{alert.pk}/"


def alert_payload(alert: m.Alert) -> dict[str, Any]:
    """What a webhook receives (the same bytes on every attempt)."""
    run = alert.test_run
    return {
        "id": str(alert.pk),
        "project": alert.project.label,
        "kind": alert.rule.kind,
        "rule": alert.rule.describe(),
        "message": alert.message,
        "test_run": {"id": str(run.pk), "label": run.label},
        "cycle": alert.cycle,
        "evidence": alert.evidence,
        "created_at": alert.created_at.isoformat(),
        "url": alert_url(alert),
    }


def payload_bytes(alert: m.Alert) -> bytes:
    return json.dumps(alert_payload(alert), sort_keys=True, separators=(",", ":")).encode()


def backoff(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: base, 2 base, 4 base, ..."""
    return float(settings.LABDB_ALERT_RETRY_BASE_S) * 2 ** max(attempts - 1, 0)


def _claim(delivery_id: str, now: dt.datetime) -> bool:
    hold = now + dt.timedelta(seconds=4 * settings.LABDB_ALERT_WEBHOOK_TIMEOUT_S + 30)
    return bool(
        m.AlertDelivery.objects.filter(
            pk=delivery_id, status=m.AlertDelivery.Status.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=hold)
    )


def delivery_attempt(delivery_id: str, *, now: dt.datetime | None = None) -> float | None:
    """One attempt at ``delivery_id`` (due by ``now``); returns the seconds until the next
    attempt when it failed and may be tried again, else None (delivered, failed for good, or
    not due / taken by another attempt)."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = m.AlertDelivery.objects.select_related(
        "alert__rule", "alert__project", "alert__test_run"
    ).get(pk=delivery_id)
    alert = delivery.alert
    try:
        if delivery.channel == m.AlertDelivery.Channel.EMAIL:
            detail = _send_email(alert, delivery.target)
        else:
            detail = _post_webhook(alert, delivery.target)
        error = ""
    except Exception as exc:  # any failure of the receiver is this attempt's failure
        detail, error = "", f"{type(exc).__name__}: {exc}"[:500]
    attempts = delivery.attempts + 1
    entry = {"attempt": attempts, "at": now.isoformat(), "ok": not error, "detail": detail or error}
    Status = m.AlertDelivery.Status
    fields: dict[str, Any] = {"attempts": attempts, "log": [*delivery.log, entry]}
    wait = None
    if not error:
        fields.update(
            status=Status.DELIVERED,
            delivered_at=timezone.now(),
            last_error="",
            next_attempt_at=None,
        )
    elif attempts >= settings.LABDB_ALERT_MAX_ATTEMPTS:
        fields.update(status=Status.FAILED, last_error=error, next_attempt_at=None)
    else:
        wait = backoff(attempts)
        entry["retry_in_s"] = wait
        fields.update(last_error=error, next_attempt_at=now + dt.timedelta(seconds=wait))
    m.AlertDelivery.objects.filter(pk=delivery.pk).update(**fields)
    if error:
        log.warning(
            "alert %s: %s delivery attempt %s failed: %s",
            alert.pk,
            delivery.channel,
            attempts,
            error,
        )
    if fields.get("status") in (Status.DELIVERED, Status.FAILED):
        audit(
            project=alert.project,
            action=f"alert.{fields['status']}",
            user=None,
            target=alert,
            details={
                "channel": delivery.channel,
                "target": delivery.target,
                "attempts": attempts,
                "error": error,
            },
        )
    return wait


def _send_email(alert: m.Alert, target: str) -> str:
    to = [a.strip() for a in target.split(",") if a.strip()]
    ev = alert.evidence
    lines = [
        alert.message,
        "",
        f"Rule: {alert.rule.describe()}",
        f"Test run: {alert.test_run.label}",
        f"Cycle: {alert.cycle if alert.cycle is not None else '-'}",
        f"Evidence: {alert_url(alert)}",
        "",
        json.dumps(ev, indent=2, sort_keys=True, default=str),
    ]
    message = EmailMessage(
        subject=f"[labdb {alert.project.label}] {alert.message}"[:200],
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers={ALERT_ID_HEADER: str(alert.pk)},
    )
    sent = message.send(fail_silently=False)
    if sent != 1:
        raise OSError(f"the mail backend sent {sent} messages")
    return f"sent to {len(to)} recipient(s)"


def _post_webhook(alert: m.Alert, url: str) -> str:
    conf = m.ProjectAlertSettings.objects.get(project_id=alert.project_id)
    body = payload_bytes(alert)
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "labdb-alerts",
            SIGNATURE_HEADER: signature(conf.webhook_secret, body),
            ALERT_ID_HEADER: str(alert.pk),
        },
    )
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url!r}")
    try:
        # only http(s): the scheme is checked above
        with urllib.request.urlopen(  # nosec B310
            request, timeout=settings.LABDB_ALERT_WEBHOOK_TIMEOUT_S
        ) as response:
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        raise OSError(f"the receiver answered HTTP {exc.code}") from None
