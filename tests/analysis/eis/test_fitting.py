"""Circuit fitting against impedance.py's and pyimpspec's asserted cases (MANIFEST.tsv)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from analysis.eis import CircuitError, fit_circuit, parse_circuit

Spectrum = tuple[np.ndarray, np.ndarray]
Loader = Callable[[Path], Spectrum]


def test_parameter_names_follow_impedance_py() -> None:
    circ = parse_circuit("R0-p(R1,CPE1)-p(R2-Wo1,CPE2)-W1")
    assert circ.parameter_names == (
        "R0", "R1", "CPE1_0", "CPE1_1", "R2", "Wo1_0", "Wo1_1", "CPE2_0", "CPE2_1", "W1",
    )  # fmt: skip


@pytest.mark.parametrize("bad", ["R0-p(R1)", "R0-Q1", "R0-p(R1,C1", "R0--R1", "R0-R0"])
def test_malformed_circuits_are_refused(bad: str) -> None:
    with pytest.raises(CircuitError):
        parse_circuit(bad)


@pytest.mark.parametrize(
    "circuit",
    ["R0-p(R1,CPE1)-p(R2-Wo1,CPE2)-W1-L0", "p(Ws1,C1)-La1-G1-K1", "R0-p(R1,p(R2,C2),L1)"],
)
def test_analytic_jacobian_matches_finite_differences(circuit: str) -> None:
    circ = parse_circuit(circuit)
    rng = np.random.default_rng(1)
    p = np.where([u == "" for u in circ.units], 0.8, 10 ** rng.uniform(-3, 1, circ.n_params))
    f = np.geomspace(1e-2, 1e5, 25)
    _, jac = circ.impedance_and_jacobian(f, p)
    for i in range(circ.n_params):
        h = 1e-4 * p[i]
        up, down = p.copy(), p.copy()
        up[i] += h
        down[i] -= h
        numeric = (circ.impedance(f, up) - circ.impedance(f, down)) / (2 * h)
        np.testing.assert_allclose(jac[i], numeric, rtol=1e-2, atol=1e-2 * np.abs(numeric).max())


def test_randles_case_of_impedance_py(example_below_x: Spectrum) -> None:
    f, z = example_below_x
    fit = fit_circuit(f, z, "R0-p(R1-Wo1,C1)", [0.01, 0.005, 0.01, 200, 0.1], weighting="none")
    expected = [1.86235717e-02, 1.16804085e-02, 6.27121224e-02, 2.21232935e02, 1.17171440e00]
    np.testing.assert_allclose(fit.values, expected, rtol=1e-3)
    assert fit.predict([10.0])[0] == pytest.approx(0.0251618 - 0.00601304j, rel=1e-5)


def test_two_arc_warburg_case_with_bounds(example_below_x: Spectrum) -> None:
    f, z = example_below_x
    fit = fit_circuit(
        f,
        z,
        "R0-p(R1,C1)-p(R2-Wo1,C2)",
        [0.01, 0.01, 100, 0.01, 0.05, 100, 1],
        weighting="none",
        bounds=([0] * 7, [10, 1, 1e3, 1, 1, 1e4, 100]),
    )
    expected = [1.65e-2, 8.68e-3, 3.32, 5.39e-3, 6.31e-2, 2.38e2, 2.20e-1]
    np.testing.assert_allclose(fit.values, expected, rtol=1e-2)


def test_two_arc_warburg_case_weighted_by_modulus(example_below_x: Spectrum) -> None:
    f, z = example_below_x
    guess = [0.01, 0.01, 100, 0.01, 0.05, 100, 1]
    fit = fit_circuit(f, z, "R0-p(R1,C1)-p(R2-Wo1,C2)", guess, weighting="modulus")
    expected = [1.64e-2, 9.06e-3, 3.06, 5.29e-3, 1.45e-1, 1.32e3, 2.02e-1]
    np.testing.assert_allclose(fit.values, expected, rtol=1e-2)


def test_without_guess_reaches_the_global_minimum_basinhopping_found(
    example_below_x: Spectrum,
) -> None:
    f, z = example_below_x
    circuit = "R0-p(R1,C1)-p(R2-Wo1,C2)"
    fit = fit_circuit(f, z, circuit, weighting="none")
    peer = np.array([1.65e-2, 5.34e-3, 0.22, 9.15e-3, 1.31e-1, 1.10e3, 2.78])
    peer_fit = fit_circuit(f, z, circuit, peer, weighting="none")
    assert fit.chi_square <= peer_fit.chi_square * (1 + 1e-6)
    np.testing.assert_allclose(fit.values[:4], peer[:4], rtol=0.1)


def _arcs_by_tau(values: np.ndarray, of: np.ndarray | None = None) -> np.ndarray:
    """[R0, (R, Q, alpha) of the faster arc, (R, Q, alpha) of the slower]: the two arcs of
    R0-p(R1,CPE1)-p(R2,CPE2) are interchangeable (which one a fit calls 1 depends on rounding
    when the guess treats them alike), so compare them in time-constant order. ``of``: another
    per-parameter array (e.g. the standard errors) put in the order of ``values``' arcs."""
    of = values if of is None else of
    order = sorted((0, 1), key=lambda k: _tau(values[1 + 3 * k : 4 + 3 * k]))
    return np.concatenate([of[:1], *(of[1 + 3 * k : 4 + 3 * k] for k in order)])


