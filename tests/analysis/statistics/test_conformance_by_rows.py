"""The protocol check column by column (analysis.conformance.check_cycling, numpy) gives what
checking value by value gives (the definition below, row by row in Python, the check as it
was written first): random runs with None, NaN, zero, infinite and text values, partial
cycles, shorts, missing kinds, every protocol parameter and none, with and without area."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pytest

from analysis import conformance as cf
from analysis.serial import LazyRecords, num


def _definition(
    run_of: tuple[str, Mapping[str, Any], float | None, int | None],
    half_cycles: Sequence[Mapping[str, Any]],
    cycles: Sequence[Mapping[str, Any]],
) -> tuple[dict[str, str], list[tuple[Any, ...]]]:
    """The checks and (check, parameter, found_min, found_max, at, message) of each deviation,
    every value looked at on its own."""
    protocol_kind, parameters, area_cm2, short_circuit_cycle = run_of
    checks: dict[str, str] = {}
    deviations: list[tuple[Any, ...]] = []

    def run(check: str, parameter: str, expected: Any, unit: str, rows: list[Any],
            ok: Callable[[float], bool], label: str) -> None:  # fmt: skip
        found = [(at, v) for at, v in rows if v is not None]
        if not found:
            checks.setdefault(check, "not recorded")
            return
        bad = [(at, v) for at, v in found if not ok(v)]
        if not bad:
            checks.setdefault(check, "ok")
            return
        checks[check] = "deviation"
        at = sorted({a for a, _ in bad})
        lo, hi = min(v for _, v in bad), max(v for _, v in bad)
        shown = (
            ", ".join(f"{e:g}" for e in expected) if isinstance(expected, list) else f"{expected:g}"
        )
        text = f"{lo:.4g}" if lo == hi else f"{lo:.4g} to {hi:.4g}"
        where = "cycles" if len(at) > 1 else "cycle"
        message = (f"{label} {text} {unit} instead of {shown} {unit} ({cf.TOLERANCES[check]}) "
                   f"in {where} {cf.ranges_text(at)}")  # fmt: skip
        deviations.append((check, parameter, lo, hi, at, message))

    used = {int(c["cycle"]) for c in cycles if c["complete"] and int(c["cycle"]) >= 1}
    rows = [(int(h["cycle"]), h) for h in half_cycles if int(h["cycle"]) in used]
    before = [(n, h) for n, h in rows if short_circuit_cycle is None or n < short_circuit_cycle]
    area = area_cm2 if area_cm2 and area_cm2 > 0 else None
    p = {k: num(v) for k, v in parameters.items() if not isinstance(v, list)}
    density, one_c, c_rate = (p.get(k) for k in ("current_density_mA_cm2",
                              "one_c_current_density_mA_cm2", "c_rate"))  # fmt: skip
    rates = [float(x) for x in parameters.get("c_rates") or [] if num(x)]
    near = cf.RELATIVE_CURRENT
    densities = []
    for n, h in rows:
        i = num(h["current_mA"])
        densities.append((n, abs(i) / area if i is not None and area else None))
    if density:
        run("current_density", "current_density_mA_cm2", density, "mA/cm2", densities,
            lambda v: abs(v - density) <= near * density, "current density")  # fmt: skip
    if (c_rate or rates) and protocol_kind != "plating_stripping":
        found = [(n, d / one_c if d is not None and one_c else None) for n, d in densities]
        if rates:
            run("c_rate", "c_rates", rates, "C", found,
                lambda v: any(abs(v - r) <= near * r for r in rates), "C-rate")  # fmt: skip
        elif c_rate:
            run("c_rate", "c_rate", c_rate, "C", found,
                lambda v: abs(v - c_rate) <= near * c_rate, "C-rate")  # fmt: skip
    capacity = p.get("areal_capacity_mAh_cm2")
    if capacity:
        found = []
        for n, h in before:
            if h["kind"] == "plating":
                q = num(h["capacity_mAh"])
                found.append((n, abs(q) / area if q and area else None))
        run("areal_capacity", "areal_capacity_mAh_cm2", capacity, "mAh/cm2", found,
            lambda v: abs(v - capacity) <= cf.RELATIVE_CAPACITY * capacity,
            "plated areal capacity")  # fmt: skip
    upper, lower = p.get("upper_cutoff_voltage_V"), p.get("lower_cutoff_voltage_V")
    if upper is not None:
        found = [(n, num(h["max_voltage_V"])) for n, h in before if h["kind"] in cf.POSITIVE]
        run("cutoff_voltage", "upper_cutoff_voltage_V", upper, "V", found,
            lambda v: v <= upper + cf.CUTOFF_V, "highest voltage")  # fmt: skip
    if lower is not None:
        found = [(n, num(h["min_voltage_V"])) for n, h in before if h["kind"] not in cf.POSITIVE]
        run("cutoff_voltage", "lower_cutoff_voltage_V", lower, "V", found,
            lambda v: v >= lower - cf.CUTOFF_V, "lowest voltage")  # fmt: skip
    temperature = p.get("temperature_degC")
    if temperature is not None:
        found = [(n, num(h["mean_temperature_degC"])) for n, h in rows]
        run("temperature", "temperature_degC", temperature, "degC", found,
            lambda v: abs(v - temperature) <= cf.TEMPERATURE_DEGC, "mean cell temperature")  # fmt: skip
    return checks, deviations


def _value(rng: np.random.Generator, typical: float, spread: float, plain: bool) -> Any:
    pick = rng.random()
    if plain:  # numbers only: the frame's columns are float64
        if pick < 0.1:
            return float(rng.choice([np.nan, np.inf, -np.inf, 0.0]))
        if pick < 0.14:
            return round(typical)
        return float(typical * (1 + rng.normal(0, spread)))
    if pick < 0.05:
        return None
    if pick < 0.15:
        return float(rng.choice([np.nan, np.inf, -np.inf, 0.0]))
    if pick < 0.17:
        return str(round(typical, 3))  # a number written as text
    if pick < 0.19:
        return round(typical)
    return float(typical * (1 + rng.normal(0, spread)))


@pytest.mark.parametrize("seed", range(60))
def test_the_check_column_by_column_is_the_check_value_by_value(seed: int) -> None:
    """Odd seeds have numbers only (and NaN, infinities, integers), so that the tables as
    frames hold float64 and integer columns: the check takes those arrays as they are."""
    rng = np.random.default_rng(seed)
    plain = seed % 2 == 1
    n = int(rng.integers(0, 40))
    spread = float(rng.choice([0.0, 0.01, 0.05]))
    cycles = [{"cycle": c, "complete": bool(rng.random() > 0.1)} for c in range(n + 1)]
    half = []
    for c in range(n + 1):
        for kind in rng.choice(["charge", "discharge", "plating", "stripping", None], 2).tolist():
            half.append({
                "cycle": c, "kind": kind,
                "current_mA": _value(rng, 2.0 * (-1) ** int(rng.integers(2)), spread, plain),
                "capacity_mAh": _value(rng, 2.0, spread, plain),
                "max_voltage_V": _value(rng, 4.3, spread / 10, plain),
                "min_voltage_V": _value(rng, 3.0, spread / 10, plain),
                "mean_temperature_degC": _value(rng, 25.0, spread, plain),
            })  # fmt: skip
    every = {
        "current_density_mA_cm2": 1.0,
        "one_c_current_density_mA_cm2": 2.0,
        "c_rate": 0.5,
        "c_rates": [0.5, 1.0],
        "areal_capacity_mAh_cm2": 1.0,
        "upper_cutoff_voltage_V": 4.3,
        "lower_cutoff_voltage_V": 3.0,
        "temperature_degC": 25.0,
    }
    parameters = {k: v for k, v in every.items() if rng.random() < 0.7}
    kind = str(rng.choice(["galvanostatic", "plating_stripping", "rate"]))
    area = [2.0, None, 0.0][int(rng.integers(3))]
    short = int(rng.integers(1, n + 2)) if rng.random() < 0.5 else None
    checks, deviations = _definition((kind, parameters, area, short), half, cycles)
    for tables in ((half, cycles), (LazyRecords(_frame(half)), LazyRecords(_frame(cycles)))):
        got = cf.check_cycling(kind, parameters, area_cm2=area, half_cycles=tables[0],
                               cycles=tables[1], short_circuit_cycle=short)  # fmt: skip
        assert got.checks == checks
        assert [(d.check, d.parameter, d.found_min, d.found_max, d.at, d.message)
                for d in got.deviations] == deviations  # fmt: skip
        assert all(type(d.found_min) is float and type(d.at[0]) is int for d in got.deviations)


def _frame(rows: list[dict[str, Any]]) -> Any:
    import pandas as pd

    return pd.DataFrame(rows) if rows else pd.DataFrame({"cycle": [], "kind": [], "complete": []})
