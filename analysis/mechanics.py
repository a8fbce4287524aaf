"""Mechanical tests of electrode layers: 180-degree peel, scratch and nano-indentation.

Functions take plain arrays in the units their names give (the canonical columns of the
``peel``, ``scratch`` and ``indentation`` readers, :mod:`analysis.readers.mech_csv`) and return
frozen dataclasses with a ``to_json()`` form. Nothing here imports Django.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Standard gravity (CGPM 1901): 1 gf = 9.80665e-3 N, so 1 gf/mm = 9.80665 N/m.
GF_IN_N = 9.80665e-3
N_PER_M_PER_GF_PER_MM = GF_IN_N / 1e-3


def _arr(values: Sequence[float] | npt.ArrayLike, name: str) -> FloatArray:
    out = np.asarray(values, dtype=float)
    if out.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D series, found shape {out.shape}")
    return out


def _same_length(**series: FloatArray) -> int:
    lengths = {k: len(v) for k, v in series.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"series of different lengths: {lengths}")
    n = next(iter(lengths.values()))
    if n < 5:
        raise ValueError(f"too few points ({n}); expected at least 5")
    return n


def _finite(**series: FloatArray) -> npt.NDArray[np.bool_]:
    keep = np.ones(len(next(iter(series.values()))), dtype=bool)
    for v in series.values():
        keep &= np.isfinite(v)
    return keep


# --- Peel -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeelResult:
    """Peel strength over the steady-state plateau of a peel test.

    Strengths are force per specimen width: ``*_gf_per_mm`` in gram-force per millimetre and
    ``*_N_per_m`` in newton per metre (1 gf/mm = 9.80665 N/m). ``sd`` is the sample standard
    deviation of the force per width over the plateau points.
    """

    width_mm: float
    plateau_start_mm: float
    plateau_end_mm: float
    plateau_points: int
    mean_force_N: float
    peel_strength_gf_per_mm: float
    peel_strength_sd_gf_per_mm: float
    peel_strength_min_gf_per_mm: float
    peel_strength_max_gf_per_mm: float
    peel_strength_N_per_m: float
    peel_strength_sd_N_per_m: float
    peel_strength_min_N_per_m: float
    peel_strength_max_N_per_m: float
    peak_force_N: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def peel_plateau(
    displacement_mm: npt.ArrayLike,
    force_N: npt.ArrayLike,
    *,
    onset_fraction: float = 0.5,
    lead_fraction: float = 0.2,
    tail_fraction: float = 0.1,
) -> tuple[float, float]:
    """The steady-state peel plateau ``(start_mm, end_mm)``, found by this rule.

    1. The *peeling span* runs from the first to the last point where the force reaches
       ``onset_fraction`` (default 0.5) of the 95th percentile of the force: the baseline before
       the grips take up the slack and after the strip is fully detached falls outside.
    2. The plateau is the peeling span without its first ``lead_fraction`` (default 20 %) and
       last ``tail_fraction`` (default 10 %) of displacement: the initial load build-up and peak
       and the final detachment are excluded, as ASTM D903 and ISO 8510-2 exclude the start
       and end of the peel from the average.

    Units: millimetres of crosshead displacement. Raises ``ValueError`` when no force rises
    above the threshold.
    """
    x = _arr(displacement_mm, "displacement_mm")
    f = _arr(force_N, "force_N")
    _same_length(displacement_mm=x, force_N=f)
    keep = _finite(x=x, f=f)
    x, f = x[keep], f[keep]
    if not 0 <= lead_fraction < 1 or not 0 <= tail_fraction < 1 - lead_fraction:
        raise ValueError("lead_fraction and tail_fraction must leave part of the peel")
    level = float(np.percentile(f, 95))
    if level <= 0:
        raise ValueError("the force never rises above zero: no peel in this record")
    above = np.flatnonzero(f >= onset_fraction * level)
    x0, x1 = float(x[above[0]]), float(x[above[-1]])
    span = x1 - x0
    if span <= 0:
        raise ValueError("the peel force is above the threshold at a single point only")
    return x0 + lead_fraction * span, x1 - tail_fraction * span


def peel_strength(
    displacement_mm: npt.ArrayLike,
    force_N: npt.ArrayLike,
    *,
    width_mm: float,
    onset_fraction: float = 0.5,
    lead_fraction: float = 0.2,
    tail_fraction: float = 0.1,
) -> PeelResult:
    """Peel strength: the mean peel force over the steady-state plateau divided by the width.

    Definition: ``strength = mean(F) / w`` over the plateau found by :func:`peel_plateau`, with
    the standard deviation, minimum and maximum of ``F / w`` over the same points.
    Units: force in newton, width in millimetres; results in gf/mm and N/m.
    Reference: ASTM D903 (peel or stripping strength of adhesive bonds) and ISO 8510-2
    (180-degree peel test of flexible-to-rigid assemblies).
    """
    if not width_mm > 0:
        raise ValueError(f"width_mm must be positive, found {width_mm}")
    x = _arr(displacement_mm, "displacement_mm")
    f = _arr(force_N, "force_N")
    start, end = peel_plateau(
        x,
        f,
        onset_fraction=onset_fraction,
        lead_fraction=lead_fraction,
        tail_fraction=tail_fraction,
    )
    on = (x >= start) & (x <= end) & np.isfinite(f)
    if on.sum() < 3:
        raise ValueError("fewer than 3 points on the peel plateau; record more densely")
    per_width_gf = f[on] / GF_IN_N / width_mm
    sd = float(np.std(per_width_gf, ddof=1))
    mean = float(np.mean(per_width_gf))
    lo, hi = float(per_width_gf.min()), float(per_width_gf.max())
    k = N_PER_M_PER_GF_PER_MM
    return PeelResult(
        width_mm=float(width_mm),
        plateau_start_mm=start,
        plateau_end_mm=end,
        plateau_points=int(on.sum()),
        mean_force_N=float(np.mean(f[on])),
        peel_strength_gf_per_mm=mean,
        peel_strength_sd_gf_per_mm=sd,
        peel_strength_min_gf_per_mm=lo,
        peel_strength_max_gf_per_mm=hi,
        peel_strength_N_per_m=mean * k,
        peel_strength_sd_N_per_m=sd * k,
        peel_strength_min_N_per_m=lo * k,
        peel_strength_max_N_per_m=hi * k,
        peak_force_N=float(np.nanmax(f)),
    )


# --- Scratch ----------------------------------------------------------------------------------


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


# --- Nano-indentation (Oliver-Pharr) ----------------------------------------------------------

#: Berkovich area function ``A(h_c) = 24.5 h_c^2`` (ideal tip), coefficients C0, C1, ... of
#: ``A = C0 h^2 + C1 h + C2 h^(1/2) + C3 h^(1/4) + ...`` with h in nm and A in nm^2.
BERKOVICH_AREA = (24.5,)


@dataclass(frozen=True)
class IndentationResult:
    """Oliver-Pharr analysis of one load-unload indentation.

    Depths in nm, loads in mN, stiffness in mN/nm (= 1e6 N/m), area in nm^2, hardness and
    reduced modulus in GPa. ``residual_depth_nm`` is the measured depth at the lowest load of
    the unloading segment when that load is within ``residual_load_fraction`` of zero
    (``residual_depth_source == "measured"``), otherwise ``h_f`` of the power-law fit
    (``"fit"``, for protocols that unload only to 10 % of the load); ``fit_final_depth_nm``
    is always the fit's ``h_f``.
    """

    max_load_mN: float
    max_depth_nm: float
    residual_depth_nm: float
    residual_depth_source: str
    elastic_recovery: float
    contact_stiffness_mN_per_nm: float
    contact_depth_nm: float
    contact_area_nm2: float
    hardness_GPa: float
    reduced_modulus_GPa: float
    fit_alpha: float
    fit_exponent: float
    fit_final_depth_nm: float
    fit_points: int
    fit_range: tuple[float, float]
    epsilon: float
    beta: float
    area_coefficients: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["fit_range"] = list(self.fit_range)
        out["area_coefficients"] = list(self.area_coefficients)
        return out


def contact_area_nm2(
    contact_depth_nm: float, coefficients: Sequence[float] = BERKOVICH_AREA
) -> float:
    """Projected contact area ``A = sum_i C_i h_c^(2 / 2^i)`` (nm^2, h_c in nm).

    ``C0 = 24.5`` is the ideal Berkovich tip; further coefficients describe tip blunting
    (Oliver & Pharr 1992, J. Mater. Res. 7, 1564, eq. 24).
    """
    h = contact_depth_nm
    return float(sum(c * h ** (2.0 / 2**i) for i, c in enumerate(coefficients)))


def oliver_pharr(
    depth_nm: npt.ArrayLike,
    load_mN: npt.ArrayLike,
    *,
    fit_range: tuple[float, float] = (0.5, 1.0),
    epsilon: float = 0.75,
    beta: float = 1.0,
    area_coefficients: Sequence[float] = BERKOVICH_AREA,
    residual_load_fraction: float = 0.02,
) -> IndentationResult:
    """Hardness and reduced modulus of one indentation by the Oliver-Pharr method.

    Definitions (Oliver & Pharr 1992, J. Mater. Res. 7, 1564):

    * unloading starts at the deepest point at or after the maximum load (the end of any
      hold), ``h_max`` is its depth and ``P_max`` the maximum load;
    * the unloading points with ``fit_range[0] <= P / P_max <= fit_range[1]`` (default the
      upper half) are fitted with ``P = alpha (h - h_f)^m``;
    * contact stiffness ``S = dP/dh`` at ``h_max`` = ``alpha m (h_max - h_f)^(m - 1)``;
    * contact depth ``h_c = h_max - epsilon P_max / S`` (``epsilon = 0.75``, paraboloid);
    * contact area ``A(h_c)`` by :func:`contact_area_nm2` (Berkovich ``24.5 h_c^2``);
    * hardness ``H = P_max / A``; reduced modulus ``E_r = sqrt(pi) S / (2 beta sqrt(A))``;
    * elastic recovery ``(h_max - h_r) / h_max`` with ``h_r`` the residual depth: measured at
      the end of unloading when the load returns to within ``residual_load_fraction``
      (default 2 %) of zero, else the fit's ``h_f``.

    Units: depth nm, load mN; H and E_r in GPa (1 mN/nm^2 = 1e6 GPa).
    """
    from scipy.optimize import curve_fit

    h = _arr(depth_nm, "depth_nm")
    p = _arr(load_mN, "load_mN")
    _same_length(depth_nm=h, load_mN=p)
    keep = _finite(h=h, p=p)
    h, p = h[keep], p[keep]
    lo, hi = fit_range
    if not 0 <= lo < hi <= 1:
        raise ValueError(f"fit_range must satisfy 0 <= low < high <= 1, found {fit_range}")
    i_pmax = int(np.argmax(p))
    p_max = float(p[i_pmax])
    if p_max <= 0:
        raise ValueError("the load never rises above zero")
    start = i_pmax + int(np.argmax(h[i_pmax:]))
    h_max = float(h[start])
    uh, up = h[start:], p[start:]
    lowest = int(np.argmin(up))
    measured = bool(up[lowest] <= residual_load_fraction * p_max)
    residual = float(uh[lowest])
    sel = (up >= lo * p_max) & (up <= hi * p_max)
    if sel.sum() < 4:
        raise ValueError(
            f"only {int(sel.sum())} unloading points between {lo:g} and {hi:g} of the "
            "maximum load; expected at least 4 (is there an unloading segment?)"
        )
    fh, fp = uh[sel], up[sel]

    def model(x: FloatArray, alpha: float, m: float, hf: float) -> FloatArray:
        return np.asarray(alpha * np.clip(x - hf, 1e-12, None) ** m, dtype=float)

    hf0 = min(residual if measured else 0.0, float(fh.min()) - 1e-6 * max(h_max, 1.0))
    m0 = 1.5
    alpha0 = p_max / max(h_max - hf0, 1e-9) ** m0
    upper_hf = float(fh.min()) - 1e-9 * max(h_max, 1.0)
    try:
        popt, _ = curve_fit(
            model,
            fh,
            fp,
            p0=(alpha0, m0, min(hf0, upper_hf - 1e-9)),
            bounds=((0.0, 1.0, -np.inf), (np.inf, 4.0, upper_hf)),
            maxfev=20000,
        )
    except RuntimeError as exc:
        raise ValueError(
            f"the power-law fit of the unloading curve did not converge: {exc}"
        ) from exc
    alpha, m, hf = (float(v) for v in popt)
    if not measured:
        residual = hf
    stiffness = alpha * m * (h_max - hf) ** (m - 1.0)
    hc = h_max - epsilon * p_max / stiffness
    if hc <= 0:
        raise ValueError(f"contact depth {hc:.3g} nm is not positive; check the unloading data")
    area = contact_area_nm2(hc, area_coefficients)
    to_gpa = 1e6  # mN/nm^2 -> GPa
    return IndentationResult(
        max_load_mN=p_max,
        max_depth_nm=h_max,
        residual_depth_nm=residual,
        residual_depth_source="measured" if measured else "fit",
        elastic_recovery=(h_max - residual) / h_max if h_max > 0 else float("nan"),
        contact_stiffness_mN_per_nm=stiffness,
        contact_depth_nm=hc,
        contact_area_nm2=area,
        hardness_GPa=p_max / area * to_gpa,
        reduced_modulus_GPa=math.sqrt(math.pi) * stiffness / (2 * beta * math.sqrt(area)) * to_gpa,
        fit_alpha=alpha,
        fit_exponent=m,
        fit_final_depth_nm=hf,
        fit_points=int(sel.sum()),
        fit_range=(float(lo), float(hi)),
        epsilon=float(epsilon),
        beta=float(beta),
        area_coefficients=tuple(float(c) for c in area_coefficients),
    )
