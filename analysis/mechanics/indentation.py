"""Nano-indentation: hardness and reduced modulus by the Oliver-Pharr method, with the
instrument's frame compliance and thermal drift corrected, and the ISO 14577 indentation work
(elastic recovery ``eta_IT``), creep ``C_IT`` and relaxation ``R_IT`` over the hold."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from analysis.mechanics._series import FloatArray, _arr, _finite, _same_length
from analysis.mechanics.indentation_history import low_load_hold, segments, work_pJ

#: Berkovich area function ``A(h_c) = 24.5 h_c^2`` (ideal tip), coefficients C0, C1, ... of
#: ``A = C0 h^2 + C1 h + C2 h^(1/2) + C3 h^(1/4) + ...`` with h in nm and A in nm^2.
BERKOVICH_AREA = (24.5,)

#: Diamond indenter: Young's modulus (GPa) and Poisson's ratio (ISO 14577-1 annex A; Oliver &
#: Pharr 1992).
DIAMOND_MODULUS_GPa = 1141.0
DIAMOND_POISSON = 0.07


@dataclass(frozen=True)
class IndentationResult:
    """Oliver-Pharr analysis of one load-unload indentation.

    Depths in nm (after the frame-compliance and drift corrections), loads in mN, stiffness in
    mN/nm (= 1e6 N/m), area in nm^2, hardness and reduced modulus in GPa, works in pJ
    (1 mN nm), ``*_percent`` in %. ``max_load_mN`` is the load where unloading starts (Oliver
    and Pharr's ``P_max``; after a depth-controlled hold it is below ``peak_load_mN``, the
    largest load of the record) and ``max_depth_nm`` the depth there on the fitted unloading
    curve. ``fit_range`` is the range of ``P / P_max`` fitted (widened on a noisy curve),
    ``stiffness_se_percent`` the fit's relative standard error of the stiffness (E_r's is
    about the same) and ``fit_residual_nm`` the residual sd of the depth. ``residual_depth_nm`` is
    the measured depth at the lowest load of the unloading segment when that load is within
    ``residual_load_fraction`` of zero (``residual_depth_source == "measured"``), otherwise
    ``h_f`` of the power-law fit (``"fit"``); ``fit_final_depth_nm`` is always the fit's
    ``h_f``. ``drift_source`` is ``"hold"`` (measured on a hold at low load, whose time span is
    given), ``"parameter"`` or ``"none"``.
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
    stiffness_se_percent: float
    fit_residual_nm: float
    fit_load_range_mN: tuple[float, float]
    epsilon: float
    beta: float
    area_coefficients: tuple[float, ...]
    peak_load_mN: float
    unloading_start_row: int
    unloading_start_s: float | None
    hold_duration_s: float | None
    creep_C_IT_percent: float
    relaxation_R_IT_percent: float
    work_total_pJ: float
    work_elastic_pJ: float
    eta_IT_percent: float
    frame_compliance_nm_per_mN: float
    drift_rate_nm_per_s: float
    drift_source: str
    drift_hold_s: tuple[float, float] | None
    sample_poisson_ratio: float | None = None
    indentation_modulus_GPa: float | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("fit_range", "fit_load_range_mN", "area_coefficients", "drift_hold_s"):
            out[key] = None if out[key] is None else list(out[key])
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


@dataclass(frozen=True)
class _Fit:
    """``h = h_f + c (P / P_max)^n`` (``n = 1 / m``) fitted to unloading points, with the
    relative standard error of ``S = P_max / (c n)`` and the residual sd of the depth."""

    hf: float
    c: float
    n: float
    points: int
    stiffness_se: float
    residual_nm: float


