"""Peel and scratch records as instruments write them: weak films, early detachment,
stick-slip, trimming in millimetres; lift-off, negative depths, friction and acoustic
emission. Known answers from the simulator's parameters (analysis.simulate.mechanics)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import mechanics, pipelines
from analysis.readers import read
from analysis.simulate.mechanics import ELASTANE, GF_IN_N, PVDF, peel_curve, scratch_curve
from analysis.simulate.mechanics import simulate_scratch as write_scratch


def _peel(**kw: float) -> mechanics.PeelResult:
    c = peel_curve(**kw)  # type: ignore[arg-type]
    return mechanics.peel_strength(c["displacement_mm"], c["force_gf"] * GF_IN_N, width_mm=20.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_weak_film_of_2_gf_per_mm_with_load_cell_noise_is_within_5_percent(seed: int) -> None:
    r = _peel(peel_strength_gf_per_mm=2.0, baseline_noise_gf=1.0, seed=seed)
    assert r.peel_strength_gf_per_mm == pytest.approx(2.0, rel=0.05)
    assert r.steady_state and not r.detached_early and not r.warnings


def test_a_layer_that_lets_go_after_2_mm_is_reported_as_early_detachment() -> None:
    r = _peel(peel_strength_gf_per_mm=2.0, detach_after_mm=2.0, seed=0)
    assert r.detached_early and not r.steady_state
    assert r.peel_length_mm == pytest.approx(1.5, abs=0.6)  # half-height crossings of 2 mm
    assert r.peel_start_mm == pytest.approx(2.0, abs=0.5)  # slack 1 mm, half of a 3 mm ramp
    assert r.peel_strength_gf_per_mm > 0.5  # a force of the film, not baseline noise
    assert any("peeled over" in w for w in r.warnings)


def test_a_layer_that_detaches_after_20_mm_keeps_its_steady_strength_with_a_warning() -> None:
    r = _peel(peel_strength_gf_per_mm=20.0, detach_after_mm=20.0, seed=1)
    assert r.steady_state and r.detached_early
    assert r.peel_strength_gf_per_mm == pytest.approx(20.0, rel=0.03)
    assert r.plateau_start_mm == pytest.approx(r.peel_start_mm + 5.0)
    assert r.plateau_end_mm == pytest.approx(r.peel_end_mm - 3.0)
    assert any("detached after" in w for w in r.warnings)


def test_stick_slip_is_recognised_and_the_mean_stays_the_level() -> None:
    slip = _peel(peel_strength_gf_per_mm=10.0, stick_slip_fraction=0.3, seed=2)
    smooth = _peel(peel_strength_gf_per_mm=10.0, seed=2)
    assert slip.stick_slip and not smooth.stick_slip
    assert slip.force_cv == pytest.approx(0.3 / 2**0.5, rel=0.25)  # sine amplitude / sqrt(2)
    assert slip.peel_strength_gf_per_mm == pytest.approx(10.0, rel=0.03)


def test_the_peel_pipeline_trims_in_millimetres_and_passes_warnings_on() -> None:
    c = peel_curve(peel_strength_gf_per_mm=2.0, detach_after_mm=2.0, seed=3)
    table = c.assign(force_N=c["force_gf"] * GF_IN_N)
    result = pipelines.run("peel", table, {"sample_width_mm": 20.0, "lead_mm": 2.0})
    assert result.summary["detached_early"] is True
    assert result.warnings and "peeled over" in result.warnings[0]
    full = pipelines.run(
        "peel",
        peel_curve(peel_strength_gf_per_mm=5.0).assign(force_N=lambda d: d["force_gf"] * GF_IN_N),
        {"sample_width_mm": 20.0, "lead_mm": 12.0},
    )
    assert full.summary["plateau_start_mm"] == pytest.approx(full.summary["peel_start_mm"] + 12.0)


@pytest.mark.parametrize("binder", [ELASTANE, PVDF], ids=["elastane", "pvdf"])
@pytest.mark.parametrize(
    "record",
    [{"lift_off_mm": 0.3}, {"depth_sign": -1.0}, {"lift_off_mm": 0.3, "depth_sign": -1.0}],
    ids=["lift-off", "negative", "both"],
)
def test_lift_off_and_negative_depths_still_give_the_critical_load(
    binder: dict[str, dict[str, float]], record: dict[str, float]
) -> None:
    spec = binder["scratch"]
    c = scratch_curve(**spec, **record)  # type: ignore[arg-type]
    r = mechanics.scratch_analysis(
        c["distance_mm"], c["normal_load_mN"], c["depth_um"], c["residual_depth_um"]
    )
    assert r.critical_load_mN == pytest.approx(spec["critical_load_mN"], abs=0.5)
    assert r.depth_jump_um == pytest.approx(spec["depth_jump_um"], rel=0.1)
    assert r.depth_sign_flipped is (record.get("depth_sign", 1.0) < 0)
    if "lift_off_mm" in record:
        assert r.lift_off_mm == pytest.approx(2.5, abs=0.02)
    assert r.max_depth_um > 0


def test_acoustic_emission_and_friction_give_lc1_before_the_delamination() -> None:
    spec = PVDF["scratch"]
    c = scratch_curve(**spec, first_crack_load_mN=10.0)  # type: ignore[arg-type]
    r = mechanics.scratch_analysis(
        c["distance_mm"],
        c["normal_load_mN"],
        c["depth_um"],
        friction_force_mN=c["friction_force_mN"],
        acoustic_emission=c["acoustic_emission_percent"],
    )
    signals = {e.signal: e.load_mN for e in r.events}
    assert signals["acoustic_emission"] == pytest.approx(10.0, abs=1.5)  # first burst after
    assert r.lc1_mN == pytest.approx(signals["acoustic_emission"])
    assert r.lc2_mN == pytest.approx(17.0, abs=0.5)
    assert signals["friction"] == pytest.approx(17.0, abs=0.5)  # the larger friction step


def test_the_scratch_pipeline_reads_friction_from_the_file(tmp_path: Path) -> None:
    path = write_scratch(tmp_path / "s.csv", **PVDF["scratch"], with_friction=True)
    out = pipelines.run("scratch", read(path).table, {}).summary
    assert [e["signal"] for e in out["events"]] == ["depth", "friction"] or [
        e["signal"] for e in out["events"]
    ] == ["friction", "depth"]
    assert out["critical_load_mN"] == pytest.approx(17.0, abs=0.5)
    assert [s["start_mm"] for s in out["sections"]] == [
        lo for lo, _ in mechanics.DEFAULT_SECTIONS_MM
    ]


@pytest.mark.parametrize("binder", [ELASTANE, PVDF], ids=["elastane", "pvdf"])
def test_scratch_elastic_recovery_is_the_simulated_one_despite_a_shallow_noisy_start(
    binder: dict[str, dict[str, float]],
) -> None:
    spec = binder["scratch"]
    c = scratch_curve(**spec, seed=3)  # type: ignore[arg-type]
    r = mechanics.scratch_analysis(
        c["distance_mm"], c["normal_load_mN"], c["depth_um"], c["residual_depth_um"]
    )
    assert r.mean_elastic_recovery == pytest.approx(spec["elastic_recovery"], abs=0.02)
