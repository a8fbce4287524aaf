"""Alert delivery against real receivers on 127.0.0.1: an SMTP server (aiosmtpd) gets the
e-mail through Django's SMTP backend; an HTTP server thread that refuses its first two POSTs
gets the webhook on the third attempt, each attempt with the same body and a valid HMAC-SHA256
signature, after waits that double."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from labdb import models as m
from labdb.services.alerts import alerts_sweep
from tests.labdb.alerts.conftest import (
    Receiver,
    free_port,
    rule,
    shorted_cell_csv,
    upload,
    webhook_to,
)

pytestmark = pytest.mark.django_db(transaction=True)


class Mailbox:
    """aiosmtpd's handler: keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings: Any) -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.DEFAULT_FROM_EMAIL = "labdb@lab.example.org"
    try:
        yield box
    finally:
        controller.stop()


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (docs/alerts.md): recompute the HMAC and compare in constant time."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def test_email_reaches_a_real_smtp_server(run: m.TestRun, blobs: Any, smtp: Mailbox) -> None:
    get_user_model().objects.filter(username="demo").update(email="demo@lab.example.org")
    rule(run.project, "short_circuit", webhook=False)
    upload(run, shorted_cell_csv())
    alert = m.Alert.objects.get()
    assert len(smtp.messages) == 1
    sender, to, raw = smtp.messages[0]
    assert sender == "labdb@lab.example.org" and to == ["demo@lab.example.org"]
    msg = email.message_from_bytes(raw)
    subject = " ".join(msg["Subject"].split())  # unfolded
    assert f"short circuit detected at cycle {alert.cycle}" in subject
    assert msg["X-Labdb-Alert"] == str(alert.pk)
    body = msg.get_payload(decode=True).decode()
    assert f"/alerts/{alert.pk}/" in body and f"Cycle: {alert.cycle}" in body
    delivery = m.AlertDelivery.objects.get(channel="email")
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
    assert m.HistoryEntry.objects.filter(action="alert.delivered", record_id=alert.pk).exists()


def test_webhook_is_signed_and_retried_with_backoff_until_delivered(
    run: m.TestRun, blobs: Any, receiver: Receiver, settings: Any
) -> None:
    settings.LABDB_ALERT_RETRY_BASE_S = 30
    rule(run.project, "short_circuit", email=False)
    conf = webhook_to(run.project, receiver.url)
    upload(run, shorted_cell_csv())  # first attempt at once: refused
    alert = m.Alert.objects.get()
    delivery = m.AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "503" in delivery.last_error
    first_due = delivery.next_attempt_at
    assert alerts_sweep(now=first_due - dt.timedelta(seconds=1))["deliveries_sent"] == 0
    alerts_sweep(now=first_due)  # second attempt: refused again
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    alerts_sweep(now=delivery.next_attempt_at)  # third: accepted
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert [e.get("retry_in_s") for e in delivery.log] == [30.0, 60.0, None]
    assert [status for _, _, status in receiver.requests] == [503, 503, 204]
    bodies = {body for _, body, _ in receiver.requests}
    assert len(bodies) == 1  # the same bytes every time
    for headers, body, _ in receiver.requests:
        assert verify(conf.webhook_secret, body, headers["X-Labdb-Signature"])
        assert not verify("another secret", body, headers["X-Labdb-Signature"])
        assert headers["X-Labdb-Alert"] == str(alert.pk)
    payload = json.loads(bodies.pop())
    assert payload["id"] == str(alert.pk) and payload["cycle"] == alert.cycle
    assert payload["kind"] == "short_circuit" and payload["test_run"]["label"] == run.label
    assert payload["evidence"]["analysis_rules"] and payload["url"].endswith(f"/alerts/{alert.pk}/")
    # delivered: later sweeps send nothing more
    alerts_sweep(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    assert len(receiver.requests) == 3


def test_a_receiver_down_for_good_ends_failed_and_audited(
    run: m.TestRun, blobs: Any, settings: Any
) -> None:
    settings.LABDB_ALERT_MAX_ATTEMPTS = 3
    rule(run.project, "short_circuit", email=False)
    down = Receiver(fail_first=99)
    try:
        webhook_to(run.project, down.url)
        upload(run, shorted_cell_csv())
        delivery = m.AlertDelivery.objects.get()
        for _ in range(3):
            if delivery.next_attempt_at is not None:
                alerts_sweep(now=delivery.next_attempt_at)
            delivery.refresh_from_db()
    finally:
        down.close()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert len(down.requests) == 3
    assert m.HistoryEntry.objects.filter(action="alert.failed").count() == 1
