"""Lin-KK: Kramers-Kronig validation of a spectrum (Schoenleber's method with the mu criterion).

The spectrum is approximated by a KK-compliant circuit, an ohmic resistance, M series RC
elements with fixed time constants, optionally a series inductance L and a series capacitance C,

    Z_hat(w) = R_0 + sum_k R_k / (1 + j w tau_k) + j w L + 1 / (j w C),
    tau_1 = 1 / (2 pi f_max), tau_M = 1 / (2 pi f_min), log-spaced in between,

whose resistances (and L, 1/C) follow from a *linear* least-squares fit weighted by 1/|Z|:
``fit_type="complex"`` fits the real and imaginary parts together (Schoenleber Eq. 9-10),
``"real"`` the real part (then L and 1/C from the imaginary residual; impedance.py's
``linKK``), ``"imag"`` the imaginary part (then R_0 as the 1/|Z|^2-weighted mean of the real
residual). The capacitance is for spectra without a low-frequency intercept (a diffusion
tail, a blocking electrode), the inductance for cables and the cell's geometry.

Choice of M, Schoenleber's mu criterion

    mu(M) = 1 - sum_{R_k < 0} |R_k| / sum_{R_k >= 0} |R_k|

falls below the cut-off ``c`` (0.85) when the RC elements start to fit noise with
alternating signs (over-fitting). With few elements the fit is not yet resolved, and mu can
also dip below c there (the fixed tau grid misses an arc and the least squares compensates with
negative resistances: impedance.py's ``Circuit3_EIS_1.z`` has mu = 0.74 at M = 5 with a 29 %
residual). So ``m_selection="resolved-mu"`` (default) first finds the smallest M whose fit is
resolved -- its rms relative residual within :data:`RESOLVED_FACTOR` (2) of the smallest over
all M up to ``max_m``, or below :data:`RESOLVED_RMS` (0.1 %) -- and from there adds RC elements while mu of the next M stays above c:
M is the largest number of elements before over-fitting sets in (``Circuit3_EIS_1.z``: M = 9,
largest residual 0.37 %). ``"first-mu"`` is the literal loop of Schoenleber's paper and of
impedance.py (M from 1 until mu <= c); ``m`` fixes M.

Validity, with a tolerance that accounts for the measured noise: the noise of the spectrum is
estimated independently of the KK fit from fourth differences along the (log-spaced) frequency
axis, d4_i = Z_{i-2} - 4 Z_{i-1} + 6 Z_i - 4 Z_{i+1} + Z_{i+2}: for white noise of standard
deviation s, var(d4) = 70 s^2, while a smooth spectrum at 10 points per decade contributes
below ~4e-4 of its arc resistance. The variance model s_i^2 = a^2 + (b |Z_i|)^2 (an absolute and
a proportional part, ohm and dimensionless) is fitted to d4^2 / 70 by non-negative least
squares over the real and imaginary parts. A spectrum is valid when every relative residual
(Re and Im of (Z - Z_hat)/|Z|) is within

    limit_i = max(tolerance, noise_factor x s_i / |Z_i|),

``tolerance`` (default 0.01) being the floor for spectra with no measurable noise and
``noise_factor`` (default 4) the number of standard deviations: the largest of ~160 Gaussian
residuals exceeds 4 standard deviations with a probability of ~1 %. A drift during the sweep is
smooth in time, so it does not raise the noise estimate, but the KK-compliant circuit cannot
follow it: its residuals exceed the limit.

References: M. Schoenleber, D. Klotz, E. Ivers-Tiffee, Electrochim. Acta 131, 20-27 (2014),
doi:10.1016/j.electacta.2014.01.034; B. A. Boukamp, J. Electrochem. Soc. 142, 1885 (1995);
impedance.py ``validation.linKK``; J. Rice, Ann. Stat. 12, 1215 (1984) (noise from differences).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import nnls

from analysis.eis.elements import Complex, Real

FIT_TYPES = ("complex", "real", "imag")
M_SELECTIONS = ("resolved-mu", "first-mu")
#: a fit is resolved when its rms relative residual is within this factor of the smallest
RESOLVED_FACTOR = 2.0
#: ... or below this rms relative residual (0.1 %, below any potentiostat's accuracy)
RESOLVED_RMS = 1e-3


@dataclass(frozen=True)
class LinKKResult:
    """Outcome of the test: number of RC elements, mu, the KK fit, its residuals and the
    noise-aware limits they are compared with."""

    n_rc: int
    mu: float
    cutoff: float
    resistances_ohm: Real = field(repr=False)
    time_constants_s: Real = field(repr=False)
    r_ohmic_ohm: float
    inductance_h: float | None
    capacitance_f: float | None
    frequency_hz: Real = field(repr=False)
    z_fit: Complex = field(repr=False)
    residuals_real: Real = field(repr=False)
    residuals_imag: Real = field(repr=False)
    tolerance: float
    limits: Real = field(repr=False)
    noise_ohm: float = 0.0
    noise_relative: float = 0.0
    noise_factor: float = 0.0
    fit_type: str = "complex"
    m_selection: str = "resolved-mu"
    mu_by_m: Real = field(repr=False, default_factory=lambda: np.zeros(0))

    @property
    def max_residual(self) -> float:
        """Largest relative residual |Re| or |Im| of (Z - Z_hat)/|Z| (dimensionless)."""
        return float(max(np.max(np.abs(self.residuals_real)), np.max(np.abs(self.residuals_imag))))

    @property
    def worst_over_limit(self) -> float:
        """Largest ratio of a relative residual to its limit (valid: <= 1)."""
        worst = np.maximum(np.abs(self.residuals_real), np.abs(self.residuals_imag)) / self.limits
        return float(np.max(worst))

    @property
    def valid(self) -> bool:
        """True when every relative residual is within its noise-aware limit."""
        return self.worst_over_limit <= 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "M": self.n_rc,
            "mu": self.mu,
            "cutoff": self.cutoff,
            "m_selection": self.m_selection,
            "fit_type": self.fit_type,
            "valid": self.valid,
            "tolerance": self.tolerance,
            "noise_factor": self.noise_factor,
            "noise_ohm": self.noise_ohm,
            "noise_relative": self.noise_relative,
            "max_relative_residual": self.max_residual,
            "worst_residual_over_limit": self.worst_over_limit,
            "r_ohmic_ohm": self.r_ohmic_ohm,
            "inductance_h": self.inductance_h,
            "capacitance_f": self.capacitance_f,
            "mu_by_m": self.mu_by_m.tolist(),
            "frequency_hz": self.frequency_hz.tolist(),
            "residuals_real": self.residuals_real.tolist(),
            "residuals_imag": self.residuals_imag.tolist(),
            "limits": self.limits.tolist(),
            "z_fit_real_ohm": self.z_fit.real.tolist(),
            "z_fit_imag_ohm": self.z_fit.imag.tolist(),
        }


def time_constants(frequency_hz: Real, m: int) -> Real:
    """The M log-spaced time constants (s) from 1/(2 pi f_max) to 1/(2 pi f_min)."""
    t_min = 1.0 / (2 * np.pi * np.max(frequency_hz))
    t_max = 1.0 / (2 * np.pi * np.min(frequency_hz))
    if m == 1:
        return np.array([t_min])
    return np.asarray(np.geomspace(t_min, t_max, m), dtype=np.float64)


def _mu(resistances: Real) -> float:
    negative = float(np.sum(np.abs(resistances[resistances < 0])))
    positive = float(np.sum(np.abs(resistances[resistances >= 0])))
    return 1.0 - negative / positive if positive > 0 else -np.inf


@dataclass(frozen=True)
class _Fit:
    coef: Real  # R_0, R_1..R_M
    inductance: float
    inv_c: float
    z_fit: Complex


def noise_model(frequency_hz: Real, impedance: Complex) -> tuple[float, float]:
    """``(a, b)``: the noise standard deviation per component is sqrt(a^2 + (b |Z|)^2), a in
    ohm, b dimensionless, estimated from fourth differences (module docstring); (0, 0) for
    fewer than 7 points."""
    order = np.argsort(frequency_hz)
    z = impedance[order]
    if z.size < 7:
        return 0.0, 0.0
    kernel = np.array([1.0, -4.0, 6.0, -4.0, 1.0])
    d4 = np.concatenate(
        (np.convolve(z.real, kernel, "valid"), np.convolve(z.imag, kernel, "valid"))
    )
    mod = np.tile(np.abs(z)[2:-2], 2)
    a = np.column_stack((np.ones_like(mod), mod**2))
    scale = np.sqrt(np.sum(a * a, axis=0))
    x, _ = nnls(a / scale, d4**2 / 70.0)
    var = x / scale
    return float(np.sqrt(var[0])), float(np.sqrt(var[1]))


def _design(w: Real, taus: Real, parts: tuple[bool, bool]) -> tuple[Real, Real]:
    """Real and imaginary columns: R_0, R_1..R_M, then L and/or 1/C when asked."""
    rc = 1.0 / (1.0 + 1j * w[:, None] * taus[None, :])
    n = w.size
    cols_re = [np.ones(n), *rc.real.T]
    cols_im = [np.zeros(n), *rc.imag.T]
    if parts[0]:
        cols_re.append(np.zeros(n))
        cols_im.append(w)
    if parts[1]:
        cols_re.append(np.zeros(n))
        cols_im.append(-1.0 / w)
    return np.column_stack(cols_re), np.column_stack(cols_im)


def _fit(f: Real, z: Complex, taus: Real, fit_type: str, parts: tuple[bool, bool]) -> _Fit:
    w = 2 * np.pi * f
    mod = np.abs(z)
    a_re, a_im = _design(w, taus, parts)
    m = taus.size
    if fit_type == "complex":
        a = np.vstack((a_re, a_im)) / np.tile(mod, 2)[:, None]
        b = np.concatenate((z.real, z.imag)) / np.tile(mod, 2)
        x = np.linalg.lstsq(a, b, rcond=None)[0]
    elif fit_type == "real":
        x = np.zeros(a_re.shape[1])
        x[: m + 1] = np.linalg.pinv(a_re[:, : m + 1] / mod[:, None]) @ (z.real / mod)
        if a_im.shape[1] > m + 1:
            rest = z.imag - a_im[:, : m + 1] @ x[: m + 1]
            extra = a_im[:, m + 1 :] / mod[:, None]
            x[m + 1 :] = np.linalg.pinv(extra) @ (rest / mod)
    else:
        x = np.zeros(a_im.shape[1])
        cols = a_im[:, 1:] / mod[:, None]
        x[1:] = np.linalg.lstsq(cols, z.imag / mod, rcond=None)[0]
        weights = 1.0 / mod**2
        x[0] = float(np.sum(weights * (z.real - a_re[:, 1:] @ x[1:])) / np.sum(weights))
    z_fit = a_re @ x + 1j * (a_im @ x)
    k = m + 1
    inductance = float(x[k]) if parts[0] else 0.0
    inv_c = float(x[k + int(parts[0])]) if parts[1] else 0.0
    return _Fit(x[: m + 1], inductance, inv_c, z_fit)


def lin_kk(
    frequency_hz: Sequence[float] | Real,
    impedance: Sequence[complex] | Complex,
    *,
    c: float = 0.85,
    max_m: int = 50,
    m: int | None = None,
    m_selection: str = "resolved-mu",
    add_capacitance: bool = True,
    add_inductance: bool = True,
    tolerance: float = 0.01,
    noise_factor: float = 4.0,
    fit_type: str = "complex",
) -> LinKKResult:
    """Schoenleber's lin-KK test (see the module docstring for every rule and default).

    ``c``: mu cut-off; ``max_m``: the largest number of RC elements tried (also limited by the
    number of points); ``m``: a fixed number of RC elements instead of the mu criterion;
    ``m_selection``: ``"resolved-mu"`` or ``"first-mu"`` (impedance.py); ``add_capacitance``,
    ``add_inductance``: series C and L in the KK circuit; ``tolerance``: the smallest relative
    residual limit; ``noise_factor``: standard deviations of the measured noise accepted;
    ``fit_type``: ``"complex"``, ``"real"`` or ``"imag"``. Frequencies in Hz, impedance in ohm."""
    f = np.asarray(frequency_hz, dtype=np.float64)
    z = np.asarray(impedance, dtype=np.complex128)
    if f.size < 3:
        raise ValueError("lin-KK needs at least 3 points")
    if fit_type not in FIT_TYPES:
        raise ValueError(f"fit_type must be one of {', '.join(FIT_TYPES)}, not {fit_type!r}")
    if m_selection not in M_SELECTIONS:
        raise ValueError(f"m_selection must be one of {', '.join(M_SELECTIONS)}")
    parts = (add_inductance, add_capacitance)
    equations = 2 * f.size if fit_type == "complex" else f.size
    top = max(1, min(max_m, equations - 2 - sum(parts)))
    if m is not None:
        if not 1 <= m <= equations - 2:
            raise ValueError(f"m = {m}: expected 1 to {equations - 2} RC elements")
        chosen, mus = m, np.zeros(0)
        fit = _fit(f, z, time_constants(f, m), fit_type, parts)
        mu = _mu(fit.coef[1:])
    else:
        chosen, mu, fit, mus = _select(f, z, c, top, m_selection, fit_type, parts)
    res = (z - fit.z_fit) / np.abs(z)
    a, b = noise_model(f, z)
    sigma = np.sqrt(a**2 + (b * np.abs(z)) ** 2)
    limits = np.maximum(tolerance, noise_factor * sigma / np.abs(z))
    return LinKKResult(
        n_rc=chosen,
        mu=float(mu),
        cutoff=c,
        resistances_ohm=fit.coef[1:],
        time_constants_s=time_constants(f, chosen),
        r_ohmic_ohm=float(fit.coef[0]),
        inductance_h=fit.inductance if add_inductance else None,
        capacitance_f=(1.0 / fit.inv_c) if add_capacitance and fit.inv_c else None,
        frequency_hz=f,
        z_fit=fit.z_fit,
        residuals_real=res.real,
        residuals_imag=res.imag,
        tolerance=tolerance,
        limits=limits,
        noise_ohm=a,
        noise_relative=b,
        noise_factor=noise_factor,
        fit_type=fit_type,
        m_selection="fixed" if m is not None else m_selection,
        mu_by_m=mus,
    )


def _select(
    f: Real,
    z: Complex,
    c: float,
    top: int,
    m_selection: str,
    fit_type: str,
    parts: tuple[bool, bool],
) -> tuple[int, float, _Fit, Real]:
    """M by the mu criterion (module docstring): ``(M, mu, fit, mu for M = 1..)``.

    For the complex fit the smallest rms residual over M = 1..top is that of M = top (more
    elements never fit the fitted residual worse), so the loop stops as soon as the answer
    is known: at the first M with mu <= c (``first-mu``), or at the first resolved M whose
    successor has mu <= c (``resolved-mu``). The real and imaginary fits are judged on the
    part they do not fit, whose residual grows again when M over-fits: every M is tried."""
    fits: list[_Fit] = []
    mus: list[float] = []

    def rms_of(fit: _Fit) -> float:
        rel = (z - fit.z_fit) / np.abs(z)
        return float(np.sqrt(np.mean(rel.real**2 + rel.imag**2)))

    enough = 0.0
    if m_selection == "resolved-mu":
        tried = [top] if fit_type == "complex" else range(1, top + 1)
        floor = min(rms_of(_fit(f, z, time_constants(f, k), fit_type, parts)) for k in tried)
        enough = max(RESOLVED_FACTOR * floor, RESOLVED_RMS)
    start: int | None = None
    for k in range(1, top + 1):
        fit = _fit(f, z, time_constants(f, k), fit_type, parts)
        fits.append(fit)
        mus.append(_mu(fit.coef[1:]))
        i = k - 1
        if m_selection == "first-mu":
            if mus[i] <= c:
                break
            continue
        if start is None:
            if rms_of(fit) <= enough:
                start = i
            continue
        if mus[i] <= c:
            # M = k over-fits: keep the one before it
            return k - 1, mus[i - 1], fits[i - 1], np.array(mus)
    i = len(fits) - 1
    return i + 1, mus[i], fits[i], np.array(mus)