def _tau(arc: np.ndarray) -> float:
    r, q, alpha = arc
    return float((r * q) ** (1 / alpha))


UNWEIGHTED = [1.564203e-02, 2.664439e-01, 4.167824e02, 6.286762e-01]
UNWEIGHTED += [1.843143e-02, 5.598231e00, 5.391632e-01]
BY_MODULUS = [1.5167e-02, 1.98356e-02, 6.39300, 0.499741, 0.149044, 497.308, 0.682426]


@pytest.mark.parametrize(
    ("weighting", "expected", "rtol"),
    [("none", UNWEIGHTED, 1e-3), ("modulus", BY_MODULUS, 1e-4)],
)
def test_two_cpe_arcs_from_impedance_py_guess(
    example_below_x: Spectrum, weighting: str, expected: list[float], rtol: float
) -> None:
    f, z = example_below_x
    guess = [0.01, 0.005, 0.1, 0.9, 0.005, 0.1, 0.9]
    fit = fit_circuit(f, z, "R0-p(R1,CPE1)-p(R2,CPE2)", guess, weighting=weighting)
    np.testing.assert_allclose(
        _arcs_by_tau(fit.values), _arcs_by_tau(np.array(expected)), rtol=rtol
    )
    assert fit.standard_errors["R0"] > 0
    assert fit.to_dict()["parameters"]["R0"] == fit.parameters["R0"]


def test_unweighted_standard_errors_match_impedance_py_conf(example_below_x: Spectrum) -> None:
    f, z = example_below_x
    guess = [0.01, 0.005, 0.1, 0.9, 0.005, 0.1, 0.9]
    fit = fit_circuit(f, z, "R0-p(R1,CPE1)-p(R2,CPE2)", guess, weighting="none")
    # impedance.py's conf_ for its fit (UNWEIGHTED, in impedance.py's arc labels).
    conf = np.array([2.0e-4, 9.8e-2, 29.5, 2.2e-2, 4.9e-4, 0.33, 1.5e-2])
    errors = np.array(list(fit.standard_errors.values()))
    np.testing.assert_allclose(
        _arcs_by_tau(fit.values, errors), _arcs_by_tau(np.array(UNWEIGHTED), conf), rtol=0.1
    )


def test_pyimpspec_noise_free_spectrum_is_recovered_exactly(
    spectrum_of: Loader, eis_dir: Path
) -> None:
    f, z = spectrum_of(eis_dir / "vyrjana+pyimpspec/tests/data-comma.csv")
    fit = fit_circuit(f, z, "R0-p(R1,C1)-p(R2,W1)", weighting="proportional")
    # pyimpspec's W{Y=4e-4} is Z = 1/(Y sqrt(j w)); impedance.py's W is A_W (1-j)/sqrt(w),
    # so A_W = 1 / (Y sqrt(2)).
    expected = [100.0, 200.0, 0.8e-6, 500.0, 1 / (4e-4 * np.sqrt(2))]
    np.testing.assert_allclose(fit.values, expected, rtol=1e-6)


def test_fixed_parameters_stay_fixed(example_below_x: Spectrum) -> None:
    f, z = example_below_x
    fit = fit_circuit(f, z, "R0-p(R1,CPE1)-p(R2,CPE2)", fixed={"R0": 0.015}, weighting="modulus")
    assert fit.parameters["R0"] == 0.015
    assert fit.standard_errors["R0"] == 0.0
    assert fit.fixed == ("R0",)


@pytest.mark.parametrize("k, r_slow", [(0, 10.0), (1, 20.0), (2, 30.0), (3, 50.0)])
def test_two_zarc_spectra_fitted_without_initial_guess(
    spectrum_of: Loader, eis_dir: Path, k: int, r_slow: float
) -> None:
    f, z = spectrum_of(eis_dir / f"ciuccislab+pyDRTtools/tutorial/data/2ZARC{k}.csv")
    fit = fit_circuit(f, z, "R0-p(R1,CPE1)-p(R2,CPE2)", weighting="modulus")
    p = fit.parameters
    taus = [(p[f"R{i}"] * p[f"CPE{i}_0"]) ** (1 / p[f"CPE{i}_1"]) for i in (1, 2)]
    assert p["R0"] == pytest.approx(10.0, abs=0.5)
    assert taus[0] == pytest.approx(1e-4, rel=0.1)
    assert taus[1] == pytest.approx(0.1, rel=0.1)
    assert p["R1"] == pytest.approx(50.0, abs=1.5)
    assert p["R2"] == pytest.approx(r_slow, abs=1.5)
    assert p["CPE1_1"] == pytest.approx(0.8, abs=0.03)
