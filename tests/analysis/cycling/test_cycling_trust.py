"""Cycling numbers that hold on cells as real cyclers record them (issue 13): the sign checked,
healthy cells with noise, glitches and trapped Li coming back not called shorted, the full cell's
soft short found, counters that disagree replaced, partial and diagnostic cycles kept out."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.cycling import CyclingParameters, CyclingResult, analyze_cycling
from analysis.serial import differences
from tests.analysis.cycling.cycling_synthetic import Protocol, build


def _flipped(table):  # type: ignore[no-untyped-def]
    out = table.copy()
    out["current_ampere"] = -out["current_ampere"]
    if "charging_capacity_ah" in out:
        out["charging_capacity_ah"], out["discharging_capacity_ah"] = (
            table["discharging_capacity_ah"],
            table["charging_capacity_ah"],
        )
    return out


@pytest.mark.parametrize("cell_type", ["half", "full"])
def test_a_reversed_current_sign_is_corrected_with_the_same_numbers(cell_type: str) -> None:
    ce = [0.9, 0.99, 0.985, 0.995, 0.99, 0.992]
    table, _ = build(
        Protocol(cell_type=cell_type, cycles=6, coulombic_efficiency=ce, counters="per_step")  # type: ignore[arg-type]
    )
    right = analyze_cycling(table, cell_type=cell_type)  # type: ignore[arg-type]
    wrong = analyze_cycling(_flipped(table), cell_type=cell_type)  # type: ignore[arg-type]
    assert right.metrics["current_sign"] == "as_recorded"
    assert wrong.metrics["current_sign"] == "reversed"
    assert any("sign looks reversed" in w for w in wrong.warnings)
    assert wrong.metrics["initial_coulombic_efficiency"] == pytest.approx(0.9, rel=1e-3)
    assert wrong.short_circuits == ()
    assert differences(right.to_dict()["cycles"], wrong.to_dict()["cycles"]) == []
    # Trusting the file gives the inverted CE the issue describes: ICE above 1.
    trusted = analyze_cycling(
        _flipped(table),
        cell_type=cell_type,  # type: ignore[arg-type]
        params=CyclingParameters(current_sign="as_recorded"),
    )
    assert trusted.metrics["current_sign"] == "as_recorded"
    assert trusted.metrics["initial_coulombic_efficiency"] != pytest.approx(0.9, rel=1e-3)


@pytest.mark.parametrize("noise_V", [0.001, 0.003])
def test_healthy_half_cell_with_instrument_noise_and_a_glitch_is_not_shorted(
    noise_V: float,
) -> None:
    table, _ = build(
        Protocol(cycles=12, dt_s=10.0, base_noise_V=noise_V, rest_after_second_s=60.0, seed=5)
    )
    # One 15 mV one-sample glitch in a stripping step (current positive).
    stripping = np.flatnonzero(table["current_ampere"].to_numpy() > 0)
    row = int(stripping[len(stripping) // 2])
    table.loc[row, "voltage_volt"] -= 0.015
    result = analyze_cycling(table, cell_type="half")
    assert result.short_circuits == (), result.short_circuits
    assert result.metrics["cycle_life_censored"] is True


def test_trapped_lithium_coming_back_is_not_a_short() -> None:
    ce = [0.9, 0.99, 0.985, 1.012, 0.99, 0.992, 0.99, 0.991]
    table, _ = build(Protocol(cycles=8, coulombic_efficiency=ce))
    result = analyze_cycling(table, cell_type="half")
    assert result.short_circuits == ()
    assert result.metrics["average_coulombic_efficiency"] == pytest.approx(
        np.mean(ce[1:]), rel=1e-4
    )


def test_ce_above_one_from_the_start_is_an_offset_warning_not_a_short() -> None:
    ce = [0.93, 1.04, 1.045, 1.043, 1.044, 1.042]
    table, _ = build(Protocol(cycles=6, coulombic_efficiency=ce))
    result = analyze_cycling(table, cell_type="half")
    assert result.short_circuits == ()
    assert any("from cycle 2 on" in w for w in result.warnings)


def test_persistent_ce_above_one_after_healthy_cycles_is_a_soft_short_at_its_onset() -> None:
    ce = [0.9, 0.99, 0.995, 0.993, 1.03, 1.05, 1.08, 1.1]
    table, _ = build(Protocol(cycles=8, coulombic_efficiency=ce))
    result = analyze_cycling(table, cell_type="half")
    event = result.short_circuits[0]
    assert event.rule == "soft_short_ce" and event.cycle == 5
    assert event.values["detected_at_cycle"] == 6
    assert result.metrics["cycle_life"] == 4


def test_full_cell_charge_running_long_with_falling_ce_is_a_soft_short() -> None:
    n, onset = 60, 50
    charge = [1.0 if k < onset else 1.15 for k in range(1, n + 1)]
    ce = [0.85] + [0.997] * (onset - 2) + [0.86] * (n - onset + 1)
    table, _ = build(
        Protocol(
            cell_type="full",
            cycles=n,
            dt_s=60.0,
            first_capacities_mAh=charge,
            coulombic_efficiency=ce,
            base_noise_V=0.001,
        )
    )
    result = analyze_cycling(table, cell_type="full")
    assert result.metrics["short_circuit_cycle"] == onset, result.short_circuits
    assert result.metrics["failure_mode"] == "charge_overrun"
    # A protocol that charges further and gets the charge back is not a short.
    more = [1.0 if k < onset else 1.15 for k in range(1, n + 1)]
    healthy, _ = build(Protocol(cell_type="full", cycles=n, dt_s=60.0, first_capacities_mAh=more))
    assert analyze_cycling(healthy, cell_type="full").short_circuits == ()


def test_hard_short_with_noise_collapses_both_half_cycles() -> None:
    table, _ = build(
        Protocol(cycles=10, short="voltage_collapse", short_cycle=6, base_noise_V=0.001, seed=2)
    )
    result = analyze_cycling(table, cell_type="half")
    assert result.metrics["short_circuit_cycle"] == 6
    rules = set(result.metrics["short_circuit_rules"])
    assert "voltage_collapse" in rules or "cutoff_not_reached" in rules


def test_counters_that_disagree_with_the_current_are_replaced_by_integration() -> None:
    table, _ = build(Protocol(cycles=5, counters="per_step", coulombic_efficiency=[0.95] * 5))
    table["discharging_capacity_ah"] = 0.0  # a dead counter, as in a real BioLogic export
    result = analyze_cycling(table, cell_type="half")
    assert result.metrics["capacity_source"] == "integrated_current"
    assert result.metrics["counter_mismatched_half_cycles"] >= 5
    assert any("use the integrated current" in w for w in result.warnings)
    assert result.cycles["coulombic_efficiency"].iloc[0] == pytest.approx(0.95, rel=2e-3)
    forced = analyze_cycling(
        table, cell_type="half", params=CyclingParameters(capacity_source="counters")
    )
    assert forced.metrics["capacity_source"] == "vendor_counters"


def _full_cell_with_first_cycle(charge_mAh: float, ce: float) -> CyclingResult:
    """Five cycles of a full cell at CE 0.99 whose first charge and CE are given (the usual
    charge is 1 mAh), analysed."""
    table, _ = build(
        Protocol(
            cell_type="full",
            cycles=5,
            first_capacities_mAh=[charge_mAh, 1.0, 1.0, 1.0, 1.0],
            coulombic_efficiency=[ce, 0.99, 0.99, 0.99, 0.99],
        )
    )
    return analyze_cycling(table, cell_type="full")


def test_a_partial_first_charge_is_kept_out_of_the_ice() -> None:
    result = _full_cell_with_first_cycle(0.3, 1.59 / 0.3 * 0.3)
    assert result.metrics["initial_coulombic_efficiency"] is None
    assert result.metrics["excluded_cycles"] == [1]
    assert result.short_circuits == ()
    assert any("partial charge" in w for w in result.warnings)


def test_a_first_charge_that_gives_back_more_than_it_took_is_partial() -> None:
    # issue 13: the beep file's first charge is 62 % of the usual and gives back 1.59 x it (the
    # cell held charge at the start); above partial_first_fraction, but a full cell cannot
    # return more than it was charged with
    result = _full_cell_with_first_cycle(0.62, 1.59)
    assert result.metrics["initial_coulombic_efficiency"] is None
    assert result.metrics["excluded_cycles"] == [1]
    assert result.short_circuits == ()
    assert any("held charge when the test started" in w for w in result.warnings)
    assert result.metrics["average_coulombic_efficiency"] == pytest.approx(0.99, abs=1e-3)


def test_half_cell_energy_efficiency_and_retention_are_not_reported() -> None:
    table, _ = build(Protocol(cycles=5, coulombic_efficiency=[0.9, 0.99, 0.99, 0.99, 0.99]))
    result = analyze_cycling(table, cell_type="half")
    assert result.cycles["energy_efficiency"].isna().all()
    assert result.metrics["capacity_retention"] is None


def test_reservoir_method_average_ce_of_adams_et_al() -> None:
    # Formation (plate 1, strip 0.9), reservoir Q_T = 5 mAh, n = 10 cycles of Q_C = 1 mAh,
    # final strip Q_S = 4.6 mAh: CE = (n Q_C + Q_S) / (n Q_C + Q_T) = 14.6 / 15.
    first = [1.0, 5.0] + [1.0] * 10
    ce = [0.9, 0.2] + [1.0] * 9 + [4.6]
    table, _ = build(Protocol(cycles=12, first_capacities_mAh=first, coulombic_efficiency=ce))
    params = CyclingParameters(ce_method="reservoir", formation_cycles=1)
    m = analyze_cycling(table, cell_type="half", params=params).metrics
    assert m["reservoir_coulombic_efficiency"] == pytest.approx(14.6 / 15.0, rel=1e-3)
    assert m["average_coulombic_efficiency"] == m["reservoir_coulombic_efficiency"]
    assert m["reservoir_cycles"] == 10 and m["reservoir_charge_mAh"] == pytest.approx(5.0, rel=1e-3)
    assert m["reservoir_final_stripping_mAh"] == pytest.approx(4.6, rel=1e-3)
    with pytest.raises(ValueError, match="half-cell"):
        analyze_cycling(table, cell_type="full", params=params)
