"""Deletes made in the admin are recorded in the history like every other catalog change,
and the web server's processes do not all restart at the same moment."""

from __future__ import annotations

import runpy
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from labdb import models as m
from tests.conftest import REPO_ROOT


@pytest.fixture
def staff(demo: m.Project) -> Client:
    user = get_user_model().objects.create_superuser("boss", password="pw-boss-123")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_admin_delete_is_recorded_in_history(staff: Client, demo: m.Project) -> None:
    instrument = m.Instrument.objects.create(
        project=demo, label="Spare-BCS", kind="cycler", channels=8
    )
    response = staff.post(f"/admin/labdb/instrument/{instrument.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not m.Instrument.objects.filter(pk=instrument.pk).exists()
    entry = m.HistoryEntry.objects.get(record_id=instrument.pk, action="deleted")
    assert entry.record_label == "Spare-BCS" and entry.user.username == "boss"
    assert entry.changes["label"] == ["Spare-BCS", None]


@pytest.mark.django_db
def test_admin_bulk_delete_is_recorded_for_each_record(staff: Client, demo: m.Project) -> None:
    made = [
        m.Instrument.objects.create(project=demo, label=f"Spare-{i}", kind="cycler", channels=8)
        for i in range(3)
    ]
    response = staff.post(
        "/admin/labdb/instrument/",
        {
            "action": "delete_selected",
            "_selected_action": [str(i.pk) for i in made],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not m.Instrument.objects.filter(label__startswith="Spare-").exists()
    deleted = m.HistoryEntry.objects.filter(action="deleted", record_type="instrument")
    assert sorted(deleted.values_list("record_label", flat=True)) == [
        "Spare-0",
        "Spare-1",
        "Spare-2",
    ]


def test_gunicorn_workers_recycle_spread_out(monkeypatch: Any) -> None:
    """Each worker restarts after max_requests + randint(0, jitter) requests. With load spread
    evenly, two workers restart k requests apart where k = |j1 - j2|; the expected gap is
    jitter / 3 requests per worker. It must be at least a tenth of max_requests (100 requests
    at the default 1000, about 10 s at 10 requests/s per worker), not 33 as with a jitter of
    100, which put both restarts within 3 s under load."""
    for name in ("GUNICORN_MAX_REQUESTS", "GUNICORN_MAX_REQUESTS_JITTER", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    conf = runpy.run_path(str(REPO_ROOT / "docker" / "gunicorn.conf.py"))
    expected_gap = conf["max_requests_jitter"] / 3
    assert expected_gap >= conf["max_requests"] / 10
    assert conf["max_requests_jitter"] < conf["max_requests"]  # no worker restarts at once
