"""A formulation's version is assigned, never typed: through the API as in the web form, a new
formulation with a name the project already has is that name's next version."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from labdb import models as m
from tests.labdb.api.conftest import token_client

NAME = "MgAgSn-Elastane"  # the demo's v1 is used by its electrode batch


def _body(label: str, fractions: tuple[float, float, float, float], **extra: Any) -> dict[str, Any]:
    lots = ("Mg-800nm-L1", "Ag-30nm-L1", "Sn-150nm-L1", "Elastane-L1")
    roles = ("seed", "seed", "seed", "binder")
    return {
        "label": label,
        "name": NAME,
        "solvent_lot": "DMAc-L1",
        "components": [
            {"lot": lot, "role": role, "mass_fraction_pct": pct}
            for lot, role, pct in zip(lots, roles, fractions, strict=True)
        ],
        **extra,
    }


@pytest.mark.django_db
def test_api_post_with_an_existing_name_creates_the_next_version(
    demo: m.Project, demo_user: Any
) -> None:
    v1 = m.Formulation.objects.get(name=NAME, version=1)
    api = token_client(demo_user, "read-write")
    answer = api.post(
        "/api/v1/formulations/",
        _body(f"{NAME} v2", (35, 25, 30, 10), version=7),  # a typed version is ignored
        format="json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["version"] == 2 and body["previous_version"] == v1.label
    v2 = m.Formulation.objects.get(pk=body["id"])
    assert (v2.version, v2.previous_version_id) == (2, v1.pk)
    assert sorted(c.mass_fraction_pct for c in v2.components.all()) == [10, 25, 30, 35]
    # v1 unchanged; its batch still points to it
    assert sorted(c.mass_fraction_pct for c in v1.components.all()) == [10, 30, 30, 30]
    assert m.ElectrodeBatch.objects.get(label="MgAgSn-Elastane-B1").formulation_id == v1.pk

    # the next POST of that name is version 3, following v2
    third = api.post("/api/v1/formulations/", _body(f"{NAME} v3", (40, 20, 30, 10)), format="json")
    assert third.status_code == 201, third.content
    assert (third.json()["version"], third.json()["previous_version"]) == (3, f"{NAME} v2")
    # a label already taken is still refused, naming the field; no version is used up
    again = api.post("/api/v1/formulations/", _body(f"{NAME} v3", (40, 20, 30, 10)), format="json")
    assert again.status_code == 400 and "label" in again.json()
    assert m.Formulation.objects.filter(name=NAME).count() == 3
    # a new name starts at version 1
    other = api.post(
        "/api/v1/formulations/",
        _body("Other v1", (25, 25, 40, 10)) | {"name": "Other"},
        format="json",
    )
    assert other.status_code == 201 and other.json()["version"] == 1
    assert other.json()["previous_version"] is None


@pytest.mark.django_db
def test_web_form_with_an_existing_name_creates_the_next_version(
    client_demo: Client, demo: m.Project
) -> None:
    v1 = m.Formulation.objects.get(name=NAME, version=1)
    comps = list(v1.components.order_by("id"))
    data: dict[str, Any] = {
        "project": demo.pk,
        "label": f"{NAME} thin",
        "name": NAME,
        "components-TOTAL_FORMS": str(len(comps)),
        "components-INITIAL_FORMS": "0",
        "components-MIN_NUM_FORMS": "0",
        "components-MAX_NUM_FORMS": "1000",
    }
    for i, c in enumerate(comps):
        data |= {
            f"components-{i}-lot": c.lot_id,
            f"components-{i}-role": c.role,
            f"components-{i}-mass_fraction_pct": str(c.mass_fraction_pct),
        }
    response = client_demo.post("/formulations/new/", data, follow=True)
    assert response.redirect_chain, response.context["form"].errors
    new = m.Formulation.objects.get(label=f"{NAME} thin")
    assert (new.version, new.previous_version_id) == (2, v1.pk)
    assert f"as version 2 of {NAME} (follows {NAME} v1)" in response.content.decode()
