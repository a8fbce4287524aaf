"""What the cycler does to the cell's record: the canonical table a reader would return, with
the instrument's noise, resolution and glitches, its cycle numbering and current sign, and a
file that starts part-way through the first charging half-cycle."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.simulate._trace import MODE_REST, CyclerTrace
from analysis.simulate.cells.spec import CycleIndex, Realism


def canonical_table(trace: CyclerTrace) -> pd.DataFrame:
    """The trace as the canonical cycling table (:mod:`analysis.readers.canonical`): SI units,
    capacity and energy counters per direction, cumulative within each step."""
    a = trace.arrays()
    current_mA = a["current_mA"].astype(np.float64)
    q = a["charge_mAh"].astype(np.float64)
    step_no = a["step_number"].astype(np.int64)
    first = np.ones(step_no.size, dtype=bool)
    first[1:] = step_no[1:] != step_no[:-1]
    start = np.flatnonzero(first)[np.cumsum(first) - 1]
    q_step = (q - q[start]) / 1000.0
    energy = a["step_energy_Wh"].astype(np.float64)
    t = a["time_s"].astype(np.float64)
    charging = current_mA > 0
    return pd.DataFrame(
        {
            "test_time_second": t,
            "voltage_volt": a["voltage_V"].astype(np.float64),
            "current_ampere": current_mA / 1000.0,
            "step_time_second": t - t[start],
            "cycle_count": a["cycle"].astype(np.float64),
            "step_count": step_no.astype(np.float64) + 1.0,
            "step_index": a["step"].astype(np.float64),
            "charging_capacity_ah": np.where(charging, np.abs(q_step), 0.0),
            "discharging_capacity_ah": np.where(~charging, np.abs(q_step), 0.0),
            "charging_energy_wh": np.where(charging, energy, 0.0),
            "discharging_energy_wh": np.where(~charging, energy, 0.0),
            "_mode": a["mode"],
        }
    )


def apply_realism(
    table: pd.DataFrame, realism: Realism, rng: np.random.Generator
) -> tuple[pd.DataFrame, float]:
    """The table as the instrument records it (see :class:`Realism`); returns it and the test
    time (s, before the cut) at which the file starts."""
    out = table.copy()
    t0 = 0.0
    if realism.partial_first is not None:
        out, t0 = _start_part_way(out, realism.partial_first)
    v = out["voltage_volt"].to_numpy(dtype=np.float64).copy()
    mode = out.pop("_mode").to_numpy()
    ends = _step_ends(out)
    if realism.noise_V > 0:
        noisy = v + rng.normal(0.0, realism.noise_V, v.size)
        v = np.where(ends & (mode != MODE_REST), v, noisy)  # the limit rows stay at the limit
    if realism.glitches:
        candidates = np.flatnonzero(~ends)
        rows = rng.choice(candidates, size=min(realism.glitches, candidates.size), replace=False)
        low, high = realism.glitch_V
        v[rows] += rng.choice([-1.0, 1.0], rows.size) * rng.uniform(low, high, rows.size)
    if realism.quantum_V > 0:
        v = np.round(v / realism.quantum_V) * realism.quantum_V
    out["voltage_volt"] = v
    if realism.flipped_sign:
        out["current_ampere"] = -out["current_ampere"]
        out = out.rename(
            columns={
                "charging_capacity_ah": "discharging_capacity_ah",
                "discharging_capacity_ah": "charging_capacity_ah",
                "charging_energy_wh": "discharging_energy_wh",
                "discharging_energy_wh": "charging_energy_wh",
            }
        )
    out = _number_cycles(out, realism.cycle_index)
    return out.reset_index(drop=True), t0


def _step_ends(table: pd.DataFrame) -> np.ndarray:
    step = table["step_count"].to_numpy()
    last = np.ones(step.size, dtype=bool)
    last[:-1] = step[1:] != step[:-1]
    return last


def _start_part_way(table: pd.DataFrame, fraction: float) -> tuple[pd.DataFrame, float]:
    """Drop the rows before the last ``fraction`` of the first current-carrying step (a file
    that starts after a channel restart, or a cell delivered part-charged), and restart the
    time, the step time and the step's counters where the file starts."""
    current = table["current_ampere"].to_numpy()
    step = table["step_count"].to_numpy()
    active = np.flatnonzero(current != 0)
    if not active.size:
        return table, 0.0
    s = step[active[0]]
    rows = np.flatnonzero(step == s)
    t = table["test_time_second"].to_numpy()
    t_cut = t[rows[0]] + (1.0 - fraction) * (t[rows[-1]] - t[rows[0]])
    keep_from = int(rows[np.searchsorted(t[rows], t_cut)])
    out = table.iloc[keep_from:].copy()
    first = out["step_count"].to_numpy() == s
    for column in (
        "charging_capacity_ah",
        "discharging_capacity_ah",
        "charging_energy_wh",
        "discharging_energy_wh",
        "step_time_second",
    ):
        values = out[column].to_numpy(dtype=np.float64).copy()
        values[first] -= values[0]
        out[column] = values
    start = float(out["test_time_second"].iloc[0])
    out["test_time_second"] -= start
    return out, start


def _number_cycles(table: pd.DataFrame, style: CycleIndex) -> pd.DataFrame:
    """The vendor's cycle column: protocol cycles from 1, from 0 (EC-Lab), Arbin's
    Cycle_Index (one more at every charge step that follows a discharge step, pulses
    included), or no column."""
    if style == "none":
        return table.drop(columns=["cycle_count"])
    if style == "zero_based":
        table["cycle_count"] = table["cycle_count"] - 1.0
    elif style == "arbin":
        current = table["current_ampere"].to_numpy()
        step = table["step_count"].to_numpy()
        first = np.ones(step.size, dtype=bool)
        first[1:] = step[1:] != step[:-1]
        sign = np.sign(pd.Series(current).groupby(step).mean().to_numpy())
        cycle = np.ones(sign.size)
        last = 0.0
        count = 1.0
        for i, s in enumerate(sign):
            if s > 0 and last < 0:
                count += 1.0
            if s != 0:
                last = s
            cycle[i] = count
        table["cycle_count"] = cycle[np.cumsum(first) - 1]
    return table
