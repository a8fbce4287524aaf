"""Known capacities and CE are recovered whatever the sampling, the rests and the counters."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.cycling import CyclingParameters, analyze_cycling
from tests.analysis.cycling.cycling_synthetic import Protocol, build

ces = st.lists(st.floats(0.5, 1.0), min_size=2, max_size=6)


@settings(max_examples=40, deadline=None)
@given(
    ce=ces,
    cell_type=st.sampled_from(["half", "full"]),
    dt_s=st.sampled_from([1.0, 7.0, 30.0, 120.0]),
    rest_after_first_s=st.sampled_from([0.0, 300.0, 7200.0]),
    rest_after_second_s=st.sampled_from([0.0, 60.0, 1800.0]),
    leading_rest_s=st.sampled_from([0.0, 600.0]),
    pause_inside_first_s=st.sampled_from([0.0, 90.0]),
    counters=st.sampled_from(["none", "per_step", "per_test_converted", "per_test"]),
    capacity_mAh=st.floats(0.05, 5.0),
    current_mA=st.floats(0.2, 4.0),
)
def test_known_capacities_and_ce_recovered(
    ce: list[float],
    cell_type: str,
    dt_s: float,
    rest_after_first_s: float,
    rest_after_second_s: float,
    leading_rest_s: float,
    pause_inside_first_s: float,
    counters: str,
    capacity_mAh: float,
    current_mA: float,
) -> None:
    protocol = Protocol(
        cell_type=cell_type,  # type: ignore[arg-type]
        cycles=len(ce),
        coulombic_efficiency=ce,
        first_capacity_mAh=capacity_mAh,
        current_mA=current_mA,
        dt_s=dt_s,
        rest_after_first_s=rest_after_first_s,
        rest_after_second_s=rest_after_second_s,
        leading_rest_s=leading_rest_s,
        pause_inside_first_s=pause_inside_first_s,
        cv_fraction=0.1 if cell_type == "full" else 0.0,
        counters=counters,  # type: ignore[arg-type]
    )
    table, truth = build(protocol)
    # The bookkeeping under test, not the short rules: random CE sequences (a CE of 0.5 on two
    # cycles at a constant charge is a full cell's soft-short signature) would end the
    # averaging windows at a "short".
    no_rules = CyclingParameters(short_circuit_rules=())
    result = analyze_cycling(table, cell_type=cell_type, area_cm2=0.5, params=no_rules)  # type: ignore[arg-type]
    cycles = result.cycles
    assert list(cycles["cycle"]) == list(range(1, len(ce) + 1))
    assert cycles["complete"].all()
    first = "discharge" if cell_type == "half" else "charge"
    second = "charge" if cell_type == "half" else "discharge"
    np.testing.assert_allclose(cycles[f"{first}_capacity_mAh"], truth.first_mAh, rtol=1e-9)
    np.testing.assert_allclose(cycles[f"{second}_capacity_mAh"], truth.second_mAh, rtol=1e-9)
    np.testing.assert_allclose(cycles["coulombic_efficiency"], truth.ce, rtol=1e-9)
    np.testing.assert_allclose(
        cycles[f"{first}_capacity_mAh_cm2"], np.array(truth.first_mAh) / 0.5, rtol=1e-9
    )
    expected_source = "integrated_current" if counters == "none" else "vendor_counters"
    assert result.metrics["capacity_source"] == expected_source
    np.testing.assert_allclose(result.metrics["initial_coulombic_efficiency"], ce[0], rtol=1e-9)
    np.testing.assert_allclose(
        result.metrics["cumulative_coulombic_efficiency"], np.prod(ce), rtol=1e-9
    )
    np.testing.assert_allclose(
        result.metrics["average_coulombic_efficiency"], np.mean(ce[1:]), rtol=1e-9
    )
    assert result.metrics["short_circuit_cycle"] is None


@settings(max_examples=15, deadline=None)
@given(dt_s=st.sampled_from([2.0, 10.0, 60.0]), ce=ces)
def test_counters_and_integration_agree(dt_s: float, ce: list[float]) -> None:
    table, _ = build(
        Protocol(cycles=len(ce), coulombic_efficiency=ce, dt_s=dt_s, counters="per_step")
    )
    from_counters = analyze_cycling(table, cell_type="half")
    integrated = analyze_cycling(
        table, cell_type="half", params=CyclingParameters(capacity_source="integration")
    )
    assert integrated.metrics["capacity_source"] == "integrated_current"
    np.testing.assert_allclose(
        from_counters.cycles["coulombic_efficiency"],
        integrated.cycles["coulombic_efficiency"],
        rtol=1e-9,
    )
    assert not any("counters differ" in w for w in from_counters.warnings)


@pytest.mark.parametrize("vendor", ["consistent", "constant"])
def test_vendor_cycle_index_kept_only_when_consistent(vendor: str) -> None:
    table, _ = build(Protocol(cycles=4, vendor_cycle=vendor))  # type: ignore[arg-type]
    result = analyze_cycling(table, cell_type="half")
    if vendor == "consistent":
        assert result.metrics["cycle_numbering"] == "vendor"
        assert result.metrics["cycle_numbering_basis"] == "consistent"
        assert list(result.cycles["vendor_cycle"]) == [1, 2, 3, 4]
    else:
        assert result.metrics["cycle_numbering"] == "current_sign"
        assert result.cycles["vendor_cycle"].isna().all()
        assert any("one value for the whole test" in w for w in result.warnings)
