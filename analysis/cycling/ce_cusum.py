"""The ``ce_cusum`` short-circuit rule (half cells): a window-limited one-sided CUSUM of the
CE above the cell's own extrapolated trend. Definition, units and references in
:mod:`analysis.cycling.shorts` and docs/metrics-cycling.md (``ce_cusum``).

For each usable cycle ``s`` with ``ce_cusum_baseline_cycles`` (``b``) earlier usable cycles at
its current (from cycle 2 on), the baseline is fitted on those ``b`` CEs: the Theil-Sen slope
(the median of the pairwise slopes, robust to a trapped-Li low/high pair), clamped at >= 0, and
the median level about it; the scatter ``sigma`` is the larger of the CE's cycle-to-cycle
scatter over the previous ``ce_scatter_cycles`` (:func:`ce_scatter`), the MAD of the detrended
baseline and 5e-4. From ``s`` on, each consecutive cycle ``i`` at the same current gives the
standardised excess ``z_i = (CE_i - (level + slope (n_i - t_mean))) / sigma`` and the statistic
is Page's CUSUM started at ``s``:  ``S = sum_i (min(z_i, ce_cusum_clip) - ce_cusum_reference)``
over at most ``ce_cusum_window`` cycles. The rule fires when ``S >= ce_cusum_interval`` with
at least ``ce_cusum_cycles`` of the ``z_i`` above the reference; the onset reported is the start
``s`` of the largest such ``S`` among those that cross first (the CUSUM change-point estimate),
``detected_at_cycle`` the cycle at which it crossed.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from analysis.cycling.cycle_rules import CE_SCATTER_FLOOR, CycleView, _scatter_rows
from analysis.cycling.events import ShortCircuitEvent, event
from analysis.cycling.lookback import continued, previous_at_same_current
from analysis.cycling.parameters import CyclingParameters
from analysis.cycling.segmentation import FloatArray, IntArray

#: level, slope, mean cycle number and scatter of the baseline of each cycle, and the earlier
#: cycles it was fitted on (:func:`_baselines`)
Trend = tuple[FloatArray, FloatArray, FloatArray, FloatArray, IntArray]


def _baselines(
    number: FloatArray,
    ce: FloatArray,
    current: FloatArray,
    params: CyclingParameters,
    floor: float = CE_SCATTER_FLOOR,
) -> Trend:
    """Per cycle (NaN where it has too few earlier cycles at its current): the baseline's level
    at its mean cycle number, its slope per cycle (>= 0), that mean cycle number, and sigma (at
    least ``floor``; the CE's by default, another series gives its own); and the cycles it
    looked back at (:func:`previous_at_same_current`, the last
    ``max(ce_scatter_cycles, ce_cusum_baseline_cycles)``). A cycle's values depend only on
    the cycles before it (causal): continued from this process's last baselines where their
    inputs agree (:func:`analysis.cycling.lookback.continued`)."""
    b = params.ce_cusum_baseline_cycles
    m = max(params.ce_scatter_cycles, b)
    same, found = previous_at_same_current(current, number >= 2, m, params.rate_step_tolerance)
    level, slope, t_mean, sigma = continued(
        "baselines",
        (b, m, params.rate_step_tolerance, floor),
        (number, ce, current),
        partial(_baseline_rows, number, ce, same, found, b, floor),
    )
    return level, slope, t_mean, sigma, same


def _baseline_rows(
    number: FloatArray,
    ce: FloatArray,
    same: IntArray,
    found: IntArray,
    b: int,
    floor: float,
    start: int,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """:func:`_baselines`' level, slope, mean cycle number and sigma of cycles ``start`` on,
    each row computed on its own."""
    n = number.size - start
    m = same.shape[1]
    level, slope, t_mean, sigma = (np.full(n, np.nan) for _ in range(4))
    rows = np.flatnonzero(found[start:] >= b) + start
    if not rows.size:
        return level, slope, t_mean, sigma
    history = np.where(same[rows] >= 0, ce[np.maximum(same[rows], 0)], np.nan)
    idx = same[rows][:, m - b :]  # right-aligned: the last b are always there
    y = ce[idx]
    t = number[idx]
    iu, ju = np.triu_indices(b, 1)
    dt = t[:, ju] - t[:, iu]
    pair = np.where(dt > 0, (y[:, ju] - y[:, iu]) / np.where(dt > 0, dt, 1.0), np.nan)
    s = np.maximum(_nanmedian_rows(pair), 0.0)
    tm = t.mean(axis=1)
    detrended = y - s[:, None] * (t - tm[:, None])
    lv = np.median(detrended, axis=1)
    mad = 1.4826 * np.median(np.abs(detrended - lv[:, None]), axis=1)
    at = rows - start
    level[at], slope[at], t_mean[at] = lv, s, tm
    sigma[at] = np.maximum(np.maximum(_scatter_rows(history), mad), floor)
    return level, slope, t_mean, sigma


def ce_trend(cycles: CycleView, params: CyclingParameters) -> Trend:
    """:func:`_baselines` of the usable CEs: the trend that ``ce_cusum`` and ``ce_excursions``
    both judge against, computed once for the two."""
    usable = cycles.usable & np.isfinite(cycles.ce)
    number, ce = cycles.number[usable], cycles.ce[usable]
    return _baselines(number.astype(np.float64), ce, cycles.current_mA[usable], params)


def _nanmedian_rows(values: FloatArray) -> FloatArray:
    """``np.nanmedian(values, axis=1)``, with the rows without NaN (all of them unless two
    cycles share a number) by ``np.median``, which gives the same numbers on them at a
    fraction of the cost (nanmedian's masked median sums its two middle values, the same one
    twice for an odd count: the same halved, short of an overflow above 1e307)."""
    plain = np.all(np.abs(values) < 1e307, axis=1)  # False for NaN
    out = np.empty(values.shape[0])
    if np.any(plain):
        out[plain] = np.median(values[plain], axis=1)
    if not np.all(plain):
        out[~plain] = np.nanmedian(values[~plain], axis=1)
    return out


def ce_cusum(
    cycles: CycleView, params: CyclingParameters, trend: Trend | None = None
) -> list[ShortCircuitEvent]:
    """Half cells: the CE rises above its own trend and stays above it for a few cycles (see
    the module docstring and :mod:`analysis.cycling.shorts`). At most one event (the first).
    ``trend``: :func:`ce_trend`, when the caller has it."""
    usable = cycles.usable & np.isfinite(cycles.ce)
    number, ce = cycles.number[usable], cycles.ce[usable]
    current = cycles.current_mA[usable]
    n = number.size
    window = params.ce_cusum_window
    if n < 2 or window < 1:
        return []
    level, slope, t_mean, sigma, _ = trend if trend is not None else ce_trend(cycles, params)
    # stat[s, o]: the CUSUM started at cycle s after o + 1 cycles (NaN where a cycle is missing,
    # at another current, or s has no baseline); ups[s, o]: how many z above the reference.
    start = np.arange(n)[:, None]
    offset = np.arange(window)[None, :]
    i = start + offset
    inside = i < n
    ii = np.where(inside, i, 0)
    consecutive = number[ii] - number[start] == offset
    same_current = np.abs(current[ii] - current[start]) <= params.rate_step_tolerance * np.abs(
        current[start]
    )
    valid = np.cumprod(inside & consecutive & same_current & np.isfinite(level)[:, None], axis=1)
    predicted = level[:, None] + slope[:, None] * (number[ii] - t_mean[:, None])
    z = (ce[ii] - predicted) / sigma[:, None]
    step = np.minimum(z, params.ce_cusum_clip) - params.ce_cusum_reference
    stat = np.where(valid > 0, np.cumsum(np.where(valid > 0, step, 0.0), axis=1), np.nan)
    ups = np.cumsum((valid > 0) & (z > params.ce_cusum_reference), axis=1)
    alarm = (stat >= params.ce_cusum_interval) & (ups >= params.ce_cusum_cycles)
    if not np.any(alarm):
        return []
    s_idx, o_idx = np.nonzero(alarm)
    at = s_idx + o_idx  # index of the cycle at which each alarm is raised
    first = at == at.min()
    best = np.flatnonzero(first)[np.argmax(stat[s_idx[first], o_idx[first]])]
    s, o = int(s_idx[best]), int(o_idx[best])
    j = s + o
    values = ", ".join(f"{v:.4f}" for v in ce[s : j + 1])
    return [
        event(
            int(number[s]),
            "ce_cusum",
            "stripping",
            f"CE {values} above the trend of the previous {params.ce_cusum_baseline_cycles} "
            f"cycles at this current (level {level[s]:.4f} at cycle {t_mean[s]:.1f}, slope "
            f"{slope[s]:.2g}/cycle, scatter {sigma[s]:.2g}): CUSUM {stat[s, o]:.2f} >= "
            f"{params.ce_cusum_interval:g} (reference {params.ce_cusum_reference:g}, excess "
            f"clipped at {params.ce_cusum_clip:g} scatter) from cycle {int(number[s])}",
            coulombic_efficiency=ce[s],
            baseline_ce=level[s] + slope[s] * (number[s] - t_mean[s]),
            baseline_slope=slope[s],
            scatter=sigma[s],
            cusum=stat[s, o],
            decision_interval=params.ce_cusum_interval,
            reference=params.ce_cusum_reference,
            detected_at_cycle=number[j],
        )
    ]
