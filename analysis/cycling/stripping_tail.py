"""The ``stripping_tail`` short-circuit rule (half cells): the charge a stripping passes near its
cut-off, where the seed layer de-alloys, rises above the cell's own trend. Definition, units and
references in :mod:`analysis.cycling.shorts` and docs/metrics-cycling.md (``stripping_tail``).

Why the tail. A filament of resistance ``Rs`` in parallel with the cell carries ``V / Rs`` of
the imposed current (the equivalent circuit of Xiao et al., Nat. Energy 2020, 5, 561), so its
share grows with the voltage. On the Li plateaus (10-60 mV) it takes a few per cent of the
current of both the plating and the stripping, which cancel in the CE and are modulated by the
filament's intermittent contact (Wood et al., ACS Cent. Sci. 2016, 2, 790) into CE excursions of
either sign: a low CE right before a high one looks like trapped Li coming back, which
``ce_excursions`` rightly discounts. Near the stripping cut-off (0.5-1.5 V) the filament takes
10-70 % of the current: the electrode de-alloys more slowly and the cycler counts more charge
before the cut-off. That tail is the reversible alloy capacity of the seed layer (Yan et al.,
Nat. Energy 2016, 1, 16010: Li-Au/Ag alloying before and de-alloying after the Li plateau), a
property of the seed, not of the Li inventory: Li lost or isolated in one cycle and reconnected
in the next is stripped at the Li potential (Fang et al., Nature 2019, 572, 511), on the
plateau, and leaves the tail alone. So the tail's charge is steadier than the CE (it carries
none of the Li inventory's scatter) and a filament lengthens it one-sidedly.

The tail of a stripping half-cycle (``tail_charge``, mAh): the charge passed under current after
the voltage last rose through the midpoint between its Li plateau (``stripping_overpotential_V``
of :mod:`analysis.cycling.plateaus`) and the upper cut-off (given or inferred; without one the
half-cycle's highest voltage), the crossing interpolated between the two rows around it; NaN
when there is no plateau or the voltage never rose through the midpoint. The last crossing, so
that a spike above the midpoint earlier in the step does not start the tail.

The statistic is that of ``ce_excursions`` on the tail instead of the CE: for each usable cycle
``s``, the Theil-Sen trend (slope >= 0) of the tails of the previous ``ce_cusum_baseline_cycles``
usable cycles at its current, and the scatter ``sigma``: the largest of the trimmed scatter
(:func:`analysis.cycling.ce_excursions.trimmed_scatter`) and the interquartile scatter of the
previous ``ce_scatter_cycles`` tails' successive differences, the MAD about the trend, and
``tail_scatter_floor`` times the trend's level (the tail's resolution: a few equal values in a
row do not make the cell look steadier than a per cent). A cycle is an excursion when its tail
exceeds the trend by more than ``tail_z`` scatters; the rule fires when ``tail_cycles``
excursions fall within ``tail_window`` consecutive cycles at the current, the first at the
window's start. The onset is that first excursion, ``detected_at_cycle`` the last counted.

Assumes: the seed layer's de-alloying capacity changes slowly from cycle to cycle (a trend,
fading or conditioning, not jumps); the cut-off and current of the cycles compared are the same
(cycles at another current are not compared). Not seen: a filament in contact only away from
the cut-off (its tail is normal: left to the CE rules), a cell with fewer than
``ce_cusum_baseline_cycles`` cycles at the current before the short, and a tail shorter than a
few logged rows (a bare current collector with no seed: then the scatter estimate is large and
the rule is weak, not wrong).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from analysis.cycling import reuse
from analysis.cycling.ce_cusum import _baselines
from analysis.cycling.ce_excursions import trimmed_scatter
from analysis.cycling.cycle_rules import CycleView
from analysis.cycling.events import ShortCircuitEvent, event
from analysis.cycling.groups import group_sums, range_rows
from analysis.cycling.parameters import CyclingParameters
from analysis.cycling.segmentation import BoolArray, FloatArray, IntArray, Segmentation


def tail_charges_mAh(
    seg: Segmentation,
    voltage_V: FloatArray,
    time_s: FloatArray,
    plateau_V: FloatArray,
    cutoff_V: float | None,
    judged: BoolArray,
) -> FloatArray:
    """Per half-cycle: the stripping tail's charge (mAh) of each positive-current half-cycle
    among ``judged`` (see the module docstring); NaN elsewhere."""
    out = np.full(seg.direction.size, np.nan)
    which = np.flatnonzero(judged & (seg.direction > 0) & np.isfinite(plateau_V))
    if not which.size:
        return out
    key = "stripping_tail_mAh" + ("" if cutoff_V is None else f"@{float(cutoff_V).hex()}")
    out[which] = reuse.some(
        key, which, lambda some: _tails(seg, voltage_V, time_s, plateau_V, cutoff_V, some)
    )
    return out


def _tails(
    seg: Segmentation,
    voltage_V: FloatArray,
    time_s: FloatArray,
    plateau_V: FloatArray,
    cutoff_V: float | None,
    which: IntArray,
) -> FloatArray:
    """The tail charge (mAh) of the positive half-cycles ``which`` (module docstring), all at
    once: the current-carrying rows of every one gathered, one after the other, the crossing
    of each one's midpoint found in them and its tail's trapezoids summed by
    :func:`analysis.cycling.groups.group_sums`, so each value is the one computed on the
    half-cycle's own rows, to the last bit."""
    out = np.full(which.size, np.nan)
    active = seg.active_rows
    head, tail = np.searchsorted(active, seg.starts), np.searchsorted(active, seg.stops)
    size = tail[which] - head[which]
    enough = size >= 3
    size, where = size[enough], np.flatnonzero(enough)
    if not where.size:
        return out
    # the current-carrying rows of the half-cycles taken, one after the other (every
    # half-cycle's are consecutive among them, the half-cycles being contiguous)
    taken = np.zeros(seg.starts.size, dtype=bool)
    taken[which[where]] = True
    rows = active[int(head[0]) :][np.repeat(taken, tail - head)]
    v = voltage_V[rows]
    end = np.cumsum(size)  # each one's end in ``rows``
    start = end - size
    plateau = plateau_V[which[where]]
    top = np.maximum.reduceat(v, start) if cutoff_V is None else np.full(where.size, cutoff_V)
    mid = 0.5 * (plateau + top)
    # the last row below the midpoint, if the voltage rose through it after that row
    below = np.flatnonzero(v < np.repeat(mid, size))
    k = below[np.maximum(np.searchsorted(below, end) - 1, 0)] if below.size else start - 1
    rose = (k >= start) & (k < end - 1) & (mid > plateau)
    k, end, mid, where = k[rose], end[rose], mid[rose], where[rose]
    if not where.size:
        return out
    tail = rows[range_rows(k, end)]
    t, q, w = time_s[tail], seg.charge_As[tail], seg.weight_s[tail]
    with np.errstate(invalid="ignore", divide="ignore"):
        i_A = np.where(w > 0, np.abs(q) / w, 0.0)  # each row's current
    # the intervals within each tail (not those from one tail's last row to the next's first)
    length = end - k
    inner = np.ones(tail.size - 1, dtype=bool)
    inner[np.cumsum(length)[:-1] - 1] = False
    dt = (t[1:] - t[:-1])[inner]
    first = np.cumsum(length - 1) - (length - 1)
    frac = (mid - v[k]) / (v[k + 1] - v[k])
    dt[first] *= 1.0 - frac  # from the interpolated crossing
    trapezoids = (0.5 * (i_A[1:] + i_A[:-1]))[inner] * np.maximum(dt, 0.0)
    out[where] = group_sums(trapezoids, length - 1) / 3.6
    return out


