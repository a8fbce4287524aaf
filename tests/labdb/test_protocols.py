"""The table of protocol kinds: parameter keys name their canonical unit, each kind's
required and analysis parameters are known, and stored protocols are migrated to the keys."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from analysis.pipelines import PIPELINES as ANALYZERS
from labdb import models as m
from labdb.protocols import (
    PARAMETERS,
    PROTOCOL_KINDS,
    ProtocolKind,
    analysis_parameters,
    validate_parameters,
)
from labdb.units import KINDS, to_canonical

migration = importlib.import_module("labdb.migrations.0009_protocol_parameter_units")


@pytest.mark.parametrize("key", list(PARAMETERS))
def test_a_parameter_key_names_the_canonical_unit_of_its_quantity(key: str) -> None:
    p = PARAMETERS[key]
    assert p.key == key
    if p.quantity not in KINDS:
        assert p.quantity in (None, "list") and p.unit == ""
        return
    canonical = KINDS[p.quantity].accepted[0]  # e.g. "mA/cm2"
    suffix = canonical.replace("/", "_")
    assert key.endswith(f"_{suffix}"), f"{key} should end in _{suffix}"
    # the spelling is the canonical unit itself, not merely one of the same dimension
    assert to_canonical(1.0, canonical, p.quantity, field=key) == pytest.approx(1.0)
    assert p.unit == canonical


def test_the_table_covers_every_protocol_kind_of_the_model() -> None:
    assert [(k.name, k.label) for k in PROTOCOL_KINDS.values()] == list(m.TestProtocol.Kind.choices)
    for name, kind in PROTOCOL_KINDS.items():
        assert isinstance(kind, ProtocolKind) and kind.name == name
        assert kind.analysis in ANALYZERS, kind
        assert set(kind.required) <= set(PARAMETERS), kind
        assert set(kind.to_analysis) <= set(PARAMETERS), kind


def test_analysis_kinds_and_what_each_analysis_gets() -> None:
    analysis = {name: k.analysis for name, k in PROTOCOL_KINDS.items()}
    assert analysis == {
        "plating_stripping": "cycling",
        "galvanostatic": "cycling",
        "formation": "cycling",
        "rate": "cycling",
        "eis": "eis",
        "insitu_eis": "eis",
        "cv": "cv",
        "peel": "peel",
        "scratch": "scratch",
        "indentation": "indentation",
    }
    everything = {key: 1.0 for key in PARAMETERS}
    for name in ("plating_stripping", "galvanostatic", "formation", "rate"):
        assert analysis_parameters(name, everything) == {"one_c_current_density_mA_cm2": 1.0}
    assert analysis_parameters("peel", everything) == {"sample_width_mm": 1.0}
    assert analysis_parameters("cv", everything) == {"scan_rate_mV_s": 1.0}
    for name in ("eis", "insitu_eis", "scratch", "indentation", "no_such_kind"):
        assert analysis_parameters(name, everything) == {}
    # only what the protocol states
    assert analysis_parameters("plating_stripping", {"current_density_mA_cm2": 1.0}) == {}
    assert analysis_parameters("peel", {"sample_width_mm": None}) == {}
    assert analysis_parameters("cv", {"scan_rate_mV_s": 0.1}) == {"scan_rate_mV_s": 0.1}


@pytest.mark.django_db
def test_demo_protocols_are_valid(demo: m.Project) -> None:
    protocols = m.TestProtocol.objects.all()
    assert {p.kind for p in protocols} == set(PROTOCOL_KINDS)
    for p in protocols:
        assert validate_parameters(p.kind, p.parameters) == {}, p.label


def test_validation_messages() -> None:
    errors = validate_parameters(
        "cv",
        {
            "scan_rate_mV_s": 0.0,
            "lower_cutoff_voltage_V": 1.5,
            "upper_cutoff_voltage_V": 0.0,
            "scan_rate": 0.1,
        },
    )
    assert errors == {
        "scan_rate": "unknown parameter 'scan_rate'",
        "scan_rate_mV_s": "CV scan rate must be positive",
        "upper_cutoff_voltage_V": "upper cut-off voltage must be above the lower cut-off",
    }
    errors = validate_parameters("eis", {"eis_frequency_max_Hz": 0.1, "eis_frequency_min_Hz": 1e6})
    assert errors == {
        "eis_amplitude_V": "EIS amplitude is required for an EIS protocol",
        "eis_frequency_max_Hz": "EIS highest frequency must be above the lowest",
    }
    errors = validate_parameters(
        "rate",
        {
            "c_rates": [0.1, -1.0],
            "one_c_current_density_mA_cm2": "2",
            "upper_cutoff_voltage_V": 4.3,
            "lower_cutoff_voltage_V": -0.1,  # a voltage may be negative
        },
    )
    assert errors == {
        "c_rates": "C-rates of the rate test (comma-separated) must all be positive",
        "one_c_current_density_mA_cm2": "1C definition (current density of 1C) must be a number",
    }
    positive = {key for key, p in PARAMETERS.items() if p.positive}
    assert positive == set(PARAMETERS) - {
        "upper_cutoff_voltage_V",
        "lower_cutoff_voltage_V",
        "temperature_degC",
        "peel_angle_deg",
    }


def _run_migration(direction: str) -> None:
    renames = migration.RENAMES
    if direction == "backward":
        renames = {new: old for old, new in renames.items()}
    migration._rename(renames)(apps, SimpleNamespace(connection=connection))


@pytest.mark.django_db
def test_migration_renames_the_keys_of_stored_protocols(demo: m.Project) -> None:
    assert set(migration.RENAMES.values()) | {
        "c_rate",
        "c_rates",
        "cycles",
        "peel_angle_deg",
    } == set(PARAMETERS)
    old = {
        "current_density": 1.0,
        "areal_capacity": 1.0,
        "temperature": 25.0,
        "note": "kept",
    }
    protocol = m.TestProtocol.objects.create(
        project=demo, label="PS-old", name="PS old keys", kind="plating_stripping", parameters=old
    )
    empty = m.TestProtocol.objects.create(
        project=demo, label="IND-empty", name="no parameters", kind="indentation", parameters={}
    )
    updated_at = protocol.updated_at
    before = {p.pk: p.parameters for p in m.TestProtocol.objects.exclude(pk=protocol.pk)}

    _run_migration("backward")  # the demo's protocols back to the old keys
    demo_old = m.TestProtocol.objects.get(label="CYC-0.5C").parameters
    assert "one_c_current_density" in demo_old and "upper_cutoff_voltage_V" not in demo_old

    _run_migration("forward")
    protocol.refresh_from_db()
    assert protocol.parameters == {
        "current_density_mA_cm2": 1.0,
        "areal_capacity_mAh_cm2": 1.0,
        "temperature_degC": 25.0,
        "note": "kept",
    }
    # (no assertion on key order: PostgreSQL's jsonb keeps keys in its own order)
    assert protocol.updated_at == updated_at
    assert {p.pk: p.parameters for p in m.TestProtocol.objects.exclude(pk=protocol.pk)} == before
    empty.refresh_from_db()
    assert empty.parameters == {}

    _run_migration("backward")
    protocol.refresh_from_db()
    assert protocol.parameters == old


def test_migration_keeps_a_key_already_renamed() -> None:
    both = {"scan_rate": 1.0, "scan_rate_mV_s": 2.0, "peel_speed": 3.0}
    assert migration.rename_keys(both, migration.RENAMES) == {
        "scan_rate_mV_s": 2.0,
        "peel_speed_mm_min": 3.0,
    }
    assert migration.rename_keys(None, migration.RENAMES) is None
