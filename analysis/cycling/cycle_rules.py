"""The cycle-level short-circuit rules (``ce_rise``, ``soft_short_ce``, ``charge_overrun``):
one value per cycle in, events out. Their definitions and references are in
:mod:`analysis.cycling.shorts`, which runs them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.cycling.events import ShortCircuitEvent, event, onsets
from analysis.cycling.parameters import CyclingParameters
from analysis.cycling.segmentation import BoolArray, FloatArray, IntArray


@dataclass(frozen=True)
class CycleView:
    """What the cycle-level rules need, one value per cycle (numbers, CE, capacities in mAh of
    the first and second half-cycle, the first half-cycle's current in mA) and the cycles no
    rule uses (partial first cycle)."""

    number: IntArray
    usable: BoolArray
    ce: FloatArray
    first_mAh: FloatArray
    second_mAh: FloatArray
    current_mA: FloatArray
    excluded: IntArray


def ce_rise(cycles: CycleView, params: CyclingParameters) -> list[ShortCircuitEvent]:
    """Half cells: the measured CE steps up from a steady baseline and stays up (see the module
    docstring, ``ce_rise``)."""
    usable = cycles.usable & np.isfinite(cycles.ce)
    number, ce = cycles.number[usable], cycles.ce[usable]
    current = cycles.current_mA[usable]
    k = params.overrun_baseline_cycles + 1
    # Each cycle's window: the previous k usable cycles at its current (from cycle 2 on); the
    # medians of all windows at once (one numpy call each, not three per cycle).
    windows = np.full((number.size, k), np.nan)
    full = np.zeros(number.size, dtype=bool)
    for j in range(number.size):
        same = np.flatnonzero(
            (np.abs(current[:j] - current[j]) <= params.rate_step_tolerance * abs(current[j]))
            & (number[:j] >= 2)
        )[-k:]
        if same.size == k:
            windows[j] = ce[same]
            full[j] = True
    up = np.zeros(number.size, dtype=bool)
    base = np.full(number.size, np.nan)
    limit = np.full(number.size, np.nan)
    if np.any(full):
        w = windows[full]
        median = np.median(w, axis=1)
        scatter = np.maximum(1.4826 * np.median(np.abs(w - median[:, None]), axis=1), 5e-4)
        # the CE still moving (formation, conditioning): no steady baseline
        steady = np.abs(np.median(np.diff(w, axis=1), axis=1)) <= scatter / 2
        rows = np.flatnonzero(full)[steady]
        base[rows] = median[steady]
        limit[rows] = median[steady] + np.maximum(
            params.ce_rise_min, params.ce_rise_factor * scatter[steady]
        )
        up[rows] = ce[rows] > limit[rows]
    # The next cycle must stay above the onset's own limit: a baseline that took in the rising
    # cycles would follow the rise (and call it a trend) instead of measuring it.
    nxt = np.append(ce[1:], np.nan)
    fired = up & (nxt > limit) & np.append(np.diff(number) == 1, False)
    return [
        event(
            int(number[j]),
            "ce_rise",
            "stripping",
            f"CE {ce[j]:.4f} and {ce[j + 1]:.4f} > {limit[j]:.4f} (steady baseline "
            f"{base[j]:.4f} over the previous {k} cycles at this current)",
            coulombic_efficiency=ce[j],
            baseline_ce=base[j],
            limit=limit[j],
            detected_at_cycle=number[j + 1],
        )
        for j in onsets(fired)
    ]


def soft_short_ce(
    cycles: CycleView, params: CyclingParameters, half_cycle: str
) -> list[ShortCircuitEvent]:
    number = cycles.number[cycles.usable]
    ce = cycles.ce[cycles.usable]
    q_in = cycles.first_mAh[cycles.usable]
    q_out = cycles.second_mAh[cycles.usable]
    m = params.ce_short_cycles
    limit = 1.0 + params.ce_short_tolerance
    high = np.isfinite(ce) & (ce > limit)
    events = []
    previous_end = -1
    for j in range(number.size - m + 1):
        window = slice(j, j + m)
        if not np.all(high[window]) or np.any(np.diff(number[window]) != 1) or j <= previous_end:
            continue
        healthy = (number[:j] >= 2) & np.isfinite(ce[:j]) & ~high[:j]
        if not np.any(healthy):
            continue  # no healthy cycle to start from: an offset, not an onset (warned)
        lo = j - 1 if j > 0 and number[j] - number[j - 1] == 1 else j
        balance = float(np.sum(q_out[lo : j + m]) / np.sum(q_in[lo : j + m]))
        if not balance > 1.0:
            continue
        previous_end = j + m - 1
        while previous_end + 1 < number.size and high[previous_end + 1]:
            previous_end += 1
        values = ", ".join(f"{v:.4f}" for v in ce[window])
        events.append(
            event(
                int(number[j]),
                "soft_short_ce",
                half_cycle,
                f"CE {values} > {limit:g} in {m} consecutive cycles; {balance:.4f} of the charge "
                f"put in since cycle {int(number[lo])} came out",
                coulombic_efficiency=ce[j],
                limit=limit,
                cycles_required=m,
                charge_balance=balance,
                detected_at_cycle=number[j + m - 1],
            )
        )
    return events


def charge_overrun(cycles: CycleView, params: CyclingParameters) -> list[ShortCircuitEvent]:
    number = cycles.number[cycles.usable]
    q = cycles.first_mAh[cycles.usable]
    q_out = cycles.second_mAh[cycles.usable]
    ce = cycles.ce[cycles.usable]
    current = cycles.current_mA[cycles.usable]
    k = params.overrun_baseline_cycles
    over = np.zeros(number.size, dtype=bool)
    med_q = np.full(number.size, np.nan)
    med_ce = np.full(number.size, np.nan)
    for j in range(number.size):
        same = np.flatnonzero(
            np.abs(current[:j] - current[j]) <= params.rate_step_tolerance * abs(current[j])
        )[-k:]
        if same.size < min(3, k):
            continue
        med_q[j] = float(np.median(q[same]))
        med_ce[j] = float(np.median(ce[same]))
        extra = q[j] - med_q[j]
        # The extra charge went into the short, not the cell: the discharge did not grow along
        # (a protocol that charges further gets most of it back).
        kept = q_out[j] - float(np.median(q_out[same])) < extra / 2
        over[j] = bool(
            extra >= params.overrun_fraction * med_q[j]
            and ce[j] < med_ce[j] - params.overrun_ce_drop
            and kept
        )
    fired = over & np.append(over[1:], False) & np.append(np.diff(number) == 1, False)
    return [
        event(
            int(number[j]),
            "charge_overrun",
            "charge",
            f"charge {q[j]:.4g} mAh >= {1 + params.overrun_fraction:g} x {med_q[j]:.4g} mAh "
            f"(median of the previous cycles at this current) with CE {ce[j]:.4f} < "
            f"{med_ce[j]:.4f} - {params.overrun_ce_drop:g}, here and in the next cycle",
            charge_mAh=q[j],
            baseline_charge_mAh=med_q[j],
            coulombic_efficiency=ce[j],
            baseline_ce=med_ce[j],
            detected_at_cycle=number[j + 1],
        )
        for j in onsets(fired)
    ]
