"""Quantities with units: parse what a user typed, convert to one canonical unit per field.

Each catalog field that holds a physical quantity names a *kind* (particle size, current
density, ...; the models declare theirs, see :mod:`labdb.models.quantities`). The database
stores the value in the kind's canonical unit; forms accept any unit of the right dimension
("800 nm", "0.8 um", or a bare number in the user's preferred unit) and refuse anything else
with a message naming the field and the accepted units. Conversions are done by pint, not by
hand tables.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

import pint


@dataclass(frozen=True)
class QuantityKind:
    name: str
    canonical: str
    #: Units offered to users, in the spelling they type; the first is the canonical one.
    accepted: tuple[str, ...]
    label: str

    @property
    def unit(self) -> str:
        """The canonical unit as users type it and pages and exports show it ("cm2")."""
        return self.accepted[0]


KINDS: dict[str, QuantityKind] = {
    k.name: k
    for k in [
        QuantityKind("particle_size", "nm", ("nm", "um", "mm"), "particle size"),
        QuantityKind("thickness", "um", ("um", "nm", "mm"), "thickness"),
        QuantityKind("length", "mm", ("mm", "um", "cm", "m"), "length"),
        QuantityKind("area", "cm^2", ("cm2", "mm2", "m2"), "area"),
        QuantityKind(
            "current_density", "mA/cm^2", ("mA/cm2", "uA/cm2", "A/cm2", "A/m2"), "current density"
        ),
        QuantityKind(
            "areal_capacity", "mA*h/cm^2", ("mAh/cm2", "uAh/cm2", "Ah/m2"), "areal capacity"
        ),
        QuantityKind("areal_loading", "mg/cm^2", ("mg/cm2", "g/m2"), "areal loading"),
        QuantityKind("pressure", "MPa", ("MPa", "kPa", "GPa", "bar", "psi"), "pressure"),
        QuantityKind("temperature", "degC", ("degC", "K", "degF"), "temperature"),
        QuantityKind("voltage", "V", ("V", "mV"), "voltage"),
        QuantityKind("frequency", "Hz", ("Hz", "mHz", "kHz", "MHz"), "frequency"),
        QuantityKind("duration", "h", ("h", "min", "s"), "duration"),
        QuantityKind("rotation_speed", "rpm", ("rpm",), "rotation speed"),
        QuantityKind("conductivity", "mS/cm", ("mS/cm", "S/cm", "S/m"), "ionic conductivity"),
        QuantityKind("scan_rate", "mV/s", ("mV/s", "V/s", "uV/s"), "scan rate"),
        QuantityKind("speed", "mm/min", ("mm/min", "mm/s", "um/s"), "speed"),
        QuantityKind("force", "mN", ("mN", "N", "gf"), "force"),
    ]
}


class UnitError(ValueError):
    """A value with a unit that is unknown or of the wrong dimension."""


@cache
def _registry() -> pint.UnitRegistry:
    ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    ureg.define("rpm = revolution / minute")
    return ureg


_POWER = re.compile(r"([A-Za-z])(\d)")


def _normalise_unit(text: str) -> str:
    text = text.strip().replace("µ", "u").replace("μ", "u").replace("°C", "degC")
    text = text.replace("℃", "degC").replace("°F", "degF").replace("²", "2")
    text = re.sub(r"\bmAh\b", "mA*h", text)
    text = re.sub(r"\buAh\b", "uA*h", text)
    text = re.sub(r"\bAh\b", "A*h", text)
    return _POWER.sub(r"\1^\2", text)


_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def to_canonical(value: float, unit: str, kind: str, *, field: str) -> float:
    """``value`` in ``unit`` converted to the canonical unit of ``kind``.

    Raises :class:`UnitError` naming ``field`` and the accepted units.
    """
    qk = KINDS[kind]
    accepted = ", ".join(qk.accepted)
    if not math.isfinite(value):
        raise UnitError(f"{field}: {value!r} is not a finite number")
    ureg = _registry()
    try:
        unit_obj = ureg.Unit(_normalise_unit(unit))
    except (
        pint.errors.UndefinedUnitError,
        pint.errors.DefinitionSyntaxError,
        ValueError,
        AttributeError,
        TypeError,
    ) as exc:
        raise UnitError(f"{field}: unknown unit {unit!r}; accepted units: {accepted}") from exc
    canonical = ureg.Unit(qk.canonical)
    if unit_obj.dimensionality != canonical.dimensionality:
        raise UnitError(
            f"{field}: {unit!r} is not a unit of {qk.label}; accepted units: {accepted}"
        )
    return float(ureg.Quantity(value, unit_obj).to(canonical).magnitude)


def from_canonical(value: float, kind: str, unit: str) -> float:
    """A canonical value of ``kind`` expressed in ``unit`` (for display)."""
    ureg = _registry()
    qk = KINDS[kind]
    q = ureg.Quantity(value, ureg.Unit(qk.canonical))
    return float(q.to(ureg.Unit(_normalise_unit(unit))).magnitude)


def parse_quantity(text: str, kind: str, *, field: str, default_unit: str | None = None) -> float:
    """Parse what a user typed ("800 nm", "0.8um", "800") into the canonical unit of ``kind``.

    A bare number is read in ``default_unit`` (the user's preferred unit, else canonical).
    """
    qk = KINDS[kind]
    match = _NUMBER_UNIT.match(str(text))
    if not match:
        raise UnitError(f"{field}: {text!r} is not a number with a unit, e.g. '5 {qk.unit}'")
    number, unit = float(match.group(1)), match.group(2)
    return to_canonical(number, unit or default_unit or qk.unit, kind, field=field)


def unit_used(text: str) -> str | None:
    """The unit a user typed in ``text``, if any (to remember it as their preference)."""
    match = _NUMBER_UNIT.match(str(text))
    return match.group(2) or None if match else None


def format_quantity(value: float | None, kind: str, unit: str | None = None) -> str:
    """``value`` (canonical) shown in ``unit`` (default: canonical) with up to 6 significant digits."""
    if value is None:
        return ""
    qk = KINDS[kind]
    unit = unit or qk.unit
    shown = from_canonical(value, kind, unit) if unit != qk.unit else value
    return f"{shown:.6g} {unit}"
