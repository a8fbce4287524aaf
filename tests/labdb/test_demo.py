"""The demo study holds the paper's catalog and loading it twice changes nothing."""

import pytest
from django.core.management import call_command

from labdb import models as m

MODELS = [
    m.Material,
    m.MaterialLot,
    m.Formulation,
    m.FormulationComponent,
    m.ElectrodeBatch,
    m.ProcessStep,
    m.Cell,
    m.Instrument,
    m.TestProtocol,
    m.HistoryEntry,
]


def _state() -> dict[str, list[tuple[str, ...]]]:
    out = {}
    for model in MODELS:
        rows = model._default_manager.values_list(
            *(["label"] if hasattr(model, "label") else ["pk"])
        )
        out[model.__name__] = sorted(map(str, rows))
    return out


@pytest.mark.django_db
def test_demo_twice_gives_the_same_catalog() -> None:
    call_command("demo")
    first = _state()
    call_command("demo")
    assert _state() == first


@pytest.mark.django_db
def test_demo_holds_the_papers_materials_and_cells() -> None:
    call_command("demo")
    d50 = {
        lot.material.name: lot.d50_nm
        for lot in m.MaterialLot.objects.filter(material__category="seed_metal")
    }
    assert d50 == {"Mg": 800.0, "Ag": 30.0, "Sn": 150.0}
    assert {b.measured_thickness_um for b in m.ElectrodeBatch.objects.all()} == {5.0}
    binders = set(
        m.FormulationComponent.objects.filter(role="binder").values_list(
            "lot__material__name", flat=True
        )
    )
    assert binders == {"Elastane", "PVDF"}
    labels = set(m.Cell.objects.values_list("label", flat=True))
    for seed in ("Mg-E", "Ag-E", "Sn-E", "MgAgSn-E", "MgAgSn-P"):
        assert f"{seed}-HC1" in labels
    full = m.Cell.objects.get(kind="full")
    assert full.cathode_lot.material.formula == "LiNi0.8Co0.1Mn0.1O2"
    assert full.cathode_coating_lot.material.name == "LiNbO3"
    ps = m.TestProtocol.objects.get(kind="plating_stripping").parameters
    assert (ps["current_density"], ps["areal_capacity"]) == (1.0, 1.0)
    cyc = m.TestProtocol.objects.get(kind="galvanostatic").parameters
    assert (cyc["c_rate"], cyc["one_c_current_density"]) == (0.5, 2.0)
