"""Peel strength over an automatic plateau and the scratch critical load: known answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis import mechanics
from analysis.readers import read
from analysis.simulate.mechanics import ELASTANE, PVDF, simulate_peel, simulate_scratch

GF = 9.80665e-3


def _peel_curve(level_gf_per_mm: float, width_mm: float, noise: float, seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 100.0, 2001)
    level = level_gf_per_mm * width_mm * GF
    f = np.zeros_like(x)
    ramp = (x > 2) & (x <= 5)
    f[ramp] = 1.5 * level * (x[ramp] - 2) / 3  # initial peak at 1.5 times the plateau
    body = (x > 5) & (x <= 92)
    f[body] = level * (1 + 0.5 * np.exp(-(x[body] - 5) / 1.5))
    f[body] += noise * level * rng.standard_normal(body.sum())
    tail = (x > 92) & (x <= 94)
    f[tail] = level * (94 - x[tail]) / 2  # detachment, then the empty grips
    return x, f


def test_peel_strength_is_the_known_plateau_despite_noise_and_initial_peak() -> None:
    x, f = _peel_curve(15.0, 25.0, noise=0.05, seed=3)
    r = mechanics.peel_strength(x, f, width_mm=25.0)
    assert r.peel_strength_gf_per_mm == pytest.approx(15.0, rel=0.01)
    assert r.peel_strength_N_per_m == pytest.approx(15.0 * 9.80665, rel=0.01)
    assert r.peel_strength_sd_gf_per_mm == pytest.approx(0.05 * 15.0, rel=0.15)
    assert r.peel_strength_min_gf_per_mm < 15.0 < r.peel_strength_max_gf_per_mm
    # The peel starts on the ramp (2-5 mm) and ends in the detachment (92-94 mm); the plateau
    # leaves 5 mm out at the start and 3 mm at the end.
    assert 2.0 < r.peel_start_mm < 5.0
    assert 92.0 < r.peel_end_mm < 94.0
    assert r.plateau_start_mm == pytest.approx(r.peel_start_mm + 5.0)
    assert r.plateau_end_mm == pytest.approx(r.peel_end_mm - 3.0)
    assert r.steady_state and not r.detached_early and not r.stick_slip
    assert r.peak_force_N == pytest.approx(1.5 * 15.0 * 25.0 * GF, rel=0.1)


def test_peel_refuses_a_zero_width_and_a_record_without_force() -> None:
    x, f = _peel_curve(15.0, 25.0, noise=0.0, seed=0)
    with pytest.raises(ValueError, match="width_mm"):
        mechanics.peel_strength(x, f, width_mm=0.0)
    with pytest.raises(ValueError, match="never rises"):
        mechanics.peel_strength(x, np.zeros_like(x), width_mm=10.0)


def test_simulated_elastane_and_pvdf_peels_read_back_at_20_and_2_gf_per_mm(tmp_path: Path) -> None:
    strengths = {}
    for name, params, unit in (("elastane", ELASTANE, "gf"), ("pvdf", PVDF, "N")):
        path = simulate_peel(tmp_path / f"{name}.csv", force_unit=unit, seed=1, **params["peel"])
        t = read(path).table
        strengths[name] = mechanics.peel_strength(
            t["displacement_mm"], t["force_N"], width_mm=20.0
        ).peel_strength_gf_per_mm
    assert strengths["elastane"] == pytest.approx(20.0, rel=0.03)
    assert strengths["pvdf"] == pytest.approx(2.0, rel=0.03)


def _scratch(critical_mN: float | None, seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 2.5, 501)
    load = 100.0 * x / 2.5  # 0.2 mN per point
    depth = 0.02 * load + 0.05 * rng.standard_normal(len(x))
    if critical_mN is not None:
        after = load >= critical_mN
        depth[after] += 4.0 + 0.05 * (load[after] - critical_mN)
    return x, load, depth


def test_scratch_critical_load_is_the_onset_of_the_depth_jump() -> None:
    x, load, depth = _scratch(40.0)
    r = mechanics.scratch_analysis(x, load, depth, 0.3 * depth)
    assert r.critical_load_mN == pytest.approx(40.0, abs=0.3)
    assert r.critical_distance_mm == pytest.approx(1.0, abs=0.01)
    assert r.depth_jump_um == pytest.approx(4.0, rel=0.05)
    first, second = r.sections
    assert (first.start_mm, first.end_mm, second.start_mm, second.end_mm) == (0.0, 0.5, 1.5, 2.0)
    assert first.points == 101
    assert first.mean_depth_um == pytest.approx(0.02 * 10.0, abs=0.02)
    assert second.mean_depth_um == pytest.approx(0.02 * 70.0 + 4.0 + 0.05 * 30.0, rel=0.02)
    assert second.mean_residual_depth_um == pytest.approx(0.3 * second.mean_depth_um, rel=1e-9)
    assert r.mean_elastic_recovery == pytest.approx(0.7, abs=1e-9)


def test_a_scratch_without_a_jump_has_no_critical_load() -> None:
    x, load, depth = _scratch(None)
    r = mechanics.scratch_analysis(x, load, depth)
    assert r.critical_load_mN is None and r.depth_jump_um is None
    assert r.max_residual_depth_um is None and r.mean_elastic_recovery is None


def test_simulated_elastane_scratch_is_shallow_early_and_fails_later_than_pvdf(
    tmp_path: Path,
) -> None:
    out = {}
    for name, params in (("elastane", ELASTANE), ("pvdf", PVDF)):
        t = read(simulate_scratch(tmp_path / f"{name}.csv", **params["scratch"])).table
        out[name] = mechanics.scratch_analysis(
            t["distance_mm"], t["normal_load_mN"], t["depth_um"], t["residual_depth_um"]
        )
        assert out[name].critical_load_mN == pytest.approx(
            params["scratch"]["critical_load_mN"], abs=0.5
        )
    e, p = out["elastane"], out["pvdf"]
    assert e.sections[0].mean_depth_um is not None and p.sections[0].mean_depth_um is not None
    assert e.sections[0].mean_depth_um < 0.2 < 1.0 < p.sections[0].mean_depth_um
    assert e.mean_elastic_recovery is not None and p.mean_elastic_recovery is not None
    assert e.mean_elastic_recovery > p.mean_elastic_recovery
