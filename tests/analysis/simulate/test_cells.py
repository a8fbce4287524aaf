"""Generated cells look like what they claim to be: the truth they carry is what their table
shows, computed here from the rows (not through the cycling analysis), and every realism
option does what docs/simulator.md says it does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.simulate.cells import CellSpec, Realism, generate_cell
from analysis.simulate.cells.corpus import corpus_specs

FULL = {"capacity_mAh_cm2": 2.0, "asr_ohm_cm2": 80.0, "average_ce": 0.998}


def _steps(table: pd.DataFrame) -> pd.DataFrame:
    """Per step instance: index, protocol cycle, charge passed (mAh, from the current), time."""
    t = table["test_time_second"].to_numpy()
    i = table["current_ampere"].to_numpy() * 1000.0
    dq = np.concatenate(([0.0], 0.5 * (i[1:] + i[:-1]) * np.diff(t) / 3600.0))
    step = table["step_count"].to_numpy()
    dq[np.concatenate(([True], step[1:] != step[:-1]))] = 0.0
    frame = pd.DataFrame(
        {"step": step, "index": table["step_index"], "cycle": table["cycle_count"], "dq": dq}
    )
    frame["t"] = t
    frame["v"] = table["voltage_volt"].to_numpy()
    return frame.groupby("step").agg(
        index=("index", "first"),
        cycle=("cycle", "first"),
        q_mAh=("dq", "sum"),
        hours=("t", lambda x: (x.max() - x.min()) / 3600.0),
        v_median=("v", "median"),
        v_max=("v", "max"),
        v_min=("v", "min"),
    )


def _ce(steps: pd.DataFrame, first: int, second: int) -> pd.Series:
    a = steps[steps["index"] == first].groupby("cycle")["q_mAh"].sum().abs()
    b = steps[steps["index"] == second].groupby("cycle")["q_mAh"].sum().abs()
    return b / a


def test_a_healthy_half_cell_strips_back_its_true_ce_and_the_same_seed_gives_the_same_table() -> (
    None
):
    cell = generate_cell(CellSpec("half", 20), seed=5)
    ce = _ce(_steps(cell.table), 1, 2).to_numpy()
    assert ce == pytest.approx(np.asarray(cell.truth.ce), abs=5e-4)
    assert cell.truth.short_onset is None
    again = generate_cell(CellSpec("half", 20), seed=5)
    pd.testing.assert_frame_equal(cell.table, again.table)


def test_a_healthy_full_cell_discharges_its_true_ce_and_fades_by_their_product() -> None:
    cell = generate_cell(CellSpec("full", 20, **FULL), seed=6)  # type: ignore[arg-type]
    steps = _steps(cell.table)
    charge = steps[steps["index"].isin([2, 3])].groupby("cycle")["q_mAh"].sum()
    discharge = -steps[steps["index"] == 5].groupby("cycle")["q_mAh"].sum()
    assert (discharge / charge).to_numpy() == pytest.approx(np.asarray(cell.truth.ce), abs=2e-3)
    assert steps["v_max"].max() == pytest.approx(4.3, abs=1e-6)  # CC-CV to 4.3 V
    assert steps[steps["index"] == 5]["v_min"].min() == pytest.approx(2.5, abs=1e-6)


@pytest.mark.parametrize("asr_ohm_cm2", [5.0, 15.0, 120.0])
def test_a_full_cell_holds_its_cv_step_with_a_current_of_one_sign_decaying_to_its_end(
    asr_ohm_cm2: float,
) -> None:
    # Near 4.3 V the NCM curve is stiff (~2 V/mAh for 1 mAh): at 15 ohm cm2 the CV time
    # constant R0 dq/dE is ~17 s, under the 20 s grid; every computed sample is logged here.
    spec = CellSpec("full", 3, asr_ohm_cm2=asr_ohm_cm2, realism=Realism(record_dt_s=1e-3))
    table = generate_cell(spec, seed=6).table
    cv = table[table["step_index"] == 3]
    assert cv["cycle_count"].nunique() == 3
    for _, step in cv.groupby("cycle_count"):
        current_mA = step["current_ampere"].to_numpy() * 1000.0
        assert step["voltage_volt"].to_numpy() == pytest.approx(4.3, abs=1e-9)
        assert np.all(current_mA > 0.0)
        assert np.all(np.diff(current_mA) <= 1e-9)
        # from the CC current (C/2 of 0.785 mAh) down to the C/20 end current
        assert current_mA[0] == pytest.approx(0.3925, rel=1e-3)
        assert current_mA[-1] <= 0.03925 < current_mA[-2]


def test_a_hard_short_collapses_the_voltage_and_stripping_never_reaches_its_cutoff() -> None:
    cell = generate_cell(CellSpec("half", 16, short_kind="hard", short_onset=10), seed=7)
    steps = _steps(cell.table)
    after = steps[steps["cycle"] > 10]
    assert after["v_max"].abs().max() < 0.01 and after["v_min"].abs().max() < 0.01
    stripping = after[after["index"] == 2]
    assert stripping["hours"].to_numpy() == pytest.approx(2.0, abs=0.01)  # the 2 h limit
    before = steps[(steps["cycle"] < 10) & (steps["index"] == 2)]
    assert before["v_max"].to_numpy() == pytest.approx(1.0)  # healthy cycles end at 1.0 V
    assert cell.truth.short_onset == 10 and cell.truth.short_kind == "hard"


def test_a_soft_short_in_a_half_cell_makes_stripping_run_long_and_ce_exceed_one() -> None:
    spec = CellSpec("half", 30, short_kind="soft", short_onset=8, cycles_after_short=12)
    cell = generate_cell(spec, seed=8)
    ce = _ce(_steps(cell.table), 1, 2)
    assert (ce.loc[2:7] < 1.0).all()
    late = ce.loc[10:]
    assert (late > 1.0).mean() >= 0.8  # persistently above 1 once the filament is established
    assert late.max() > 1.2
    # the plating overpotential collapses and turns noisy as the filament conducts more
    table = cell.table
    plateau = {}
    for n in (5, 6, 7, 18, 19, 20):
        rows = table[(table["cycle_count"] == n) & (table["step_index"] == 1)]
        t = rows["step_time_second"].to_numpy()
        plateau[n] = rows["voltage_volt"].to_numpy()[t > 0.3 * t.max()]  # Li, after the seeds
    before = np.mean([np.median(plateau[n]) for n in (5, 6, 7)])
    after = np.mean([np.median(plateau[n]) for n in (18, 19, 20)])
    assert before < -0.005 and abs(after) < 0.7 * abs(before)
    assert min(np.std(np.diff(plateau[n])) for n in (18, 19, 20)) > 0.0003
    assert max(np.std(np.diff(plateau[n])) for n in (5, 6, 7)) < 0.0001


def test_a_soft_short_in_a_full_cell_makes_the_charge_run_long_and_ce_fall() -> None:
    spec = CellSpec(
        "full",
        24,
        short_kind="soft",
        short_onset=10,
        short_onset_ohm_cm2=2e5,
        short_efold_cycles=4.0,
        **FULL,  # type: ignore[arg-type]
    )
    steps = _steps(generate_cell(spec, seed=9).table)
    charge = steps[steps["index"].isin([2, 3])].groupby("cycle")["q_mAh"].sum()
    discharge = -steps[steps["index"] == 5].groupby("cycle")["q_mAh"].sum()
    ce = discharge / charge
    assert ce.loc[2:9].min() > 0.99
    assert ce.loc[spec.last_cycle] < 0.9
    assert charge.loc[spec.last_cycle] > charge.loc[9]  # charge runs long while capacity fades


def test_instrument_noise_quantisation_glitches_and_sign() -> None:
    base = CellSpec("half", 6, realism=Realism(noise_V=0.002))
    clean = generate_cell(CellSpec("half", 6), seed=3).table
    noisy = generate_cell(base, seed=3).table
    diff = (noisy["voltage_volt"] - clean["voltage_volt"]).to_numpy()
    assert np.std(diff[diff != 0]) == pytest.approx(0.002, rel=0.15)
    glitched = generate_cell(CellSpec("half", 6, realism=Realism(glitches=3)), seed=3).table
    jumps = np.abs((glitched["voltage_volt"] - clean["voltage_volt"]).to_numpy())
    assert np.count_nonzero(jumps > 1e-9) == 3
    assert ((jumps[jumps > 1e-9] >= 0.010) & (jumps[jumps > 1e-9] <= 0.020)).all()
    quantised = generate_cell(CellSpec("half", 6, realism=Realism(quantum_V=0.001)), seed=3)
    mv = quantised.table["voltage_volt"].to_numpy() * 1000.0
    assert np.abs(mv - np.round(mv)).max() < 1e-6
    flipped = generate_cell(CellSpec("half", 6, realism=Realism(flipped_sign=True)), seed=3)
    assert (flipped.table["current_ampere"] == -clean["current_ampere"]).all()
    assert (flipped.table["charging_capacity_ah"] == clean["discharging_capacity_ah"]).all()


def test_protocol_options_add_their_steps_and_keep_the_cycle_clock() -> None:
    realism = Realism(
        hppc_before=(4,), eis_before=(3,), formation_cycles=2, rest_s=600.0, partial_first=0.5
    )
    cell = generate_cell(CellSpec("full", 8, realism=realism, **FULL), seed=4)  # type: ignore[arg-type]
    steps = _steps(cell.table)
    assert set(steps["index"]) >= {2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15}
    pulses = steps[steps["index"].isin([11, 13])]
    assert len(pulses) == 8 and (pulses["hours"] * 3600).to_numpy() == pytest.approx(10.0)
    first = steps.iloc[0]
    assert first["index"] == 2 and 0.3 < first["q_mAh"] / steps.iloc[3]["q_mAh"] * -1 < 0.8
    formation = steps[(steps["index"] == 2) & (steps["cycle"] == 2)]["hours"].iloc[0]
    cycling = steps[(steps["index"] == 2) & (steps["cycle"] == 6)]["hours"].iloc[0]
    assert formation > 3.0 * cycling  # 0.2x the current
    starts = np.asarray(cell.truth.cycle_start_s)
    assert cell.truth.protocol_cycle_at(float(starts[4]) + 60.0) == 5
    hppc_time = float(cell.table["test_time_second"][cell.table["step_index"] == 11].iloc[0])
    assert cell.truth.protocol_cycle_at(hppc_time) == 3  # a block counts with the cycle before


def test_the_corpus_mixes_every_option_and_both_kinds_of_short() -> None:
    specs = [spec for spec, _ in corpus_specs(500, 13)]
    kinds = {(s.cell_type, s.short_kind) for s in specs}
    assert kinds == {(t, k) for t in ("half", "full") for k in (None, "hard", "soft")}
    options = {o for s in specs for o in s.realism.options()}
    assert {"glitches", "ce_recovery", "partial_first", "flipped_sign", "hppc", "eis_steps"} <= (
        options
    )
    assert 0.4 < sum(s.short_kind is None for s in specs) / len(specs) < 0.6


def test_trapped_li_comes_back_the_cycle_after_it_was_lost() -> None:
    spec = CellSpec("half", 20, average_ce=0.995, realism=Realism(ce_recovery_events=1))
    cell = generate_cell(spec, seed=11)
    truth = np.asarray(cell.truth.ce)
    m = int(np.argmin(truth[5:])) + 5  # index of the cycle that lost the extra Li
    assert truth[m] < 0.988 and truth[m + 1] > 1.0  # ~0.985 then ~1.01
    measured = _ce(_steps(cell.table), 1, 2).to_numpy()
    assert measured[m : m + 2] == pytest.approx(truth[m : m + 2], abs=5e-4)
