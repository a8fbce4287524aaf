"""Oliver-Pharr on analytic load-unload curves with chosen hardness and reduced modulus."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from analysis import mechanics
from analysis.readers import read
from analysis.simulate.mechanics import ELASTANE, PVDF, simulate_indentation


def _curve(
    hardness_GPa: float,
    modulus_GPa: float,
    p_max: float,
    m: float,
    area: tuple[float, float] = (24.5, 0.0),
    noise_nm: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Loading P = C h^2, then P = alpha (h - h_f)^m built so that Oliver-Pharr gives exactly
    the chosen H and E_r with A = C0 h_c^2 + C1 h_c (beta = 1, epsilon = 0.75)."""
    a = p_max / (hardness_GPa * 1e-6)  # nm^2
    c0, c1 = area
    hc = (-c1 + math.sqrt(c1 * c1 + 4 * c0 * a)) / (2 * c0)
    s = modulus_GPa * 1e-6 * 2 * math.sqrt(a) / math.sqrt(math.pi)  # mN/nm
    h_max = hc + 0.75 * p_max / s
    h_f = h_max - m * p_max / s
    alpha = p_max / (h_max - h_f) ** m
    p_up = np.linspace(0, p_max, 300)
    h_up = h_max * np.sqrt(p_up / p_max)
    p_down = np.linspace(p_max, 0, 300)[1:]
    h_down = h_f + (p_down / alpha) ** (1 / m)
    h = np.concatenate([h_up, h_down])
    h += noise_nm * np.random.default_rng(7).standard_normal(len(h))
    return h, np.concatenate([p_up, p_down]), h_max, h_f


@pytest.mark.parametrize(
    ("hardness", "modulus", "p_max", "m"),
    [(1.0, 10.0, 1.0, 1.5), (0.3, 4.0, 5.0, 1.35), (2.5, 60.0, 10.0, 1.6)],
)
def test_hardness_and_modulus_are_recovered_within_two_percent(
    hardness: float, modulus: float, p_max: float, m: float
) -> None:
    h, p, h_max, h_f = _curve(hardness, modulus, p_max, m)
    r = mechanics.oliver_pharr(h, p)
    assert r.hardness_GPa == pytest.approx(hardness, rel=0.02)
    assert r.reduced_modulus_GPa == pytest.approx(modulus, rel=0.02)
    assert r.max_depth_nm == pytest.approx(h_max, rel=1e-9)
    assert r.max_load_mN == pytest.approx(p_max)
    assert r.fit_exponent == pytest.approx(m, rel=0.01)
    assert r.fit_final_depth_nm == pytest.approx(h_f, rel=0.01)
    assert r.elastic_recovery == pytest.approx((h_max - h_f) / h_max, rel=0.02)


def test_recovery_survives_half_a_nanometre_of_noise() -> None:
    h, p, _, _ = _curve(1.0, 10.0, 1.0, 1.5, noise_nm=0.5)
    r = mechanics.oliver_pharr(h, p)
    assert r.hardness_GPa == pytest.approx(1.0, rel=0.02)
    assert r.reduced_modulus_GPa == pytest.approx(10.0, rel=0.02)


def test_area_function_coefficients_are_configurable() -> None:
    h, p, _, _ = _curve(1.0, 10.0, 1.0, 1.5, area=(24.5, 500.0))
    ideal = mechanics.oliver_pharr(h, p)
    blunt = mechanics.oliver_pharr(h, p, area_coefficients=(24.5, 500.0))
    assert blunt.hardness_GPa == pytest.approx(1.0, rel=0.02)
    assert blunt.reduced_modulus_GPa == pytest.approx(10.0, rel=0.02)
    assert ideal.hardness_GPa > 1.1  # the ideal tip underestimates the area
    assert mechanics.contact_area_nm2(100.0, (24.5, 500.0)) == pytest.approx(245000 + 50000)


def test_a_record_without_unloading_is_refused() -> None:
    p = np.linspace(0, 1, 50)
    with pytest.raises(ValueError, match="unloading"):
        mechanics.oliver_pharr(1000 * np.sqrt(p), p)


def test_simulated_elastane_recovers_far_more_than_pvdf(tmp_path: Path) -> None:
    results = {}
    for name, params in (("elastane", ELASTANE), ("pvdf", PVDF)):
        t = read(simulate_indentation(tmp_path / f"{name}.csv", **params["indentation"])).table
        results[name] = mechanics.oliver_pharr(t["depth_nm"], t["load_mN"])
        assert results[name].hardness_GPa == pytest.approx(
            params["indentation"]["hardness_GPa"], rel=0.02
        )
        assert results[name].reduced_modulus_GPa == pytest.approx(
            params["indentation"]["reduced_modulus_GPa"], rel=0.02
        )
    assert results["elastane"].elastic_recovery > 0.5 > 0.2 > results["pvdf"].elastic_recovery
    assert results["elastane"].max_depth_nm > 1000.0


def test_unloading_to_ten_percent_takes_the_residual_depth_from_the_fit() -> None:
    h, p, _, h_f = _curve(1.0, 10.0, 1.0, 1.5)
    keep = np.ones(len(p), dtype=bool)
    keep[300:] = p[300:] >= 0.1
    r = mechanics.oliver_pharr(h[keep], p[keep])
    assert r.residual_depth_source == "fit"
    assert r.residual_depth_nm == pytest.approx(h_f, rel=0.01)
    assert r.hardness_GPa == pytest.approx(1.0, rel=0.02)
