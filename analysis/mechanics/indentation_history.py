"""The segments of an indentation record, found from its load, depth and time history: the
hold at the top, the start and end of unloading, a hold at low load for the thermal drift,
and the separate indents of an array recorded in one file.

Definitions (ISO 14577-1:2015, annex A; Oliver & Pharr 2004, J. Mater. Res. 19, 3):

* noise of a channel: ``1.4826 MAD(second differences) / sqrt(6)``, robust to the curve's
  own shape;
* hold start: the first point whose load is within ``3 noise + 0.2 %`` of the largest load
  (a load-controlled hold keeps the load there; a depth-controlled hold starts there and
  relaxes);
* unloading start: the last point after the hold start whose depth is within
  ``4 noise + 0.01 %`` of the largest depth from the hold start on: the end of a
  load-controlled hold (the depth creeps up to it) or of a depth-controlled hold (the depth
  stays there), then moved back while the load of the point before is higher by more than a
  quarter of the median unloading step (and ``3 sqrt(2)`` load noises); unloading end: the
  lowest load after it;
* low-load hold: after the unloading start (or, when there is none, before the hold at the
  top: a hold at contact on the way up), the longest run of consecutive points whose load
  stays within ``1 % of P + 4 noise`` of one value between 2 % and 30 % of the unloading
  load, narrowed to the points within ``0.1 % of P + 4 noise`` of its median load, lasting
  at least ``min_hold_s``; the drift rate is the slope of depth against time over its last
  80 % (the first 20 % lets the material settle).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.mechanics._series import FloatArray


def noise(values: FloatArray) -> float:
    """Robust standard deviation of a channel's noise (same unit as ``values``)."""
    if len(values) < 5:
        return 0.0
    d2 = np.diff(values, 2)
    return float(1.4826 * np.median(np.abs(d2 - np.median(d2))) / np.sqrt(6.0))


@dataclass(frozen=True)
class Segments:
    """Indices into one indent's arrays: ``hold_start`` (top of loading), ``unload_start``,
    ``unload_end`` (lowest load after it)."""

    hold_start: int
    unload_start: int
    unload_end: int


