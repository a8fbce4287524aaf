"""CV peaks at known potentials, from a cv table and a cycler's table; dQ/dV plateaus."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import voltammetry
from analysis.readers import read
from analysis.simulate.voltammetry import MGAGSN_CV_PEAKS, plating_curve_table, simulate_cv

SCAN_V_PER_S = 1e-3
# (potential V, height mA, sigma V): Gaussian waves, charge = height * sigma * sqrt(2 pi) / v
CATHODIC = ((0.50, 0.8, 0.02), (0.10, 1.2, 0.015))
ANODIC = ((0.25, 1.0, 0.02), (0.65, 0.6, 0.025))


def _cv_table(cycles: int = 2, noise_mA: float = 0.005) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    down = np.linspace(1.0, 0.0, 1001)
    e_parts, i_parts, c_parts = [], [], []
    for cycle in range(1, cycles + 1):
        for e, waves, sign in ((down, CATHODIC, -1.0), (down[::-1][1:], ANODIC, 1.0)):
            i = np.full(len(e), sign * 0.02)
            for ep, h, s in waves:
                i += sign * h * np.exp(-0.5 * ((e - ep) / s) ** 2)
            e_parts.append(e)
            i_parts.append(i)
            c_parts.append(np.full(len(e), cycle))
    e_all = np.concatenate(e_parts)
    i_all = np.concatenate(i_parts) + noise_mA * rng.standard_normal(len(e_all))
    t = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(e_all)))]) / SCAN_V_PER_S
    return pd.DataFrame(
        {
            "potential_V": e_all,
            "current_A": i_all / 1e3,
            "time_s": t,
            "cycle": np.concatenate(c_parts),
        }
    )


def _check(result: voltammetry.CVResult, cycles: int) -> None:
    assert result.sweeps == 2 * cycles
    for cycle in range(1, cycles + 1):
        for direction, waves in (("cathodic", CATHODIC), ("anodic", ANODIC)):
            found = sorted(
                (p for p in result.peaks if p.cycle == cycle and p.direction == direction),
                key=lambda p: p.potential_V,
            )
            assert len(found) == len(waves)
            for peak, (ep, h, s) in zip(found, sorted(waves), strict=True):
                sign = -1 if direction == "cathodic" else 1
                assert peak.potential_V == pytest.approx(ep, abs=0.005)
                assert peak.current_mA == pytest.approx(sign * (h + 0.02), rel=0.03)
                assert peak.charge_mC == pytest.approx(
                    h * s * math.sqrt(2 * math.pi) / SCAN_V_PER_S, rel=0.05
                )


def test_cv_peaks_are_found_at_known_potentials_with_direction_and_charge() -> None:
    _check(voltammetry.cv_peaks(_cv_table()), cycles=2)


def test_a_biologic_cycling_table_gives_the_same_peaks() -> None:
    t = _cv_table()
    cycling = pd.DataFrame(
        {
            "test_time_second": t["time_s"],
            "voltage_volt": t["potential_V"],
            "current_ampere": t["current_A"],
            "cycle_count": t["cycle"].astype(float),
        }
    )
    _check(voltammetry.cv_peaks(cycling), cycles=2)


def test_without_time_the_charge_comes_from_the_scan_rate_or_is_none() -> None:
    t = _cv_table(cycles=1).drop(columns=["time_s"])
    assert all(p.charge_mC is None for p in voltammetry.cv_peaks(t).peaks)
    _check(voltammetry.cv_peaks(t, scan_rate_mV_per_s=SCAN_V_PER_S * 1e3), cycles=1)


def test_a_table_without_current_is_refused_naming_the_columns() -> None:
    with pytest.raises(ValueError, match="current_A, current_ampere"):
        voltammetry.cv_data(pd.DataFrame({"potential_V": [0.0, 1.0]}))


def test_noise_on_the_potential_does_not_split_a_sweep() -> None:
    e = np.concatenate([np.linspace(1, 0, 500), np.linspace(0, 1, 500)])
    e += 0.001 * np.random.default_rng(0).standard_normal(len(e))
    found = voltammetry.sweeps(e)
    assert [s.direction for s in found] == ["cathodic", "anodic"]
    assert abs(found[0].stop - 499) <= 3


def test_simulated_mgagsn_cv_shows_the_sn_mg_ag_alloying_peaks(tmp_path: Path) -> None:
    table = read(simulate_cv(tmp_path / "cv.csv", cycles=1)).table
    result = voltammetry.cv_peaks(table)
    for spec in MGAGSN_CV_PEAKS:
        assert any(
            p.direction == spec.direction and abs(p.potential_V - spec.potential_V) <= 0.005
            for p in result.peaks
        ), spec


def test_dqdv_of_the_first_plating_finds_the_alloying_plateaus() -> None:
    table = plating_curve_table(plateaus=((0.45, 0.08), (0.10, 0.06), (0.05, 0.05)))
    r = voltammetry.first_plating_dqdv(table)
    assert [p.potential_V for p in r.plateaus] == pytest.approx([0.45, 0.10, 0.05], abs=0.005)
    assert r.capacity_mAh == pytest.approx(0.08 + 0.06 + 0.05 + 0.04 + 1.0, rel=0.01)
    assert r.segment_end_s < float(table["test_time_second"].iloc[-1])
    assert set(r.to_json()) >= {"plateaus", "capacity_mAh", "potential_V", "dq_dv_mAh_per_V"}


def test_dqdv_needs_a_plating_segment() -> None:
    table = plating_curve_table()
    table["current_ampere"] = abs(table["current_ampere"])
    with pytest.raises(ValueError, match="no plating"):
        voltammetry.first_plating_dqdv(table)
