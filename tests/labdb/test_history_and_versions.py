"""Every change is kept; a formulation used by a batch is frozen and edits make new versions."""

from typing import Any

import pytest
from django.test import Client

from labdb import models as m
from labdb.services.catalog import ComponentSpec, formulation_save


@pytest.mark.django_db
def test_edit_records_who_when_and_what(
    client_demo: Client, demo: m.Project, demo_user: Any
) -> None:
    lot = m.MaterialLot.objects.get(label="Ag-30nm-L1")
    response = client_demo.post(
        f"/lots/{lot.pk}/edit/",
        {
            "label": lot.label,
            "material": lot.material_id,
            "supplier": "Alfa Aesar",
            "lot_number": lot.lot_number,
            "received_date": "2024-03-04",
            "d50_nm": "35 nm",
            "purity_pct": "99.5",
            "prop_morphology": "nanopowder",
            "notes": lot.notes,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    entry = m.HistoryEntry.objects.filter(record_id=lot.pk, action="updated").get()
    assert entry.user == demo_user
    assert entry.changes["supplier"] == ["Sigma-Aldrich", "Alfa Aesar"]
    assert entry.changes["d50_nm"] == [30.0, 35.0]
    assert set(entry.changes) == {"supplier", "d50_nm"}
    page = client_demo.get(f"/lots/{lot.pk}/").content.decode()
    assert "Sigma-Aldrich → Alfa Aesar" in page


@pytest.mark.django_db
def test_saving_without_change_adds_no_entry(client_demo: Client, demo: m.Project) -> None:
    material = m.Material.objects.get(label="Mg")
    before = m.HistoryEntry.objects.filter(record_id=material.pk).count()
    client_demo.post(
        f"/materials/{material.pk}/edit/",
        {"label": "Mg", "category": "seed_metal", "name": "Mg", "formula": "Mg"},
    )
    assert m.HistoryEntry.objects.filter(record_id=material.pk).count() == before


@pytest.mark.django_db
def test_history_is_exported_as_csv(client_demo: Client, demo: m.Project) -> None:
    body = client_demo.get("/cells/MgAgSn-E-HC1/history.csv").content.decode()
    lines = body.strip().splitlines()
    assert lines[0] == "at,user,action,changes"
    assert ",demo,created," in lines[1]


@pytest.mark.django_db
def test_used_formulation_is_frozen_and_edit_creates_new_version(
    client_demo: Client, demo: m.Project, demo_user: Any
) -> None:
    v1 = m.Formulation.objects.get(label="MgAgSn-Elastane v1")
    assert v1.is_frozen  # the demo's electrode batch uses it
    comps = list(v1.components.order_by("id"))
    data = {
        "label": v1.label,
        "name": v1.name,
        "target_thickness_um": "5 um",
        "solids_content_pct": "25",
        "solvent_lot": v1.solvent_lot_id,
        "components-TOTAL_FORMS": str(len(comps)),
        "components-INITIAL_FORMS": str(len(comps)),
        "components-MIN_NUM_FORMS": "0",
        "components-MAX_NUM_FORMS": "1000",
    }
    fractions = [35.0, 25.0, 30.0, 10.0]  # more Mg, less Ag
    for i, (c, pct) in enumerate(zip(comps, fractions, strict=True)):
        data |= {
            f"components-{i}-id": c.pk,
            f"components-{i}-formulation": v1.pk,
            f"components-{i}-lot": c.lot_id,
            f"components-{i}-role": c.role,
            f"components-{i}-mass_fraction_pct": str(pct),
        }
    response = client_demo.post(f"/formulations/{v1.pk}/edit/", data)
    assert response.status_code == 302
    v2 = m.Formulation.objects.get(name="MgAgSn-Elastane", version=2)
    assert response["Location"] == f"/formulations/{v2.pk}/"
    assert v2.label == "MgAgSn-Elastane v2"
    assert v2.previous_version == v1
    assert sorted(c.mass_fraction_pct for c in v2.components.all()) == [10.0, 25.0, 30.0, 35.0]
    # v1 is unchanged and its batch still points to it
    assert sorted(c.mass_fraction_pct for c in v1.components.all()) == [10.0, 30.0, 30.0, 30.0]
    assert m.ElectrodeBatch.objects.get(label="MgAgSn-Elastane-B1").formulation == v1


@pytest.mark.django_db
def test_unused_formulation_is_edited_in_place(demo: m.Project, demo_user: Any) -> None:
    mg = m.MaterialLot.objects.get(label="Mg-800nm-L1")
    binder = m.MaterialLot.objects.get(label="PVDF-L1")
    f = formulation_save(
        formulation=m.Formulation(project=demo, label="Trial v1", name="Trial", version=1),
        components=[
            ComponentSpec(lot=mg, role="seed", mass_fraction_pct=95),
            ComponentSpec(lot=binder, role="binder", mass_fraction_pct=5),
        ],
        user=demo_user,
    )
    same = formulation_save(
        formulation=f,
        components=[
            ComponentSpec(lot=mg, role="seed", mass_fraction_pct=92),
            ComponentSpec(lot=binder, role="binder", mass_fraction_pct=8),
        ],
        user=demo_user,
    )
    assert same.pk == f.pk and same.version == 1
    entry = m.HistoryEntry.objects.filter(record_id=f.pk, action="updated").get()
    assert entry.changes["components"][1] == [["Mg-800nm-L1", "seed", 92], ["PVDF-L1", "binder", 8]]
