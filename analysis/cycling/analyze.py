"""``analyze_cycling``: the canonical cycling table in, per-cycle table and run metrics out."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.cycling import reuse
from analysis.cycling.cutoffs import find_cutoffs, half_cycle_name
from analysis.cycling.cycle_rules import CycleView
from analysis.cycling.halfcycles import HalfCycles, compute_half_cycles
from analysis.cycling.metrics import build_cycles, cycle_structure, diagnostic_blocks, run_metrics
from analysis.cycling.numbering import number_cycles
from analysis.cycling.parameters import CellType, CyclingParameters, resolve
from analysis.cycling.plateaus import plateaus as compute_plateaus
from analysis.cycling.profiles import profile_series
from analysis.cycling.reservoir import reservoir_ce
from analysis.cycling.result import CyclingResult
from analysis.cycling.segmentation import (
    FloatArray,
    IntArray,
    Segmentation,
    all_finite,
    pulse_protocol,
    segment,
    with_blocks,
)
from analysis.cycling.shorts import detect_short_circuits, regular_half_cycles
from analysis.cycling.sign import looks_reversed, reversed_table

REQUIRED = ("test_time_second", "voltage_volt", "current_ampere")
T = TypeVar("T")


def _column(table: pd.DataFrame, name: str) -> FloatArray:
    values: FloatArray = table[name].to_numpy(dtype=np.float64, na_value=np.nan)
    if not all_finite(values):
        row = int(np.flatnonzero(~np.isfinite(values))[0])
        raise ValueError(
            f"column {name!r}, row {row + 1}: expected a finite number, found {values[row]!r}"
        )
    return values


def _in_background(work: Callable[..., T], *args: Any) -> Future[T]:
    """``work(*args)`` started in a thread of its own; the thread ends when it is done (the
    pool is shut down at once, without waiting), so none is left over after the analysis, nor
    inherited by a forked process."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(work, *args)
    finally:
        pool.shutdown(wait=False)


