"""Oliver-Pharr under depth noise: the power law is fitted in depth over a noise-aware range and
the stiffness and h_max are read from the fitted curve. Curves from the simulator
(analysis.simulate.mechanics.indentation_curve) with a load-controlled hold, 3 % creep, a
drift of -0.2 nm/s measured on a 60 s hold at 10 % load and 20 nm/mN frame compliance; the
seeds here were not used to choose the rule."""

from __future__ import annotations

import statistics
from typing import Any

import pytest

from analysis import mechanics
from analysis.simulate.mechanics import ELASTANE, PVDF, indentation_curve

INSTRUMENT: dict[str, Any] = {
    "hold": "load",
    "creep_fraction": 0.03,
    "drift_nm_per_s": -0.2,
    "low_load_hold_s": 60.0,
    "frame_compliance_nm_per_mN": 20.0,
}


def _analyse(base: dict[str, float], noise_nm: float, seed: int, **options: Any) -> Any:
    table, truth = indentation_curve(**base, **INSTRUMENT, noise_nm=noise_nm, seed=seed)
    r = mechanics.oliver_pharr(
        table["depth_nm"],
        table["load_mN"],
        table["time_s"],
        frame_compliance_nm_per_mN=20.0,
        **options,
    )
    return r, truth


@pytest.mark.parametrize(
    ("base", "low"),
    [(PVDF["indentation"], 0.2), (ELASTANE["indentation"], 0.5)],
    ids=["pvdf", "elastane"],
)
def test_four_tenths_of_a_nanometre_of_depth_noise_keeps_h_and_er_within_two_percent(
    base: dict[str, float], low: float
) -> None:
    r, truth = _analyse(base, 0.4, seed=4242)
    assert r.hardness_GPa == pytest.approx(truth.hardness_GPa, rel=0.02)
    assert r.reduced_modulus_GPa == pytest.approx(truth.reduced_modulus_GPa, rel=0.02)
    assert r.max_depth_nm == pytest.approx(truth.max_depth_nm, abs=0.5)
    # PVDF recovers 84 nm elastically, Elastane 890 nm: only PVDF needs the wider range
    assert r.fit_range == (low, 1.0)
    # the residual of the fit is the simulated depth noise (0.4 nm; and 0.2 uN of load noise
    # through Elastane's 1.2 um/mN compliance)
    assert r.fit_residual_nm == pytest.approx(0.4, rel=0.25)


def test_the_stiffness_scatter_over_seeds_is_the_one_the_fit_reports() -> None:
    """20 PVDF curves at 0.4 nm: E_r within 2 %, the widened range scatters less than the upper
    half alone, and the reported standard error of S is the scatter seen (to the 16 % a
    standard deviation of 20 values is known to)."""
    base = PVDF["indentation"]
    wide, upper, se = [], [], []
    for seed in range(5000, 5020):
        r, truth = _analyse(base, 0.4, seed)
        fixed, _ = _analyse(base, 0.4, seed, fit_floor=0.5)
        wide.append(100 * (r.reduced_modulus_GPa / truth.reduced_modulus_GPa - 1))
        upper.append(100 * (fixed.reduced_modulus_GPa / truth.reduced_modulus_GPa - 1))
        se.append(r.stiffness_se_percent)
        assert fixed.fit_range == (0.5, 1.0)
    assert max(abs(e) for e in wide) < 2.0
    assert statistics.pstdev(wide) < statistics.pstdev(upper)
    assert abs(statistics.fmean(wide)) < 0.5
    assert statistics.pstdev(wide) == pytest.approx(statistics.fmean(se), rel=0.4)


def test_a_clean_curve_keeps_the_upper_half_and_the_floor_is_checked() -> None:
    r, truth = _analyse(ELASTANE["indentation"], 0.05, seed=4242)
    assert r.fit_range == (0.5, 1.0) and r.stiffness_se_percent < 0.3
    assert r.reduced_modulus_GPa == pytest.approx(truth.reduced_modulus_GPa, rel=0.005)
    with pytest.raises(ValueError, match="fit_floor"):
        _analyse(ELASTANE["indentation"], 0.05, seed=4242, fit_floor=1.0)
