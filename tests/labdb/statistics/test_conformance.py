"""Each run checked against its protocol when its result is stored."""

from __future__ import annotations

from typing import Any

from labdb import models as m
from tests.labdb.statistics.conftest import half_cell_csv, run_on


def test_a_run_that_followed_its_protocol_conforms(demo: Any, demo_user: Any, ingest: Any) -> None:
    run = run_on(demo, demo_user, "MgAgSn-E-HC1")
    result = ingest(run, half_cell_csv([0.98] * 5, temperature=[25.3] * 5), "ok.csv").result
    conf = result.conformance
    assert conf["deviations"] == []
    assert conf["checks"] == {
        "current_density": "ok",
        "areal_capacity": "ok",
        "temperature": "ok",
    }
    assert conf["protocol_parameters"]["current_density_mA_cm2"] == 1.0
    assert conf["tolerances"]["current_density"].startswith("+-5")
    assert result.deviation_count == 0


def test_deviations_are_listed_with_the_cycles_where_they_occur(
    demo: Any, demo_user: Any, ingest: Any
) -> None:
    run = run_on(demo, demo_user, "MgAgSn-E-HC1")
    density = [1.0, 1.0, 1.2, 1.2, 1.0, 1.0]
    plated = [1.0, 1.0, 1.0, 1.0, 0.5, 1.0]  # cycle 5 plated half the charge
    csv = half_cell_csv([0.98] * 6, density=density, plated_h=plated)
    result = ingest(run, csv, "dev.csv").result
    by_check = {d["check"]: d for d in result.conformance["deviations"]}
    assert set(by_check) == {"current_density", "areal_capacity"}
    current = by_check["current_density"]
    assert current["at"] == [3, 4] and current["at_kind"] == "cycle"
    assert abs(current["found_min"] - 1.2) < 1e-6
    assert "cycles 3-4" in current["message"] and "1.2" in current["message"]
    capacity = by_check["areal_capacity"]
    # cycles 3-4 plated 1.2 mAh/cm2 in their hour, cycle 5 0.5: all beyond +-5 % of 1
    assert capacity["at"] == [3, 4, 5]
    assert result.conformance["checks"]["temperature"] == "not recorded"
    assert result.deviation_count == 2
    stored = m.AnalysisResult.objects.get(pk=result.pk)
    assert stored.conformance == result.conformance  # kept with the result, not recomputed
