"""Interchangeable arcs come out of a fit in one order, fastest first, whichever mirror-image
minimum the minimiser reached; and a series never starts a fit from an unreliable one (the
root of the arcs swapping between runs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import pipelines
from analysis.eis import fit_circuit, parse_circuit, physical_result
from analysis.eis.fitting.canonical import canonical_permutation
from analysis.readers import read

TWO_ARCS = "R0-p(R1,CPE1)-p(R2,CPE2)"
#: Rb 10 ohm; a fast arc 20 ohm, Q 1e-5, alpha 0.9 (tau 2.2e-5 s); a slow one 50 ohm, 1e-2, 0.8
FAST_FIRST = [10.0, 20.0, 1e-5, 0.9, 50.0, 1e-2, 0.8]
SLOW_FIRST = [10.0, 50.0, 1e-2, 0.8, 20.0, 1e-5, 0.9]


def _spectrum() -> tuple[np.ndarray, np.ndarray]:
    f = np.geomspace(1e5, 1e-2, 50)
    z = parse_circuit(TWO_ARCS).impedance(f, FAST_FIRST)
    noise = 1e-3 * np.abs(z) * np.sin(np.arange(f.size) * 1.7)  # deterministic 0.1 % ripple
    return f, z + noise * (1 + 1j)


def test_a_fit_that_finds_the_arcs_swapped_reports_them_fastest_first() -> None:
    f, z = _spectrum()
    swapped = fit_circuit(f, z, TWO_ARCS, SLOW_FIRST, weighting="modulus")
    straight = fit_circuit(f, z, TWO_ARCS, FAST_FIRST, weighting="modulus")
    p = swapped.parameters
    assert p["R1"] == pytest.approx(20.0, rel=0.01) and p["R2"] == pytest.approx(50.0, rel=0.01)
    assert p["CPE1_1"] == pytest.approx(0.9, abs=0.01)
    for name in straight.parameters:
        assert swapped.parameters[name] == pytest.approx(straight.parameters[name], rel=1e-6)
        assert swapped.standard_errors[name] == pytest.approx(
            straight.standard_errors[name], rel=1e-4
        )
    # the standard errors moved with their parameters: the fast arc's Q is ~1e-5, its error
    # a small fraction of it (the slow arc's Q error would be ~1e-5 itself)
    assert swapped.standard_errors["CPE1_0"] < 1e-2 * p["CPE1_0"]
    assert swapped.chi_square == pytest.approx(straight.chi_square, rel=1e-9)
    np.testing.assert_allclose(swapped.residuals, straight.residuals, rtol=1e-6, atol=1e-9)
    # and everything derived: R1 is the faster arc, the RSEI of the physical result
    physical = physical_result(swapped, area_cm2=1.0)
    arcs = physical.assignment.to_dict()["arcs"] if physical.assignment else []
    by_resistor = {a["circuit_resistor"]: a for a in arcs}
    assert by_resistor["R1"]["frequency_hz"] > by_resistor["R2"]["frequency_hz"]
    assert physical.rsei_ohm == pytest.approx(20.0, rel=0.01)
    assert physical.rct_ohm == pytest.approx(50.0, rel=0.01)


def test_a_bound_that_tells_the_arcs_apart_keeps_the_circuit_order() -> None:
    f, z = _spectrum()
    fit = fit_circuit(f, z, TWO_ARCS, SLOW_FIRST, weighting="modulus", bounds={"R1": (1.0, 1000.0)})
    assert fit.parameters["R1"] == pytest.approx(50.0, rel=0.01)
    assert fit.parameters["R2"] == pytest.approx(20.0, rel=0.01)


def test_canonical_permutation_orders_arcs_by_time_constant_and_other_branches_by_value() -> None:
    circ = parse_circuit("R0-p(R1,C1)-p(R2,C2)-p(R3,R4)")
    # tau: arc 1 = 10 x 1e-3 = 1e-2 s, arc 2 = 5 x 1e-6 = 5e-6 s; p(R3,R4) = (7, 3)
    p = np.array([1.0, 10.0, 1e-3, 5.0, 1e-6, 7.0, 3.0])
    everything = np.ones(p.size, dtype=bool)
    perm = canonical_permutation(circ, p, everything, np.zeros(p.size), np.full(p.size, np.inf))
    assert p[perm].tolist() == [1.0, 5.0, 1e-6, 10.0, 1e-3, 3.0, 7.0]
    # a fixed value on one arc only: the arcs are told apart and keep their order
    fixed_r1 = everything.copy()
    fixed_r1[1] = False
    perm = canonical_permutation(circ, p, fixed_r1, np.zeros(p.size), np.full(p.size, np.inf))
    assert p[perm].tolist() == [1.0, 10.0, 1e-3, 5.0, 1e-6, 3.0, 7.0]


def test_a_series_never_starts_from_an_unreliable_fit(conformance_data: Path) -> None:
    """1ZARC (one arc) fitted with two arcs is degenerate (an exponent at its bound, an arc
    undetermined); starting the next spectrum from it made the two arcs of 2ZARC0 swap with
    rounding (memory alignment, BLAS threads) between runs. The next spectrum starts from the
    data instead: its fit is the one fit_circuit gives without a guess."""
    folder = conformance_data / "eis/ciuccislab+pyDRTtools/tutorial/data"
    tables = [read(folder / name).table for name in ("1ZARC.csv", "2ZARC0.csv")]
    series = pd.concat([t.assign(spectrum=k) for k, t in enumerate(tables)], ignore_index=True)
    params = {"circuit": TWO_ARCS, "kk": False, "drt": False}
    result = pipelines.run("eis", series, params)
    first, second = (s.fit for s in result.detail)
    assert not first.success
    f = tables[1]["frequency_hz"].to_numpy()
    z = tables[1]["z_real_ohm"].to_numpy() + 1j * tables[1]["z_imag_ohm"].to_numpy()
    alone = fit_circuit(f, z, TWO_ARCS, weighting="noise")
    assert second.parameters == pytest.approx(alone.parameters, rel=1e-9)
    assert second.parameters["R1"] == pytest.approx(50.0, rel=0.03)  # fast arc first
    assert second.parameters["R2"] == pytest.approx(10.0, rel=0.03)
