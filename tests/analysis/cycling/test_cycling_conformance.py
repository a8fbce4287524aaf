"""The cycling analysis on real instrument files, against what their origin projects assert."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.cycling import analyze_cycling
from analysis.readers import read

NAVANI_XLSX = (
    "cycling/be-smith+navani/Example_data/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx"
)


def test_navani_arbin_half_cell_cycle_1(conformance_data: Path) -> None:
    # Arbin keeps Cycle_Index 1 for the whole file: cycles come from the current sign.
    table = read(conformance_data / NAVANI_XLSX).table
    result = analyze_cycling(table, cell_type="half")
    first = result.cycles.set_index("cycle").loc[1]
    assert first["plating_capacity_mAh"] == pytest.approx(5.798033, rel=1e-4)
    assert first["stripping_capacity_mAh"] == pytest.approx(5.698108, rel=1e-4)
    assert first["coulombic_efficiency"] == pytest.approx(0.982766, rel=1e-4)
    assert result.metrics["initial_coulombic_efficiency"] == pytest.approx(0.982766, rel=1e-4)
    assert result.metrics["cycle_numbering"] == "current_sign"
    assert "one value for the whole test" in result.metrics["cycle_numbering_reason"]
    # Cycle 2 is incomplete (navani): it is reported but not complete.
    assert not bool(result.cycles.set_index("cycle").loc[2, "complete"])


P492_RAW = "cycling/ROVI-org+battery-data-toolkit/tests/files/batterydata/p492-13-raw.csv"


def test_p492_hppc_block_is_kept_out_and_cycles_carry_the_peer_summary_numbers(
    conformance_data: Path,
) -> None:
    # The NREL summary (p492-13-summary.csv) gives Cycle_Index 2 a CE of 0.993966700944523 and
    # cycle 9 a CE of 1.000729. The HPPC sequence (the vendor's cycles 4-6: a full charge, a
    # discharge in 10 % steps with nine 5-10 s charge pulses, the rest of the discharge) is a
    # diagnostic block, not a cycle: before, the pulses split it into nine of our cycles and
    # the summary's cycle 9 was our cycle 14.
    table = read(conformance_data / P492_RAW).table
    result = analyze_cycling(table, cell_type="full")
    metrics = result.metrics
    assert metrics["cycle_numbering"] == "vendor"
    assert metrics["cycle_numbering_basis"] == "most_charge"
    assert [b["pulses"] for b in metrics["diagnostic_blocks"]] == [9]
    assert metrics["diagnostic_blocks"][0]["vendor_cycles"] == [4, 5, 6]
    cycles = result.cycles.set_index("cycle")
    # the leading discharge is the vendor's cycle 1; the partial charge the vendor calls
    # cycle 3 is continued in its cycle 4; its cycle 7 is an EIS measurement
    assert list(cycles.index) == [1, 2, 4, 8, 9]
    assert list(cycles["cycle_in_order"]) == [0, 1, 2, 3, 4]
    assert cycles.loc[2, "coulombic_efficiency"] == pytest.approx(0.993966700944523, rel=1e-6)
    assert metrics["initial_coulombic_efficiency"] == pytest.approx(0.993966700944523, rel=1e-6)
    assert cycles.loc[9, "coulombic_efficiency"] == pytest.approx(1.000729, abs=1e-6)
    # the HPPC's full charge is paired with no pulse: no cycle of CE 0.09 or 9.6 any more
    ce = cycles["coulombic_efficiency"].dropna()
    assert ce.between(0.85, 1.1).all()
    # cycle 8: a partial charge to 3.7 V and its discharge, less than half the usual charge
    assert metrics["excluded_cycles"] == [8]
    assert metrics["average_coulombic_efficiency_window"] == [4, 9]
    blocked = result.half_cycles[result.half_cycles["diagnostic_block"]]
    assert list(blocked["kind"]) == ["charge", "discharge"]
    assert (blocked["cycle"] == -1).all()
