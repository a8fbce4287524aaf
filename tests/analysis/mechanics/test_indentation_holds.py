"""Oliver-Pharr on indentations as instruments record them: load- and depth-controlled holds,
thermal drift (measured on a hold at low load, or given), frame compliance, noise, arrays of
indents; ISO 14577 eta_IT, C_IT and R_IT. The true values come from the simulator's closed
forms (analysis.simulate.mechanics.indentation_curve), never from the analysis."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from analysis import mechanics, pipelines
from analysis.readers import read
from analysis.simulate.mechanics import (
    ELASTANE,
    PVDF,
    indentation_array,
    indentation_curve,
    simulate_indentation,
)

PVDF_IND = PVDF["indentation"]
ELASTANE_IND = ELASTANE["indentation"]


@pytest.mark.parametrize("base", [PVDF_IND, ELASTANE_IND], ids=["pvdf", "elastane"])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_depth_controlled_hold_with_20_percent_relaxation_is_not_fitted_as_unloading(
    base: dict[str, float], seed: int
) -> None:
    table, truth = indentation_curve(**base, hold="depth", relaxation_fraction=0.2, seed=seed)
    r = mechanics.oliver_pharr(table["depth_nm"], table["load_mN"], table["time_s"])
    assert r.contact_stiffness_mN_per_nm == pytest.approx(truth.stiffness_mN_per_nm, rel=0.02)
    assert r.hardness_GPa == pytest.approx(truth.hardness_GPa, rel=0.02)
    assert r.reduced_modulus_GPa == pytest.approx(truth.reduced_modulus_GPa, rel=0.02)
    # P_max of Oliver-Pharr is the load where unloading starts, not the record's peak
    assert r.max_load_mN == pytest.approx(truth.max_load_mN, rel=0.01)
    assert r.peak_load_mN == pytest.approx(truth.peak_load_mN, rel=0.01)
    assert r.relaxation_R_IT_percent == pytest.approx(truth.relaxation_R_IT_percent, abs=0.5)
    assert abs(r.creep_C_IT_percent) < 0.2
    assert r.eta_IT_percent == pytest.approx(truth.eta_IT_percent, rel=0.02)
    assert r.hold_duration_s == pytest.approx(10.0, abs=0.5)


@pytest.mark.parametrize("base", [PVDF_IND, ELASTANE_IND], ids=["pvdf", "elastane"])
def test_drift_measured_on_a_low_load_hold_and_frame_compliance_are_corrected(
    base: dict[str, float],
) -> None:
    table, truth = indentation_curve(
        **base,
        hold="load",
        creep_fraction=0.03,
        drift_nm_per_s=-0.2,
        low_load_hold_s=60.0,
        frame_compliance_nm_per_mN=20.0,
        seed=4,
    )
    r = mechanics.oliver_pharr(
        table["depth_nm"], table["load_mN"], table["time_s"], frame_compliance_nm_per_mN=20.0
    )
    assert r.drift_source == "hold"
    assert r.drift_rate_nm_per_s == pytest.approx(-0.2, rel=0.1)
    assert r.drift_hold_s is not None and r.drift_hold_s[1] - r.drift_hold_s[0] > 50.0
    assert r.hardness_GPa == pytest.approx(truth.hardness_GPa, rel=0.02)
    assert r.reduced_modulus_GPa == pytest.approx(truth.reduced_modulus_GPa, rel=0.02)
    assert r.max_depth_nm == pytest.approx(truth.max_depth_nm, rel=0.01)
    assert r.creep_C_IT_percent == pytest.approx(truth.creep_C_IT_percent, abs=0.2)
    assert r.eta_IT_percent == pytest.approx(truth.eta_IT_percent, rel=0.02)
    assert r.work_total_pJ == pytest.approx(truth.work_total_pJ, rel=0.02)
    assert r.work_elastic_pJ == pytest.approx(truth.work_elastic_pJ, rel=0.02)


def test_without_a_low_load_hold_the_drift_rate_is_a_parameter() -> None:
    table, truth = indentation_curve(**PVDF_IND, drift_nm_per_s=0.3, seed=2)
    h, p, t = table["depth_nm"], table["load_mN"], table["time_s"]
    raw = mechanics.oliver_pharr(h, p, t)
    given = mechanics.oliver_pharr(h, p, t, drift_rate_nm_per_s=0.3)
    assert raw.drift_source == "none" and given.drift_source == "parameter"
    assert abs(raw.reduced_modulus_GPa / truth.reduced_modulus_GPa - 1) > 0.03
    assert given.reduced_modulus_GPa == pytest.approx(truth.reduced_modulus_GPa, rel=0.02)
    assert given.hardness_GPa == pytest.approx(truth.hardness_GPa, rel=0.02)
    with pytest.raises(ValueError, match="time column"):
        mechanics.oliver_pharr(h, p, drift_rate_nm_per_s=0.3)


def test_frame_compliance_left_uncorrected_underestimates_the_modulus() -> None:
    table, truth = indentation_curve(**PVDF_IND, frame_compliance_nm_per_mN=20.0, seed=3)
    h, p = table["depth_nm"], table["load_mN"]
    raw = mechanics.oliver_pharr(h, p)
    fixed = mechanics.oliver_pharr(h, p, frame_compliance_nm_per_mN=20.0)
    # 1/S_measured = 1/S + C_f: with S = 0.0178 mN/nm the frame takes 26 % of the compliance
    assert raw.reduced_modulus_GPa < 0.8 * truth.reduced_modulus_GPa
    assert fixed.reduced_modulus_GPa == pytest.approx(truth.reduced_modulus_GPa, rel=0.02)


def test_an_array_of_indents_is_analysed_as_a_set_with_mean_and_spread() -> None:
    specs = [
        {**PVDF_IND, "hardness_GPa": h, "low_load_hold_s": 30.0, "drift_nm_per_s": 0.05}
        for h in (0.09, 0.10, 0.11)
    ]
    table, truths = indentation_array(specs, seed=5)
    s = mechanics.indentation_set(table["depth_nm"], table["load_mN"], table["time_s"])
    assert len(s.indents) == 3 and not s.failures
    for r, truth in zip(s.indents, truths, strict=True):
        assert r.hardness_GPa == pytest.approx(truth.hardness_GPa, rel=0.02)
        assert r.reduced_modulus_GPa == pytest.approx(truth.reduced_modulus_GPa, rel=0.02)
        assert r.drift_source == "hold"
    stats = s.stats()
    true_h = [t.hardness_GPa for t in truths]
    assert stats["indent_count"] == 3
    assert stats["hardness_GPa"] == pytest.approx(statistics.fmean(true_h), rel=0.02)
    assert stats["hardness_GPa_sd"] == pytest.approx(statistics.stdev(true_h), rel=0.15)


def test_the_indentation_pipeline_reports_iso_14577_quantities_from_a_file(
    tmp_path: Path,
) -> None:
    path = simulate_indentation(
        tmp_path / "ind.csv",
        **PVDF_IND,
        hold="depth",
        relaxation_fraction=0.15,
        drift_nm_per_s=0.1,
        low_load_hold_s=40.0,
        seed=6,
    )
    _, truth = indentation_curve(
        **PVDF_IND,
        hold="depth",
        relaxation_fraction=0.15,
        drift_nm_per_s=0.1,
        low_load_hold_s=40.0,
        seed=6,
    )
    out = pipelines.run("indentation", read(path).table, {}).to_json()["summary"]
    assert out["indent_count"] == 1
    assert out["hardness_GPa"] == pytest.approx(truth.hardness_GPa, rel=0.02)
    assert out["reduced_modulus_GPa"] == pytest.approx(truth.reduced_modulus_GPa, rel=0.02)
    assert out["relaxation_R_IT_percent"] == pytest.approx(15.0, abs=0.5)
    assert out["eta_IT_percent"] == pytest.approx(truth.eta_IT_percent, rel=0.02)
    assert out["drift_source"] == "hold"
    # 0.2 nm of noise on PVDF's 84 nm of elastic recovery: the range is widened (noise-aware)
    low, high = out["fit_range"]
    assert 0.2 <= low < 0.5 and high == 1.0
    assert out["stiffness_se_percent"] <= 0.3 or low == 0.2
    lo, hi = out["fit_load_range_mN"]
    assert lo >= low * out["max_load_mN"] - 1e-3 and hi <= out["max_load_mN"] + 1e-3


def test_the_indentation_modulus_follows_from_poissons_ratio() -> None:
    table, truth = indentation_curve(**PVDF_IND, seed=7)
    r = mechanics.oliver_pharr(table["depth_nm"], table["load_mN"], sample_poisson_ratio=0.35)
    # 1/E_r = (1 - 0.35^2)/E_IT + (1 - 0.07^2)/1141 GPa, with E_r the simulated 5 GPa
    e_it = (1 - 0.35**2) / (1 / truth.reduced_modulus_GPa - (1 - 0.07**2) / 1141.0)
    assert r.indentation_modulus_GPa == pytest.approx(e_it, rel=0.02)
    assert (
        mechanics.oliver_pharr(table["depth_nm"], table["load_mN"]).indentation_modulus_GPa is None
    )


def test_drift_is_measured_on_a_hold_at_contact_when_unloading_has_none() -> None:
    table, truth = indentation_curve(**PVDF_IND, drift_nm_per_s=0.15, contact_hold_s=40.0, seed=8)
    r = mechanics.oliver_pharr(table["depth_nm"], table["load_mN"], table["time_s"])
    assert r.drift_source == "hold"
    assert r.drift_hold_s is not None and r.drift_hold_s[1] < 60.0  # before the top hold
    assert r.drift_rate_nm_per_s == pytest.approx(0.15, rel=0.1)
    assert r.hardness_GPa == pytest.approx(truth.hardness_GPa, rel=0.02)
    assert r.reduced_modulus_GPa == pytest.approx(truth.reduced_modulus_GPa, rel=0.02)
    assert r.eta_IT_percent == pytest.approx(truth.eta_IT_percent, rel=0.02)
