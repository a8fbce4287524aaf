"""Users see and edit only their projects' records; others' answer 404."""

from typing import Any

import pytest
from django.test import Client

from labdb import models as m


@pytest.mark.django_db
def test_other_projects_record_answers_404(client_demo: Client, outsider: Any) -> None:
    secret = m.Material.objects.get(label="Secret-Si")
    assert client_demo.get(f"/materials/{secret.pk}/").status_code == 404
    assert client_demo.get("/materials/Secret-Si/").status_code == 404
    assert client_demo.get("/materials/Secret-Si/edit/").status_code == 404
    assert client_demo.post("/materials/Secret-Si/edit/", {"label": "x"}).status_code == 404
    assert client_demo.get("/materials/Secret-Si/history.csv").status_code == 404


@pytest.mark.django_db
def test_lists_and_search_show_only_own_records(client_demo: Client, outsider: Any) -> None:
    body = client_demo.get("/materials/?q=Si").content.decode()
    assert "Secret-Si" not in body
    assert "Li6PS5Cl" in client_demo.get("/materials/").content.decode()


@pytest.mark.django_db
def test_outsider_cannot_see_the_demo_study(demo: m.Project, outsider: Any) -> None:
    client = Client()
    client.force_login(outsider)
    assert client.get("/cells/MgAgSn-E-HC1/").status_code == 404
    assert "MgAgSn" not in client.get("/cells/").content.decode()


@pytest.mark.django_db
def test_forms_offer_only_own_projects_lots(client_demo: Client, outsider: Any) -> None:
    other = m.Project.objects.get(label="other-group")
    mat = m.Material.objects.get(label="Secret-Si")
    m.MaterialLot.objects.create(
        project=other, label="Secret-Si-L1", material=mat, supplier="x", lot_number="1"
    )
    page = client_demo.get("/formulations/new/").content.decode()
    assert "Secret-Si-L1" not in page
    assert "Mg-800nm-L1" in page


@pytest.mark.django_db
def test_login_required(demo: m.Project) -> None:
    response = Client().get("/cells/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_demo_user_logs_in_through_the_login_form(demo: m.Project) -> None:
    client = Client(enforce_csrf_checks=False)
    response = client.post("/accounts/login/", {"username": "demo", "password": "demo"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
