"""Thinning long series for plotting on the server, so a page never ships 10^5+ points.

``minmax`` keeps each bucket's first, minimum, maximum and last point (spikes and the envelope
of a voltage trace survive); ``lttb`` is Largest-Triangle-Three-Buckets (S. Steinarsson,
*Downsampling Time Series for Visual Representation*, MSc thesis, Univ. of Iceland, 2013), which
keeps the visual shape of smooth per-cycle series. Missing values (NaN) are kept as gaps.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def minmax(x: FloatArray, y: FloatArray, max_points: int) -> tuple[FloatArray, FloatArray]:
    """At most ``max_points`` points: per bucket of consecutive points, first, min, max, last
    (in their original order)."""
    n = x.size
    if n <= max_points or max_points < 8:
        return x, y
    buckets = max_points // 4
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    keep = np.zeros(n, dtype=bool)
    keep[edges[:-1]] = True
    keep[np.maximum(edges[1:] - 1, 0)] = True
    finite = np.where(np.isfinite(y), y, np.nan)
    starts = edges[:-1]
    # argmin/argmax per bucket via reduceat on a NaN-safe copy
    lo = np.where(np.isfinite(finite), finite, np.inf)
    hi = np.where(np.isfinite(finite), finite, -np.inf)
    for start, stop in zip(starts, edges[1:], strict=True):
        if stop > start:
            keep[start + int(np.argmin(lo[start:stop]))] = True
            keep[start + int(np.argmax(hi[start:stop]))] = True
    keep |= ~np.isfinite(y)  # keep gaps where they are
    return x[keep], y[keep]


def lttb(x: FloatArray, y: FloatArray, max_points: int) -> tuple[FloatArray, FloatArray]:
    """Largest-Triangle-Three-Buckets down to ``max_points`` (first and last kept). Points with
    a missing y are dropped first."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = x.size
    if n <= max_points or max_points < 3:
        return x, y
    out = np.empty(max_points, dtype=np.int64)
    out[0], out[-1] = 0, n - 1
    edges = np.linspace(1, n - 1, max_points - 1).astype(np.int64)
    a = 0
    for i in range(max_points - 2):
        start, stop = edges[i], max(edges[i + 1], edges[i] + 1)
        nxt_start, nxt_stop = edges[i + 1], edges[i + 2] if i + 2 < edges.size else n
        nxt_stop = max(nxt_stop, nxt_start + 1)
        cx, cy = x[nxt_start:nxt_stop].mean(), y[nxt_start:nxt_stop].mean()
        bx, by = x[start:stop], y[start:stop]
        area = np.abs((x[a] - cx) * (by - y[a]) - (x[a] - bx) * (cy - y[a]))
        a = start + int(np.argmax(area))
        out[i + 1] = a
    return x[out], y[out]
