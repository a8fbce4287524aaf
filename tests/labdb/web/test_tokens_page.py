"""The token page: revoke asks to confirm first; a new key comes with a copy button (a
script from 'self', no inline handler); an instrument-bound token lists only its instrument's
runs; messages built from names are grammatical ("an electrode batch")."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from labdb import models as m
from labdb.services.catalog import record_save
from labdb.services.tokens import token_create
from labdb.text import a

pytestmark = pytest.mark.django_db


def test_revoke_asks_to_confirm_then_revokes(client_demo: Client, demo_user: Any) -> None:
    new = client_demo.post("/tokens/", {"name": "BCS PC", "scope": "upload", "expires_days": "30"})
    html = new.content.decode()
    assert 'data-copy="new-key"' in html and "/static/labdb/tokens.js" in html
    assert "onclick" not in html
    token = m.ApiToken.objects.get(name="BCS PC")
    listing = client_demo.get("/tokens/").content.decode()
    assert f'href="/tokens/{token.pk}/revoke/"' in listing
    confirm = client_demo.get(f"/tokens/{token.pk}/revoke/").content.decode()
    assert "Revoke the token" in confirm and 'data-testid="revoke-confirm"' in confirm
    token.refresh_from_db()
    assert token.state == "active"  # asking is not revoking
    client_demo.post(f"/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.state == "revoked"


def test_an_instrument_bound_token_lists_only_its_instruments_runs(
    demo: m.Project, demo_user: Any
) -> None:
    instruments = list(m.Instrument.objects.order_by("label")[:2])
    assert len(instruments) == 2
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    protocol = m.TestProtocol.objects.get(label="PS-1mA-1mAh")
    for i, instrument in enumerate(instruments):
        record_save(
            record=m.TestRun(
                project=demo, label=f"RUN-{i}", cell=cell, protocol=protocol, instrument=instrument
            ),
            user=demo_user,
        )
    key = token_create(user=demo_user, name="ch1", scope="upload", instrument=instruments[0]).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    body = client.get("/api/v1/test-runs/").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [r["label"] for r in rows] == ["RUN-0"]


def test_messages_use_the_right_article() -> None:
    assert a("electrode batch") == "an electrode batch"
    assert a("EIS") == "an EIS"
    assert a("half cell") == "a half cell"
    assert a("unit") == "a unit"
    assert "an electrode batch labelled" in str(
        m.ElectrodeBatch(label="x").unique_error_message(m.ElectrodeBatch, ("project", "label"))
    )
