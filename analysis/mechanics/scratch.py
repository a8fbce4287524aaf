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


#: The paper's distance sections (mm) whose depth statistics a scratch reports by default: the
#: start of the scratch (0-0.5 mm, low load) and the end of the first 2 mm (1.5-2.0 mm).
DEFAULT_SECTIONS_MM: tuple[tuple[float, float], ...] = ((0.0, 0.5), (1.5, 2.0))


@dataclass(frozen=True)
class ScratchEvent:
    """A failure event along a scratch, found in one signal (``depth``, ``friction`` or
    ``acoustic_emission``): the normal load (mN) and distance (mm) at its onset and the size
    of the step in that signal (µm for depth, friction coefficient, % for acoustic emission)."""

    signal: str
    load_mN: float
    distance_mm: float
    step: float


@dataclass(frozen=True)
class ScratchResult:
    """A progressive-load scratch: sections, critical loads and depth jump.

    ``critical_load_mN`` (= ``lc2_mN``) is the load at the penetration-depth jump
    (delamination); ``None`` when no significant jump was found, and then the ``critical_*``
    and ``depth_jump_um`` fields are ``None`` too. ``lc1_mN`` is the lowest load of any event
    (first damage: friction step, acoustic emission onset or the depth jump). ``events``: one
    per signal where an event was found. ``depth_sign_flipped``: the file recorded depths as
    negative numbers. ``lift_off_mm``: where the stylus left the surface at the end (rows from
    there on are not analysed), ``None`` when it did not.
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
    lc1_mN: float | None
    lc2_mN: float | None
    events: tuple[ScratchEvent, ...]
    depth_sign_flipped: bool
    lift_off_mm: float | None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["sections"] = [asdict(s) for s in self.sections]
        out["events"] = [asdict(e) for e in self.events]
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


def _scratch_rows(
    x: FloatArray, load: FloatArray, d: FloatArray
) -> tuple[npt.NDArray[np.bool_], float | None]:
    """Rows of the scratch itself: not after a lift-off at the end (after the maximum load,
    load below 90 % of it; or a trailing run of depths below 10 % of the largest depth)."""
    peak = float(np.max(load))
    rows = np.ones(len(load), dtype=bool)
    k = int(np.argmax(load))
    off = np.zeros_like(rows)
    off[k:] = load[k:] < 0.9 * peak
    top = float(np.max(d[rows])) if rows.any() else 0.0
    shallow = d < 0.1 * top
    if shallow[-1] and top > 0:
        deep = np.flatnonzero(~shallow)
        if len(deep):
            off[deep[-1] + 1 :] = True
    lift = float(x[np.argmax(off)]) if off.any() else None
    return rows & ~off, lift


def _acoustic_onset(ae: FloatArray, *, factor: float = 10.0) -> int | None:
    """First row where the acoustic emission exceeds its baseline (median of the first 20 %)
    by ``factor`` robust standard deviations (1.4826 MAD) of that baseline."""
    base = ae[: max(len(ae) // 5, 5)]
    med = float(np.median(base))
    sd = float(1.4826 * np.median(np.abs(base - med)))
    over = np.flatnonzero(ae > med + factor * max(sd, 1e-9))
    return int(over[0]) if len(over) else None


def scratch_analysis(
    distance_mm: npt.ArrayLike,
    normal_load_mN: npt.ArrayLike,
    depth_um: npt.ArrayLike,
    residual_depth_um: npt.ArrayLike | None = None,
    *,
    friction_force_mN: npt.ArrayLike | None = None,
    acoustic_emission: npt.ArrayLike | None = None,
    sections: Sequence[tuple[float, float]] = DEFAULT_SECTIONS_MM,
    min_jump_um: float = 0.0,
    min_jump_noise_ratio: float = 8.0,
) -> ScratchResult:
    """Progressive-load scratch test: depth per section, critical loads, residual depth.

    Definitions:

    * sign: depths recorded mostly negative (median below zero) are turned positive, residual
      depths with them;
    * the scratch is the record without a lift-off at the end (:func:`_scratch_rows`: rows
      after the maximum load whose load is below 90 % of it, and a trailing run of depths below
      10 % of the largest, are left out);
    * sections: mean, sample sd, min and max penetration depth (µm) and the mean normal load
      (mN) of the points with ``start <= distance <= end`` (mm); default
      :data:`DEFAULT_SECTIONS_MM`. Residual depth statistics where a residual column was
      recorded.
    * critical load ``L_c2`` (mN, ``critical_load_mN``): the normal load at the onset of the
      penetration-depth jump, the first point of the deeper segment of the two-segment change
      point of depth versus distance (:func:`depth_jump`). A jump counts only when it is
      deeper than ``min_jump_noise_ratio`` (default 8) times the fit's residual noise and than
      ``min_jump_um``; otherwise ``L_c2`` is ``None`` (no failure in this scratch).
    * friction: the same change point on the friction coefficient ``mu = F_t / F_n``, counted
      when the step up exceeds 8 times the residual noise; acoustic emission: the first point
      above the baseline by 10 robust standard deviations (:func:`_acoustic_onset`).
    * ``L_c1``: the lowest load of the events found (first damage).
    * elastic recovery (over the points with a residual depth): ``1 - sum(residual) /
      sum(depth)``, the depth-weighted mean of ``1 - residual / depth``: the point-wise ratio
      of the shallow start, where both depths are within noise of zero, would dominate a plain
      mean (0.87 instead of 0.70 on the simulated Elastane scratch).

    Units: mm, mN, µm. Reference: ASTM C1624 (critical scratch loads by progressive-load
    scratch testing), which defines ``L_c`` as the load at a specified damage event; here the
    events are the depth discontinuity, the friction step and the acoustic emission onset.
    """
    x = _arr(distance_mm, "distance_mm")
    load = _arr(normal_load_mN, "normal_load_mN")
    d = _arr(depth_um, "depth_um")
    n_all = _same_length(distance_mm=x, normal_load_mN=load, depth_um=d)
    extra: dict[str, FloatArray] = {}
    for name, values in (
        ("residual", residual_depth_um),
        ("friction", friction_force_mN),
        ("ae", acoustic_emission),
    ):
        if values is not None:
            arr = _arr(values, name)
            if len(arr) != n_all:
                raise ValueError(f"{name} has {len(arr)} rows, the depth {n_all}")
            extra[name] = arr
    keep = _finite(x=x, load=load, d=d)
    order = np.argsort(x[keep], kind="stable")
    x, load, d = x[keep][order], load[keep][order], d[keep][order]
    extra = {k: v[keep][order] for k, v in extra.items()}
    flipped = bool(np.median(d) < 0)
    if flipped:
        d = -d
        if "residual" in extra:
            extra["residual"] = -extra["residual"]
    rows, lift = _scratch_rows(x, load, d)
    if rows.sum() < 11:
        raise ValueError(f"only {int(rows.sum())} rows before the lift-off; expected 11 or more")
    x, load, d = x[rows], load[rows], d[rows]
    extra = {k: v[rows] for k, v in extra.items()}
    r = extra.get("residual")

    out_sections = tuple(_section(x, load, d, r, lo, hi) for lo, hi in sections)
    k, jump, noise = depth_jump(x, d)
    failed = jump > 0 and jump > min_jump_noise_ratio * noise and jump > min_jump_um
    events: list[ScratchEvent] = []
    if failed:
        events.append(ScratchEvent("depth", float(load[k]), float(x[k]), jump))
    if "friction" in extra:
        ok = (load > 0) & np.isfinite(extra["friction"])
        if ok.sum() >= 11:
            mu = extra["friction"][ok] / load[ok]
            kf, step, fnoise = depth_jump(x[ok], mu)
            if step > 0 and step > min_jump_noise_ratio * fnoise:
                events.append(ScratchEvent("friction", float(load[ok][kf]), float(x[ok][kf]), step))
    if "ae" in extra:
        ka = _acoustic_onset(np.nan_to_num(extra["ae"], nan=0.0))
        if ka is not None:
            events.append(
                ScratchEvent(
                    "acoustic_emission", float(load[ka]), float(x[ka]), float(extra["ae"][ka])
                )
            )
    recovery: float | None = None
    max_residual: float | None = None
    if r is not None and np.isfinite(r).any():
        ok = np.isfinite(r) & (d > 0)
        max_residual = float(np.nanmax(r))
        if ok.any():
            recovery = float(1.0 - np.sum(r[ok]) / np.sum(d[ok]))
    lc2 = float(load[k]) if failed else None
    return ScratchResult(
        sections=out_sections,
        critical_load_mN=lc2,
        critical_distance_mm=float(x[k]) if failed else None,
        depth_jump_um=jump if failed else None,
        noise_um=noise,
        max_depth_um=float(d.max()),
        max_normal_load_mN=float(load.max()),
        max_residual_depth_um=max_residual,
        mean_elastic_recovery=recovery,
        lc1_mN=min(e.load_mN for e in events) if events else None,
        lc2_mN=lc2,
        events=tuple(sorted(events, key=lambda e: e.load_mN)),
        depth_sign_flipped=flipped,
        lift_off_mm=lift,
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
