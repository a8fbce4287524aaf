"""``python -m analysis cycling FILE --cell-type ... --json`` prints the documented keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.__main__ import main
from tests.analysis.cycling.cycling_synthetic import Protocol, build


def test_cycling_json_has_cycles_and_metrics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table, _ = build(
        Protocol(cycles=3, coulombic_efficiency=[0.9, 0.95, 0.97], counters="per_step")
    )
    path = tmp_path / "run.parquet"
    table.to_parquet(path)
    code = main(["cycling", str(path), "--cell-type", "half", "--area-cm2", "1.0", "--json"])
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)
    cycle = data["tables"]["cycles"][0]
    for key in (
        "cycle",
        "charge_capacity_mAh",
        "discharge_capacity_mAh",
        "coulombic_efficiency",
        "plating_capacity_mAh",
        "stripping_capacity_mAh",
    ):
        assert key in cycle
    assert cycle["plating_capacity_mAh"] == pytest.approx(1.0)
    assert cycle["coulombic_efficiency"] == pytest.approx(0.9)
    for key in (
        "initial_coulombic_efficiency",
        "average_coulombic_efficiency",
        "cumulative_coulombic_efficiency",
        "capacity_retention",
        "short_circuit_cycle",
        "failure_mode",
        "total_time_h",
    ):
        assert key in data["summary"]["metrics"]
    assert data["summary"]["metrics"]["cumulative_coulombic_efficiency"] == pytest.approx(
        0.9 * 0.95 * 0.97
    )


def test_cycling_reports_an_unreadable_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    assert main(["cycling", str(path), "--cell-type", "full"]) == 2
    assert "empty.csv" in capsys.readouterr().err


def test_every_cycling_option_reaches_the_api_parameter_of_the_same_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # issue 13, point 7: the command line exposes the parameters under the API's names, and
    # the output states the ones it used.
    table, _ = build(Protocol(cycles=6, coulombic_efficiency=[0.9, 0.95, 0.97, 0.98, 0.98, 0.99]))
    path = tmp_path / "run.parquet"
    table.to_parquet(path)
    code = main(
        [
            "cycling",
            str(path),
            "--cell-type=half",
            "--json",
            "--cutoffs=none,1.0",
            "--ce-window=2,5",
            "--formation-cycles=1",
            "--reference-cycle=2",
            "--capacity-source=integration",
            "--current-sign=as_recorded",
            "--method=cycle",
            "--rules=soft_short_ce,ce_rise",
            "--param=ce_rise_min=0.004",
            "--param=noise_factor=8",
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    used = data["parameters"]
    expected = {
        "upper_cutoff_V": 1.0,
        "lower_cutoff_V": None,
        "average_ce_first_cycle": 2,
        "average_ce_last_cycle": 5,
        "formation_cycles": 1,
        "reference_cycle": 2,
        "capacity_source": "integration",
        "current_sign": "as_recorded",
        "ce_method": "cycle",
        "short_circuit_rules": ["soft_short_ce", "ce_rise"],
        "ce_rise_min": 0.004,
        "noise_factor": 8.0,
    }
    assert {name: used[name] for name in expected} == expected
    metrics = data["summary"]["metrics"]
    assert metrics["average_coulombic_efficiency_window"] == [2, 5]
    assert metrics["formation_cycles"] == 1
    assert metrics["reference_cycle"] == 2
    assert metrics["upper_cutoff_V"] == 1.0
    assert metrics["capacity_source"] == "integrated_current"
    assert metrics["ce_method"] == "cycle"


def test_the_cycling_help_names_every_parameter(capsys: pytest.CaptureFixture[str]) -> None:
    # issue 13, point 7: every parameter is reachable, under its API name: an option of its
    # own, or --param NAME=VALUE with the name listed in --help (short-circuit thresholds too)
    import dataclasses

    from analysis.cycling.parameters import CyclingParameters

    with pytest.raises(SystemExit):
        main(["cycling", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for field in dataclasses.fields(CyclingParameters):
        assert field.name in text.replace("-", "_"), field.name
    assert "ce_cusum_interval=6.0" in text and "rest_decay_V=0.02" in text