def segments(depth_nm: FloatArray, load_mN: FloatArray) -> Segments:
    """Hold start, unloading start and end of one indent (rules in the module docstring)."""
    p_peak = float(np.max(load_mN))
    tol_p = 3.0 * noise(load_mN) + 0.002 * p_peak
    hold_start = int(np.argmax(load_mN >= p_peak - tol_p))
    after = depth_nm[hold_start:]
    h_top = float(np.max(after))
    tol_h = 4.0 * noise(depth_nm) + 1e-4 * abs(h_top)
    near = np.flatnonzero(after >= h_top - tol_h)
    unload_start = hold_start + int(near[-1])
    unload_end = unload_start + int(np.argmin(load_mN[unload_start:]))
    # the depth tolerance lets a few unloading points in: step back while the load before is
    # higher by a good part of a typical unloading step (a hold's load does not step so)
    steps = -np.diff(load_mN[unload_start : unload_end + 1])
    if len(steps) >= 4:
        step = float(np.median(steps[: max(len(steps) // 2, 4)]))
        thr = max(3.0 * np.sqrt(2.0) * noise(load_mN), 0.25 * step)
        while unload_start > hold_start and load_mN[unload_start - 1] - load_mN[unload_start] > thr:
            unload_start -= 1
    return Segments(hold_start, unload_start, unload_end)


@dataclass(frozen=True)
class DriftHold:
    """A hold at low load: rows ``start..stop`` (inclusive), its time span and the drift."""

    start: int
    stop: int
    start_s: float
    end_s: float
    load_mN: float
    rate_nm_per_s: float


def low_load_hold(
    depth_nm: FloatArray,
    load_mN: FloatArray,
    time_s: FloatArray,
    unload_start: int,
    *,
    hold_start: int | None = None,
    min_hold_s: float = 5.0,
) -> DriftHold | None:
    """The hold at low load after the unloading start (else, given ``hold_start``, before the
    hold at the top: at contact, on the way up) and the drift rate measured on it (module
    docstring), or ``None`` when the record has none."""
    found = _low_load_hold(depth_nm, load_mN, time_s, unload_start, len(load_mN), min_hold_s)
    if found is None and hold_start is not None:
        ref = float(load_mN[unload_start])
        found = _low_load_hold(depth_nm, load_mN, time_s, 0, hold_start, min_hold_s, ref)
    return found


def _low_load_hold(
    depth_nm: FloatArray,
    load_mN: FloatArray,
    time_s: FloatArray,
    first: int,
    stop: int,
    min_hold_s: float,
    ref_mN: float | None = None,
) -> DriftHold | None:
    """The hold at low load within rows ``first..stop-1`` (``ref_mN``: the load the band is
    relative to, default the load at ``first``)."""
    p_u = float(load_mN[first]) if ref_mN is None else ref_mN
    p = load_mN[first:stop]
    band = 0.01 * p_u + 4.0 * noise(load_mN)
    cand = np.flatnonzero((p >= 0.02 * p_u) & (p <= 0.3 * p_u))
    if len(cand) < 8:
        return None
    values = np.sort(p[cand])
    counts = np.searchsorted(values, values + band, "right") - np.searchsorted(
        values, values - band, "left"
    )
    level = float(values[int(np.argmax(counts))])
    inside = np.abs(p - level) <= band
    # longest run of consecutive points inside the band
    edges = np.diff(np.concatenate([[0], inside.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if not len(starts):
        return None
    k = int(np.argmax(stops - starts))
    a, b = first + int(starts[k]), first + int(stops[k]) - 1
    # the band lets a few unloading points in at either end: narrow it to the hold's own noise
    level = float(np.median(load_mN[a : b + 1]))
    tight = np.abs(load_mN[a : b + 1] - level) <= 0.001 * p_u + 4.0 * noise(load_mN[a : b + 1])
    inner = np.flatnonzero(tight)
    if len(inner) < 8:
        return None
    a, b = a + int(inner[0]), a + int(inner[-1])
    if time_s[b] - time_s[a] < min_hold_s:
        return None
    t0 = time_s[a] + 0.2 * (time_s[b] - time_s[a])
    use = slice(a + int(np.argmax(time_s[a : b + 1] >= t0)), b + 1)
    slope = float(np.polyfit(time_s[use], depth_nm[use], 1)[0])
    return DriftHold(a, b, float(time_s[a]), float(time_s[b]), level, slope)


def work_pJ(depth_nm: FloatArray, load_mN: FloatArray) -> float:
    """``integral P dh`` along the path (trapezoids), in pJ (1 mN nm = 1e-12 J)."""
    if len(depth_nm) < 2:
        return 0.0
    return float(np.sum(0.5 * (load_mN[1:] + load_mN[:-1]) * np.diff(depth_nm)))


def split_indents(
    load_mN: FloatArray, *, contact_fraction: float = 0.02, min_points: int = 20
) -> list[tuple[int, int]]:
    """Row ranges ``(start, stop)`` (stop exclusive) of the indents of an array recorded in one
    file: an indent is a maximal run of rows whose load is above ``contact_fraction`` of the
    record's largest load, extended to the zero-load rows either side up to half way to the
    next indent, with at least ``min_points`` rows. One indent gives the whole record."""
    p = np.asarray(load_mN, dtype=float)
    on = p > contact_fraction * float(np.nanmax(p))
    edges = np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    keep = (stops - starts) >= min_points
    starts, stops = starts[keep], stops[keep]
    if len(starts) <= 1:
        return [(0, len(p))]
    cuts = [0, *((stops[:-1] + starts[1:]) // 2).tolist(), len(p)]
    return [(int(cuts[i]), int(cuts[i + 1])) for i in range(len(starts))]
