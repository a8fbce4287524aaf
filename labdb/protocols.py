"""Test protocols: one table of protocol kinds and the parameters each states, with units.

Values are stored in the canonical unit of their quantity kind (see :mod:`labdb.units`), and
every key with a unit names it (``current_density_mA_cm2``, ``eis_interval_h``): the key is
the name an analysis gets the value under, no renaming on the way. A number-only parameter
(``c_rate``, ``cycles``, ``peel_angle_deg``) is dimensionless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labdb.text import a
from labdb.units import KINDS


@dataclass(frozen=True)
class Parameter:
    key: str
    label: str
    #: Quantity kind from labdb.units.KINDS; None for a plain number, "list" for numbers.
    quantity: str | None
    #: The value (every number of a list) must be above zero.
    positive: bool = False

    @property
    def unit(self) -> str:
        return KINDS[self.quantity].accepted[0] if self.quantity in KINDS else ""


PARAMETERS: dict[str, Parameter] = {
    p.key: p
    for p in [
        Parameter("current_density_mA_cm2", "current density", "current_density", True),
        Parameter(
            "areal_capacity_mAh_cm2", "areal capacity per half-cycle", "areal_capacity", True
        ),
        Parameter(
            "one_c_current_density_mA_cm2",
            "1C definition (current density of 1C)",
            "current_density",
            True,
        ),
        Parameter("c_rate", "C-rate", None, True),
        Parameter("c_rates", "C-rates of the rate test (comma-separated)", "list", True),
        Parameter("upper_cutoff_voltage_V", "upper cut-off voltage", "voltage"),
        Parameter("lower_cutoff_voltage_V", "lower cut-off voltage", "voltage"),
        Parameter("cycles", "number of cycles", None, True),
        Parameter("temperature_degC", "temperature", "temperature"),
        Parameter("eis_frequency_max_Hz", "EIS highest frequency", "frequency", True),
        Parameter("eis_frequency_min_Hz", "EIS lowest frequency", "frequency", True),
        Parameter("eis_amplitude_V", "EIS amplitude", "voltage", True),
        Parameter("eis_interval_h", "in-situ EIS interval", "duration", True),
        Parameter("scan_rate_mV_s", "CV scan rate", "scan_rate", True),
        Parameter("peel_angle_deg", "peel angle (degrees)", None),
        Parameter("peel_speed_mm_min", "peel speed", "speed", True),
        Parameter("sample_width_mm", "sample width", "length", True),
        Parameter("scratch_max_load_mN", "scratch maximum normal load", "force", True),
        Parameter("scratch_length_mm", "scratch length", "length", True),
        Parameter("indentation_max_load_mN", "indentation maximum load", "force", True),
    ]
}


@dataclass(frozen=True)
class ProtocolKind:
    """A kind of test protocol: what it must state and what its data is analysed as."""

    name: str
    label: str
    #: The analysis kind its test runs' data gets (labdb.analyses: "cycling", "eis", ...).
    analysis: str
    #: Parameter keys the protocol must state (the others of PARAMETERS are optional).
    required: tuple[str, ...]
    #: Parameter keys handed to the analysis, under the same name (see analysis_parameters).
    to_analysis: tuple[str, ...] = ()


_CYCLING_LIMITS = (
    "one_c_current_density_mA_cm2",
    "upper_cutoff_voltage_V",
    "lower_cutoff_voltage_V",
)
_TO_CYCLING = ("one_c_current_density_mA_cm2",)
_EIS = ("eis_frequency_max_Hz", "eis_frequency_min_Hz", "eis_amplitude_V")

PROTOCOL_KINDS: dict[str, ProtocolKind] = {
    k.name: k
    for k in [
        ProtocolKind(
            "plating_stripping",
            "plating/stripping",
            "cycling",
            ("current_density_mA_cm2", "areal_capacity_mAh_cm2", "temperature_degC"),
            _TO_CYCLING,
        ),
        ProtocolKind(
            "galvanostatic",
            "galvanostatic cycling",
            "cycling",
            ("c_rate", *_CYCLING_LIMITS, "temperature_degC"),
            _TO_CYCLING,
        ),
        ProtocolKind(
            "formation",
            "formation",
            "cycling",
            ("c_rate", *_CYCLING_LIMITS, "temperature_degC"),
            _TO_CYCLING,
        ),
        ProtocolKind(
            "rate", "rate capability", "cycling", ("c_rates", *_CYCLING_LIMITS), _TO_CYCLING
        ),
        ProtocolKind("eis", "EIS", "eis", _EIS),
        ProtocolKind(
            "insitu_eis",
            "in-situ EIS",
            "eis",
            (*_EIS, "eis_interval_h", "current_density_mA_cm2"),
        ),
        ProtocolKind(
            "cv",
            "cyclic voltammetry",
            "cv",
            ("scan_rate_mV_s", "upper_cutoff_voltage_V", "lower_cutoff_voltage_V"),
            ("scan_rate_mV_s",),
        ),
        ProtocolKind(
            "peel",
            "peel test",
            "peel",
            ("peel_angle_deg", "peel_speed_mm_min", "sample_width_mm"),
            ("sample_width_mm",),
        ),
        ProtocolKind(
            "scratch", "scratch test", "scratch", ("scratch_max_load_mN", "scratch_length_mm")
        ),
        ProtocolKind(
            "indentation", "nano-indentation", "indentation", ("indentation_max_load_mN",)
        ),
    ]
}


def _absent(value: Any) -> bool:
    return value is None or value == "" or value == []


def analysis_parameters(kind: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """The protocol values an analysis of a ``kind`` protocol's data gets, under their own
    names (only those the protocol states; nothing for an unknown kind)."""
    protocol_kind = PROTOCOL_KINDS.get(kind)
    if protocol_kind is None:
        return {}
    return {
        key: parameters[key]
        for key in protocol_kind.to_analysis
        if not _absent(parameters.get(key))
    }


def validate_parameters(kind: str, parameters: dict[str, Any]) -> dict[str, str]:
    """Field errors (parameter key -> message) for a protocol of ``kind``; empty when valid."""
    errors: dict[str, str] = {}
    for key in parameters:
        if key not in PARAMETERS:
            errors[key] = f"unknown parameter {key!r}"
    protocol_kind = PROTOCOL_KINDS.get(kind)
    for key in protocol_kind.required if protocol_kind else ():
        if _absent(parameters.get(key)):
            errors[key] = (
                f"{PARAMETERS[key].label} is required for {a(protocol_kind.label)} protocol"
            )
    for key, value in parameters.items():
        param = PARAMETERS.get(key)
        if param is None or value in (None, ""):
            continue
        if param.quantity == "list":
            if not isinstance(value, list) or not all(isinstance(v, int | float) for v in value):
                errors[key] = f"{param.label} must be a list of numbers"
            elif param.positive and any(v <= 0 for v in value):
                errors[key] = f"{param.label} must all be positive"
        elif not isinstance(value, int | float):
            errors[key] = f"{param.label} must be a number"
        elif param.positive and value <= 0:
            errors[key] = f"{param.label} must be positive"
    lo, hi = parameters.get("lower_cutoff_voltage_V"), parameters.get("upper_cutoff_voltage_V")
    if isinstance(lo, int | float) and isinstance(hi, int | float) and lo >= hi:
        errors["upper_cutoff_voltage_V"] = "upper cut-off voltage must be above the lower cut-off"
    fmin, fmax = parameters.get("eis_frequency_min_Hz"), parameters.get("eis_frequency_max_Hz")
    if isinstance(fmin, int | float) and isinstance(fmax, int | float) and fmin >= fmax:
        errors["eis_frequency_max_Hz"] = "EIS highest frequency must be above the lowest"
    return errors
