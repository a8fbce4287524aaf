"""API keys: hashed, scoped, expiring, revocable, audited; failed attempts throttled; web logins
locked out after repeated failures."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from labdb import models as m
from labdb.services.tokens import (
    auth_failure_record,
    auth_failures,
    auth_failures_prune,
    token_create,
    token_revoke,
)


def api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.mark.django_db
def test_key_is_stored_only_as_its_hash_and_use_is_recorded(demo_user: Any) -> None:
    new = token_create(user=demo_user, name="notebook", scope="read")
    token = m.ApiToken.objects.get()
    assert new.key.startswith("ldb_") and len(new.key) > 40
    assert token.key_sha256 == hashlib.sha256(new.key.encode()).hexdigest()
    assert new.key not in str(m.ApiToken.objects.values().get())
    assert token.prefix == new.key[:12] and token.last_used_at is None
    assert api(new.key).get("/api/v1/cells/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.django_db
def test_anonymous_is_401_with_the_token_scheme_and_bad_keys_are_401(demo_user: Any) -> None:
    r = APIClient().get("/api/v1/cells/")
    assert r.status_code == 401 and r["WWW-Authenticate"].startswith("Token")
    assert api("ldb_wrong").get("/api/v1/cells/").status_code == 401
    new = token_create(user=demo_user, name="old", scope="read", expires_in=dt.timedelta(seconds=1))
    m.ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    r = api(new.key).get("/api/v1/cells/")
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    live = token_create(user=demo_user, name="live", scope="read")
    token_revoke(token=live.token, user=demo_user)
    r = api(live.key).get("/api/v1/cells/")
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


@pytest.mark.django_db
def test_read_token_cannot_write(demo_user: Any) -> None:
    client = api(token_create(user=demo_user, name="r", scope="read").key)
    r = client.patch("/api/v1/cells/Mg-E-HC1/", {"status": "testing"}, format="json")
    assert r.status_code == 403 and "read token cannot write" in r.json()["detail"]


@pytest.mark.django_db
def test_repeated_failures_are_throttled_even_for_a_good_key(demo_user: Any, settings: Any) -> None:
    """Guesses at one key's prefix lock that prefix from that address, right key or not (the
    other keys of the address: tests/labdb/security/test_token_throttle.py)."""
    settings.LABDB_AUTH_FAILURE_LIMIT = 5
    good = token_create(user=demo_user, name="good", scope="read").key
    codes = [api(good[:12] + f"guess{i}").get("/api/v1/cells/").status_code for i in range(5)]
    assert codes == [401] * 5
    r = api(good).get("/api/v1/cells/")
    assert r.status_code == 429 and "Retry-After" in r


@pytest.mark.django_db
def test_failures_are_counted_in_the_database_shared_by_every_web_process(
    demo_user: Any, settings: Any
) -> None:
    settings.LABDB_AUTH_FAILURE_LIMIT = 3
    good = token_create(user=demo_user, name="good", scope="read").key
    for i in range(2):
        assert api(good[:12] + f"guess{i}").get("/api/v1/cells/").status_code == 401
    window = m.AuthFailureWindow.objects.get(ip=f"127.0.0.1 {good[:12]}")
    assert window.count == 2
    assert m.AuthFailureWindow.objects.get(ip="127.0.0.1").count == 2  # the address's total
    # Another process's failure is an UPDATE of the same row: the third one locks out.
    auth_failure_record(f"127.0.0.1 {good[:12]}")
    assert api(good).get("/api/v1/cells/").status_code == 429
    assert auth_failures("10.0.0.9") == 0  # other addresses are not affected


@pytest.mark.django_db
def test_a_passed_failure_window_starts_again_and_is_pruned(settings: Any) -> None:
    settings.LABDB_AUTH_FAILURE_WINDOW_S = 300
    for _ in range(4):
        auth_failure_record("10.0.0.1")
    assert auth_failures("10.0.0.1") == 4
    m.AuthFailureWindow.objects.filter(ip="10.0.0.1").update(
        started_at=timezone.now() - dt.timedelta(seconds=301)
    )
    assert auth_failures("10.0.0.1") == 0
    auth_failure_record("10.0.0.1")
    assert m.AuthFailureWindow.objects.get(ip="10.0.0.1").count == 1
    m.AuthFailureWindow.objects.filter(ip="10.0.0.1").update(
        started_at=timezone.now() - dt.timedelta(seconds=301)
    )
    assert auth_failures_prune() == 1
    assert not m.AuthFailureWindow.objects.exists()


@pytest.mark.django_db
def test_create_token_command_prints_the_key_last_and_audits(demo_user: Any) -> None:
    out = io.StringIO()
    call_command(
        "create_token",
        "--user=demo",
        "--scope=upload",
        "--instrument=BCS-805-1",
        "--expires-days=30",
        stdout=out,
    )
    key = out.getvalue().strip().splitlines()[-1]
    token = m.ApiToken.objects.get()
    assert token.key_sha256 == hashlib.sha256(key.encode()).hexdigest()
    assert token.instrument.label == "BCS-805-1" and token.scope == "upload"
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    assert api(key).get("/api/v1/jobs/").status_code == 200
    assert api(key).get("/api/v1/cells/").status_code == 403  # upload scope
    entry = m.HistoryEntry.objects.get(action="token.created")
    assert entry.record_id == token.pk and entry.changes["scope"] == "upload"
    assert key not in str(entry.changes)


@pytest.mark.django_db
def test_tokens_page_creates_shows_once_and_revokes(demo_user: Any) -> None:
    browser = Client()
    assert browser.get("/tokens/").status_code == 302  # login required
    browser.force_login(demo_user)
    r = browser.post("/tokens/", {"name": "BCS PC", "scope": "upload", "expires_days": "30"})
    assert r.status_code == 200
    token = m.ApiToken.objects.get()
    page = r.content.decode()
    start = page.index('<code id="new-key">') + len('<code id="new-key">')
    key = page[start : page.index("</code>", start)]
    assert hashlib.sha256(key.encode()).hexdigest() == token.key_sha256
    assert key not in browser.get("/tokens/").content.decode()  # shown only once
    assert api(key).get("/api/v1/jobs/").status_code == 200
    r = browser.post(f"/tokens/{token.pk}/revoke/")
    assert r.status_code == 302
    assert api(key).get("/api/v1/jobs/").status_code == 401
    assert m.HistoryEntry.objects.filter(action="token.revoked", record_id=token.pk).exists()
    r = browser.post("/tokens/", {"name": "", "scope": "nope"})
    assert r.status_code == 400


@pytest.mark.django_db
def test_web_login_is_locked_after_repeated_failures(demo_user: Any, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    browser = Client()
    for _ in range(3):
        r = browser.post("/accounts/login/", {"username": "demo", "password": "wrong"})
        assert r.status_code in (200, 429)
    r = browser.post("/accounts/login/", {"username": "demo", "password": "demo"})
    assert r.status_code == 429  # locked: even the right password is refused
    assert "_auth_user_id" not in browser.session
    other = Client(REMOTE_ADDR="127.0.0.2")
    r = other.post("/accounts/login/", {"username": "demo", "password": "demo"})
    assert r.status_code == 302  # another address is not locked out
