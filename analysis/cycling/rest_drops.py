"""The voltage drop in the rest after each stripping or charge (the ``rest_voltage_decay``
short-circuit rule of :mod:`analysis.cycling.shorts`): how far the voltage fell between the end
of the current and a probe time into the rest, the same for every rest of a cell."""

from __future__ import annotations

import numpy as np

from analysis.cycling.groups import group_counts, median_of_few, range_rows
from analysis.cycling.segmentation import BoolArray, FloatArray, IntArray, Segmentation

#: a rest shorter than this fraction of the probe time is not judged (a file ending in it)
REST_PROBE_FRACTION = 0.95


def rest_drops(
    seg: Segmentation, voltage_V: FloatArray, time_s: FloatArray, judged: BoolArray
) -> tuple[FloatArray, float]:
    """Per half-cycle: how far the voltage fell (V) between the end of the current and the
    probe time into the rest that follows it (NaN where there is no such rest or it is shorter
    than the probe), and the probe time (s): the median duration of the trailing rests of the
    positive-current half-cycles among ``judged``, so that every rest of a cell is read after
    the same time (a longer rest before an EIS or a pause is read at the usual time). The
    voltage at the probe time is the median of the value interpolated there and of the two
    rows before it (a one-sample glitch does not make a drop)."""
    n = seg.direction.size
    drop = np.full(n, np.nan)
    positive = np.flatnonzero(seg.direction > 0)
    last_active = np.full(n, -1, dtype=np.int64)
    rows = seg.active_rows
    if rows.size and positive.size:
        # the last current-carrying row of each positive half-cycle, with two rows after it
        last = rows[np.maximum(np.searchsorted(rows, seg.stops[positive]) - 1, 0)]
        rest = (last >= seg.starts[positive]) & (last + 2 < seg.stops[positive])
        last_active[positive[rest]] = last[rest]
    has_rest = last_active >= 0
    duration = np.zeros(n)
    duration[has_rest] = time_s[seg.stops[has_rest] - 1] - time_s[last_active[has_rest]]
    usual = has_rest & judged & (duration > 0)
    if not np.any(usual):
        return drop, float("nan")
    probe = float(np.median(duration[usual]))
    which = np.flatnonzero(has_rest & (duration >= REST_PROBE_FRACTION * probe))
    if seg.backward_steps:  # a rest's times may go back: searched one rest at a time
        for i in which.tolist():
            drop[i] = _rest_drop(voltage_V, time_s, int(last_active[i]), int(seg.stops[i]), probe)
    elif which.size:
        drop[which] = _rest_drops_in_order(
            voltage_V, time_s, last_active[which], seg.stops[which], probe
        )
    return drop, probe


def _rest_drop(voltage_V: FloatArray, time_s: FloatArray, a: int, b: int, probe: float) -> float:
    """The drop of one rest (rows ``a..b-1``, ``a`` the last current-carrying row) at the probe
    time (:func:`rest_drops`)."""
    t, v = time_s[a:b] - time_s[a], voltage_V[a:b]
    at = min(probe, float(t[-1]))
    k = int(np.searchsorted(t, at, side="right"))
    near = [float(np.interp(at, t, v)), *v[max(k - 2, 1) : k].tolist()]
    return float(voltage_V[a]) - median_of_few(near)


def _rest_drops_in_order(
    voltage_V: FloatArray, time_s: FloatArray, a: IntArray, b: IntArray, probe: float
) -> FloatArray:
    """:func:`_rest_drop` of many rests at once, where time does not go back (each rest's
    times from its first row then rise or stay): the rows up to the probe time counted, the
    voltage there interpolated as ``np.interp`` does (the value at an equal time or at the
    last row, else ``slope * (at - t[j]) + v[j]`` from the interval's slope, and its fallbacks
    when that is NaN), and :func:`analysis.cycling.groups.median_of_few` of it and the two
    rows before (none before the rest's second row) taken apart: the same numbers."""
    size = b - a
    rows = range_rows(a, b)
    t = time_s[rows] - np.repeat(time_s[a], size)  # each rest's own times, as one slice's
    v = voltage_V[rows]
    head = np.cumsum(size) - size
    at = np.minimum(probe, t[head + size - 1])
    k = group_counts(t <= np.repeat(at, size), size)  # searchsorted(t, at, side="right")
    j = head + k - 1
    inner = np.minimum(j + 1, head + size - 1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        slope = (v[inner] - v[j]) / (t[inner] - t[j])
        level = slope * (at - t[j]) + v[j]
        again = slope * (at - t[inner]) + v[inner]
    level = np.where(np.isnan(level), again, level)
    level = np.where(np.isnan(level) & (v[j] == v[inner]), v[j], level)
    level = np.where((k == size) | (t[j] == at), v[j], level)
    # the rows before the probe time, from the rest's second row: none, one or two
    one, two = np.maximum(j - 1, head), j  # positions of v[k - 2] and v[k - 1]
    count = np.clip(k - 1, 0, 2)
    x, y = v[one], v[two]
    with np.errstate(invalid="ignore"):
        middle = np.maximum(np.minimum(level, x), np.minimum(np.maximum(level, x), y))
        middle = np.where(count == 2, 0.0 + middle, middle)
        middle = np.where(count == 1, (0.0 + (level + y)) / 2, middle)
        middle = np.where(count == 0, 0.0 + level, middle)
    nan = np.isnan(level) | ((count >= 1) & np.isnan(y)) | ((count == 2) & np.isnan(x))
    out: FloatArray = voltage_V[a] - np.where(nan, np.nan, middle)
    return out
