"""Which numbers the cycles carry (the vendor's when usable) and what is kept out of the pairing
(pulses, diagnostic blocks): docs/metrics-cycling.md, "Half-cycles and cycles"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.cycling import CyclingParameters, analyze_cycling
from analysis.simulate.cells import CellSpec, generate_cell
from analysis.simulate.cells.spec import Realism
from tests.analysis.cycling.cycling_synthetic import Protocol, build

CES = [0.90, 0.99, 0.98, 0.97, 0.96]


def _half_cell(vendor_offset: float | None) -> pd.DataFrame:
    table, _ = build(Protocol(cycles=5, coulombic_efficiency=CES, vendor_cycle="consistent"))
    if vendor_offset is None:
        return table.drop(columns=["cycle_count"])
    table["cycle_count"] += vendor_offset
    return table


def test_a_zero_based_vendor_numbering_is_reported_from_one() -> None:
    result = analyze_cycling(_half_cell(-1.0), cell_type="half")
    metrics = result.metrics
    assert metrics["cycle_numbering"] == "vendor"
    assert "counts from 0" in metrics["cycle_numbering_reason"]
    assert list(result.cycles["cycle"]) == [1, 2, 3, 4, 5]
    assert list(result.cycles["vendor_cycle"]) == [0, 1, 2, 3, 4]
    assert metrics["initial_coulombic_efficiency"] == pytest.approx(0.90, rel=1e-9)
    assert metrics["average_coulombic_efficiency_window"] == [2, 5]
    assert metrics["average_coulombic_efficiency"] == pytest.approx(np.mean(CES[1:]), rel=1e-9)


def test_vendor_numbers_with_a_gap_are_reported_and_the_windows_count_cycles_run() -> None:
    table = _half_cell(0.0)
    table["cycle_count"] += np.where(table["cycle_count"] >= 3, 4.0, 0.0)  # 1, 2, 7, 8, 9
    result = analyze_cycling(table, cell_type="half")
    metrics = result.metrics
    assert metrics["cycle_numbering"] == "vendor"
    assert metrics["cycle_numbering_basis"] == "consistent"
    assert list(result.cycles["cycle"]) == [1, 2, 7, 8, 9]
    assert list(result.cycles["cycle_in_order"]) == [1, 2, 3, 4, 5]
    assert metrics["initial_coulombic_efficiency"] == pytest.approx(0.90, rel=1e-9)
    # the window starts at the second cycle run and ends at the last: reported as 2 and 9
    assert metrics["average_coulombic_efficiency_window"] == [2, 9]
    assert metrics["average_coulombic_efficiency"] == pytest.approx(np.mean(CES[1:]), rel=1e-9)
    assert metrics["last_complete_cycle"] == 9
    assert metrics["number_of_cycles"] == 5


def test_cycle_parameters_count_cycles_run_whatever_the_numbering() -> None:
    params = CyclingParameters(average_ce_first_cycle=3, average_ce_last_cycle=4)
    ours = analyze_cycling(_half_cell(None), cell_type="half", params=params)
    vendor = analyze_cycling(_half_cell(10.0), cell_type="half", params=params)
    assert ours.metrics["cycle_numbering"] == "current_sign"
    assert vendor.metrics["cycle_numbering"] == "vendor"
    assert list(vendor.cycles["cycle"]) == [11, 12, 13, 14, 15]
    assert ours.metrics["average_coulombic_efficiency_window"] == [3, 4]
    assert vendor.metrics["average_coulombic_efficiency_window"] == [13, 14]
    expected = np.mean(CES[2:4])
    assert ours.metrics["average_coulombic_efficiency"] == pytest.approx(expected, rel=1e-9)
    assert vendor.metrics["average_coulombic_efficiency"] == pytest.approx(expected, rel=1e-9)


def test_a_short_is_reported_under_the_vendors_number_with_its_place_kept() -> None:
    protocol = Protocol(
        cycles=5, vendor_cycle="consistent", short="cutoff_not_reached", short_cycle=3
    )
    table, _ = build(protocol)
    ours = analyze_cycling(table.drop(columns=["cycle_count"]), cell_type="half")
    table["cycle_count"] += 20.0
    vendor = analyze_cycling(table, cell_type="half")
    assert ours.metrics["short_circuit_cycle"] == 3
    assert vendor.metrics["short_circuit_cycle"] == 23
    assert ours.metrics["cycle_life"] == vendor.metrics["cycle_life"] == 2  # a count
    first = vendor.short_circuits[0]
    assert first.cycle == 23
    assert first.values["cycle_in_order"] == 3
    assert first.values["detected_at_cycle"] >= 23


def test_two_cycles_under_one_vendor_number_fall_back_to_the_order_run() -> None:
    table = _half_cell(0.0)
    table["cycle_count"] = np.ceil(table["cycle_count"] / 2.0)  # 1, 1, 2, 2, 3
    result = analyze_cycling(table, cell_type="half")
    assert result.metrics["cycle_numbering"] == "current_sign"
    assert "do not increase" in result.metrics["cycle_numbering_reason"]
    assert any("do not increase" in w for w in result.warnings)
    assert list(result.cycles["cycle"]) == [1, 2, 3, 4, 5]
    assert list(result.cycles["vendor_cycle"]) == [1, 1, 2, 2, 3]


def _with_reversed_row(table: pd.DataFrame, cycles: list[int], own_step: bool) -> pd.DataFrame:
    """A row of the opposite sign in the middle of the stripping of each of ``cycles``: a
    mis-signed sample, or (``own_step``) a programmed one-sample pulse in a step of its own."""
    out = table.copy()
    current = out["current_ampere"].to_numpy().copy()
    step = out["step_count"].to_numpy().copy()
    cycle = out["cycle_count"].to_numpy()
    for k in cycles:
        rows = np.flatnonzero((cycle == k) & (current > 0))
        r = int(rows[rows.size // 2])
        current[r] = -current[r]
        if own_step:
            step[r] = 1000.0 + k
    out["current_ampere"] = current
    out["step_count"] = step
    return out


def _stepped_half_cell() -> pd.DataFrame:
    table, _ = build(Protocol(cycles=5, counters="per_step", vendor_cycle="consistent"))
    return table.drop(columns=["charging_capacity_ah", "discharging_capacity_ah"])


def test_a_mis_signed_sample_is_an_interruption_and_a_programmed_pulse_makes_a_block() -> None:
    table = _stepped_half_cell()
    glitch = analyze_cycling(_with_reversed_row(table, [3], own_step=False), cell_type="half")
    assert glitch.metrics["diagnostic_blocks"] == []
    assert list(glitch.cycles["cycle"]) == [1, 2, 3, 4, 5]
    assert any("brief current interruption" in w for w in glitch.warnings)

    pulse = analyze_cycling(_with_reversed_row(table, [3], own_step=True), cell_type="half")
    blocks = pulse.metrics["diagnostic_blocks"]
    assert [(b["pulses"], b["vendor_cycles"]) for b in blocks] == [(1, [3])]
    # the vendor's cycle 3 is the block; the others keep their numbers
    assert list(pulse.cycles["cycle"]) == [1, 2, 4, 5]
    assert list(pulse.cycles["cycle_in_order"]) == [1, 2, 3, 4]


def test_pulses_in_every_cycle_are_the_protocol_not_blocks() -> None:
    table = _with_reversed_row(_stepped_half_cell(), [1, 2, 3, 4, 5], own_step=True)
    result = analyze_cycling(table, cell_type="half")
    assert result.metrics["diagnostic_blocks"] == []
    assert list(result.cycles["cycle"]) == [1, 2, 3, 4, 5]
    assert any("the pulses are the protocol" in w for w in result.warnings)


@pytest.mark.parametrize("numbering", ["protocol", "zero_based", "none"])
def test_an_hppc_block_is_kept_out_and_the_cycles_keep_the_protocols_numbers(
    numbering: str,
) -> None:
    spec = CellSpec(
        cell_type="full",
        cycles=7,
        realism=Realism(hppc_before=(4,), cycle_index=numbering),  # type: ignore[arg-type]
    )
    cell = generate_cell(spec, 5)
    result = analyze_cycling(cell.table, cell_type="full", area_cm2=spec.area_cm2)
    blocks = result.metrics["diagnostic_blocks"]
    assert len(blocks) == 1 and blocks[0]["pulses"] >= 3
    cycles = result.cycles
    assert list(cycles["cycle"]) == list(range(1, 8))
    for number, start in zip(cycles["cycle"], cycles["start_time_s"], strict=True):
        assert cell.truth.protocol_cycle_at(float(start) + 1.0) == number
    # no full charge paired with a pulse: every cycle's CE is the cell's
    ce = cycles["coulombic_efficiency"].to_numpy(dtype=float)
    assert np.all((ce[1:] > 0.97) & (ce[1:] < 1.01))


def test_a_full_cell_shorted_at_zero_volts_is_not_taken_for_pulses() -> None:
    # After a hard short every discharge step ends at its cut-off at once (one row at ~0 V)
    # between charges that run to their time limit: short steps of their own between long
    # runs, but ended by a voltage limit; the short must stay visible to the rules.
    spec = CellSpec(cell_type="full", cycles=12, short_kind="hard", short_onset=7)
    cell = generate_cell(spec, 3)
    result = analyze_cycling(cell.table, cell_type="full", area_cm2=spec.area_cm2)
    assert result.metrics["diagnostic_blocks"] == []
    assert not any("pulse(s)" in w for w in result.warnings)
    short = result.metrics["short_circuit_cycle"]
    assert short is not None
    start = float(result.cycles.set_index("cycle").loc[short, "start_time_s"])
    assert 6 <= cell.truth.protocol_cycle_at(start + 1.0) <= 10


def test_the_merged_steps_of_a_shorted_cell_holding_an_hppc_block_stay_a_half_cycle() -> None:
    # Shorted at cycle 9, an HPPC block at cycle 11: every later step ends at once, so the
    # charges (with the HPPC's pulses) merge into one long charge of many cycles' worth. A
    # walk through the states of charge carries about one half-cycle's charge: this one is no
    # diagnostic block, and the rules see the short where it began.
    spec = CellSpec(
        cell_type="full",
        cycles=29,
        short_kind="hard",
        short_onset=9,
        realism=Realism(hppc_before=(11,), eis_before=(5, 6)),
        capacity_mAh_cm2=2.244,
        c_rate=1 / 3,
        asr_ohm_cm2=73.65,
    )
    cell = generate_cell(spec, 13000236)
    result = analyze_cycling(cell.table, cell_type="full", area_cm2=spec.area_cm2)
    assert result.metrics["diagnostic_blocks"] == []
    short = result.metrics["short_circuit_cycle"]
    assert short is not None
    start = float(result.cycles.set_index("cycle").loc[short, "start_time_s"])
    assert cell.truth.protocol_cycle_at(start + 1.0) == 9


def test_labels_of_many_cycles_at_once_are_each_cycles_label() -> None:
    """``labels`` (all cycles at once, as every result's per-cycle table uses it) gives what
    ``label`` gives cycle by cycle: vendor numbers with gaps, cycles before the first and past
    the last, blocks (-1), on random numberings."""
    from analysis.cycling.numbering import CycleNumbering

    rng = np.random.default_rng(7)
    for _ in range(300):
        ordinal = np.sort(rng.choice(np.arange(30), size=int(rng.integers(0, 8)), replace=False))
        numbers = ordinal + int(rng.integers(-1, 3))
        numbering = CycleNumbering("vendor", "Cycle", "", ordinal, numbers, numbers)
        wanted = rng.integers(-3, 40, size=20)
        assert numbering.labels(wanted).tolist() == [numbering.label(int(k)) for k in wanted]
