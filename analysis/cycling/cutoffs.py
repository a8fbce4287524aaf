"""Voltage cut-offs of a test: given, or inferred from the half-cycles, and which half-cycles
reached them (the short-circuit rules, the cycle table and the reservoir method use them)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.cycling.halfcycles import HalfCycles
from analysis.cycling.parameters import CellType, CyclingParameters
from analysis.cycling.segmentation import BoolArray, FloatArray, Segmentation


@dataclass(frozen=True)
class Cutoffs:
    """Voltage limits of the positive- and negative-current half-cycles (V), when known."""

    upper_V: float | None
    lower_V: float | None
    reached: BoolArray
    notes: tuple[str, ...]


def half_cycle_name(direction: int, cell_type: CellType) -> str:
    if cell_type == "half":
        return "stripping" if direction > 0 else "plating"
    return "charge" if direction > 0 else "discharge"


def _infer_cutoff(extremes: FloatArray, tol: float, upper: bool) -> float | None:
    """The protocol's cut-off: the cluster (within ``tol``) at the highest (``upper``) or
    lowest extreme voltage, when at least two half-cycles reached it."""
    values = extremes[np.isfinite(extremes)]
    if values.size < 2:
        return float(values[0]) if values.size == 1 else None
    top = float(values.max()) if upper else float(values.min())
    cluster = values[np.abs(values - top) <= tol]
    if cluster.size < 2:
        return None
    return float(np.median(cluster))


def find_cutoffs(seg: Segmentation, hc: HalfCycles, params: CyclingParameters) -> Cutoffs:
    """Infer the cut-offs from half-cycles that were followed by another one (they ended by
    the protocol, not by the end of the file), and say for each half-cycle whether it reached
    its cut-off (``True`` when the cut-off is unknown)."""
    n = seg.direction.size
    followed = np.arange(n) < n - 1
    pos = seg.direction > 0
    notes: list[str] = []
    upper = params.upper_cutoff_V
    if upper is None:
        upper = _infer_cutoff(hc.max_voltage_V[pos & followed], params.cutoff_tolerance_V, True)
        if upper is None and np.any(pos & followed):
            notes.append(
                "no two positive-current half-cycles reach the same highest voltage; the "
                "cut-off rule needs upper_cutoff_V"
            )
    lower = params.lower_cutoff_V
    if lower is None:
        lower = _infer_cutoff(hc.min_voltage_V[~pos & followed], params.cutoff_tolerance_V, False)
    tol = params.cutoff_tolerance_V
    reached = np.ones(n, dtype=bool)
    if upper is not None:
        reached[pos] = hc.max_voltage_V[pos] >= upper - tol
    if lower is not None:
        reached[~pos] = hc.min_voltage_V[~pos] <= lower + tol
    return Cutoffs(upper_V=upper, lower_V=lower, reached=reached, notes=tuple(notes))
