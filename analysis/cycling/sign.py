"""Is the current's sign the one the canonical table promises (positive charges the test object)?

Cyclers disagree on the sign, and exports and readers get it wrong. A reversed sign swaps
plating and stripping (charge and discharge), so every CE becomes its inverse and a healthy
cell looks shorted. The check holds for any cell, half or full: **under positive current the
voltage is above the voltage under negative current over the same states**. The overpotential
has the sign of the current and the equilibrium voltage is the same, so of two adjacent
half-cycles (one each way, covering much the same states), the positive one has the higher
mean voltage. For a full cycle this is the round-trip energy efficiency being below 1 (the
second law); for a half cell, Li plates below 0 V vs Li and strips above it.

Each adjacent pair of half-cycles votes when their mean voltages (charge-weighted) differ by
more than ``MIN_GAP_V``; the sign is reversed when at least two pairs disagree and they
outnumber those that agree by ``MAJORITY`` to one. Pairs closer than that (Li against Li at a
tiny current) do not vote.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.cycling.segmentation import FloatArray, Segmentation

#: a pair of half-cycles votes when their mean voltages differ by more than this (V)
MIN_GAP_V = 0.001
#: how many times the half-cycles that disagree must outnumber those that agree
MAJORITY = 3

#: columns swapped when the current is negated (the charge counters count the other way)
_SWAPPED = (
    ("charging_capacity_ah", "discharging_capacity_ah"),
    ("charging_energy_wh", "discharging_energy_wh"),
)


def sign_votes(mean_voltage_V: FloatArray, seg: Segmentation) -> tuple[int, int]:
    """(adjacent half-cycle pairs whose positive one runs at the higher mean voltage, pairs
    where it runs lower)."""
    if seg.starts.size < 2:
        return 0, 0
    gap = (mean_voltage_V[1:] - mean_voltage_V[:-1]) * seg.direction[1:]
    gap = gap[np.isfinite(gap) & (seg.direction[1:] != seg.direction[:-1])]
    big = np.abs(gap) > MIN_GAP_V
    return int(np.count_nonzero(big & (gap > 0))), int(np.count_nonzero(big & (gap < 0)))


def looks_reversed(mean_voltage_V: FloatArray, seg: Segmentation) -> tuple[bool, int, int]:
    """(reversed?, pairs that agree, pairs that disagree); see the module docstring."""
    agree, disagree = sign_votes(mean_voltage_V, seg)
    return disagree >= 2 and disagree >= MAJORITY * agree, agree, disagree


def reversed_table(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the current negated and the charge/discharge counters swapped."""
    out = table.copy(deep=False)
    out["current_ampere"] = -table["current_ampere"]
    for a, b in _SWAPPED:
        if a in table.columns and b in table.columns:
            out[a], out[b] = table[b], table[a]
    for column in ("power_watt",):
        if column in table.columns:
            out[column] = -table[column]
    return out
