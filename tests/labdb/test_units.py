"""Quantities typed by users are converted to one canonical unit, or refused by name."""

import pytest

from labdb.units import UnitError, format_quantity, parse_quantity


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("800 nm", "particle_size", 800.0),
        ("0.8 um", "particle_size", 800.0),
        ("0.8 µm", "particle_size", 800.0),
        ("5 um", "thickness", 5.0),
        ("5000 nm", "thickness", 5.0),
        ("1 mA/cm2", "current_density", 1.0),
        ("10 A/m2", "current_density", 1.0),
        ("1000 uA/cm²", "current_density", 1.0),
        ("1 mAh/cm2", "areal_capacity", 1.0),
        ("0.5 bar", "pressure", 0.05),
        ("298.15 K", "temperature", 25.0),
        ("77 degF", "temperature", 25.0),
        ("10 min", "duration", 10 / 60),
        ("0.785 cm2", "area", 0.785),
        ("78.5 mm2", "area", 0.785),
    ],
)
def test_values_with_units_become_canonical(text: str, kind: str, expected: float) -> None:
    assert parse_quantity(text, kind, field="x") == pytest.approx(expected, rel=1e-9)


def test_bare_number_is_read_in_the_preferred_unit() -> None:
    assert parse_quantity("0.15", "particle_size", field="D50", default_unit="um") == pytest.approx(
        150.0
    )
    assert parse_quantity("150", "particle_size", field="D50") == 150.0


def test_wrong_dimension_is_refused_naming_field_and_accepted_units() -> None:
    with pytest.raises(UnitError) as exc:
        parse_quantity("5 mA", "particle_size", field="D50")
    assert str(exc.value) == "D50: 'mA' is not a unit of particle size; accepted units: nm, um, mm"


def test_unknown_unit_is_refused() -> None:
    with pytest.raises(UnitError, match=r"^current density: unknown unit 'mA/cm2x'"):
        parse_quantity("1 mA/cm2x", "current_density", field="current density")


def test_not_a_number_is_refused() -> None:
    with pytest.raises(UnitError, match="'five nm' is not a number with a unit"):
        parse_quantity("five nm", "particle_size", field="D50")


def test_values_are_shown_back_in_the_preferred_unit() -> None:
    assert format_quantity(800.0, "particle_size", "um") == "0.8 um"
    assert format_quantity(800.0, "particle_size") == "800 nm"
