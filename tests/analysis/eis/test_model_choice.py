"""The automatic model choice: a second arc only on strong evidence (BIC lower by more than
10), the DRT as a cross-check that can make a choice ambiguous but never adds an arc, and the
same choice with and without an inductive tail.
Small generated spectra (43 points) keep these fast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.eis import choose_model
from analysis.eis.physical import ONE_ARC, TWO_ARCS
from analysis.simulate.eis import INSITU, Circuit, frequencies, measure

EXAMPLE = "ECSHackWeek+impedance.py/data/exampleData.csv"


def _spectrum(r_sei: float, inductance_h: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rb 20 ohm, RCT 40 ohm (Q 3e-5, n 0.85), an SEI arc of ``r_sei`` (Q 2e-7, n 0.92,
    ~160 kHz) or none, no diffusion, a series inductance, 0.3 % noise; 1 MHz - 0.1 Hz, 6 points
    per decade."""
    f = frequencies(per_decade=6)
    z = Circuit(rb=20.0, rct=40.0, r_sei=r_sei, sigma=0.0).impedance(f)
    z = z + 1j * 2 * np.pi * f * inductance_h
    rng = np.random.default_rng(seed)
    z = z + 0.003 * np.abs(z) * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size))
    return f, z


@pytest.mark.parametrize("inductance_h", [0.0, 2e-6])
@pytest.mark.parametrize("r_sei", [0.0, 15.0])
def test_one_and_two_arcs_are_told_apart_with_and_without_an_inductive_tail(
    r_sei: float, inductance_h: float
) -> None:
    f, z = _spectrum(r_sei, inductance_h, seed=3)
    choice = choose_model(f, z, area_cm2=0.785, diffusion=False)
    base = TWO_ARCS if r_sei else ONE_ARC
    assert choice.fit.circuit == base + ("-L0" if inductance_h else "")
    assert choice.status == "clear" and choice.fit.success
    assert choice.physical.rct_ohm == pytest.approx(40.0, rel=0.03)
    if r_sei:
        assert choice.physical.rsei_ohm == pytest.approx(r_sei, rel=0.05)
        assert choice.bic_gain_two_arcs is not None and choice.bic_gain_two_arcs > 100
        assert choice.physical.assignment is not None
        assert choice.physical.assignment.status == "confident"
    else:
        assert choice.physical.rsei_ohm is None


def test_a_one_arc_cell_with_diffusion_gains_no_phantom_sei() -> None:
    """The demo Elastane cell (one arc + Warburg): for this noise draw the two-arc + W fit is
    reliable and lowers BIC by a fraction of a unit while the diffusion tail gives the DRT three
    peaks, which the former rule (gain > 0 and two DRT peaks) took as an SEI arc."""
    rct = INSITU["Elastane"][1][9]
    sp = measure(Circuit(rb=27.0, rct=rct), np.random.default_rng(31), start_s=0, potential_V=0)
    choice = choose_model(sp.frequency_hz, sp.impedance_ohm, area_cm2=0.785)
    gain = choice.bic_gain_two_arcs
    assert gain is not None and 0 < gain <= 10 and choice.drt_peaks >= 2  # the trap
    assert choice.fit.circuit == ONE_ARC + "-W1"
    assert choice.physical.rsei_ohm is None
    assert choice.physical.rct_ohm == pytest.approx(rct, rel=0.05)


def test_an_arc_beyond_the_measured_range_is_kept_but_called_ambiguous() -> None:
    """An SEI arc of 1.5 ohm whose apex (~2 MHz) lies beyond 1 MHz: the data need a second arc
    (BIC lower by > 100) but the DRT has no peak there: two arcs, ambiguous, and the RSEI/RCT
    assignment says why."""
    sp = measure(
        Circuit(rb=20.0, rct=40.0, r_sei=1.5, sigma=0.0),
        np.random.default_rng(0),
        start_s=0,
        potential_V=0,
    )
    choice = choose_model(sp.frequency_hz, sp.impedance_ohm, area_cm2=0.785, diffusion=False)
    assert choice.fit.circuit == TWO_ARCS
    assert choice.status == "ambiguous"
    assert "no distinct DRT peak" in choice.reason
    assignment = choice.physical.assignment
    assert assignment is not None and assignment.status == "ambiguous"
    assert any(e.startswith("model choice:") for e in assignment.evidence)
    assert choice.to_dict()["status"] == "ambiguous"


def test_example_data_gets_the_same_choice_with_and_without_its_inductive_tail(
    spectrum_of, eis_dir: Path
) -> None:
    f, z = spectrum_of(eis_dir / EXAMPLE)
    with_tail = choose_model(f, z)
    keep = z.imag < 0
    without = choose_model(f[keep], z[keep])
    assert with_tail.fit.circuit == without.fit.circuit + "-L0"
    assert with_tail.status == without.status
    # two arcs by far (BIC) but the DRT of this diffusion-dominated spectrum has no peak at
    # either arc: reported, not hidden
    assert with_tail.bic_gain_two_arcs is not None and with_tail.bic_gain_two_arcs > 10
    assert without.bic_gain_two_arcs is not None and without.bic_gain_two_arcs > 10
    assert with_tail.status == "ambiguous"
