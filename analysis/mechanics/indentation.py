"""Nano-indentation: hardness and reduced modulus of a load-unload curve by the Oliver-Pharr
method."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from analysis.mechanics._series import FloatArray, _arr, _finite, _same_length

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
