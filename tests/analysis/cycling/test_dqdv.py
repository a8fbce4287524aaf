"""dQ/dV and dV/dQ of every half-cycle, half and full cells: known answers from the closed form
of the simulator's insertion isotherms (analysis.simulate.voltammetry), a voltage that turns
back, and the real graphite half cell of navani's test set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import pipelines
from analysis.readers import read
from analysis.simulate.voltammetry import (
    THERMAL_VOLTAGE_V,
    Phase,
    incremental_capacity_table,
    plating_curve_table,
)

HALF = [Phase(0.45, 0.4, 1.0), Phase(0.25, 1.0, 0.8), Phase(0.10, 0.8, 0.6)]
FULL = [Phase(3.55, 0.6, 1.2), Phase(3.75, 1.0, 1.0), Phase(4.00, 0.7, 1.0)]
CURRENT_MA, R_OHM = 1.0, 5.0
BIN_V, SMOOTH_V = 0.005, 0.01


def _expected_peaks(phases: list[Phase], sign: float) -> list[tuple[float, float]]:
    """Peaks of the exact dQ/dV (sum of Q_k / 2w sech^2) averaged over a bin and smoothed by
    the same Gaussian, shifted by the ohmic drop ``sign * I R``; computed on a 0.1 mV grid."""
    step = 1e-4
    grid = np.arange(-1.0, 5.5, step)
    exact = np.zeros_like(grid)
    for ph in phases:
        w = ph.n_rt_f * THERMAL_VOLTAGE_V
        exact += ph.capacity_mAh / (2 * w) / np.cosh((grid - ph.potential_V) / w) ** 2
    box = np.ones(round(BIN_V / step)) / round(BIN_V / step)
    x = np.arange(-5 * SMOOTH_V, 5 * SMOOTH_V + step / 2, step)
    gauss = np.exp(-0.5 * (x / SMOOTH_V) ** 2)
    smooth = np.convolve(np.convolve(exact, box, "same"), gauss / gauss.sum(), "same")
    inner = np.flatnonzero((smooth[1:-1] > smooth[:-2]) & (smooth[1:-1] >= smooth[2:])) + 1
    ir = CURRENT_MA * 1e-3 * R_OHM
    return [(float(grid[k]) + sign * ir, float(smooth[k])) for k in inner if smooth[k] > 0.5]


@pytest.mark.parametrize(("cell_type", "phases"), [("half", HALF), ("full", FULL)])
def test_every_half_cycle_has_the_known_dqdv_peaks(cell_type: str, phases: list[Phase]) -> None:
    table = incremental_capacity_table(
        phases, cell_type=cell_type, cycles=3, current_mA=CURRENT_MA, resistance_ohm=R_OHM
    )
    result = pipelines.run("dqdv", table, {"cell_type": cell_type})
    peaks = result.tables["dqdv_peaks"]
    kinds = result.detail.curves.groupby("half_cycle")["kind"].first()
    assert len(kinds) == 6
    for half_cycle, kind in kinds.items():
        falling = kind in ("plating", "discharge")  # negative current lowers the voltage
        expected = _expected_peaks(phases, -1.0 if falling else 1.0)
        found = peaks[peaks["half_cycle"] == half_cycle].sort_values("voltage_V")
        assert len(found) == len(expected) == 3, (half_cycle, kind)
        for (v, height), (_, row) in zip(expected, found.iterrows(), strict=True):
            assert row["voltage_V"] == pytest.approx(v, abs=BIN_V / 2 + 1e-3)
            assert row["dq_dv_mAh_per_V"] == pytest.approx(height, rel=0.03)
    # the integral of dQ/dV over voltage is each half-cycle's capacity
    curves = result.detail.curves
    area = curves.groupby("half_cycle")["dq_dv_mAh_per_V"].sum() * BIN_V
    total = sum(p.capacity_mAh for p in phases)
    assert area.to_numpy() == pytest.approx(np.full(6, total), rel=0.01)
    assert result.to_json()["summary"]["method"]["smooth_V"] == SMOOTH_V


def test_dvdq_is_the_inverse_of_dqdv_on_the_capacity_grid() -> None:
    table = incremental_capacity_table(HALF, cycles=1, current_mA=CURRENT_MA, resistance_ohm=0.0)
    out = pipelines.run("dqdv", table, {"cell_type": "half", "smooth_V": 0.0}).detail
    d = out.dvdq[out.dvdq["half_cycle"] == 0]
    # at the middle of the 0.25 V plateau dV/dQ = -1 / (dQ/dV) = -2 w / Q_k
    w = HALF[1].n_rt_f * THERMAL_VOLTAGE_V
    mid = d.iloc[int(np.argmin(np.abs(d["voltage_V"].to_numpy() - 0.25)))]
    assert mid["dv_dq_V_per_mAh"] == pytest.approx(-2 * w / HALF[1].capacity_mAh, rel=0.05)
    assert d["capacity_mAh"].iloc[-1] == pytest.approx(sum(p.capacity_mAh for p in HALF), rel=0.01)


def test_a_voltage_that_turns_back_does_not_scramble_dqdv() -> None:
    common = {"cycles": 2, "current_mA": CURRENT_MA, "resistance_ohm": R_OHM}
    plain = incremental_capacity_table(HALF, **common)
    dipped = incremental_capacity_table(HALF, nucleation_dip_V=0.02, dip_at_fraction=0.5, **common)
    first = dipped[(dipped["cycle_count"] == 1) & (dipped["current_ampere"] < 0)]
    v = first["voltage_volt"].to_numpy()
    assert (np.diff(v) > 0).any() and (np.diff(v) < 0).any()  # the voltage does turn back
    capacity = -first["current_ampere"].to_numpy() * first["test_time_second"].to_numpy() / 3.6
    with np.errstate(divide="ignore", invalid="ignore"):
        naive = np.diff(capacity) / np.diff(v)
    assert (naive > 0).any()  # the point-wise derivative changes sign: scrambled
    a = pipelines.run("dqdv", plain, {"cell_type": "half"})
    b = pipelines.run("dqdv", dipped, {"cell_type": "half"})
    assert (b.detail.curves["dq_dv_mAh_per_V"] >= 0).all()
    pa, pb = a.tables["dqdv_peaks"], b.tables["dqdv_peaks"]
    assert len(pa) == len(pb)
    # the dip takes 2 % of the 0.25 V plateau's charge elsewhere: that peak may move one bin
    assert pb["voltage_V"].to_numpy() == pytest.approx(pa["voltage_V"].to_numpy(), abs=1.5 * BIN_V)
    area = b.detail.curves.groupby("half_cycle")["dq_dv_mAh_per_V"].sum() * BIN_V
    assert area.to_numpy() == pytest.approx(np.full(4, 2.2), rel=0.01)


def test_navanis_graphite_half_cell(conformance_data: Path) -> None:
    path = (
        conformance_data
        / "cycling/be-smith+navani/Example_data/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx"
    )
    result = pipelines.run("dqdv", read(path).table, {"cell_type": "half"})
    curves, peaks = result.detail.curves, result.tables["dqdv_peaks"]
    area = curves.groupby("half_cycle")["dq_dv_mAh_per_V"].sum() * BIN_V
    # navani's own cycle 1: 5.798033 mAh lithiation, 5.698108 mAh delithiation (MANIFEST.tsv)
    assert area.iloc[:2].to_numpy() == pytest.approx([5.798033, 5.698108], rel=1e-3)
    # graphite staging (Ohzuku, Iwakoshi & Sawai, J. Electrochem. Soc. 140 (1993) 2490):
    # lithiation near 0.21, 0.12 and 0.085 V, delithiation near 0.10, 0.14 and 0.23 V vs Li
    lith = peaks[peaks["half_cycle"] == 0].nlargest(3, "prominence_mAh_per_V")["voltage_V"]
    delith = peaks[peaks["half_cycle"] == 1].nlargest(3, "prominence_mAh_per_V")["voltage_V"]
    assert sorted(lith) == pytest.approx([0.085, 0.12, 0.21], abs=0.03)
    assert sorted(delith) == pytest.approx([0.10, 0.14, 0.23], abs=0.03)
    assert (sorted(delith) > np.array(sorted(lith))).all()  # hysteresis: delithiation higher
    assert isinstance(result.detail.dvdq, pd.DataFrame) and len(result.detail.dvdq) > 0


def test_each_half_cycles_dqdv_holds_its_charge_on_a_real_biologic_file(
    conformance_data: Path,
) -> None:
    path = (
        conformance_data
        / "cycling/be-smith+navani/Example_data/jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr"
    )
    table = read(path).table
    result = pipelines.run("dqdv", table, {"cell_type": "full"})
    half = pipelines.run("cycling", table, {"cell_type": "full"}).tables["half_cycles"]
    area = result.detail.curves.groupby("half_cycle")["dq_dv_mAh_per_V"].sum() * BIN_V
    assert len(area) == len(half) == 13
    # binning and the area-keeping smoothing hold each half-cycle's integrated charge
    assert area.to_numpy() == pytest.approx(half["integrated_capacity_mAh"].to_numpy(), rel=1e-6)
    assert (result.tables["dqdv_peaks"]["half_cycle"].nunique()) == 13


@pytest.mark.parametrize("smooth_V", [0.003, 0.01])
def test_the_alloying_plateaus_stand_out_beside_lithium_plating(smooth_V: float) -> None:
    # first plating of the MgAgSn electrode: Sn 0.45 V, Mg 0.10 V, Ag 0.05 V (10 mV slopes),
    # then 1 mAh of lithium at -15 mV, whose dQ/dV is 20 times the alloying plateaus'
    table = plating_curve_table(plateaus=((0.45, 0.08), (0.10, 0.06), (0.05, 0.05)))
    result = pipelines.run("dqdv", table, {"cell_type": "half", "smooth_V": smooth_V})
    found = sorted(result.tables["dqdv_peaks"]["voltage_V"])
    assert found == pytest.approx([-0.015, 0.05, 0.10, 0.45], abs=0.005)