def _mean_per_half_cycle(table: pd.DataFrame, name: str, seg: Segmentation) -> FloatArray:
    """Mean of a column over each half-cycle's rows, ignoring missing values (NaN where the
    column is absent or has no value in the half-cycle)."""
    if name not in table.columns or not seg.starts.size:
        return np.full(seg.starts.size, np.nan)
    values = table[name].to_numpy(dtype=np.float64, na_value=np.nan)
    seen = np.isfinite(values)
    sums = np.concatenate(([0.0], np.cumsum(np.where(seen, values, 0.0))))
    counts = np.concatenate(([0], np.cumsum(seen)))
    n = counts[seg.stops] - counts[seg.starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(n > 0, (sums[seg.stops] - sums[seg.starts]) / n, np.nan)
    return out


def analyze_cycling(
    table: pd.DataFrame,
    *,
    cell_type: CellType,
    area_cm2: float | None = None,
    one_c_current_density_mA_cm2: float | None = None,
    one_c_current_mA: float | None = None,
    params: CyclingParameters | None = None,
    profiles: bool = False,
) -> CyclingResult:
    """Half-cycles, per-cycle capacities and efficiencies, run metrics and short circuits.

    ``table`` is the canonical cycling table of :mod:`analysis.readers` (BDF names, SI units,
    positive current charges the test object). ``cell_type``: ``"half"`` (anode-less electrode
    as working electrode against Li: plating is negative current, the cycle is plating then
    stripping, CE = stripping / plating) or ``"full"`` (cycle = charge then discharge, CE =
    discharge / charge). ``area_cm2`` gives the areal columns (mAh/cm2, mA/cm2); the protocol's
    1C (``one_c_current_density_mA_cm2`` with the area, or ``one_c_current_mA``) gives the
    C-rates. Definitions, units and references of every output: :mod:`analysis.cycling.metrics`
    and docs/metrics-cycling.md. ``profiles=True`` adds the voltage-profile curves
    (:func:`analysis.cycling.profiles.profile_series`). Raises ``ValueError`` naming the column and row for a missing
    column or a non-finite required value.
    """
    if cell_type not in ("half", "full"):
        raise ValueError(f"cell_type: expected 'half' or 'full', found {cell_type!r}")
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise ValueError(f"the cycling table has no column(s) {missing}; expected {list(REQUIRED)}")
    if area_cm2 is not None and not area_cm2 > 0:
        raise ValueError(f"area_cm2: expected a positive area, found {area_cm2}")
    given = params or CyclingParameters()
    used = resolve(given, cell_type)
    warnings: list[str] = []
    if used.ce_method == "reservoir" and cell_type != "half":
        raise ValueError("ce_method='reservoir' is a half-cell (Li metal) protocol")
    if used.current_sign == "reversed":
        table = reversed_table(table)
        warnings.append("the current was negated, as asked (current_sign='reversed')")
    time_s = _column(table, "test_time_second")
    voltage = _column(table, "voltage_volt")
    current = _column(table, "current_ampere")
    if time_s.size < 2:
        raise ValueError(f"the cycling table has {time_s.size} row(s); at least 2 are needed")

    one_c_A: float | None = None
    if one_c_current_mA is not None:
        one_c_A = one_c_current_mA / 1000.0
    elif one_c_current_density_mA_cm2 is not None:
        if area_cm2 is None:
            raise ValueError("one_c_current_density_mA_cm2 needs area_cm2")
        one_c_A = one_c_current_density_mA_cm2 * area_cm2 / 1000.0

    interrupted = (
        table["interrupted_before"].to_numpy(dtype=np.float64, na_value=0.0) > 0
        if "interrupted_before" in table.columns
        else None
    )
    step = next(
        (
            table[c].to_numpy(dtype=np.float64, na_value=np.nan)
            for c in ("step_count", "step_index")
            if c in table.columns
        ),
        None,
    )
    seg = segment(time_s, current, cell_type, used, interrupted, step, voltage, True)
    reuse.begin(seg, time_s.size, reuse.context_of(cell_type, used.to_dict(), seg))
    gaps, backwards = seg.gaps_skipped, seg.backward_steps
    if backwards:
        warnings.append(
            f"test time goes backwards {backwards} time(s); those intervals count as zero"
        )
    if gaps:
        warnings.append(
            f"{gaps} interval(s) longer than {used.max_integration_gap_s:g} s (paused test) "
            "are not integrated"
        )
    if seg.interrupted_intervals:
        warnings.append(
            f"{seg.interrupted_intervals} interval(s) ({seg.interrupted_s:.0f} s) in which another "
            "technique ran (impedance loops) are not integrated: the DC current did not flow then"
        )
    n_pulses = int(seg.pulses.sum())
    if seg.interruptions_merged > n_pulses:
        warnings.append(
            f"{seg.interruptions_merged - n_pulses} brief current interruption(s) of the "
            "opposite sign were merged into the half-cycle around them"
        )
    if n_pulses:
        warnings.append(
            f"{n_pulses} pulse(s) of the opposite sign (programmed steps shorter than "
            f"{used.max_interruption_s:g} s and {used.max_pulse_fraction:.0%} of the steps "
            "around them: HPPC, DCIR) were merged into the half-cycle around them, net of "
            "their charge"
        )
    if not seg.starts.size:
        warnings.append("no current above the rest threshold: no half-cycle found")
    hc = compute_half_cycles(table, time_s, voltage, current, seg, used, warnings, step)
    seg = with_blocks(seg, hc.capacity_Ah, cell_type)
    if used.current_sign == "auto":
        flipped, agree, disagree = looks_reversed(hc.mean_voltage_V, seg)
        if flipped:
            again = analyze_cycling(
                reversed_table(table),
                cell_type=cell_type,
                area_cm2=area_cm2,
                one_c_current_density_mA_cm2=one_c_current_density_mA_cm2,
                one_c_current_mA=one_c_current_mA,
                params=dataclasses.replace(given, current_sign="as_recorded"),
                profiles=profiles,
            )
            note = (
                f"the current's sign looks reversed: in {disagree} adjacent pairs of half-cycles "
                f"the negative-current one ran at the higher mean voltage (in {agree} the "
                "positive one), which a cell does not do; the current was negated and the "
                "charge/discharge counters swapped (current_sign='as_recorded' keeps the "
                "file's sign)"
            )
            return dataclasses.replace(
                again,
                warnings=(note, *again.warnings),
                metrics={**again.metrics, "current_sign": "reversed"},
                parameters=dataclasses.replace(again.parameters, current_sign="auto"),
            )
    # The voltage-profile curves depend on the half-cycles' rows, direction and charge alone
    # (none changes below): computed in a worker thread, where numpy releases the GIL in their
    # cumulative sum and repeats, while the rest of the analysis runs.
    curves = _in_background(profile_series, voltage, seg) if profiles else None
    cutoffs = find_cutoffs(seg, hc, used)
    warnings.extend(cutoffs.notes)

    vendor_values = (
        table["cycle_count"].to_numpy(dtype=np.float64, na_value=np.nan)
        if "cycle_count" in table.columns
        else None
    )
    vendor_finite = vendor_values is not None and all_finite(vendor_values)
    numbering = number_cycles(seg, vendor_values, vendor_finite)
    has_index = vendor_values is not None and (
        (vendor_finite and vendor_values.size > 0) or bool(np.any(np.isfinite(vendor_values)))
    )
    if has_index and (numbering.scheme != "vendor" or numbering.basis == "most_charge"):
        warnings.append(numbering.reason)
    blocks = diagnostic_blocks(seg, hc, time_s, vendor_values)
    if blocks:
        warnings.append(
            f"{len(blocks)} diagnostic block(s) (a half-cycle holding pulses, e.g. an HPPC "
            "sequence, with the half-cycle it would pair with; first from "
            f"{blocks[0]['start_time_s'] / 3600:.4g} h) are kept out of the cycles: a full "
            "charge is not paired with a pulse, nor a diagnostic sequence counted as a cycle"
        )
    protocol = pulse_protocol(seg, hc.capacity_Ah, cell_type)
    if np.any(protocol):
        warnings.append(
            f"{int(np.count_nonzero(protocol))} half-cycle(s) hold pulses of the opposite sign, "
            "in half or more of the half-cycles of their kind: the pulses are the protocol "
            "(pulse or pulse-reverse cycling), so they stay in their cycles, net of their charge"
        )

    plateaus = compute_plateaus(voltage, hc.cc_rows, seg, used, cell_type == "half")
    before = len(warnings)
    excluded = _partial_first_cycle(seg, hc, used, cell_type, warnings)
    warnings[before:] = [numbering.text(w) for w in warnings[before:]]
    # A short second half-cycle that ended at its cut-off is a real (poor) cycle, kept; one
    # that stopped short of it is a partial step (HPPC, drive cycle), like a short first one.
    regular = regular_half_cycles(seg, hc)
    small = ~regular & ~(~seg.is_first & cutoffs.reached)
    minor = np.unique(seg.cycle[small & (seg.cycle >= 1)])
    minor = minor[~np.isin(minor, excluded)]
    if minor.size:
        warnings.append(
            f"{minor.size} cycle(s) hold a half-cycle with less than half the usual charge "
            f"(pulses, partial or diagnostic steps; first: cycle {numbering.label(int(minor[0]))}): they are "
            "listed but kept out of the CE averages and the cycle-level short-circuit rules"
        )
    excluded = np.union1d(excluded, minor).astype(np.int64)
    cycles = build_cycles(
        cell_type=cell_type,
        seg=seg,
        hc=hc,
        cutoffs=cutoffs,
        area_cm2=area_cm2,
        one_c_current_A=one_c_A,
        numbering=numbering,
        plateaus=plateaus,
        excluded=excluded,
    )
    numbers, _, second, complete = cycle_structure(seg, cutoffs)
    truncated = (second >= 0) & ~complete & (numbers >= 1)
    if np.any(truncated):
        warnings.append(
            f"cycle {numbering.label(int(numbers[truncated][-1]))} stops at the end of the file before its "
            "cut-off; it is reported but not used in the run metrics"
        )
    if seg.direction.size and seg.cycle[0] == 0:
        warnings.append(
            f"the test starts with {half_cycle_name(int(seg.direction[0]), cell_type)}; that "
            f"half-cycle is cycle {numbering.label(0)} and no run metric uses it"
        )
    view = _cycle_view(cycles, cell_type, excluded)
    if cell_type == "half":
        before = len(warnings)
        _warn_charge_out_exceeds_in(view, used, warnings)
        warnings[before:] = [numbering.text(w) for w in warnings[before:]]
    events = detect_short_circuits(
        cell_type=cell_type,
        seg=seg,
        hc=hc,
        cutoffs=cutoffs,
        voltage_V=voltage,
        time_s=time_s,
        cycles=view,
        plateaus=plateaus,
        regular=regular,
        params=used,
    )
    metrics, cycles, rate = run_metrics(
        cell_type=cell_type,
        cycles=cycles,
        events=events,
        time_s=time_s,
        area_cm2=area_cm2,
        params=used,
    )
    metrics["ce_method"] = used.ce_method
    if used.ce_method == "reservoir":
        reservoir, why = reservoir_ce(
            seg, hc.capacity_Ah, cutoffs.reached, used.formation_cycles or 0
        )
        metrics.update(reservoir)
        metrics["average_coulombic_efficiency"] = reservoir["reservoir_coulombic_efficiency"]
        metrics["average_coulombic_efficiency_window"] = "reservoir"
        if why:
            warnings.append(f"reservoir method: {why}")
    metrics.update(
        {
            "area_cm2": area_cm2,
            "one_c_current_mA": one_c_A * 1000.0 if one_c_A else None,
            "number_of_half_cycles": int(seg.starts.size),
            "capacity_source": hc.capacity_source,
            "energy_source": hc.energy_source,
            **numbering.metrics(),
            "diagnostic_blocks": blocks,
            "rest_current_threshold_A": seg.rest_threshold_A,
            "upper_cutoff_V": cutoffs.upper_V,
            "lower_cutoff_V": cutoffs.lower_V,
            "current_sign": "as_recorded"
            if used.current_sign != "reversed"
            else "reversed (as asked)",
            "counter_mismatched_half_cycles": hc.counter_mismatches,
            "counter_median_difference": hc.counter_median_difference,
            "excluded_cycles": [int(c) for c in excluded],
        }
    )
    half_cycles = pd.DataFrame(
        {
            "half_cycle": np.arange(seg.starts.size),
            "cycle": numbering.labels(seg.cycle),
            "kind": _half_cycle_names(seg.direction, cell_type),
            "diagnostic_block": seg.block,
            "pulses": seg.pulses,
            "first_row": seg.starts,
            "last_row": seg.stops - 1,
            "start_time_s": hc.start_time_s,
            "end_time_s": hc.end_time_s,
            "capacity_mAh": hc.capacity_Ah * 1000.0,
            "integrated_capacity_mAh": hc.integrated_capacity_Ah * 1000.0,
            "reached_cutoff": cutoffs.reached,
            # what the protocol check (analysis.conformance) compares with the protocol
            "current_mA": hc.current_A * 1000.0,
            "max_voltage_V": hc.max_voltage_V,
            "min_voltage_V": hc.min_voltage_V,
            "mean_temperature_degC": _mean_per_half_cycle(table, "temperature_t1_celsius", seg),
        }
    )
    cycles, metrics, events, rate = numbering.report(cycles, metrics, events, rate)
    return CyclingResult(
        cell_type=cell_type,
        cycles=cycles,
        metrics=metrics,
        short_circuits=events,
        rate_capability=rate,
        half_cycles=half_cycles,
        warnings=tuple(warnings),
        parameters=used,
        profiles=curves.result() if curves is not None else None,
    )


def _partial_first_cycle(
    seg: Segmentation,
    hc: HalfCycles,
    params: CyclingParameters,
    cell_type: CellType,
    warnings: list[str],
) -> IntArray:
    """Cycle 1 when its first half-cycle is partial (see ``partial_first_fraction``)."""
    capacity = np.abs(hc.capacity_Ah)
    first = np.flatnonzero(seg.is_first & (seg.cycle == 1))
    if not first.size:
        return np.zeros(0, dtype=np.int64)
    i = int(first[0])
    later = np.flatnonzero(seg.is_first)[1:11]
    if later.size < 2:
        return np.zeros(0, dtype=np.int64)
    usual = float(np.median(capacity[later]))
    if usual > 0 and capacity[i] < params.partial_first_fraction * usual:
        warnings.append(
            f"cycle 1 starts with a partial {half_cycle_name(int(seg.direction[i]), cell_type)} "
            f"({capacity[i] * 1000:.4g} mAh, {capacity[i] / usual:.0%} of the usual "
            f"{usual * 1000:.4g} mAh): the test started mid-step; cycle 1 is not used for the "
            "ICE, the CE averages or the short-circuit rules"
        )
        return np.array([1], dtype=np.int64)
    # A full cell gives back no more than it was charged with unless it held charge when the
    # test started: a first charge that the discharge after it exceeds was partial too.
    j = i + 1
    second = j < seg.cycle.size and seg.cycle[j] == 1 and not seg.is_first[j]
    if (
        cell_type == "full"
        and second
        and capacity[j] > (1.0 + params.ce_short_tolerance) * capacity[i]
    ):
        warnings.append(
            f"cycle 1's discharge ({capacity[j] * 1000:.4g} mAh) exceeds its charge "
            f"({capacity[i] * 1000:.4g} mAh, {capacity[i] / usual:.0%} of the usual): the "
            "cell held charge when the test started, so the first charge was partial; "
            "cycle 1 is not used for the ICE, the CE averages or the short-circuit rules"
        )
        return np.array([1], dtype=np.int64)
    return np.zeros(0, dtype=np.int64)


def _cycle_view(cycles: pd.DataFrame, cell_type: CellType, excluded: IntArray) -> CycleView:
    number = cycles["cycle"].to_numpy(dtype=np.int64)
    first, second = ("plating", "stripping") if cell_type == "half" else ("charge", "discharge")

    def col(name: str) -> FloatArray:
        return cycles[name].to_numpy(dtype=np.float64, na_value=np.nan)

    current = "discharge_current_mA" if cell_type == "half" else "charge_current_mA"
    usable = cycles["complete"].to_numpy(dtype=bool) & (number >= 1) & ~np.isin(number, excluded)
    return CycleView(
        number=number,
        usable=usable,
        ce=col("coulombic_efficiency"),
        first_mAh=col(f"{first}_capacity_mAh"),
        second_mAh=col(f"{second}_capacity_mAh"),
        current_mA=col(current),
        excluded=excluded,
    )


def _warn_charge_out_exceeds_in(
    view: CycleView, params: CyclingParameters, warnings: list[str]
) -> None:
    """A half cell cannot give back more Li than was plated on it: say so where it does."""
    usable = view.usable & np.isfinite(view.ce)
    limit = 1.0 + params.ce_short_tolerance
    first = usable & (view.number == 1)
    if np.any(first) and float(view.ce[first][0]) > limit:
        warnings.append(
            f"the first cycle's CE is {float(view.ce[first][0]):.4f}: more charge was stripped "
            "than plated, which an electrode without Li cannot do (a short, a current offset, "
            "an electrode that held Li, or a test that did not start with plating)"
        )
    later = view.ce[usable & (view.number >= 2)]
    if later.size >= 2 and float(np.median(later)) > limit:
        warnings.append(
            f"the median CE from cycle 2 on is {float(np.median(later)):.4f} (above 1 in "
            f"{int(np.count_nonzero(later > 1))} of {later.size} cycles): more charge comes out "
            "than goes in from the start, so no onset of a short can be told from it; check "
            "the current calibration (an offset current) or whether the cell was shorted when "
            "it was built"
        )


def _half_cycle_names(direction: npt.NDArray[np.integer[Any]], cell_type: CellType) -> list[str]:
    """:func:`half_cycle_name` of each half-cycle's direction, called once per distinct one."""
    values = direction.tolist()
    names = {d: half_cycle_name(int(d), cell_type) for d in set(values)}
    return [names[d] for d in values]
