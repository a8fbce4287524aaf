"""Known answers (issue 14, point 6): pyDRTtools' ZARC spectra, a generated in-situ series
whose RSEI grows 5 -> 30 ohm, a one-arc series that must not gain an SEI, and the DRT's
series regularisation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import pipelines
from analysis.eis import compute_drt
from analysis.simulate.eis import Circuit, measure

Loader = Callable[[Path], tuple[np.ndarray, np.ndarray]]
PYDRT = "ciuccislab+pyDRTtools/tutorial/data"
#: pyDRTtools' generator: R_inf 10 ohm, a fast ZARC of 50 ohm (tau 1e-4 s) and a slow one
#: (tau 0.1 s) of 10, 20, 30, 50 ohm in 2ZARC0..3 (MANIFEST.tsv)
SLOW_ARC = {0: 10.0, 1: 20.0, 2: 30.0, 3: 50.0}


def _series(eis_dir: Path, spectrum_of: Loader) -> pd.DataFrame:
    frames = []
    for k in SLOW_ARC:
        f, z = spectrum_of(eis_dir / f"{PYDRT}/2ZARC{k}.csv")
        frames.append(
            pd.DataFrame(
                {"spectrum": k, "frequency_hz": f, "z_real_ohm": z.real, "z_imag_ohm": z.imag}
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_pydrttools_two_zarc_series(spectrum_of: Loader, eis_dir: Path) -> None:
    run = pipelines.run("eis", _series(eis_dir, spectrum_of), {})
    rows = run.tables["resistances"]
    np.testing.assert_allclose(rows["Rb_ohm"], 10.0, rtol=0.02)
    for detail, slow in zip(run.summary["details"], SLOW_ARC.values(), strict=True):
        arcs = sorted(
            (detail["physical"][f"{n}_tau_s"], detail["physical"][f"{n}_ohm"])
            for n in ("RSEI", "RCT")
        )
        assert arcs[0][1] == pytest.approx(50.0, rel=0.03)
        assert arcs[1][1] == pytest.approx(slow, rel=0.03)
        assert detail["fit"]["success"]
        assert detail["kk"]["valid"]
        # no area and both capacitances in one class: named by time constant, said ambiguous
        assert detail["physical"]["assignment"]["status"] == "ambiguous"
        assert detail["drt"]["inductance_h"] is None
        assert detail["drt"]["regularization_choice"] == "series"
    lambdas = {d["drt"]["regularization"] for d in run.summary["details"]}
    assert lambdas == {run.summary["drt_regularization"]}


def test_drt_of_the_inductive_one_zarc_spectrum(spectrum_of: Loader, eis_dir: Path) -> None:
    f, z = spectrum_of(eis_dir / f"{PYDRT}/1ZARC.csv")
    drt = compute_drt(f, z)
    assert drt.r_inf_ohm == pytest.approx(10.0, rel=0.02)
    assert drt.inductance_h is not None and drt.inductance_h > 0
    (peak,) = drt.peaks
    assert peak.tau_s == pytest.approx(0.1, rel=0.3)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tutorial/data/1ZARC.csv", 10.00),
        ("tutorial/data/2ZARC0.csv", 9.78),
        ("tutorial/data/2ZARC1.csv", 10.10),
        ("tutorial/data/2ZARC2.csv", 10.06),
        ("tutorial/data/2ZARC3.csv", 10.17),
        ("EIS data/text files/zarc_data.txt", 10.02),
    ],
)
def test_drt_r_inf_of_every_pydrttools_zarc_file(
    spectrum_of: Loader, eis_dir: Path, name: str, expected: float
) -> None:
    """R_inf is the high-frequency limit of the measured band (the gamma faster than the
    fastest point folded in): within 3 % of the generator's 10 ohm on every file (one noise
    draw; without the fold 2ZARC2/3 gave 9.50/9.37)."""
    f, z = spectrum_of(eis_dir / f"ciuccislab+pyDRTtools/{name}")
    drt = compute_drt(f, z)
    assert drt.r_inf_ohm == pytest.approx(10.0, rel=0.03)
    assert drt.r_inf_ohm == pytest.approx(expected, abs=0.01)
    assert np.all(drt.gamma_ohm[drt.tau_s < 1 / (2 * np.pi * f.max())] == 0)


@pytest.mark.parametrize("slow_arc", [10.0, 50.0])
def test_drt_r_inf_is_unbiased_over_noise_draws(slow_arc: float) -> None:
    """pyDRTtools' generator (R_inf 10 ohm, ZARCs 50 ohm at 1e-4 s and ``slow_arc`` at 0.1 s,
    phi 0.8, 0.5 ohm noise, 1e6..1e-2 Hz, 81 points): mean R_inf within 1 % of 10 ohm over 16
    draws, spread below 0.3 ohm (a single draw is within 2 % about 7 times in 10)."""
    f = np.logspace(6, -2, 81)
    w = 2 * np.pi * f
    z_true = 10 + 50 / (1 + (1j * w * 1e-4) ** 0.8) + slow_arc / (1 + (1j * w * 0.1) ** 0.8)
    rng = np.random.default_rng(7)
    r_inf = [
        compute_drt(
            f, z_true + 0.5 * (rng.standard_normal(81) + 1j * rng.standard_normal(81))
        ).r_inf_ohm
        for _ in range(16)
    ]
    assert np.mean(r_inf) == pytest.approx(10.0, rel=0.01)
    assert np.std(r_inf) < 0.3


def _insitu(r_sei: np.ndarray, r_ct: np.ndarray, seed: int) -> pd.DataFrame:
    """Spectra of the demo's simulator (0.3 % noise, 1 MHz-0.1 Hz, Warburg tail), one every
    10 minutes, with the given SEI and charge-transfer resistances (ohm)."""
    rng = np.random.default_rng(seed)
    frames = []
    for k, (rs, rc) in enumerate(zip(r_sei, r_ct, strict=True)):
        s = measure(Circuit(rb=30.0, rct=rc, r_sei=rs), rng, start_s=600.0 * k, potential_V=0.0)
        z = s.impedance_ohm
        frames.append(
            pd.DataFrame(
                {
                    "spectrum": k,
                    "frequency_hz": s.frequency_hz,
                    "z_real_ohm": z.real,
                    "z_imag_ohm": z.imag,
                    "sequence": k + 1,
                    "time_second": s.time_s,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_growing_sei_of_an_insitu_series_is_recovered() -> None:
    r_sei = np.linspace(5.0, 30.0, 6)
    r_ct = np.linspace(30.0, 75.0, 6)
    run = pipelines.run("eis", _insitu(r_sei, r_ct, seed=11), {"area_cm2": 0.785})
    rows = run.tables["resistances"]
    np.testing.assert_allclose(rows["RSEI_ohm"].astype(float), r_sei, rtol=0.05)
    np.testing.assert_allclose(rows["RCT_ohm"].astype(float), r_ct, rtol=0.05)
    assert rows["assignment"].tolist() == ["confident"] * 6
    first = run.summary["details"][0]["physical"]
    assert first["RSEI_capacitance_class"] == "interphase"
    assert first["RCT_capacitance_class"] == "double layer"
    assert first["RSEI_frequency_hz"] > 100 * first["RCT_frequency_hz"]


def test_a_one_arc_cell_never_gains_an_sei() -> None:
    run = pipelines.run(
        "eis", _insitu(np.zeros(4), np.linspace(20.0, 27.0, 4), seed=5), {"area_cm2": 0.785}
    )
    rows = run.tables["resistances"]
    assert rows["RSEI_ohm"].isna().all()
    np.testing.assert_allclose(rows["RCT_ohm"], np.linspace(20.0, 27.0, 4), rtol=0.05)
    assert set(rows["circuit"]) == {"R0-p(R1,CPE1)-W1"}
