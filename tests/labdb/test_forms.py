"""Every form page renders, and saves a record, through Django's test client."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from labdb import models as m
from labdb.web.entities import ENTITIES


def _pk(model: type[m.CatalogRecord], label: str) -> str:
    return str(model._default_manager.get(label=label).pk)


def _management(prefix: str, total: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _new_records(project: m.Project) -> dict[str, dict[str, Any]]:
    p = str(project.pk)
    return {
        "materials": {
            "project": p,
            "label": "Zn",
            "category": "seed_metal",
            "name": "Zn",
            "formula": "Zn",
        },
        "lots": {
            "project": p,
            "label": "Ag-L2",
            "material": _pk(m.Material, "Ag"),
            "supplier": "Sigma-Aldrich",
            "lot_number": "AG-2",
            "d50_nm": "30 nm",
            "d10_nm": "0.02 um",
            "d90_nm": "45",
            "received_date": "2024-06-01",
            "prop_morphology": "spherical",
        },
        "formulations": {
            "project": p,
            "label": "Ag-PVDF v1",
            "name": "Ag-PVDF",
            "target_thickness_um": "5 um",
            "solids_content_pct": "30",
            "solvent_lot": _pk(m.MaterialLot, "NMP-L1"),
            **_management("components", 2),
            "components-0-lot": _pk(m.MaterialLot, "Ag-30nm-L1"),
            "components-0-role": "seed",
            "components-0-mass_fraction_pct": "90",
            "components-1-lot": _pk(m.MaterialLot, "PVDF-L1"),
            "components-1-role": "binder",
            "components-1-mass_fraction_pct": "10",
        },
        "batches": {
            "project": p,
            "label": "Ag-Elastane-B2",
            "formulation": _pk(m.Formulation, "Ag-Elastane v1"),
            "current_collector_lot": _pk(m.MaterialLot, "SUS-foil-L1"),
            "measured_thickness_um": "5.2 um",
            "made_on": "2024-06-02",
            **_management("steps", 3),
            "steps-0-kind": "casting",
            "steps-0-method": "doctor blade",
            "steps-0-gap_um": "50 um",
            "steps-1-kind": "drying",
            "steps-1-temperature_c": "80 degC",
            "steps-1-duration_h": "12 h",
            "steps-1-atmosphere": "vacuum",
            "steps-2-kind": "pressing",
            "steps-2-pressure_mpa": "300 MPa",
        },
        "cells": {
            "project": p,
            "label": "Ag-E-HC3",
            "kind": "half",
            "status": "assembled",
            "anode_batch": _pk(m.ElectrodeBatch, "Ag-Elastane-B1"),
            "lithium_lot": _pk(m.MaterialLot, "Li-foil-L1"),
            "electrolyte_lot": _pk(m.MaterialLot, "LPSCl-L1"),
            "electrolyte_thickness_um": "0.6 mm",
            "area_cm2": "0.785 cm2",
            "stack_pressure_mpa": "50 MPa",
            "assembled_on": "2024-06-03",
        },
        "instruments": {
            "project": p,
            "label": "BCS-805-2",
            "kind": "cycler",
            "vendor": "BioLogic",
            "model": "BCS-805",
            "channels": "8",
        },
        "protocols": {
            "project": p,
            "label": "PS-2mA",
            "name": "Plating 2 mA/cm2",
            "kind": "plating_stripping",
            "param_current_density_mA_cm2": "2 mA/cm2",
            "param_areal_capacity_mAh_cm2": "2 mAh/cm2",
            "param_temperature_degC": "25 degC",
        },
        "test-runs": {
            "project": p,
            "label": "MgAgSn-E-HC1-PS",
            "cell": _pk(m.Cell, "MgAgSn-E-HC1"),
            "protocol": _pk(m.TestProtocol, "PS-1mA-1mAh"),
            "instrument": _pk(m.Instrument, "BCS-805-1"),
            "channel": "3",
            "status": "planned",
        },
    }


@pytest.mark.django_db
@pytest.mark.parametrize("slug", list(ENTITIES))
def test_form_renders_and_saves(client_demo: Client, demo: m.Project, slug: str) -> None:
    entity = ENTITIES[slug]
    assert client_demo.get(f"/{slug}/new/").status_code == 200
    data = _new_records(demo)[slug]
    response = client_demo.post(f"/{slug}/new/", data)
    assert response.status_code == 302, response.context and (
        response.context["form"].errors,
        getattr(response.context.get("formset"), "errors", None),
    )
    obj = entity.model._default_manager.get(label=data["label"])
    assert response["Location"] == f"/{slug}/{obj.pk}/"
    detail = client_demo.get(response["Location"])
    assert detail.status_code == 200
    assert data["label"] in detail.content.decode()
    assert client_demo.get(f"/{slug}/{obj.pk}/edit/").status_code == 200
    assert m.HistoryEntry.objects.filter(record_id=obj.pk, action="created").count() == 1


@pytest.mark.django_db
def test_saved_values_are_canonical(client_demo: Client, demo: m.Project) -> None:
    data = _new_records(demo)
    for slug in ("lots", "batches", "cells"):
        client_demo.post(f"/{slug}/new/", data[slug])
    lot = m.MaterialLot.objects.get(label="Ag-L2")
    assert (lot.d10_nm, lot.d50_nm, lot.d90_nm) == (pytest.approx(20.0), 30.0, 45.0)
    assert lot.properties == {"morphology": "spherical"}
    cell = m.Cell.objects.get(label="Ag-E-HC3")
    assert cell.electrolyte_thickness_um == pytest.approx(600.0)
    batch = m.ElectrodeBatch.objects.get(label="Ag-Elastane-B2")
    steps = list(batch.steps.values_list("order", "kind", "gap_um", "pressure_mpa"))
    assert steps == [
        (1, "casting", 50.0, None),
        (2, "drying", None, None),
        (3, "pressing", None, 300.0),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("slug", list(ENTITIES))
def test_list_page_links_each_row(client_demo: Client, demo: m.Project, slug: str) -> None:
    entity = ENTITIES[slug]
    response = client_demo.get(f"/{slug}/")
    assert response.status_code == 200
    body = response.content.decode()
    for obj in entity.model._default_manager.filter(project=demo)[:5]:
        assert f'href="/{slug}/{obj.pk}/"' in body


@pytest.mark.django_db
def test_cell_list_filters_by_seed_and_binder(client_demo: Client, demo: m.Project) -> None:
    body = client_demo.get("/cells/?seed=Mg&binder=PVDF").content.decode()
    assert "MgAgSn-P-HC1" in body and "MgAgSn-P-HC2" in body
    assert "MgAgSn-E-HC1" not in body and "Mg-E-HC1" not in body
    body = client_demo.get("/cells/?kind=full").content.decode()
    assert "MgAgSn-E-FC1" in body and "MgAgSn-E-HC1" not in body


@pytest.mark.django_db
def test_detail_pages_link_upstream_and_downstream(client_demo: Client, demo: m.Project) -> None:
    batch = m.ElectrodeBatch.objects.get(label="MgAgSn-Elastane-B1")
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    lot = m.MaterialLot.objects.get(label="Ag-30nm-L1")
    cell_page = client_demo.get(f"/cells/{cell.pk}/").content.decode()
    assert f'href="/batches/{batch.pk}/"' in cell_page
    assert "<svg" in cell_page  # QR code of the cell's URL
    lot_page = client_demo.get(f"/lots/{lot.pk}/").content.decode()
    f = m.Formulation.objects.get(label="MgAgSn-Elastane v1")
    assert f'href="/formulations/{f.pk}/"' in lot_page


@pytest.mark.django_db
def test_attachment_is_stored_with_its_sha256(
    client_demo: Client, demo: m.Project, settings: Any, tmp_path: Any
) -> None:
    import hashlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.BLOB_DIR = tmp_path / "blobs"
    lot = m.MaterialLot.objects.get(label="Ag-30nm-L1")
    content = b"2theta,intensity\n38.1,1000\n44.3,400\n"
    response = client_demo.post(
        f"/lots/{lot.pk}/attachments/",
        {
            "kind": "xrd",
            "description": "as received",
            "file": SimpleUploadedFile("Ag XRD.csv", content, content_type="text/csv"),
        },
    )
    assert response.status_code == 302
    attachment = lot.attachments.get()
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.kind == "xrd" and attachment.size_bytes == len(content)
    download = client_demo.get(f"/attachments/{attachment.pk}/")
    assert b"".join(download.streaming_content) == content
    page = client_demo.get(f"/lots/{lot.pk}/").content.decode()
    assert "Ag XRD.csv" in page and attachment.sha256[:12] in page


def _lot_post(project: m.Project, material: m.Material, label: str, **extra: str) -> dict[str, str]:
    return {
        "project": str(project.pk),
        "label": label,
        "material": str(material.pk),
        "supplier": "Lab supplier",
        "lot_number": label,
        **extra,
    }


#: one valid entry for each lot property, as a person types it
PROPERTY_INPUT = {
    "polymer_type": "PVDF",
    "molecular_weight_g_mol": "534000",
    "ionic_conductivity": "2.5 mS/cm",
    "structure": "argyrodite",
    "coating": "LiNbO3",
    "specific_capacity_mAh_g": "195",
    "coating_thickness": "10 nm",
    "foil_thickness": "10 um",
    "morphology": "spherical",
}


@pytest.mark.django_db
def test_seed_lot_with_a_binder_property_is_refused_at_that_field(
    client_demo: Client, demo: m.Project
) -> None:
    ag = m.Material.objects.get(label="Ag")
    data = _lot_post(demo, ag, "Ag-L9", prop_polymer_type="PVDF", prop_morphology="flakes")
    response = client_demo.post("/lots/new/", data)
    assert response.status_code == 200
    form = response.context["form"]
    assert "is for binder lots" in " ".join(form.errors["prop_polymer_type"])
    assert not m.MaterialLot.objects.filter(label="Ag-L9").exists()
    del data["prop_polymer_type"]
    assert client_demo.post("/lots/new/", data).status_code == 302
    assert m.MaterialLot.objects.get(label="Ag-L9").properties == {"morphology": "flakes"}


@pytest.mark.django_db
@pytest.mark.parametrize("category", [str(c) for c in m.Material.Category])
def test_a_lot_of_every_category_saves_its_own_properties_only(
    client_demo: Client, demo: m.Project, category: str
) -> None:
    material = m.Material.objects.create(
        project=demo, label=f"M-{category}", category=category, name=f"M {category}"
    )
    own = m.LOT_PROPERTIES.get(category, {})
    filled = {f"prop_{k}": PROPERTY_INPUT[k] for k in own}
    foreign = next(k for k in PROPERTY_INPUT if k not in own)
    data = _lot_post(demo, material, f"L-{category}", **filled, **{f"prop_{foreign}": "1"})
    refused = client_demo.post("/lots/new/", data)
    assert refused.status_code == 200
    assert f"prop_{foreign}" in refused.context["form"].errors
    del data[f"prop_{foreign}"]
    saved = client_demo.post("/lots/new/", data)
    assert saved.status_code == 302, saved.context and saved.context["form"].errors
    lot = m.MaterialLot.objects.get(label=f"L-{category}")
    assert set(lot.properties) == set(own)
    if "foil_thickness" in own:
        assert lot.properties["foil_thickness"] == pytest.approx(10.0)  # um, canonical
    if "ionic_conductivity" in own:
        assert lot.properties["ionic_conductivity"] == pytest.approx(2.5)


@pytest.mark.django_db
def test_lot_form_marks_each_property_with_its_categories(client_demo: Client) -> None:
    body = client_demo.get("/lots/new/").content.decode()
    assert 'data-lot-categories="current_collector lithium_metal"' in body
    ag = m.Material.objects.get(label="Ag")
    assert f'value="{ag.pk}" data-category="seed_metal"' in body
    assert '<script src="/static/labdb/forms.js"' in body and "<script>" not in body


@pytest.mark.django_db
def test_bare_number_is_stored_in_the_unit_shown_beside_it(
    client_demo: Client, demo: m.Project, demo_user: Any
) -> None:
    m.UserProfile.objects.update_or_create(
        user=demo_user, defaults={"unit_preferences": {"particle_size": "um"}}
    )
    body = client_demo.get("/lots/new/").content.decode()
    assert 'id="id_d50_nm_unit"' in body and ">um</span>" in body
    ag = m.Material.objects.get(label="Ag")
    response = client_demo.post("/lots/new/", _lot_post(demo, ag, "Ag-L8", d50_nm="0.03"))
    assert response.status_code == 302
    assert m.MaterialLot.objects.get(label="Ag-L8").d50_nm == pytest.approx(30.0)  # nm
    # another person's preference changes what they see, not what the record says
    other = Client()
    other_user = get_user_model().objects.create_user("colleague", password="pw-colleague-1")
    m.Membership.objects.create(project=demo, user=other_user)
    other.force_login(other_user)
    lot = m.MaterialLot.objects.get(label="Ag-L8")
    assert 'value="30 nm"' in other.get(f"/lots/{lot.pk}/edit/").content.decode()
    assert 'value="0.03 um"' in client_demo.get(f"/lots/{lot.pk}/edit/").content.decode()


@pytest.mark.django_db
def test_formulation_total_off_100_is_refused_and_version_is_never_typed(
    client_demo: Client, demo: m.Project
) -> None:
    body = client_demo.get("/formulations/new/").content.decode()
    assert 'name="version"' not in body
    assert 'data-wt-tolerance="0.01"' in body and "<template data-formset-empty>" in body
    data = _new_records(demo)["formulations"]
    data["components-1-mass_fraction_pct"] = "9.5"
    response = client_demo.post("/formulations/new/", data)
    assert response.status_code == 200
    assert "mass fractions sum to 99.5 wt%" in response.content.decode()
    # three rows (one added in the page) within the tolerance save as three components
    data.update(_management("components", 3))
    data["components-2-lot"] = _pk(m.MaterialLot, "LPSCl-L1")
    data["components-2-role"] = "solid_electrolyte"
    data["components-2-mass_fraction_pct"] = "0.505"
    assert client_demo.post("/formulations/new/", data).status_code == 302
    f = m.Formulation.objects.get(label="Ag-PVDF v1")
    assert f.version == 1 and f.components.count() == 3
