"""The cycle-level short-circuit rules (``ce_rise``, ``soft_short_ce``, ``charge_overrun``):
one value per cycle in, events out. Their definitions and references are in
:mod:`analysis.cycling.shorts`, which runs them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from analysis.cycling.events import ShortCircuitEvent, event, onsets
from analysis.cycling.lookback import continued, previous_at_same_current
from analysis.cycling.parameters import CyclingParameters
from analysis.cycling.quantiles import row_percentiles
from analysis.cycling.segmentation import BoolArray, FloatArray, IntArray

#: the smallest CE scatter ``ce_rise`` assumes: the 4th decimal a CE is commonly reported to
#: (and a few times the precision of a good cycler's charge over a cycle)
CE_SCATTER_FLOOR = 5e-4


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


def ce_scatter(ce: FloatArray) -> float:
    """The cycle-to-cycle scatter of a run of CEs (in time order): the interquartile range of
    their successive differences / 1.349 / sqrt(2), the standard deviation of one CE if the
    CEs scatter independently about a level that may drift slowly. Differences take out the
    drift (conditioning, fade) that a spread about the median would count as scatter; the
    interquartile range keeps a few trapped-Li excursions from inflating it and, unlike the
    median absolute deviation, does not fall to zero when a few CEs happen to be equal
    (0.9785, 0.9785, 0.9785, ...)."""
    return float(_scatter_rows(np.asarray(ce, dtype=np.float64)[None, :])[0])


def _scatter_rows(history: FloatArray) -> FloatArray:
    """:func:`ce_scatter` of each row of ``history`` (NaN where a row has fewer CEs; 0 for a
    row with fewer than three)."""
    d = np.diff(history, axis=1)
    enough = np.sum(np.isfinite(d), axis=1) >= 2
    out = np.zeros(history.shape[0])
    if np.any(enough):
        q1, q3 = row_percentiles(d[enough], [25.0, 75.0])
        out[enough] = (q3 - q1) / 1.349 / np.sqrt(2.0)
    return out


def _rise_rows(
    ce: FloatArray,
    same: IntArray,
    found: IntArray,
    k: int,
    params: CyclingParameters,
    start: int,
) -> tuple[BoolArray, FloatArray, FloatArray, FloatArray]:
    """``ce_rise``'s per-cycle statistics of cycles ``start`` on, each row on its own: whether
    the CE is above its limit, the baseline (median of the last ``k`` CEs at the current),
    the limit and the scatter (NaN where the cycle has no steady baseline)."""
    n, m = ce.size - start, same.shape[1]
    x = np.arange(k, dtype=np.float64) - (k - 1) / 2.0
    sxx = float(np.sum(x * x))
    up = np.zeros(n, dtype=bool)
    base, limit, scatter = (np.full(n, np.nan) for _ in range(3))
    rows = np.flatnonzero(found[start:] >= k) + start
    if not rows.size:
        return up, base, limit, scatter
    history = np.where(same[rows] >= 0, ce[np.maximum(same[rows], 0)], np.nan)
    window = history[:, m - k :]  # right-aligned: the last k are always there
    median = np.median(window, axis=1)
    mad = 1.4826 * np.median(np.abs(window - median[:, None]), axis=1)
    sigma = np.maximum(np.maximum(_scatter_rows(history), mad), CE_SCATTER_FLOOR)
    # the CE still moving (formation, conditioning): the baseline's least-squares slope is
    # significant at ce_trend_z standard errors; no steady baseline to judge against (a sum
    # per row, not a matrix product: the same number whichever rows are computed together)
    slope = np.sum((window - window.mean(axis=1)[:, None]) * x, axis=1) / sxx
    steady = ~(np.abs(slope) > params.ce_trend_z * sigma / np.sqrt(sxx))
    r = rows[steady] - start
    base[r], scatter[r] = median[steady], sigma[steady]
    limit[r] = median[steady] + np.maximum(
        params.ce_rise_min, params.ce_rise_factor * sigma[steady]
    )
    up[r] = ce[rows[steady]] > limit[r]
    return up, base, limit, scatter


def ce_rise(cycles: CycleView, params: CyclingParameters) -> list[ShortCircuitEvent]:
    """Half cells: the measured CE steps up from a steady baseline and stays up (see the module
    docstring, ``ce_rise``)."""
    usable = cycles.usable & np.isfinite(cycles.ce)
    number, ce = cycles.number[usable], cycles.ce[usable]
    current = cycles.current_mA[usable]
    k = params.overrun_baseline_cycles + 1
    m = max(params.ce_scatter_cycles, k)
    # Each cycle's previous m usable cycles at its current (from cycle 2 on), found for all
    # cycles at once in linear time; the baseline is the last k of them, the scatter is
    # measured over all m. The statistics of every cycle at once (a row each), continued from
    # this process's last ones where the cycles agree (they look only backwards).
    same, found = previous_at_same_current(current, number >= 2, m, params.rate_step_tolerance)
    up, base, limit, scatter = continued(
        "ce_rise",
        (
            k,
            m,
            params.rate_step_tolerance,
            params.ce_trend_z,
            params.ce_rise_min,
            params.ce_rise_factor,
        ),
        (number, ce, current),
        partial(_rise_rows, ce, same, found, k, params),
    )
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
            f"{base[j]:.4f} over the previous {k} cycles at this current, scatter "
            f"{scatter[j]:.2g})",
            coulombic_efficiency=ce[j],
            baseline_ce=base[j],
            scatter=scatter[j],
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
