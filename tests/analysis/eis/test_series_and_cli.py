"""Rb/RSEI/RCT tracked over a synthetic drifting series; model choice; the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import pipelines
from analysis.__main__ import main
from analysis.eis import choose_model, parse_circuit

TWO_ARCS = "R0-p(R1,CPE1)-p(R2,CPE2)"


def _drifting_series(n: int = 12) -> tuple[pd.DataFrame, np.ndarray]:
    """In-situ series: Rb 10 -> 14 ohm, RSEI 5 -> 25 ohm (tau 1e-5 s), RCT 50 -> 120 ohm
    (tau 1e-2 s), CPE exponents 0.9 and 0.8, 0.3 % proportional noise."""
    rng = np.random.default_rng(7)
    f = np.geomspace(1e6, 0.1, 61)
    circ = parse_circuit(TWO_ARCS)
    rows = []
    truth = []
    for k in range(n):
        rb, rsei, rct = 10 + 4 * k / (n - 1), 5 + 20 * k / (n - 1), 50 + 70 * k / (n - 1)
        q1, q2 = (1e-5) ** 0.9 / rsei, (1e-2) ** 0.8 / rct
        z = circ.impedance(f, [rb, rsei, q1, 0.9, rct, q2, 0.8])
        z = z * (1 + 0.003 * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size)))
        rows.append(
            pd.DataFrame(
                {
                    "spectrum": k,
                    "frequency_hz": f,
                    "z_real_ohm": z.real,
                    "z_imag_ohm": z.imag,
                    "sequence": k + 1,
                    "time_second": 600.0 * k,
                }
            )
        )
        truth.append((rb, rsei, rct))
    return pd.concat(rows, ignore_index=True), np.array(truth)


def test_drifting_resistances_are_tracked_over_the_series() -> None:
    table, truth = _drifting_series()
    run = pipelines.run("eis", table, {"circuit": TWO_ARCS, "area_cm2": 0.785})
    result = run.tables["resistances"]
    assert result["sequence"].tolist() == list(range(1, 13))
    np.testing.assert_allclose(result["Rb_ohm"], truth[:, 0], rtol=0.02)
    np.testing.assert_allclose(result["RSEI_ohm"], truth[:, 1], rtol=0.08)
    np.testing.assert_allclose(result["RCT_ohm"], truth[:, 2], rtol=0.03)
    np.testing.assert_allclose(result["RCT_ohm_cm2"], result["RCT_ohm"] * 0.785)


def test_model_choice_finds_the_sei_arc_only_when_it_is_there() -> None:
    table, _ = _drifting_series(3)
    last = table[table["spectrum"] == 2]
    f = last["frequency_hz"].to_numpy()
    z = last["z_real_ohm"].to_numpy() + 1j * last["z_imag_ohm"].to_numpy()
    choice = choose_model(f, z, diffusion=False)
    assert choice.fit.circuit == TWO_ARCS
    assert "two arcs" in choice.reason
    assert choice.physical.rsei_ohm == pytest.approx(25, rel=0.1)
    one = parse_circuit("R0-p(R1,CPE1)").impedance(f, [10, 80, (1e-2) ** 0.8 / 80, 0.8])
    single = choose_model(f, one * (1 + 0.003 * np.cos(np.arange(f.size))), diffusion=False)
    assert single.fit.circuit == "R0-p(R1,CPE1)"
    assert single.physical.rct_ohm == pytest.approx(80, rel=0.02)
    assert "one arc" in single.reason


def test_cli_eis_kk_drt_json(eis_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = eis_dir / "ciuccislab+pyDRTtools/tutorial/data/2ZARC3.csv"
    args = ["eis", str(path), "--circuit", TWO_ARCS, "--area-cm2", "2", "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    spectrum = out["summary"]["details"][0]
    assert spectrum["spectrum"] == 0
    assert spectrum["fit"]["parameters"]["R0"] == pytest.approx(10, abs=0.5)
    assert spectrum["physical"]["RCT_ohm"] == pytest.approx(50, rel=0.05)
    assert spectrum["physical"]["RCT_ohm_cm2"] == pytest.approx(2 * spectrum["physical"]["RCT_ohm"])
    assert set(spectrum["fit"]["standard_errors"]) == set(spectrum["fit"]["parameters"])
    assert main(["kk", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["spectra"][0]["M"] >= 1
    assert main(["drt", str(path), "--json"]) == 0
    peaks = json.loads(capsys.readouterr().out)["spectra"][0]["peaks"]
    assert len(peaks) == 2


def test_cli_reports_a_bad_circuit(eis_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = eis_dir / "ECSHackWeek+impedance.py/data/exampleData.csv"
    assert main(["eis", str(path), "--circuit", "R0-Q1"]) == 2
    assert "unknown element 'Q1'" in capsys.readouterr().err
