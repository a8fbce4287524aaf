"""Each short-circuit rule fires on the cycle where the synthetic short starts, not before."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.cycling import CyclingParameters, analyze_cycling
from tests.analysis.cycling.cycling_synthetic import Protocol, build

CASES = {
    # rule: (cell type, protocol changes)
    "cutoff_not_reached": ("half", {}),
    "voltage_collapse": ("half", {}),
    "voltage_noise": ("half", {"base_noise_V": 0.0001}),
    "sudden_voltage_drop": ("full", {}),
}


@settings(max_examples=12, deadline=None)
@given(
    rule=st.sampled_from([*CASES, "soft_short_ce"]),
    short_cycle=st.integers(3, 8),
    dt_s=st.sampled_from([5.0, 20.0, 60.0]),
    counters=st.sampled_from(["none", "per_step"]),
)
def test_rule_fires_on_the_first_shorted_cycle(
    rule: str, short_cycle: int, dt_s: float, counters: str
) -> None:
    cycles = 10
    ce = [0.9] + [0.995] * (cycles - 1)
    if rule == "soft_short_ce":
        cell_type, extra = "half", {}
        ce = [c if k + 1 < short_cycle else 1.08 for k, c in enumerate(ce)]
        short = "none"
    else:
        cell_type, extra = CASES[rule]
        short = rule
    table, _ = build(
        Protocol(
            cell_type=cell_type,  # type: ignore[arg-type]
            cycles=cycles,
            coulombic_efficiency=ce,
            dt_s=dt_s,
            counters=counters,  # type: ignore[arg-type]
            short=short,  # type: ignore[arg-type]
            short_cycle=short_cycle,
            rest_after_second_s=120.0,
            **extra,  # type: ignore[arg-type]
        )
    )
    result = analyze_cycling(table, cell_type=cell_type)  # type: ignore[arg-type]
    m = result.metrics
    assert m["short_circuit_cycle"] == short_cycle, result.short_circuits
    assert rule in m["short_circuit_rules"]
    assert m["cycle_life"] == short_cycle - 1
    assert not any(e.cycle < short_cycle for e in result.short_circuits)
    event = next(e for e in result.short_circuits if e.rule == rule)
    assert event.cycle == short_cycle and event.evidence
    # The average CE stops before the short.
    assert m["average_coulombic_efficiency_window"] == [2, short_cycle - 1]


def test_cutoff_rule_with_a_given_cutoff_fires_from_cycle_2() -> None:
    table, _ = build(Protocol(cycles=6, short="cutoff_not_reached", short_cycle=2))
    inferred = analyze_cycling(table, cell_type="half")
    assert (
        inferred.metrics["short_circuit_cycle"] is None
        or inferred.metrics["short_circuit_cycle"] >= 2
    )
    given_cutoff = analyze_cycling(
        table, cell_type="half", params=CyclingParameters(upper_cutoff_V=1.0)
    )
    assert given_cutoff.metrics["short_circuit_cycle"] == 2
    assert given_cutoff.metrics["failure_mode"] == "cutoff_not_reached"
    # a short at cycle 2 leaves no cycle to average from cycle 2 on: no average and no window
    # (not an empty range such as [2, 1]); the cumulative CE is cycle 1's
    m = given_cutoff.metrics
    assert m["average_coulombic_efficiency"] is None
    assert m["average_coulombic_efficiency_window"] is None
    assert m["cumulative_coulombic_efficiency_window"] == [1, 1]
    assert m["cumulative_coulombic_efficiency"] == m["initial_coulombic_efficiency"]


def test_rules_can_be_switched_off_and_thresholds_moved() -> None:
    table, _ = build(Protocol(cycles=6, short="cutoff_not_reached", short_cycle=4))
    off = analyze_cycling(
        table,
        cell_type="half",
        params=CyclingParameters(short_circuit_rules=("voltage_noise",)),
    )
    assert off.metrics["short_circuit_cycle"] is None
    assert off.metrics["cycle_life_censored"] is True
    ce_table, _ = build(Protocol(cycles=4, coulombic_efficiency=[0.9, 0.99, 1.015, 1.015]))
    strict = analyze_cycling(ce_table, cell_type="half")
    assert strict.metrics["short_circuit_cycle"] == 3
    lenient = analyze_cycling(
        ce_table, cell_type="half", params=CyclingParameters(ce_short_tolerance=0.02)
    )
    assert lenient.metrics["short_circuit_cycle"] is None


def test_healthy_noisy_cell_is_not_called_shorted() -> None:
    table, _ = build(Protocol(cycles=12, base_noise_V=0.0002, seed=3))
    result = analyze_cycling(table, cell_type="half")
    assert result.short_circuits == ()
    full, _ = build(Protocol(cell_type="full", cycles=12, cv_fraction=0.1, base_noise_V=0.002))
    assert analyze_cycling(full, cell_type="full").short_circuits == ()


def test_evidence_names_the_values() -> None:
    table, _ = build(
        Protocol(cell_type="full", cycles=5, short="sudden_voltage_drop", short_cycle=3)
    )
    result = analyze_cycling(table, cell_type="full")
    event = result.short_circuits[0]
    assert event.rule == "sudden_voltage_drop" and event.half_cycle == "charge"
    assert np.isclose(event.values["drop_V"], 0.3, atol=0.05)
    assert result.metrics["failure_mode"] == "sudden_voltage_drop"
