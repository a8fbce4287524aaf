"""Per-cycle table and per-run metrics.

Conventions (docs/metrics-cycling.md says the same for users):

* ``charge`` / ``discharge`` follow the BDF current sign: charge is positive current (it
  charges the test object). For a half cell (anode-less electrode as working electrode against
  Li) plating is discharge and stripping is charge; for a full cell, charge plates Li on the
  anode side.
* Coulombic efficiency (CE, dimensionless) is the charge taken back out over the charge put in,
  in the order the cell sees them: stripping / plating for a half cell (Adams et al., "Accurate
  determination of Coulombic efficiency for lithium metal anodes and lithium metal batteries",
  Adv. Energy Mater. 2018, 8, 1702097), discharge / charge for a full cell. It is the fraction
  of the Li deposited in a cycle that comes back, which is why plating comes first.
* Cumulative CE is the product of the per-cycle CEs, the fraction of the Li inventory left
  after n cycles (the paper's definition; cellpy's ``cumulated_coulombic_efficiency`` is a
  running *sum*, a different quantity).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.cycling.cutoffs import Cutoffs
from analysis.cycling.events import ShortCircuitEvent
from analysis.cycling.groups import sorted_unique
from analysis.cycling.halfcycles import HalfCycles
from analysis.cycling.numbering import CycleNumbering
from analysis.cycling.parameters import CellType, CyclingParameters
from analysis.cycling.plateaus import Plateaus
from analysis.cycling.segmentation import BoolArray, FloatArray, IntArray, Segmentation


def _take(values: FloatArray, idx: IntArray) -> FloatArray:
    out = np.full(idx.size, np.nan)
    ok = idx >= 0
    out[ok] = values[idx[ok]]
    return out


def cycle_structure(
    seg: Segmentation, cutoffs: Cutoffs
) -> tuple[IntArray, IntArray, IntArray, BoolArray]:
    """Cycle numbers, index of their first and second half-cycle (-1: none) and completeness.

    A cycle is complete when it has both half-cycles and the second did not stop at the end of
    the file short of its cut-off (an interrupted last half-cycle).
    """
    n = seg.direction.size
    first = np.flatnonzero(seg.is_first).astype(np.int64)
    second = np.where(first + 1 < n, first + 1, -1).astype(np.int64)
    cycles = seg.cycle[first] if first.size else np.zeros(0, dtype=np.int64)
    if n and seg.cycle[0] == 0:  # a leading second-kind half-cycle (not a block)
        cycles = np.concatenate(([0], cycles)).astype(np.int64)
        first = np.concatenate(([-1], first)).astype(np.int64)
        second = np.concatenate(([0], second)).astype(np.int64)
    truncated = (second == n - 1) & ~cutoffs.reached[np.maximum(second, 0)]
    complete = (second >= 0) & (first >= 0) & ~truncated
    return cycles, first, second, complete


def build_cycles(
    *,
    cell_type: CellType,
    seg: Segmentation,
    hc: HalfCycles,
    cutoffs: Cutoffs,
    area_cm2: float | None,
    one_c_current_A: float | None,
    numbering: CycleNumbering,
    plateaus: Plateaus,
    excluded: IntArray,
) -> pd.DataFrame:
    """The per-cycle table (one row per cycle; columns in docs/metrics-cycling.md).

    Energy efficiency (discharge / charge energy) is a full-cell quantity: a half cell's voltage
    is an electrode potential that changes sign, so its "energy" is not stored energy (NaN).
    """
    cycles, first, second, complete = cycle_structure(seg, cutoffs)
    charge, discharge = (second, first) if cell_type == "half" else (first, second)
    mAh = 1000.0
    q_charge = _take(hc.capacity_Ah, charge) * mAh
    q_discharge = _take(hc.capacity_Ah, discharge) * mAh
    q_first = _take(hc.capacity_Ah, first)
    q_second = _take(hc.capacity_Ah, second)
    with np.errstate(invalid="ignore", divide="ignore"):
        ce = np.where(complete, q_second / q_first, np.nan)
        e_charge = _take(hc.energy_Wh, charge) * 1000.0
        e_discharge = _take(hc.energy_Wh, discharge) * 1000.0
        ee = np.where(complete & (cell_type == "full"), e_discharge / e_charge, np.nan)
    start = np.where(first >= 0, _take(hc.start_time_s, first), _take(hc.start_time_s, second))
    end = np.where(second >= 0, _take(hc.end_time_s, second), _take(hc.end_time_s, first))
    data: dict[str, Any] = {"cycle": cycles}
    # The vendor's label of each cycle (-1: none); ``numbering.ordinal`` holds every cycle.
    vendor = np.full(cycles.size, -1, dtype=np.int64)
    if numbering.ordinal.size:
        at = np.searchsorted(numbering.ordinal, cycles)
        vendor = numbering.vendor[np.minimum(at, numbering.ordinal.size - 1)]
    data["vendor_cycle"] = pd.array([None if v < 0 else int(v) for v in vendor], dtype="Int64")
    data["complete"] = complete
    data["excluded_from_metrics"] = np.isin(cycles, excluded)
    data["start_time_s"] = start
    data["end_time_s"] = end
    data["duration_h"] = (end - start) / 3600.0
    data["charge_capacity_mAh"] = q_charge
    data["discharge_capacity_mAh"] = q_discharge
    if cell_type == "half":
        data["plating_capacity_mAh"] = q_discharge
        data["stripping_capacity_mAh"] = q_charge
    area = area_cm2 if area_cm2 else np.nan
    data["charge_capacity_mAh_cm2"] = q_charge / area
    data["discharge_capacity_mAh_cm2"] = q_discharge / area
    if cell_type == "half":
        data["plating_capacity_mAh_cm2"] = q_discharge / area
        data["stripping_capacity_mAh_cm2"] = q_charge / area
    data["coulombic_efficiency"] = ce
    data["charge_energy_mWh"] = e_charge
    data["discharge_energy_mWh"] = e_discharge
    data["energy_efficiency"] = ee
    data["mean_charge_voltage_V"] = _take(hc.mean_voltage_V, charge)
    data["mean_discharge_voltage_V"] = _take(hc.mean_voltage_V, discharge)
    if cell_type == "half":
        data["nucleation_overpotential_V"] = _take(plateaus.nucleation_overpotential_V, discharge)
        data["plating_overpotential_V"] = _take(plateaus.plating_overpotential_V, discharge)
        data["stripping_overpotential_V"] = _take(plateaus.stripping_overpotential_V, charge)
    data["charge_voltage_noise_mV"] = _take(plateaus.noise_V, charge) * 1000.0
    data["discharge_voltage_noise_mV"] = _take(plateaus.noise_V, discharge) * 1000.0
    data["charge_duration_h"] = _take(hc.active_time_s, charge) / 3600.0
    data["discharge_duration_h"] = _take(hc.active_time_s, discharge) / 3600.0
    i_charge = _take(hc.current_A, charge) * 1000.0
    i_discharge = _take(hc.current_A, discharge) * 1000.0
    data["charge_current_mA"] = i_charge
    data["discharge_current_mA"] = i_discharge
    data["charge_current_density_mA_cm2"] = i_charge / area
    data["discharge_current_density_mA_cm2"] = i_discharge / area
    one_c = one_c_current_A * 1000.0 if one_c_current_A else np.nan
    data["charge_c_rate"] = i_charge / one_c
    data["discharge_c_rate"] = i_discharge / one_c
    return pd.DataFrame(data)


def _reversible(cycles: pd.DataFrame, cell_type: CellType) -> FloatArray:
    column = "stripping_capacity_mAh" if cell_type == "half" else "discharge_capacity_mAh"
    return cycles[column].to_numpy(dtype=np.float64, na_value=np.nan)


def _reversible_current(cycles: pd.DataFrame, cell_type: CellType) -> FloatArray:
    column = "charge_current_mA" if cell_type == "half" else "discharge_current_mA"
    return cycles[column].to_numpy(dtype=np.float64, na_value=np.nan)


def rate_steps(current_mA: FloatArray, tolerance: float) -> IntArray:
    """Step number (0, 1, ...) of consecutive cycles run at the same current within
    ``tolerance`` (relative)."""
    if not current_mA.size:
        return np.zeros(0, dtype=np.int64)
    prev = current_mA[:-1]
    change = np.abs(current_mA[1:] - prev) > tolerance * np.abs(prev)
    return np.concatenate(([0], np.cumsum(change))).astype(np.int64)


def run_metrics(
    *,
    cell_type: CellType,
    cycles: pd.DataFrame,
    events: tuple[ShortCircuitEvent, ...],
    time_s: FloatArray,
    area_cm2: float | None,
    params: CyclingParameters,
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """Run metrics, the per-cycle table with its curves added, and the rate-capability table."""
    cycles = cycles.copy()
    number = cycles["cycle"].to_numpy(dtype=np.int64)
    complete = (
        cycles["complete"].to_numpy(dtype=bool)
        & (number >= 1)
        & ~cycles["excluded_from_metrics"].to_numpy(dtype=bool)
    )
    ce = cycles["coulombic_efficiency"].to_numpy(dtype=np.float64, na_value=np.nan)
    short_cycle = min((e.cycle for e in events), default=None)
    last_complete = int(number[complete].max()) if np.any(complete) else None
    if short_cycle is not None:
        cycle_life: int | None = short_cycle - 1
        censored = False
    else:
        cycle_life = last_complete
        censored = True
    end = cycle_life if cycle_life is not None else 0

    in_life = complete & (number <= end)
    ice = float(ce[complete & (number == 1)][0]) if np.any(complete & (number == 1)) else None

    avg_first = params.average_ce_first_cycle
    avg_last = params.average_ce_last_cycle if params.average_ce_last_cycle is not None else end
    window = complete & (number >= avg_first) & (number <= avg_last) & np.isfinite(ce)
    average = float(np.mean(ce[window])) if np.any(window) else None

    cumulative = np.full(number.size, np.nan)
    cumulative[complete] = np.cumprod(ce[complete])
    cycles["cumulative_coulombic_efficiency"] = cumulative
    final_cumulative = float(cumulative[in_life][-1]) if np.any(in_life) else None

    reversible = _reversible(cycles, cell_type)
    current = _reversible_current(cycles, cell_type)
    steps = np.full(number.size, -1, dtype=np.int64)
    steps[complete] = rate_steps(current[complete], params.rate_step_tolerance)
    formation = params.formation_cycles
    if formation is None:
        first_step = complete & (steps == 0)
        n_first = int(np.count_nonzero(first_step))
        formation = (
            n_first if n_first <= params.max_formation_cycles and np.any(steps[complete] > 0) else 0
        )
    reference: int | None = (
        params.reference_cycle if params.reference_cycle is not None else formation + 1
    )
    if cell_type == "half" and params.reference_cycle is None:
        # A half cell's stripping capacity follows the plated capacity the protocol sets (or
        # the seeds' alloying), not a fading store: retention only against a stated reference.
        reference = None
    ref_rows = complete & (number == reference)
    retention = np.full(number.size, np.nan)
    reference_capacity = float(reversible[ref_rows][0]) if np.any(ref_rows) else None
    if reference_capacity:
        after = complete & (number >= (reference or 0))
        retention[after] = reversible[after] / reference_capacity
    cycles["capacity_retention"] = retention
    window_ret = complete & (number >= (reference or 0)) & (number <= end) & np.isfinite(retention)
    final_retention = float(retention[window_ret][-1]) if np.any(window_ret) else None

    def cycles_to(fraction: float) -> int | None:
        below = window_ret & (retention < fraction)
        return int(number[below][0]) if np.any(below) else None

    rate = rate_table(cycles, steps, reversible, current, in_life, area_cm2)
    first_rows = complete & (number == 1)

    def first_value(column: str) -> float | None:
        if column not in cycles or not np.any(first_rows):
            return None
        return float(cycles[column].to_numpy(dtype=np.float64, na_value=np.nan)[first_rows][0])

    metrics: dict[str, Any] = {
        "cell_type": cell_type,
        "number_of_cycles": int(np.count_nonzero(complete)),
        "initial_coulombic_efficiency": ice,
        "average_coulombic_efficiency": average,
        # the cycles averaged; None when none was usable (a short before the window's first
        # cycle, no complete cycle): an empty range such as [2, 1] would look like a window
        "average_coulombic_efficiency_window": [avg_first, avg_last]
        if average is not None
        else None,
        "cumulative_coulombic_efficiency": final_cumulative,
        "cumulative_coulombic_efficiency_window": [1, end]
        if final_cumulative is not None
        else None,
        "formation_cycles": formation,
        "reference_cycle": reference,
        "reference_capacity_mAh": reference_capacity,
        "capacity_retention": final_retention,
        "cycles_to_80_percent_retention": cycles_to(0.8),
        "cycles_to_70_percent_retention": cycles_to(0.7),
        "short_circuit_cycle": short_cycle,
        "failure_mode": events[0].rule if events else None,
        "short_circuit_rules": sorted({e.rule for e in events if e.cycle == short_cycle}),
        "cycle_life": cycle_life,
        "cycle_life_censored": censored,
        "last_complete_cycle": last_complete,
        "total_time_h": float((time_s[-1] - time_s[0]) / 3600.0) if time_s.size else 0.0,
        "initial_charge_capacity_mAh": first_value("charge_capacity_mAh"),
        "initial_discharge_capacity_mAh": first_value("discharge_capacity_mAh"),
    }
    if cell_type == "half":
        metrics["initial_plating_capacity_mAh"] = first_value("plating_capacity_mAh")
        metrics["initial_stripping_capacity_mAh"] = first_value("stripping_capacity_mAh")
    return metrics, cycles, rate


def rate_table(
    cycles: pd.DataFrame,
    steps: IntArray,
    reversible: FloatArray,
    current_mA: FloatArray,
    rows: BoolArray,
    area_cm2: float | None,
) -> pd.DataFrame:
    """Mean reversible (discharge / stripping) capacity per current step, before any short."""
    columns = [
        "step",
        "first_cycle",
        "last_cycle",
        "cycles",
        "current_mA",
        "current_density_mA_cm2",
        "c_rate",
        "mean_reversible_capacity_mAh",
        "mean_reversible_capacity_mAh_cm2",
    ]
    if not np.any(rows):
        return pd.DataFrame({c: [] for c in columns})
    c_rate_column = "charge_c_rate" if "plating_capacity_mAh" in cycles else "discharge_c_rate"
    frame = pd.DataFrame(
        {
            "step": steps[rows],
            "cycle": cycles["cycle"].to_numpy()[rows],
            "current_mA": current_mA[rows],
            "c_rate": cycles[c_rate_column].to_numpy(dtype=np.float64, na_value=np.nan)[rows],
            "capacity": reversible[rows],
        }
    )
    grouped = frame.groupby("step", sort=True)
    # the steps' numbers, cycles and counts are whole numbers: numpy's, in pandas' order of
    # the groups (sorted); the means are pandas' own (compensated sums)
    keys = sorted_unique(steps[rows])
    group = np.searchsorted(keys, steps[rows])
    cycle = frame["cycle"].to_numpy()
    first = np.full(keys.size, np.iinfo(cycle.dtype).max, dtype=cycle.dtype)
    last = np.full(keys.size, np.iinfo(cycle.dtype).min, dtype=cycle.dtype)
    np.minimum.at(first, group, cycle)
    np.maximum.at(last, group, cycle)
    table = pd.DataFrame(
        {
            "step": keys + 1,
            "first_cycle": first,
            "last_cycle": last,
            "cycles": np.bincount(group, minlength=keys.size).astype(np.int64),
            "current_mA": grouped["current_mA"].mean().to_numpy(),
            "c_rate": grouped["c_rate"].mean().to_numpy(),
            "mean_reversible_capacity_mAh": grouped["capacity"].mean().to_numpy(),
        }
    )
    area = area_cm2 if area_cm2 else np.nan
    table["current_density_mA_cm2"] = table["current_mA"] / area
    table["mean_reversible_capacity_mAh_cm2"] = table["mean_reversible_capacity_mAh"] / area
    return table[columns]


def diagnostic_blocks(
    seg: Segmentation, hc: HalfCycles, time_s: FloatArray, vendor: FloatArray | None
) -> list[dict[str, Any]]:
    """One entry per run of consecutive diagnostic-block half-cycles: its half-cycles, times,
    pulses, the charge it put in and took out (mAh) and the vendor's cycle(s) it lies in."""
    out: list[dict[str, Any]] = []
    held = np.flatnonzero(seg.block)
    if not held.size:
        return out
    for run in np.split(held, np.flatnonzero(np.diff(held) != 1) + 1):
        a, b = int(run[0]), int(run[-1])
        q = hc.capacity_Ah[a : b + 1] * 1000.0
        d = seg.direction[a : b + 1]
        entry: dict[str, Any] = {
            "first_half_cycle": a,
            "last_half_cycle": b,
            "start_time_s": float(time_s[seg.starts[a]]),
            "end_time_s": float(time_s[seg.stops[b] - 1]),
            "pulses": int(seg.pulses[a : b + 1].sum()),
            "charge_mAh": float(np.abs(q[d > 0]).sum()),
            "discharge_mAh": float(np.abs(q[d < 0]).sum()),
            "vendor_cycles": [],
        }
        if vendor is not None:
            rows = slice(int(seg.starts[a]), int(seg.stops[b]))
            values = vendor[rows][seg.active[rows] & np.isfinite(vendor[rows])]
            entry["vendor_cycles"] = [int(v) for v in np.unique(values.astype(np.int64))]
        out.append(entry)
    return out
