"""The admin is staff-only and keeps the catalog's rules."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from labdb import models as m


@pytest.fixture
def staff(demo: m.Project) -> Client:
    user = get_user_model().objects.create_superuser("boss", password="pw-boss-123")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_admin_lists_every_model(staff: Client) -> None:
    for name in (
        "material",
        "materiallot",
        "formulation",
        "electrodebatch",
        "cell",
        "instrument",
        "testprotocol",
        "testrun",
        "datafile",
        "analysisjob",
        "historyentry",
        "attachment",
        "project",
    ):
        assert staff.get(f"/admin/labdb/{name}/").status_code == 200, name


@pytest.mark.django_db
def test_admin_is_staff_only(client_demo: Client) -> None:
    assert client_demo.get("/admin/labdb/cell/").status_code == 302


@pytest.mark.django_db
def test_frozen_formulation_is_read_only_in_admin(staff: Client, demo: m.Project) -> None:
    frozen = m.Formulation.objects.get(label="MgAgSn-Elastane v1")
    response = staff.post(f"/admin/labdb/formulation/{frozen.pk}/change/", {"label": "x"})
    assert response.status_code == 403
    frozen.refresh_from_db()
    assert frozen.label == "MgAgSn-Elastane v1"


@pytest.mark.django_db
def test_admin_edit_is_recorded_in_history(staff: Client, demo: m.Project) -> None:
    material = m.Material.objects.get(label="Mg")
    response = staff.post(
        f"/admin/labdb/material/{material.pk}/change/",
        {
            "label": "Mg",
            "project": demo.pk,
            "category": "seed_metal",
            "name": "Magnesium",
            "formula": "Mg",
            "notes": "",
        },
    )
    assert response.status_code == 302
    entry = m.HistoryEntry.objects.filter(record_id=material.pk, action="updated").get()
    assert entry.changes == {"name": ["Mg", "Magnesium"]}
    assert entry.user is not None and entry.user.username == "boss"


@pytest.mark.django_db
def test_raw_data_cannot_be_changed_in_admin(staff: Client, demo: m.Project, settings: Any) -> None:
    assert staff.get("/admin/labdb/datafile/add/").status_code == 403
