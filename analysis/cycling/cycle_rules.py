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
    same, found = previous_at_same_current(current, number >= 2, k, params.rate_step_tolerance)
    full = found == k
    windows = np.where(full[:, None], ce[np.maximum(same, 0)], np.nan)
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
    # Where a window of m cycles starts that is all high and consecutive (counted at once:
    # the loop below visits only those), and how many healthy cycles come before each cycle.
    n = number.size
    starts = np.zeros(0, dtype=np.int64)
    if n >= m:
        high_runs = np.concatenate(([0], np.cumsum(high)))
        steps = np.concatenate(([0], np.cumsum(np.diff(number) != 1)))
        first = np.arange(n - m + 1)
        starts = first[
            (high_runs[first + m] - high_runs[first] == m) & (steps[first + m - 1] == steps[first])
        ]
    healthy_before = np.concatenate(([0], np.cumsum((number >= 2) & np.isfinite(ce) & ~high)))
    for j in starts.tolist():
        window = slice(j, j + m)
        if j <= previous_end:
            continue
        if not healthy_before[j]:
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
    previous, found = previous_at_same_current(
        current, np.ones(number.size, dtype=bool), k, params.rate_step_tolerance
    )
    for j in np.flatnonzero(found >= min(3, k)).tolist():
        same = previous[j, k - int(found[j]) :]
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


#: how many earlier cycles :func:`previous_at_same_current` looks at in one vectorised pass,
#: as a multiple of the cycles it needs; cycles whose earlier ones at their current lie further
#: back (the first cycles after a return to a rate) are scanned one by one
_NEAR_FACTOR = 4


def previous_at_same_current(
    current: FloatArray, eligible: BoolArray, k: int, tolerance: float
) -> tuple[IntArray, IntArray]:
    """For each cycle ``j``: the (at most) ``k`` latest earlier cycles ``i < j`` that are
    ``eligible`` and at its current (``|current[i] - current[j]| <= tolerance * |current[j]|``),
    as an ``(n, k)`` array of indices in time order, right-aligned (-1 pads the left where
    fewer were found), and how many were found.

    The same as scanning every earlier cycle for each cycle (quadratic in the cycles), in time
    linear in them: the ``_NEAR_FACTOR * k`` cycles before each are compared at once, and only
    a cycle that finds fewer than ``k`` there while earlier cycles exist is scanned in full."""
    n = current.size
    out = np.full((n, max(k, 0)), -1, dtype=np.int64)
    found = np.zeros(n, dtype=np.int64)
    if not n or k <= 0:
        return out, found
    depth = min(_NEAR_FACTOR * k, n)
    j = np.arange(n)[:, None]
    i = j - np.arange(1, depth + 1)[None, :]  # nearest first
    inside = i >= 0
    ii = np.where(inside, i, 0)
    scale = tolerance * np.abs(current)
    match = inside & eligible[ii] & (np.abs(current[ii] - current[:, None]) <= scale[:, None])
    rank = np.cumsum(match, axis=1)  # matches up to and including each offset
    take = match & (rank <= k)
    found[:] = np.minimum(rank[:, -1], k)
    rows, cols = np.nonzero(take)
    out[rows, k - rank[rows, cols]] = ii[rows, cols]
    for r in np.flatnonzero((found < k) & (np.arange(n) > depth)).tolist():
        same = np.flatnonzero(
            (np.abs(current[:r] - current[r]) <= tolerance * abs(current[r])) & eligible[:r]
        )[-k:]
        out[r] = -1
        out[r, k - same.size :] = same
        found[r] = same.size
    return out, found
