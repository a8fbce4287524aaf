"""Every model field that holds a physical quantity declares its kind once (the model's
``QUANTITY_FIELDS``), and its name ends in the kind's canonical unit, so that a new field
cannot be forgotten by the forms, pages, bulk import and exports that read the declaration."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models

from labdb import models as m
from labdb.models.quantities import quantity_fields, quantity_kind, quantity_unit
from labdb.services.imports import QUANTITY, TEMPLATES
from labdb.units import KINDS, to_canonical

#: Unit suffixes of field names (lower case, "_"-separated) and the unit each one spells.
SUFFIX_UNITS = {
    "nm": "nm",
    "um": "um",
    "mm": "mm",
    "cm": "cm",
    "cm2": "cm^2",
    "mm2": "mm^2",
    "m2": "m^2",
    "mg_cm2": "mg/cm^2",
    "g_m2": "g/m^2",
    "ma_cm2": "mA/cm^2",
    "mah_cm2": "mA*h/cm^2",
    "ohm_cm2": "ohm*cm^2",
    "mpa": "MPa",
    "kpa": "kPa",
    "gpa": "GPa",
    "bar": "bar",
    "c": "degC",
    "degc": "degC",
    "h": "h",
    "min": "min",
    "s": "s",
    "rpm": "rpm",
    "v": "V",
    "mv": "mV",
    "hz": "Hz",
    "ms_cm": "mS/cm",
    "mv_s": "mV/s",
    "mm_min": "mm/min",
    "mn": "mN",
}

#: Tables the analyses write (in the units of their own columns); no one types these in.
#: (CellSummary copies a result's metric columns.)
ANALYSIS_OUTPUTS = {m.AnalysisResult, m.CycleResult, m.EISSpectrumFit, m.CellSummary}


def suffix_unit(name: str) -> str | None:
    """The unit a field name ends in ("areal_loading_mg_cm2" -> "mg/cm^2"), if any."""
    parts = name.lower().split("_")
    for n in (2, 1):
        if len(parts) > n and "_".join(parts[-n:]) in SUFFIX_UNITS:
            return SUFFIX_UNITS["_".join(parts[-n:])]
    return None


def _entered_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_app_config("labdb").get_models()
        if model not in ANALYSIS_OUTPUTS
    ]


def _check(model: type[models.Model], name: str, kind: str | None) -> None:
    where = f"{model.__name__}.{name}"
    assert kind is not None, f"{where} ends in a unit: declare its kind in QUANTITY_FIELDS"
    assert kind in KINDS, f"{where}: unknown quantity kind {kind!r}"
    unit = suffix_unit(name)
    assert unit is not None, f"{where}: name it after its canonical unit ({KINDS[kind].unit})"
    # the suffix's unit is the canonical one: converting 1 of it to canonical gives 1
    assert to_canonical(1.0, unit, kind, field=where) == pytest.approx(1.0), (
        f"{where} ends in {unit}, but {kind} is stored in {KINDS[kind].canonical}"
    )


def test_suffix_parsing() -> None:
    assert suffix_unit("areal_loading_mg_cm2") == "mg/cm^2"
    assert suffix_unit("area_cm2") == "cm^2"
    assert suffix_unit("rct_ohm_cm2") == "ohm*cm^2"
    assert suffix_unit("temperature_c") == "degC"
    assert suffix_unit("purity_pct") is None


def test_every_float_field_with_a_unit_declares_its_kind() -> None:
    checked = 0
    for model in _entered_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FloatField) and suffix_unit(field.name) is not None:
                _check(model, field.name, quantity_kind(model, field.name))
                checked += 1
    assert checked >= 14  # the catalog's quantity fields, at the time of writing


def test_declared_fields_exist_and_are_named_after_their_unit() -> None:
    for model in _entered_models():
        for name, kind in quantity_fields(model).items():
            field = model._meta.get_field(name)
            assert isinstance(field, models.FloatField), f"{model.__name__}.{name}"
            _check(model, name, kind)


def test_quantity_units_are_the_canonical_spelling() -> None:
    assert quantity_unit(m.Cell, "area_cm2") == "cm2"
    assert quantity_unit(m.ElectrodeBatch, "areal_loading_mg_cm2") == "mg/cm2"
    assert quantity_unit(m.ProcessStep, "temperature_c") == "degC"
    with pytest.raises(KeyError):
        quantity_unit(m.Cell, "label")


def test_bulk_import_quantity_columns_are_declared() -> None:
    for model, columns in TEMPLATES.values():
        for c in columns:
            if c.type == QUANTITY:
                assert quantity_kind(model, c.model_field), f"{c.name} -> {c.model_field}"
            elif c.model_field:
                assert quantity_kind(model, c.model_field) is None
