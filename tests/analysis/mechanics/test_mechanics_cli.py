"""``python -m analysis peel|scratch|indentation|cv FILE --json``: keys and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.__main__ import main
from analysis.simulate.mechanics import write_demo_set


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_demo_set(tmp_path_factory.mktemp("demo"), seed=0)


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == argv[0]
    return out["summary"]


def test_peel_json(demo: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(capsys, ["peel", str(demo["peel_elastane"]), "--width-mm", "20", "--json"])
    assert out["peel_strength_gf_per_mm"] == pytest.approx(20.0, rel=0.03)
    assert out["peel_strength_N_per_m"] == pytest.approx(20.0 * 9.80665, rel=0.03)
    assert {
        "peel_strength_sd_gf_per_mm",
        "peel_strength_min_gf_per_mm",
        "peel_strength_max_gf_per_mm",
        "plateau_start_mm",
        "plateau_end_mm",
    } <= set(out)


def test_scratch_json(demo: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(
        capsys,
        [
            "scratch",
            str(demo["scratch_pvdf"]),
            "--json",
            "--section",
            "0-0.5",
            "--section",
            "1.5-2.0",
        ],
    )
    assert out["critical_load_mN"] == pytest.approx(17.0, abs=0.5)
    assert [(s["start_mm"], s["end_mm"]) for s in out["sections"]] == [(0.0, 0.5), (1.5, 2.0)]
    assert "mean_depth_um" in out["sections"][0]


def test_indentation_json(demo: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(capsys, ["indentation", str(demo["indentation_elastane"]), "--json"])
    assert {
        "max_depth_nm",
        "residual_depth_nm",
        "elastic_recovery",
        "hardness_GPa",
        "reduced_modulus_GPa",
    } <= set(out)
    assert out["hardness_GPa"] == pytest.approx(0.02, rel=0.02)


def test_cv_json(demo: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(capsys, ["cv", str(demo["cv_mgagsn"]), "--json"])
    out["peaks"] = [p for p in out["peaks"] if p["cycle"] == 1]
    assert out["peaks"] and {p["direction"] for p in out["peaks"]} == {"cathodic", "anodic"}
    assert {"potential_V", "current_mA", "direction", "charge_mC"} <= set(out["peaks"][0])
    assert main(["cv", str(demo["cv_mgagsn"]), "--cycle", "1"]) == 0
    text = capsys.readouterr().out
    assert "cycle 1)" in text and "cycle 2)" not in text


def test_wrong_kind_and_missing_unit_exit_2_with_a_message(
    demo: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["peel", str(demo["cv_mgagsn"]), "--width-mm", "20"]) == 2
    assert "expected peel data" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("Depth (nm),Load\n1,2\n3,4\n", encoding="utf-8")
    assert main(["indentation", str(bad), "--json"]) == 2
    assert "bad.csv, column 'Load': no unit" in capsys.readouterr().err


def test_indentation_text_reports_iso_quantities_and_drift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from analysis.simulate.mechanics import PVDF, simulate_indentation

    path = simulate_indentation(
        tmp_path / "ind.csv", **PVDF["indentation"], drift_nm_per_s=0.1, low_load_hold_s=40.0
    )
    assert main(["indentation", str(path)]) == 0
    text = capsys.readouterr().out
    assert "eta_IT" in text and "C_IT" in text and "(hold)" in text


def test_dqdv_json_and_cycle_filter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from analysis.simulate.voltammetry import Phase, incremental_capacity_table

    table = incremental_capacity_table([Phase(3.6, 1.0), Phase(3.9, 0.5)], cell_type="full")
    path = tmp_path / "cells.csv"
    table.rename(
        columns={
            "test_time_second": "Test Time / s",
            "voltage_volt": "Voltage / V",
            "current_ampere": "Current / A",
        }
    ).drop(columns="cycle_count").to_csv(path, index=False)
    out = _json(capsys, ["dqdv", str(path), "--cell-type", "full", "--json"])
    assert out["half_cycles"] == 6 and out["peaks"] == 12
    assert main(["dqdv", str(path), "--cell-type", "full", "--cycle", "2"]) == 0
    text = capsys.readouterr().out
    assert text.count("(cycle 2, ") == 4 and "(cycle 1, " not in text
