"""dQ/dV of records sparser than its voltage bins (between plateaus a cycler's records are
more than a 5 mV bin apart): each interval's charge is spread over the voltage it spans, so
the empty bins between records do not read as peaks. With the charge put at each interval's midpoint, the same record
gave a comb: 8 peaks per plating instead of the 3 plateaus."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import pipelines
from analysis.simulate.voltammetry import Phase, incremental_capacity_table

HALF = [Phase(0.45, 0.4, 1.0), Phase(0.25, 1.0, 0.8), Phase(0.10, 0.8, 0.6)]
BIN_V = 0.005


@pytest.mark.parametrize("points", [60])
def test_sparse_records_give_the_plateaus_and_no_comb(points: int) -> None:
    common = {"cell_type": "half", "cycles": 2}
    dense = pipelines.run(
        "dqdv",
        incremental_capacity_table(HALF, points_per_half_cycle=2000, **common),
        {"cell_type": "half"},
    )
    table = incremental_capacity_table(HALF, points_per_half_cycle=points, **common)
    first = table[(table["cycle_count"] == 1) & (table["current_ampere"] < 0)]
    steps = np.abs(np.diff(first["voltage_volt"].to_numpy()))
    assert np.percentile(steps, 90) > BIN_V  # between plateaus records are bins apart
    sparse = pipelines.run("dqdv", table, {"cell_type": "half"})
    for half_cycle in range(4):
        want = dense.tables["dqdv_peaks"].query("half_cycle == @half_cycle")["voltage_V"]
        got = sparse.tables["dqdv_peaks"].query("half_cycle == @half_cycle")["voltage_V"]
        inner = sorted(v for v in got if 0.05 < v < 0.55)  # away from the range's cut ends
        assert inner == pytest.approx(sorted(want), abs=1.5 * BIN_V), half_cycle
    # the area of every half-cycle is still its capacity (2.2 mAh)
    area = sparse.detail.curves.groupby("half_cycle")["dq_dv_mAh_per_V"].sum() * BIN_V
    assert area.to_numpy() == pytest.approx(np.full(4, 2.2), rel=0.01)
