"""Fits that are not results are reported as such; inductive tails are modelled or excluded;
the automatic model does not depend on the inductive tail (issue 14, point 2)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import pipelines
from analysis.eis import choose_model, fit_circuit
from analysis.eis.fitting.checks import fit_problems
from analysis.eis.inductive import inductive_tail

Loader = Callable[[Path], tuple[np.ndarray, np.ndarray]]
EXAMPLE = "ECSHackWeek+impedance.py/data/exampleData.csv"
TWO_ARCS = "R0-p(R1,CPE1)-p(R2,CPE2)"


def _table(f: np.ndarray, z: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {"spectrum": 0, "frequency_hz": f, "z_real_ohm": z.real, "z_imag_ohm": z.imag}
    )


def test_degenerate_fit_of_example_data_is_reported_as_failed(
    spectrum_of: Loader, eis_dir: Path
) -> None:
    """impedance.py's exampleData.csv with its 9 inductive points and two CPE arcs without
    an inductance: the second arc runs off to an unbounded resistance (41.6 Mohm or more)."""
    f, z = spectrum_of(eis_dir / EXAMPLE)
    fit = fit_circuit(f, z, TWO_ARCS)
    assert fit.parameters["R2"] > 10 * np.abs(z).max()
    assert not fit.success and not fit.reliable
    assert any("largest |Z|" in p for p in fit.problems)
    run = pipelines.run("eis", _table(f, z), {"circuit": TWO_ARCS})
    spectrum = run.summary["details"][0]
    assert spectrum["fit"]["success"] is False
    assert spectrum["physical"]["reliable"] is False and spectrum["physical"]["problems"]
    assert run.summary["unreliable_fits"] == [0]
    assert any("not a result" in w for w in run.warnings)
    assert any("9 inductive" in w for w in run.warnings)


def test_fit_problem_rules_name_the_parameter() -> None:
    names, units = ["R0", "R1", "CPE1_0", "CPE1_1"], ["ohm", "ohm", "ohm^-1 s^a", ""]
    lower, upper = np.zeros(4), np.array([np.inf, np.inf, np.inf, 1.0])
    values = np.array([1, 5, 1e-5, 0.9])
    errors = 0.01 * values
    assert fit_problems(names, units, values, errors, lower, upper, 8) == []
    singular = errors.copy()
    singular[1] = np.inf
    found = fit_problems(names, units, values, singular, lower, upper, 8)
    assert any("singular Jacobian" in p and "R1" in p for p in found)
    bounded = values.copy()
    bounded[3] = 1.0
    found = fit_problems(names, units, bounded, errors, lower, upper, 8)
    assert found == ["CPE1_1 = 1 is at its bound 1"]
    far = values.copy()
    far[1] = 4.16e7
    found = fit_problems(names, units, far, 0.01 * far, lower, upper, 8)
    assert len(found) == 1 and "R1 = 4.16e+07 ohm is 5.2e+06 x the largest |Z|" in found[0]
    vague = errors.copy()
    vague[2] = 20 * values[2]
    found = fit_problems(names, units, values, vague, lower, upper, 8)
    assert len(found) == 1 and "not determined by the data" in found[0]


def test_inductive_tail_is_modelled_and_the_model_choice_does_not_depend_on_it(
    spectrum_of: Loader, eis_dir: Path
) -> None:
    f, z = spectrum_of(eis_dir / EXAMPLE)
    assert inductive_tail(f, z) == 9
    with_tail = choose_model(f, z)
    capacitive = z.imag < 0
    without = choose_model(f[capacitive], z[capacitive])
    assert with_tail.fit.circuit.endswith("-L0") and with_tail.fit.success
    assert with_tail.inductive_points == 9
    assert with_tail.fit.circuit.removesuffix("-L0") == without.fit.circuit
    assert with_tail.fit.parameters["L0"] > 0
    rb_with, rb_without = with_tail.physical.rb_ohm, without.physical.rb_ohm
    assert rb_with == pytest.approx(rb_without, rel=0.1)
    excluded = pipelines.run("eis", _table(f, z), {"inductive": "exclude"})
    detail = excluded.summary["details"][0]
    assert detail["fit"]["circuit"] == without.fit.circuit
    assert detail["fit"]["n_points"] == 57
    assert any("9 inductive" in w and "excluded" in w for w in excluded.warnings)


def test_noise_crossing_the_axis_is_not_an_inductive_tail(
    spectrum_of: Loader, eis_dir: Path
) -> None:
    """pyDRTtools' 2ZARC spectra: absolute noise of 0.5 ohm lets a high-frequency point or two
    cross Im Z = 0; no inductance is added to the candidates or to the DRT."""
    f, z = spectrum_of(eis_dir / "ciuccislab+pyDRTtools/tutorial/data/2ZARC0.csv")
    assert (z.imag > 0).sum() >= 1
    assert inductive_tail(f, z) == 0
    f1, z1 = spectrum_of(eis_dir / "ciuccislab+pyDRTtools/tutorial/data/1ZARC.csv")
    assert inductive_tail(f1, z1) > 0  # 1ZARC was generated with a series inductance