def _fit_unloading(fh: FloatArray, fp: FloatArray, p_u: float) -> _Fit:
    """Least squares in depth (the noisy channel) of ``h = h_f + c x^n``, ``x = P / P_max``:
    for each exponent ``n`` in [0.25, 1] (``m`` in [1, 4]) ``h_f`` and ``c`` are linear, so
    only ``n`` is searched (variable projection); the standard error of the stiffness comes
    from the Jacobian ``[1, x^n, c x^n ln x]`` with the residual variance."""
    from scipy.optimize import minimize_scalar

    x = fp / p_u
    lx = np.log(np.clip(x, 1e-300, None))

    def solve(n: float) -> tuple[FloatArray, float]:
        design = np.column_stack([np.ones_like(x), np.exp(n * lx)])
        coef, *_ = np.linalg.lstsq(design, fh, rcond=None)
        return coef, float(np.sum((design @ coef - fh) ** 2))

    best = minimize_scalar(
        lambda n: solve(n)[1], bounds=(0.25, 1.0), method="bounded", options={"xatol": 1e-7}
    )
    n = float(best.x)
    (hf, c), rss = solve(n)
    if not c > 0:
        raise ValueError("the unloading curve does not rise with the load (power-law fit)")
    xn = np.exp(n * lx)
    jac = np.column_stack([np.ones_like(x), xn, c * xn * lx])
    var = rss / max(len(x) - 3, 1)
    cov = var * np.linalg.pinv(jac.T @ jac)
    grad = np.array([0.0, 1.0 / c, 1.0 / n])  # d ln(c n) / d(h_f, c, n)
    se = float(np.sqrt(max(grad @ cov @ grad, 0.0)))
    return _Fit(float(hf), float(c), n, len(x), se, float(np.sqrt(var)))


def _noise_aware_fit(
    uh: FloatArray,
    up: FloatArray,
    p_u: float,
    fit_range: tuple[float, float],
    floor: float,
    target: float,
) -> tuple[_Fit, float, npt.NDArray[np.bool_]]:
    """The unloading fit over ``fit_range``, its low end lowered in steps of 0.1 of ``P_max``
    (never below ``floor``) while the stiffness's standard error exceeds ``target``. Returns
    the fit, the low end used and the mask of the points fitted."""
    lo, hi = fit_range
    lows = [lo]
    while lows[-1] - 0.1 >= floor - 1e-9:
        lows.append(round(lows[-1] - 0.1, 9))
    if lows[-1] > floor + 1e-9:
        lows.append(floor)
    found: tuple[_Fit, float, npt.NDArray[np.bool_]] | None = None
    for low in lows:
        sel = (up >= low * p_u) & (up <= hi * p_u)
        if sel.sum() < 4:
            continue
        fit = _fit_unloading(uh[sel], up[sel], p_u)
        found = (fit, low, sel)
        if fit.stiffness_se <= target:
            break
    if found is None:
        raise ValueError(
            f"fewer than 4 unloading points between {lows[-1]:g} and {hi:g} of the load where "
            "unloading starts (is there an unloading segment?)"
        )
    return found


