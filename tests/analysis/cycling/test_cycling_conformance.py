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
    assert result.metrics["cycle_index_source"] == "current_sign"
    # Cycle 2 is incomplete (navani): it is reported but not complete.
    assert not bool(result.cycles.set_index("cycle").loc[2, "complete"])
