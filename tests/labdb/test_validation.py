"""Validation rules with the messages users see, through services and forms."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from labdb import models as m
from labdb.services.catalog import ComponentSpec, formulation_save, record_save


def _lot(label: str) -> m.MaterialLot:
    return m.MaterialLot.objects.get(label=label)


@pytest.mark.django_db
def test_mass_fractions_must_sum_to_100(demo: m.Project, demo_user: Any) -> None:
    f = m.Formulation(project=demo, label="Bad v1", name="Bad", version=1)
    with pytest.raises(ValidationError) as exc:
        formulation_save(
            formulation=f,
            components=[
                ComponentSpec(lot=_lot("Mg-800nm-L1"), role="seed", mass_fraction_pct=90.0),
                ComponentSpec(lot=_lot("Elastane-L1"), role="binder", mass_fraction_pct=9.98),
            ],
            user=demo_user,
        )
    assert exc.value.message_dict["components"] == [
        "mass fractions sum to 99.98 wt%; they must sum to 100 wt% (within 0.01)"
    ]
    assert not m.Formulation.objects.filter(label="Bad v1").exists()


@pytest.mark.django_db
def test_mass_fractions_within_tolerance_are_accepted(demo: m.Project, demo_user: Any) -> None:
    f = formulation_save(
        formulation=m.Formulation(project=demo, label="Ok v1", name="Ok", version=1),
        components=[
            ComponentSpec(lot=_lot("Mg-800nm-L1"), role="seed", mass_fraction_pct=33.333),
            ComponentSpec(lot=_lot("Ag-30nm-L1"), role="seed", mass_fraction_pct=33.333),
            ComponentSpec(lot=_lot("Sn-150nm-L1"), role="seed", mass_fraction_pct=23.333),
            ComponentSpec(lot=_lot("Elastane-L1"), role="binder", mass_fraction_pct=10.0),
        ],
        user=demo_user,
    )
    assert f.components.count() == 4


@pytest.mark.django_db
def test_formulation_form_shows_sum_error(client_demo: Client, demo: m.Project) -> None:
    mg, elastane = _lot("Mg-800nm-L1"), _lot("Elastane-L1")
    data = {
        "project": demo.pk,
        "label": "Form v1",
        "name": "Form",
        "components-TOTAL_FORMS": "2",
        "components-INITIAL_FORMS": "0",
        "components-MIN_NUM_FORMS": "0",
        "components-MAX_NUM_FORMS": "1000",
        "components-0-lot": mg.pk,
        "components-0-role": "seed",
        "components-0-mass_fraction_pct": "80",
        "components-1-lot": elastane.pk,
        "components-1-role": "binder",
        "components-1-mass_fraction_pct": "10",
    }
    response = client_demo.post("/formulations/new/", data)
    assert response.status_code == 200
    assert "mass fractions sum to 90 wt%; they must sum to 100 wt%" in response.content.decode()
    assert not m.Formulation.objects.filter(label="Form v1").exists()


@pytest.mark.django_db
def test_lot_form_refuses_wrong_unit_at_the_field(client_demo: Client, demo: m.Project) -> None:
    mg = m.Material.objects.get(label="Mg")
    response = client_demo.post(
        "/lots/new/",
        {
            "project": demo.pk,
            "label": "Mg-L2",
            "material": mg.pk,
            "supplier": "s",
            "lot_number": "2",
            "d50_nm": "800 mA",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["d50_nm"] == [
        "'mA' is not a unit of particle size; accepted units: nm, um, mm"
    ]
    assert not m.MaterialLot.objects.filter(label="Mg-L2").exists()


@pytest.mark.django_db
def test_lot_form_converts_units_and_remembers_the_preference(
    client_demo: Client, demo: m.Project, demo_user: Any
) -> None:
    mg = m.Material.objects.get(label="Mg")
    response = client_demo.post(
        "/lots/new/",
        {
            "project": demo.pk,
            "label": "Mg-L2",
            "material": mg.pk,
            "supplier": "s",
            "lot_number": "2",
            "d50_nm": "0.75 um",
            "purity_pct": "99.5",
        },
    )
    assert response.status_code == 302
    lot = m.MaterialLot.objects.get(label="Mg-L2")
    assert lot.d50_nm == pytest.approx(750.0)
    # shown back in the unit the user typed
    assert "0.75 um" in client_demo.get(f"/lots/{lot.pk}/").content.decode()
    assert m.UserProfile.objects.get(user=demo_user).unit_preferences["particle_size"] == "um"


@pytest.mark.django_db
def test_required_fields_are_named(client_demo: Client, demo: m.Project) -> None:
    response = client_demo.post("/cells/new/", {"project": demo.pk, "kind": "half"})
    errors = response.context["form"].errors
    for field in ("label", "anode_batch", "electrolyte_lot", "area_cm2"):
        assert errors[field] == ["This field is required."], field


@pytest.mark.django_db
def test_half_cell_needs_lithium_and_no_cathode(demo: m.Project, demo_user: Any) -> None:
    cell = m.Cell(
        project=demo,
        label="X-HC",
        kind="half",
        anode_batch=m.ElectrodeBatch.objects.get(label="Mg-Elastane-B1"),
        cathode_lot=_lot("NCM811-LNO-L1"),
        electrolyte_lot=_lot("LPSCl-L1"),
        area_cm2=0.785,
    )
    with pytest.raises(ValidationError) as exc:
        record_save(record=cell, user=demo_user)
    assert exc.value.message_dict["lithium_lot"] == [
        "a half cell needs a lithium counter electrode lot"
    ]
    assert exc.value.message_dict["cathode_lot"] == [
        "a half cell has a lithium counter electrode, not a cathode"
    ]


@pytest.mark.django_db
def test_lot_of_the_wrong_category_is_refused(demo: m.Project, demo_user: Any) -> None:
    cell = m.Cell(
        project=demo,
        label="X-HC",
        kind="half",
        anode_batch=m.ElectrodeBatch.objects.get(label="Mg-Elastane-B1"),
        lithium_lot=_lot("Li-foil-L1"),
        electrolyte_lot=_lot("Mg-800nm-L1"),
        area_cm2=0.785,
    )
    with pytest.raises(ValidationError) as exc:
        record_save(record=cell, user=demo_user)
    assert exc.value.message_dict["electrolyte_lot"] == [
        "Mg-800nm-L1 is a lithiophilic seed metal lot; expected a solid electrolyte lot"
    ]


@pytest.mark.django_db
def test_protocol_parameters_are_validated_per_kind(client_demo: Client, demo: m.Project) -> None:
    response = client_demo.post(
        "/protocols/new/",
        {
            "project": demo.pk,
            "label": "PS-bad",
            "name": "PS bad",
            "kind": "plating_stripping",
            "param_current_density_mA_cm2": "1 mA/cm2",
            "param_temperature_degC": "25 degC",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["param_areal_capacity_mAh_cm2"] == [
        "areal capacity per half-cycle is required for a plating/stripping protocol"
    ]
    response = client_demo.post(
        "/protocols/new/",
        {
            "project": demo.pk,
            "label": "PS-ok",
            "name": "PS ok",
            "kind": "plating_stripping",
            "param_current_density_mA_cm2": "1000 uA/cm2",
            "param_areal_capacity_mAh_cm2": "1 mAh/cm2",
            "param_temperature_degC": "298.15 K",
        },
    )
    assert response.status_code == 302
    params = m.TestProtocol.objects.get(label="PS-ok").parameters
    assert params == {
        "current_density_mA_cm2": 1.0,
        "areal_capacity_mAh_cm2": 1.0,
        "temperature_degC": 25.0,
    }


@pytest.mark.django_db
def test_process_step_needs_its_kinds_parameters(client_demo: Client, demo: m.Project) -> None:
    data = {
        "project": demo.pk,
        "label": "B-new",
        "formulation": m.Formulation.objects.get(label="Mg-Elastane v1").pk,
        "current_collector_lot": _lot("SUS-foil-L1").pk,
        "measured_thickness_um": "5 um",
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
        "steps-0-kind": "drying",
        "steps-0-temperature_c": "80 degC",
    }
    response = client_demo.post("/batches/new/", data)
    assert response.status_code == 200
    step_errors = response.context["formset"].forms[0].errors
    assert step_errors["duration_h"] == ["required for a drying step"]
    assert step_errors["atmosphere"] == ["required for a drying step"]
    assert not m.ElectrodeBatch.objects.filter(label="B-new").exists()
