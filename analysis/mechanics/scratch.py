"""Progressive-load scratch test: depth per section, critical load at the depth jump, residual
depth and elastic recovery."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from analysis.mechanics._series import FloatArray, _arr, _finite, _same_length


@dataclass(frozen=True)
class ScratchSection:
    """Penetration-depth statistics (micrometres) over one distance section of a scratch."""

    start_mm: float
    end_mm: float
    points: int
    mean_depth_um: float | None
    sd_depth_um: float | None
    min_depth_um: float | None
    max_depth_um: float | None
    mean_normal_load_mN: float | None
    mean_residual_depth_um: float | None
    max_residual_depth_um: float | None


@dataclass(frozen=True)
class ScratchResult:
    """A progressive-load scratch: sections, critical load and depth jump.

    ``critical_load_mN`` is ``None`` when no significant depth jump was found; then the
    ``critical_*`` and ``depth_jump_um`` fields are ``None`` too.
    """

    sections: tuple[ScratchSection, ...]
    critical_load_mN: float | None
    critical_distance_mm: float | None
    depth_jump_um: float | None
    noise_um: float
    max_depth_um: float
    max_normal_load_mN: float
    max_residual_depth_um: float | None
    mean_elastic_recovery: float | None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["sections"] = [asdict(s) for s in self.sections]
        return out


def depth_jump(
    x: npt.ArrayLike, depth: npt.ArrayLike, *, min_segment: int = 5
) -> tuple[int, float, float]:
    """Locate a step in ``depth`` along ``x``: ``(index, jump, noise)``.

    The curve is split into two straight lines, one before and one after a point ``k``, free
    to be discontinuous at ``k``; ``k`` is the split with the least total squared residual
    (a two-segment least-squares change point, computed exactly from cumulative sums).
    ``jump`` is the right line minus the left line at ``x[k]``; ``noise`` the residual standard
    deviation of the two-segment fit. ``index`` is the first point of the deeper segment.
    """
    xs = _arr(x, "x")
    ys = _arr(depth, "depth")
    n = len(xs)
    if n < 2 * min_segment + 1:
        raise ValueError(f"too few points ({n}) to locate a depth jump")
    xs = xs - xs.mean()

    def sse_prefix(a: FloatArray, b: FloatArray) -> FloatArray:
        k = np.arange(1, len(a) + 1, dtype=float)
        sx, sy = np.cumsum(a), np.cumsum(b)
        sxx, sxy, syy = np.cumsum(a * a), np.cumsum(a * b), np.cumsum(b * b)
        vx = sxx - sx * sx / k
        cxy = sxy - sx * sy / k
        vy = syy - sy * sy / k
        with np.errstate(invalid="ignore", divide="ignore"):
            sse = vy - np.where(vx > 0, cxy * cxy / np.where(vx > 0, vx, 1.0), 0.0)
        return np.asarray(np.maximum(sse, 0.0), dtype=float)

    left = sse_prefix(xs, ys)  # left[k-1]: SSE of points 0..k-1
    right = sse_prefix(xs[::-1], ys[::-1])[::-1]  # right[k]: SSE of points k..n-1
    ks = np.arange(min_segment, n - min_segment + 1)
    total = left[ks - 1] + right[ks]
    k = int(ks[np.argmin(total)])
    pl = np.polyfit(xs[:k], ys[:k], 1)
    pr = np.polyfit(xs[k:], ys[k:], 1)
    jump = float(np.polyval(pr, xs[k]) - np.polyval(pl, xs[k]))
    noise = math.sqrt(float(total.min()) / max(n - 4, 1))
    return k, jump, noise


def scratch_analysis(
    distance_mm: npt.ArrayLike,
    normal_load_mN: npt.ArrayLike,
    depth_um: npt.ArrayLike,
    residual_depth_um: npt.ArrayLike | None = None,
    *,
    sections: Sequence[tuple[float, float]] = ((0.0, 0.5), (1.5, 2.0)),
    min_jump_um: float = 0.0,
    min_jump_noise_ratio: float = 8.0,
) -> ScratchResult:
    """Progressive-load scratch test: depth per section, critical load, residual depth.

    Definitions:

    * sections: mean, sample sd, min and max penetration depth (µm) and the mean normal load
      (mN) of the points with ``start <= distance <= end`` (mm); default the paper's sections
      0-0.5 mm and 1.5-2.0 mm. Residual depth statistics where a residual column was recorded.
    * critical load ``L_c`` (mN): the normal load at the onset of the penetration-depth jump,
      i.e. at the first point of the deeper segment of the two-segment change point of depth
      versus distance (:func:`depth_jump`). A jump counts only when it is deeper than
      ``min_jump_noise_ratio`` (default 8) times the fit's residual noise and than
      ``min_jump_um``; otherwise ``L_c`` is ``None`` (no failure in this scratch).
    * elastic recovery (mean over points with a residual depth): ``1 - residual / depth``.

    Units: mm, mN, µm. Reference: ASTM C1624 (critical scratch load by progressive-load
    scratch testing), which defines ``L_c`` as the load at a specified damage event; here the
    event is the penetration-depth discontinuity.
    """
    x = _arr(distance_mm, "distance_mm")
    load = _arr(normal_load_mN, "normal_load_mN")
    d = _arr(depth_um, "depth_um")
    r = None if residual_depth_um is None else _arr(residual_depth_um, "residual_depth_um")
    _same_length(distance_mm=x, normal_load_mN=load, depth_um=d)
    keep = _finite(x=x, load=load, d=d)
    if r is not None:
        if len(r) != len(x):
            raise ValueError("residual_depth_um has a different length from depth_um")
        r = np.where(np.isfinite(r), r, np.nan)[keep]
    x, load, d = x[keep], load[keep], d[keep]
    order = np.argsort(x, kind="stable")
    x, load, d = x[order], load[order], d[order]
    if r is not None:
        r = r[order]

    out_sections = tuple(_section(x, load, d, r, lo, hi) for lo, hi in sections)
    k, jump, noise = depth_jump(x, d)
    failed = jump > 0 and jump > min_jump_noise_ratio * noise and jump > min_jump_um
    recovery: float | None = None
    max_residual: float | None = None
    if r is not None and np.isfinite(r).any():
        ok = np.isfinite(r) & (d > 0)
        max_residual = float(np.nanmax(r))
        if ok.any():
            recovery = float(np.mean(1.0 - r[ok] / d[ok]))
    return ScratchResult(
        sections=out_sections,
        critical_load_mN=float(load[k]) if failed else None,
        critical_distance_mm=float(x[k]) if failed else None,
        depth_jump_um=jump if failed else None,
        noise_um=noise,
        max_depth_um=float(d.max()),
        max_normal_load_mN=float(load.max()),
        max_residual_depth_um=max_residual,
        mean_elastic_recovery=recovery,
    )


def _stat(values: FloatArray, how: str) -> float | None:
    values = values[np.isfinite(values)]
    if len(values) == 0 or (how == "sd" and len(values) < 2):
        return None
    if how == "sd":
        return float(np.std(values, ddof=1))
    return float(getattr(np, how)(values))


def _section(
    x: FloatArray, load: FloatArray, d: FloatArray, r: FloatArray | None, lo: float, hi: float
) -> ScratchSection:
    if not hi > lo:
        raise ValueError(f"section {lo}-{hi} mm: the end must be after the start")
    on = (x >= lo) & (x <= hi)
    return ScratchSection(
        start_mm=float(lo),
        end_mm=float(hi),
        points=int(on.sum()),
        mean_depth_um=_stat(d[on], "mean"),
        sd_depth_um=_stat(d[on], "sd"),
        min_depth_um=_stat(d[on], "min"),
        max_depth_um=_stat(d[on], "max"),
        mean_normal_load_mN=_stat(load[on], "mean"),
        mean_residual_depth_um=None if r is None else _stat(r[on], "mean"),
        max_residual_depth_um=None if r is None else _stat(r[on], "max"),
    )
