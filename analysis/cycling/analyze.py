"""``analyze_cycling``: the canonical cycling table in, per-cycle table and run metrics out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.cycling.halfcycles import compute_half_cycles
from analysis.cycling.metrics import build_cycles, cycle_structure, run_metrics
from analysis.cycling.parameters import CellType, CyclingParameters, resolve
from analysis.cycling.profiles import profile_series
from analysis.cycling.result import CyclingResult
from analysis.cycling.segmentation import FloatArray, segment, vendor_cycle_index
from analysis.cycling.shorts import detect_short_circuits, find_cutoffs, half_cycle_name

REQUIRED = ("test_time_second", "voltage_volt", "current_ampere")


def _column(table: pd.DataFrame, name: str) -> FloatArray:
    values: FloatArray = table[name].to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if np.any(bad):
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"column {name!r}, row {row + 1}: expected a finite number, found {values[row]!r}"
        )
    return values


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
    used = resolve(params or CyclingParameters(), cell_type)
    warnings: list[str] = []
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

    seg = segment(time_s, current, cell_type, used)
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
    if seg.interruptions_merged:
        warnings.append(
            f"{seg.interruptions_merged} brief current interruption(s) of the opposite sign "
            "were merged into the half-cycle around them"
        )
    if not seg.starts.size:
        warnings.append("no current above the rest threshold: no half-cycle found")
    hc = compute_half_cycles(table, time_s, voltage, current, seg, used, warnings)
    cutoffs = find_cutoffs(seg, hc, used)
    warnings.extend(cutoffs.notes)

    vendor = None
    cycle_index_source = "current_sign"
    if "cycle_count" in table.columns:
        vendor_values = table["cycle_count"].to_numpy(dtype=np.float64, na_value=np.nan)
        vendor, reason = vendor_cycle_index(seg, vendor_values)
        if vendor is not None:
            cycle_index_source = "vendor"
        elif reason:
            warnings.append(reason)

    cycles = build_cycles(
        cell_type=cell_type,
        seg=seg,
        hc=hc,
        cutoffs=cutoffs,
        area_cm2=area_cm2,
        one_c_current_A=one_c_A,
        vendor_cycles=vendor,
    )
    numbers, _, second, complete = cycle_structure(seg, cutoffs)
    truncated = (second >= 0) & ~complete & (numbers >= 1)
    if np.any(truncated):
        warnings.append(
            f"cycle {int(numbers[truncated][-1])} stops at the end of the file before its "
            "cut-off; it is reported but not used in the run metrics"
        )
    if seg.direction.size and not seg.is_first[0]:
        warnings.append(
            f"the test starts with {half_cycle_name(int(seg.direction[0]), cell_type)}; that "
            "half-cycle is cycle 0 and no run metric uses it"
        )
    ce = cycles["coulombic_efficiency"].to_numpy(dtype=np.float64, na_value=np.nan)
    cycle_ce = {
        int(c): float(v)
        for c, v, ok in zip(cycles["cycle"], ce, cycles["complete"], strict=True)
        if ok and c >= 1
    }
    events = detect_short_circuits(
        cell_type=cell_type,
        seg=seg,
        hc=hc,
        cutoffs=cutoffs,
        voltage_V=voltage,
        time_s=time_s,
        cycle_ce=cycle_ce,
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
    metrics.update(
        {
            "area_cm2": area_cm2,
            "one_c_current_mA": one_c_A * 1000.0 if one_c_A else None,
            "number_of_half_cycles": int(seg.starts.size),
            "capacity_source": hc.capacity_source,
            "energy_source": hc.energy_source,
            "cycle_index_source": cycle_index_source,
            "rest_current_threshold_A": seg.rest_threshold_A,
            "upper_cutoff_V": cutoffs.upper_V,
            "lower_cutoff_V": cutoffs.lower_V,
        }
    )
    half_cycles = pd.DataFrame(
        {
            "half_cycle": np.arange(seg.starts.size),
            "cycle": seg.cycle,
            "kind": [half_cycle_name(int(d), cell_type) for d in seg.direction],
            "first_row": seg.starts,
            "last_row": seg.stops - 1,
            "start_time_s": hc.start_time_s,
            "end_time_s": hc.end_time_s,
            "capacity_mAh": hc.capacity_Ah * 1000.0,
            "integrated_capacity_mAh": hc.integrated_capacity_Ah * 1000.0,
            "reached_cutoff": cutoffs.reached,
        }
    )
    return CyclingResult(
        cell_type=cell_type,
        cycles=cycles,
        metrics=metrics,
        short_circuits=events,
        rate_capability=rate,
        half_cycles=half_cycles,
        warnings=tuple(warnings),
        parameters=used,
        profiles=profile_series(voltage, seg) if profiles else None,
    )
