"""The reservoir method for the average CE of a Li metal (anode-less) electrode.

Adams, Zheng, Ren, Xu, Zhang, "Accurate determination of Coulombic efficiency for lithium metal
anodes and lithium metal batteries", Adv. Energy Mater. 2018, 8, 1702097, protocol 2: after
optional formation cycles, plate a reservoir ``Q_T`` onto the electrode, cycle ``n`` times with
``Q_C < Q_T`` (strip ``Q_C``, plate ``Q_C``), then strip everything to the cut-off (``Q_S``). The
average CE over the ``n`` cycles is

    CE_avg = (n Q_C + Q_S) / (n Q_C + Q_T)

i.e. all the charge stripped over all the charge plated from the reservoir on. The reservoir
keeps the electrode covered with Li, so the CE measured is that of Li on Li, free of the first
cycles' substrate effects; it is the protocol the community uses to compare electrolytes and
interlayers.

Here: the reservoir is the first plating half-cycle after ``formation_cycles`` whole cycles (0
when not given); ``Q_S`` is the last stripping half-cycle, which must reach the upper cut-off
(else the protocol did not finish and no value is given); ``n`` is the number of stripping
half-cycles in between; ``Q_C`` is reported as their median. Capacities are the measured ones
(counters or integration, whichever the analysis uses), so the formula above is computed as the
sum of every stripping over the sum of every plating in the span, which is the same number.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from analysis.cycling.segmentation import BoolArray, FloatArray, Segmentation


def reservoir_ce(
    seg: Segmentation, capacity_Ah: FloatArray, reached: BoolArray, formation_cycles: int
) -> tuple[dict[str, Any], str | None]:
    """The reservoir-method metrics (mAh, dimensionless) and why they are missing, if they are."""
    plating = np.flatnonzero((seg.direction < 0) & (seg.cycle > formation_cycles))
    empty: dict[str, Any] = {
        "reservoir_coulombic_efficiency": None,
        "reservoir_charge_mAh": None,
        "reservoir_cycling_charge_mAh": None,
        "reservoir_cycles": None,
        "reservoir_final_stripping_mAh": None,
    }
    if not plating.size:
        return empty, "no plating after the formation cycles: no reservoir"
    start = int(plating[0])
    stripping = np.flatnonzero((seg.direction > 0) & (np.arange(seg.direction.size) > start))
    if stripping.size < 2:
        return empty, "the reservoir protocol needs cycling strips and a final strip"
    final = int(stripping[-1])
    if not reached[final]:
        return (
            empty,
            "the final stripping did not reach its cut-off: the reservoir protocol is unfinished",
        )
    span = slice(start, final + 1)
    q = np.abs(capacity_Ah[span]) * 1000.0
    d = seg.direction[span]
    plated, stripped = float(q[d < 0].sum()), float(q[d > 0].sum())
    cycling = np.abs(capacity_Ah[stripping[:-1]]) * 1000.0
    return {
        "reservoir_coulombic_efficiency": stripped / plated if plated > 0 else None,
        "reservoir_charge_mAh": float(abs(capacity_Ah[start]) * 1000.0),
        "reservoir_cycling_charge_mAh": float(np.median(cycling)),
        "reservoir_cycles": int(cycling.size),
        "reservoir_final_stripping_mAh": float(abs(capacity_Ah[final]) * 1000.0),
    }, None