def oliver_pharr(
    depth_nm: npt.ArrayLike,
    load_mN: npt.ArrayLike,
    time_s: npt.ArrayLike | None = None,
    *,
    fit_range: tuple[float, float] = (0.5, 1.0),
    fit_floor: float = 0.2,
    max_stiffness_se_percent: float = 0.3,
    epsilon: float = 0.75,
    beta: float = 1.0,
    area_coefficients: Sequence[float] = BERKOVICH_AREA,
    residual_load_fraction: float = 0.02,
    frame_compliance_nm_per_mN: float = 0.0,
    drift_rate_nm_per_s: float | None = None,
    min_drift_hold_s: float = 5.0,
    sample_poisson_ratio: float | None = None,
) -> IndentationResult:
    """Hardness and reduced modulus of one indentation by the Oliver-Pharr method.

    Corrections first (ISO 14577-1 annex A; Oliver & Pharr 2004): the frame's deflection is
    taken off the measured displacement, ``h = h_measured - C_f P`` (``C_f`` =
    ``frame_compliance_nm_per_mN``); the thermal drift ``h -= r (t - t_0)`` with ``r`` the
    slope of depth against time over a hold at low load when the record has one (and a time
    column; during unloading, else at contact on the way up), else ``drift_rate_nm_per_s``
    when given, else none. Then, on the corrected curve
    (Oliver & Pharr 1992, J. Mater. Res. 7, 1564):

    * unloading starts at the end of the hold at the top, load- or depth-controlled
      (:mod:`analysis.mechanics.indentation_history`); ``P_max`` is the load there;
    * the unloading points with ``fit_range[0] <= P / P_max <= fit_range[1]`` (default the
      upper half) are fitted with the power law ``P = alpha (h - h_f)^m``, written
      ``h = h_f + c (P / P_max)^(1/m)`` and fitted by least squares **in depth**, the channel
      that carries the noise (variable projection: ``h_f`` and ``c`` are linear for each
      exponent, ``m`` is searched in [1, 4]);
    * **noise-aware range**: the relative standard error of ``S`` from the fit (its Jacobian
      and the residual variance: ``stiffness_se_percent``) grows as the depth noise over
      ``sqrt(points)`` and the fitted depth span; while it exceeds
      ``max_stiffness_se_percent`` (default 0.3 %, so that three standard errors stay within
      1 %), the low end of the range is lowered by 0.1 ``P_max`` at a time, never below
      ``fit_floor`` (default 0.2). ``fit_range`` reports the range used. Assumption: the
      unloading is one power law down to ``fit_floor`` (elastic unloading of a homogeneous
      film; Oliver & Pharr 2004 discuss the choice); a clean curve keeps the upper half, a
      noisy one trades that assumption for a smaller scatter. Set ``fit_floor`` to
      ``fit_range[0]`` to keep the range as given;
    * ``h_max`` is the fitted curve's depth at ``P_max`` (``h_f + c``), not the one noisy point
      there, and the contact stiffness ``S = dP/dh`` of the fit there:
      ``P_max m / c = alpha m (h_max - h_f)^(m - 1)``;
    * contact depth ``h_c = h_max - epsilon P_max / S`` (``epsilon = 0.75``, paraboloid);
    * contact area ``A(h_c)`` by :func:`contact_area_nm2` (Berkovich ``24.5 h_c^2``);
    * hardness ``H = P_max / A``; reduced modulus ``E_r = sqrt(pi) S / (2 beta sqrt(A))``;
    * elastic recovery ``(h_max - h_r) / h_max`` with ``h_r`` the residual depth: measured at
      the end of unloading when the load returns to within ``residual_load_fraction``
      (default 2 %) of zero, else the fit's ``h_f``.

    ISO 14577-1 quantities: total work ``W_total = integral P dh`` over loading and hold;
    elastic work ``W_elast`` the area under the unloading curve (to ``h_f`` of the fit when the
    load does not return to zero); ``eta_IT = W_elast / W_total x 100 %``; creep over the hold
    ``C_IT = (h_2 - h_1) / h_1 x 100 %`` and relaxation ``R_IT = (P_1 - P_2) / P_1 x 100 %``,
    with 1 the start and 2 the end of the hold.

    With ``sample_poisson_ratio`` ``nu_s``, the indentation modulus of the sample (ISO 14577-1
    ``E_IT``): ``E_IT = (1 - nu_s^2) / (1 / E_r - (1 - nu_i^2) / E_i)`` for a diamond indenter
    (``E_i`` = 1141 GPa, ``nu_i`` = 0.07).

    Units: depth nm, load mN, time s; H and E_r in GPa (1 mN/nm^2 = 1e6 GPa); works in pJ.
    """
    h = _arr(depth_nm, "depth_nm")
    p = _arr(load_mN, "load_mN")
    t = None if time_s is None else _arr(time_s, "time_s")
    if t is not None:
        _same_length(depth_nm=h, load_mN=p, time_s=t)
        keep = _finite(h=h, p=p, t=t)
        t = t[keep]
    else:
        _same_length(depth_nm=h, load_mN=p)
        keep = _finite(h=h, p=p)
    h, p = h[keep], p[keep]
    lo, hi = fit_range
    if not 0 <= lo < hi <= 1:
        raise ValueError(f"fit_range must satisfy 0 <= low < high <= 1, found {fit_range}")
    if not 0 <= fit_floor < hi:
        raise ValueError(f"fit_floor must be in [0, {hi:g}), found {fit_floor}")
    if float(np.max(p)) <= 0:
        raise ValueError("the load never rises above zero")
    h = h - frame_compliance_nm_per_mN * p
    seg = segments(h, p)
    drift, source, hold_span = 0.0, "none", None
    if t is not None:
        hold = low_load_hold(
            h, p, t, seg.unload_start, hold_start=seg.hold_start, min_hold_s=min_drift_hold_s
        )
        if hold is not None:
            drift, source, hold_span = hold.rate_nm_per_s, "hold", (hold.start_s, hold.end_s)
        elif drift_rate_nm_per_s is not None:
            drift, source = float(drift_rate_nm_per_s), "parameter"
        if source != "none":
            h = h - drift * (t - t[0])
            seg = segments(h, p)
    elif drift_rate_nm_per_s:
        raise ValueError("a drift correction needs a time column (time_s)")
    us, ue, hs = seg.unload_start, seg.unload_end, seg.hold_start
    p_u = float(p[us])
    if p_u <= 0:
        raise ValueError("the load where unloading starts is not positive")
    uh, up = h[us : ue + 1], p[us : ue + 1]
    lowest = int(np.argmin(up))
    measured = bool(up[lowest] <= residual_load_fraction * p_u)
    residual = float(uh[lowest])
    fit, lo, sel = _noise_aware_fit(
        uh, up, p_u, (lo, hi), min(fit_floor, lo), max_stiffness_se_percent / 100.0
    )
    fp = up[sel]
    hf, m = fit.hf, 1.0 / fit.n
    alpha = p_u / fit.c**m
    if not measured:
        residual = hf
    h_max = hf + fit.c  # the fitted curve at P_max, not the one noisy point there
    stiffness = p_u / (fit.c * fit.n)
    hc = h_max - epsilon * p_u / stiffness
    if hc <= 0:
        raise ValueError(f"contact depth {hc:.3g} nm is not positive; check the unloading data")
    area = contact_area_nm2(hc, area_coefficients)
    to_gpa = 1e6  # mN/nm^2 -> GPa
    w_total = work_pJ(h[: us + 1], p[: us + 1])
    w_elastic = -work_pJ(uh, up)
    if not measured:  # the fitted curve below the last unloading point, down to h_f
        w_elastic += alpha * max(float(uh[-1]) - hf, 0.0) ** (m + 1.0) / (m + 1.0)
    h1, p1 = float(h[hs]), float(p[hs])
    e_r = math.sqrt(math.pi) * stiffness / (2 * beta * math.sqrt(area)) * to_gpa
    e_it = None
    if sample_poisson_ratio is not None:
        inv = 1.0 / e_r - (1.0 - DIAMOND_POISSON**2) / DIAMOND_MODULUS_GPa
        e_it = (1.0 - sample_poisson_ratio**2) / inv if inv > 0 else float("nan")
    return IndentationResult(
        max_load_mN=p_u,
        max_depth_nm=h_max,
        residual_depth_nm=residual,
        residual_depth_source="measured" if measured else "fit",
        elastic_recovery=(h_max - residual) / h_max if h_max > 0 else float("nan"),
        contact_stiffness_mN_per_nm=stiffness,
        contact_depth_nm=hc,
        contact_area_nm2=area,
        hardness_GPa=p_u / area * to_gpa,
        reduced_modulus_GPa=e_r,
        fit_alpha=alpha,
        fit_exponent=m,
        fit_final_depth_nm=hf,
        fit_points=int(sel.sum()),
        fit_range=(float(lo), float(hi)),
        stiffness_se_percent=100.0 * fit.stiffness_se,
        fit_residual_nm=fit.residual_nm,
        fit_load_range_mN=(float(fp.min()), float(fp.max())),
        epsilon=float(epsilon),
        beta=float(beta),
        area_coefficients=tuple(float(c) for c in area_coefficients),
        peak_load_mN=float(np.max(p)),
        unloading_start_row=int(np.flatnonzero(keep)[us]),
        unloading_start_s=None if t is None else float(t[us]),
        hold_duration_s=None if t is None else float(t[us] - t[hs]),
        creep_C_IT_percent=100.0 * (h_max - h1) / h1 if h1 > 0 else float("nan"),
        relaxation_R_IT_percent=100.0 * (p1 - p_u) / p1,
        work_total_pJ=w_total,
        work_elastic_pJ=w_elastic,
        eta_IT_percent=100.0 * w_elastic / w_total if w_total > 0 else float("nan"),
        frame_compliance_nm_per_mN=float(frame_compliance_nm_per_mN),
        drift_rate_nm_per_s=drift,
        drift_source=source,
        drift_hold_s=hold_span,
        sample_poisson_ratio=sample_poisson_ratio,
        indentation_modulus_GPa=e_it,
    )