def per_cycle(cycles: CycleView, seg: Segmentation, values: FloatArray) -> FloatArray:
    """``values`` of each cycle's positive-current half-cycle, aligned with ``cycles.number``."""
    out = np.full(cycles.number.size, np.nan)
    which = np.flatnonzero((seg.direction > 0) & np.isfinite(values))
    position = {int(c): j for j, c in enumerate(cycles.number.tolist())}
    for i in which.tolist():
        j = position.get(int(seg.cycle[i]))
        if j is not None:
            out[j] = values[i]
    return out


def stripping_tail(
    cycles: CycleView, tail_mAh: FloatArray, params: CyclingParameters
) -> list[ShortCircuitEvent]:
    """Half cells: ``tail_cycles`` excursions of the stripping tail's charge above its trend
    within ``tail_window`` cycles (see the module docstring). ``tail_mAh``: one value per
    cycle of ``cycles``. At most one event."""
    usable = cycles.usable & np.isfinite(tail_mAh)
    number, x = cycles.number[usable], tail_mAh[usable]
    current, ce = cycles.current_mA[usable], cycles.ce[usable]
    n, window = number.size, params.tail_window
    if n < 2 or window < 1:
        return []
    own = replace(params, ce_cusum_baseline_cycles=params.tail_baseline_cycles)
    # ``same``: the previous max(ce_scatter_cycles, tail_baseline_cycles) cycles at the current
    level, slope, t_mean, sigma, same = _baselines(
        number.astype(np.float64), x, current, own, floor=0.0
    )
    history = np.where(same >= 0, x[np.maximum(same, 0)], np.nan)
    sigma = np.fmax(sigma, trimmed_scatter(history))
    sigma = np.fmax(sigma, params.tail_scatter_floor * np.abs(level))
    start = np.arange(n)[:, None]
    offset = np.arange(window)[None, :]
    i = start + offset
    ii = np.clip(i, 0, n - 1)
    same_current = np.abs(current[ii] - current[start]) <= params.rate_step_tolerance * np.abs(
        current[start]
    )
    ok = (i < n) & (number[ii] - number[start] == offset) & same_current
    ok &= (np.isfinite(level) & (sigma > 0))[:, None]
    predicted = level[:, None] + slope[:, None] * (number[ii] - t_mean[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(ok, (x[ii] - predicted) / sigma[:, None], np.nan)
    excursion = (z > params.tail_z) & (np.cumprod(ok, axis=1) > 0)
    count = np.cumsum(excursion, axis=1)
    alarm = excursion[:, :1] & excursion & (count >= params.tail_cycles)
    if not np.any(alarm):
        return []
    s_idx, o_idx = np.nonzero(alarm)
    k = int(np.argmin(s_idx + o_idx))  # the first alarm raised
    s, o = int(s_idx[k]), int(o_idx[k])
    picked = np.flatnonzero(excursion[s, : o + 1])
    baseline = level[s] + slope[s] * (number[s] - t_mean[s])
    tails = ", ".join(f"{v * 1000:.3g}" for v in x[s : s + o + 1])
    zs = ", ".join(f"{v:.1f}" for v in z[s, : o + 1])
    return [
        event(
            int(number[s]),
            "stripping_tail",
            "stripping",
            f"charge after the midpoint of the rise to the cut-off {tails} uAh (z {zs} "
            f"scatters above the trend of the previous {params.tail_baseline_cycles} "
            f"cycles at this current: level {baseline * 1000:.3g} uAh, slope "
            f"{slope[s] * 1000:.2g} uAh/cycle, scatter {sigma[s] * 1000:.2g} uAh): "
            f"{picked.size} excursions > {params.tail_z:g} within {window} cycles; CE "
            f"{ce[s]:.4f}",
            tail_charge_mAh=x[s],
            baseline_tail_mAh=baseline,
            baseline_slope_mAh=slope[s],
            scatter_mAh=sigma[s],
            coulombic_efficiency=ce[s],
            excursions=int(picked.size),
            z_threshold=params.tail_z,
            window_cycles=window,
            detected_at_cycle=number[s + o],
        )
    ]
