"""The protocol check on written per-half-cycle and per-spectrum records (no database)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from analysis.conformance import check_cycling, check_eis, check_run, ranges_text
from analysis.serial import LazyRecords

AREA = 2.0  # cm2


def _full_cell(n: int, **changes: dict[int, dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    """n cycles of a full cell at 0.5C (1C = 2 mA/cm2, so 2 mA on 2 cm2), 3.0-4.3 V, 25 degC;
    ``changes``: half-cycle kind -> {cycle: {column: value}}."""
    half, cycles = [], []
    for c in range(1, n + 1):
        cycles.append({"cycle": c, "complete": True, "excluded_from_metrics": False})
        for kind, vmax, vmin in (("charge", 4.300, 3.6), ("discharge", 4.1, 3.000)):
            row = {
                "cycle": c,
                "kind": kind,
                "current_mA": 2.0,
                "capacity_mAh": 3.0,
                "max_voltage_V": vmax,
                "min_voltage_V": vmin,
                "mean_temperature_degC": 25.4,
            }
            row.update(changes.get(kind, {}).get(c, {}))
            half.append(row)
    return half, cycles


GALVANOSTATIC = {
    "c_rate": 0.5,
    "one_c_current_density_mA_cm2": 2.0,
    "upper_cutoff_voltage_V": 4.3,
    "lower_cutoff_voltage_V": 3.0,
    "temperature_degC": 25.0,
}


def test_a_full_cell_on_protocol_passes_every_check() -> None:
    half, cycles = _full_cell(5)
    conf = check_cycling(
        "galvanostatic",
        GALVANOSTATIC,
        area_cm2=AREA,
        half_cycles=half,
        cycles=cycles,
        short_circuit_cycle=None,
    )
    assert conf.conforms
    assert conf.checks == {"c_rate": "ok", "cutoff_voltage": "ok", "temperature": "ok"}


def test_c_rate_cutoff_and_temperature_deviations_name_their_cycles() -> None:
    half, cycles = _full_cell(
        8,
        charge={4: {"current_mA": 4.0, "max_voltage_V": 4.35}, 5: {"current_mA": 4.0}},
        discharge={7: {"mean_temperature_degC": 31.0, "min_voltage_V": 2.995}},
    )
    conf = check_cycling(
        "galvanostatic",
        GALVANOSTATIC,
        area_cm2=AREA,
        half_cycles=half,
        cycles=cycles,
        short_circuit_cycle=None,
    )
    by = {(d.check, d.parameter): d for d in conf.deviations}
    rate = by[("c_rate", "c_rate")]
    assert rate.at == [4, 5] and rate.found_min == rate.found_max == 1.0  # 4 mA / 2 cm2 / 2
    assert "C-rate 1 C instead of 0.5 C" in rate.message and "cycles 4-5" in rate.message
    upper = by[("cutoff_voltage", "upper_cutoff_voltage_V")]
    assert upper.at == [4] and upper.found_max == 4.35
    assert ("cutoff_voltage", "lower_cutoff_voltage_V") not in by  # 5 mV below: tolerated
    temperature = by[("temperature", "temperature_degC")]
    assert temperature.at == [7] and "31" in temperature.message
    # the same check on the tables as a job's result gives them (rows built when asked for)
    lazy = check_cycling(
        "galvanostatic",
        GALVANOSTATIC,
        area_cm2=AREA,
        half_cycles=LazyRecords(pd.DataFrame(half)),
        cycles=LazyRecords(pd.DataFrame(cycles)),
        short_circuit_cycle=None,
    )
    assert lazy == conf


def test_rate_test_accepts_any_listed_rate_and_a_short_stops_the_capacity_check() -> None:
    half, cycles = _full_cell(6, charge={k: {"current_mA": 4.0 * k / 3} for k in (3, 6)})
    rate = check_cycling(
        "rate",
        {"c_rates": [0.5, 1.0, 2.0], "one_c_current_density_mA_cm2": 2.0},
        area_cm2=AREA,
        half_cycles=half,
        cycles=cycles,
        short_circuit_cycle=None,
    )
    # cycle 3 charges at 1C (listed), cycle 6 at 2C (listed): nothing wrong
    assert rate.conforms and rate.checks == {"c_rate": "ok"}
    plating = [
        {"cycle": c, "kind": k, "current_mA": 0.785, "capacity_mAh": q}
        for c, q in ((1, 0.785), (2, 0.785), (3, 0.30), (4, 0.20))
        for k in ("plating", "stripping")
    ]
    cycles4 = [{"cycle": c, "complete": True} for c in (1, 2, 3, 4)]
    ps = {"current_density_mA_cm2": 1.0, "areal_capacity_mAh_cm2": 1.0}
    shorted = check_cycling(
        "plating_stripping",
        ps,
        area_cm2=0.785,
        half_cycles=plating,
        cycles=cycles4,
        short_circuit_cycle=3,
    )
    assert shorted.conforms  # cycles 3-4 are the short, not a protocol deviation
    healthy = check_cycling(
        "plating_stripping",
        ps,
        area_cm2=0.785,
        half_cycles=plating,
        cycles=cycles4,
        short_circuit_cycle=None,
    )
    assert [d.at for d in healthy.deviations] == [[3, 4]]
    no_area = check_cycling(
        "plating_stripping", ps, area_cm2=None, half_cycles=plating, cycles=cycles4,
        short_circuit_cycle=None,
    )  # fmt: skip
    assert no_area.checks == {"current_density": "not recorded", "areal_capacity": "not recorded"}


def test_eis_frequency_range_and_in_situ_interval() -> None:
    # each spectrum takes 110 s; the protocol asks for one every 10 min of cycling
    spectra = [
        {
            "spectrum": k,
            "frequency_range_hz": [0.1, 1e6],
            "labels": {"time_second": t, "time_end_second": t + 110.0},
        }
        for k, t in enumerate([0.0, 710.0, 1420.0, 2730.0, 3440.0])
    ]
    spectra[2]["frequency_range_hz"] = [1.0, 1e6]
    protocol = {
        "eis_frequency_max_Hz": 1e6,
        "eis_frequency_min_Hz": 0.1,
        "eis_interval_h": 600 / 3600,
    }
    conf = check_eis("insitu_eis", protocol, spectra)
    by = {(d.check, d.parameter): d for d in conf.deviations}
    assert by[("eis_frequency_range", "eis_frequency_min_Hz")].at == [2]
    assert ("eis_frequency_range", "eis_frequency_max_Hz") not in by
    interval = by[("eis_interval", "eis_interval_h")]
    assert interval.at == [3] and interval.at_kind == "spectrum"  # 20 min before spectrum 3
    assert interval.found_min == interval.found_max == pytest.approx(1200 / 3600)
    assert "spectrum 3" in interval.message
    for s in spectra:  # no end time recorded: start to start, 710 s each
        del s["labels"]["time_end_second"]  # type: ignore[attr-defined]
    started = check_eis("insitu_eis", protocol, spectra)
    assert [d.at for d in started.deviations if d.check == "eis_interval"] == [[1, 2, 3, 4]]
    data = {"kind": "eis", "summary": {"details": spectra}}
    assert check_run("eis", protocol, data, None).checks == {"eis_frequency_range": "deviation"}  # type: ignore[union-attr]
    assert check_run("peel", {}, {"kind": "peel"}, None) is None


def test_in_situ_eis_run_has_its_cycling_checked_for_the_current_density() -> None:
    # the demo's in-situ protocol: 1 mA/cm2 between spectra; on 2 cm2 that is 2 mA
    protocol = {"eis_frequency_max_Hz": 1e6, "eis_interval_h": 1 / 6, "current_density_mA_cm2": 1.0}
    half = [
        {"cycle": c, "kind": k, "current_mA": mA, "capacity_mAh": 2.0}
        for c, mA in ((1, 2.0), (2, 2.5))
        for k in ("plating", "stripping")
    ]
    cycles = [{"cycle": c, "complete": True} for c in (1, 2)]
    data = {"kind": "cycling", "tables": {"half_cycles": half, "cycles": cycles}}
    conf = check_run("insitu_eis", protocol, data, AREA)
    assert conf is not None and conf.checks == {"current_density": "deviation"}
    (d,) = conf.deviations
    assert d.at == [2] and d.found_min == pytest.approx(1.25)


def test_ranges_text() -> None:
    assert ranges_text([9, 1, 2, 3, 7, 10]) == "1-3, 7, 9-10"
    assert ranges_text([]) == ""
