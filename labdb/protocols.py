"""Test-protocol parameters: what each kind of protocol must state, with units.

Values are stored in the canonical unit of their quantity kind (see :mod:`labdb.units`);
a number-only parameter (``c_rate``, ``cycles``) is dimensionless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labdb.units import KINDS


@dataclass(frozen=True)
class Parameter:
    key: str
    label: str
    #: Quantity kind from labdb.units.KINDS; None for a plain number, "list" for numbers.
    quantity: str | None

    @property
    def unit(self) -> str:
        return KINDS[self.quantity].accepted[0] if self.quantity in KINDS else ""


PARAMETERS: dict[str, Parameter] = {
    p.key: p
    for p in [
        Parameter("current_density", "current density", "current_density"),
        Parameter("areal_capacity", "areal capacity per half-cycle", "areal_capacity"),
        Parameter(
            "one_c_current_density", "1C definition (current density of 1C)", "current_density"
        ),
        Parameter("c_rate", "C-rate", None),
        Parameter("c_rates", "C-rates of the rate test (comma-separated)", "list"),
        Parameter("upper_cutoff_voltage", "upper cut-off voltage", "voltage"),
        Parameter("lower_cutoff_voltage", "lower cut-off voltage", "voltage"),
        Parameter("cycles", "number of cycles", None),
        Parameter("temperature", "temperature", "temperature"),
        Parameter("eis_frequency_max", "EIS highest frequency", "frequency"),
        Parameter("eis_frequency_min", "EIS lowest frequency", "frequency"),
        Parameter("eis_amplitude", "EIS amplitude", "voltage"),
        Parameter("eis_interval", "in-situ EIS interval", "duration"),
        Parameter("scan_rate", "CV scan rate", "scan_rate"),
        Parameter("peel_angle_deg", "peel angle (degrees)", None),
        Parameter("peel_speed", "peel speed", "speed"),
        Parameter("sample_width", "sample width", "length"),
        Parameter("scratch_max_load", "scratch maximum normal load", "force"),
        Parameter("scratch_length", "scratch length", "length"),
        Parameter("indentation_max_load", "indentation maximum load", "force"),
    ]
}

#: Parameters each protocol kind requires (the others are optional).
REQUIRED: dict[str, tuple[str, ...]] = {
    "plating_stripping": ("current_density", "areal_capacity", "temperature"),
    "galvanostatic": (
        "c_rate",
        "one_c_current_density",
        "upper_cutoff_voltage",
        "lower_cutoff_voltage",
        "temperature",
    ),
    "formation": (
        "c_rate",
        "one_c_current_density",
        "upper_cutoff_voltage",
        "lower_cutoff_voltage",
        "temperature",
    ),
    "rate": ("c_rates", "one_c_current_density", "upper_cutoff_voltage", "lower_cutoff_voltage"),
    "eis": ("eis_frequency_max", "eis_frequency_min", "eis_amplitude"),
    "insitu_eis": (
        "eis_frequency_max",
        "eis_frequency_min",
        "eis_amplitude",
        "eis_interval",
        "current_density",
    ),
    "cv": ("scan_rate", "upper_cutoff_voltage", "lower_cutoff_voltage"),
    "peel": ("peel_angle_deg", "peel_speed", "sample_width"),
    "scratch": ("scratch_max_load", "scratch_length"),
    "indentation": ("indentation_max_load",),
}


def validate_parameters(kind: str, parameters: dict[str, Any]) -> dict[str, str]:
    """Field errors (parameter key -> message) for a protocol of ``kind``; empty when valid."""
    errors: dict[str, str] = {}
    for key in parameters:
        if key not in PARAMETERS:
            errors[key] = f"unknown parameter {key!r}"
    for key in REQUIRED.get(kind, ()):
        if parameters.get(key) in (None, "", []):
            errors[key] = (
                f"{PARAMETERS[key].label} is required for a {kind.replace('_', ' ')} protocol"
            )
    for key, value in parameters.items():
        param = PARAMETERS.get(key)
        if param is None or value in (None, ""):
            continue
        if param.quantity == "list":
            if not isinstance(value, list) or not all(isinstance(v, int | float) for v in value):
                errors[key] = f"{param.label} must be a list of numbers"
            elif any(v <= 0 for v in value):
                errors[key] = f"{param.label} must all be positive"
        elif not isinstance(value, int | float):
            errors[key] = f"{param.label} must be a number"
        elif (
            key
            in {
                "current_density",
                "areal_capacity",
                "one_c_current_density",
                "c_rate",
                "eis_frequency_max",
                "eis_frequency_min",
                "eis_amplitude",
                "eis_interval",
                "scan_rate",
                "peel_speed",
                "sample_width",
                "scratch_max_load",
                "scratch_length",
                "indentation_max_load",
                "cycles",
            }
            and value <= 0
        ):
            errors[key] = f"{param.label} must be positive"
    lo, hi = parameters.get("lower_cutoff_voltage"), parameters.get("upper_cutoff_voltage")
    if isinstance(lo, int | float) and isinstance(hi, int | float) and lo >= hi:
        errors["upper_cutoff_voltage"] = "upper cut-off voltage must be above the lower cut-off"
    fmin, fmax = parameters.get("eis_frequency_min"), parameters.get("eis_frequency_max")
    if isinstance(fmin, int | float) and isinstance(fmax, int | float) and fmin >= fmax:
        errors["eis_frequency_max"] = "EIS highest frequency must be above the lowest"
    return errors
