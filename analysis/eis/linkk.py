"""Lin-KK: Kramers-Kronig validation of a spectrum (Schoenleber's method with the mu criterion).

The spectrum is approximated by a KK-compliant circuit, an ohmic resistance, M series RC
elements with fixed time constants and a series inductance,

    Z_hat(w) = R_0 + sum_k R_k / (1 + j w tau_k) + j w L,
    tau_1 = 1 / (2 pi f_max), tau_M = 1 / (2 pi f_min), log-spaced in between,

whose resistances (and L) follow from a *linear* least-squares fit weighted by 1/|Z|. M grows
from 1 until

    mu = 1 - sum_{R_k < 0} |R_k| / sum_{R_k >= 0} |R_k|

falls to the cut-off ``c`` or below (over-fitting shows as negative resistances). A spectrum
whose relative residuals (Z - Z_hat)/|Z| exceed the noise violates causality, linearity or
stationarity and should not be fitted.

Defaults, and why they differ from impedance.py's:

* ``fit_type="complex"``: R_0, R_k and L are fitted to the real and imaginary parts together,
  as Schoenleber et al. (2014) do with their c = 0.85. impedance.py's ``linKK`` defaults to
  ``fit_type='real'`` (real part only, L from the imaginary residual) with the same c = 0.85;
  on realistic spectra mu then falls below 0.85 already at M ~ 5 (the real part alone lets
  the RC resistances alternate in sign early), the imaginary part is not fitted, and valid
  spectra show residuals of ~20 % and are flagged invalid (a two-arc spectrum with 0.5 %
  noise: M = 5, largest residual 24 % with ``"real"``; M ~ 20, 1-2 % with ``"complex"``).
  pyimpspec's lin-KK (``perform_test``, versions 1-3) also uses the complex fit with
  mu = 0.85 by default. ``fit_type="real"`` reproduces impedance.py exactly (its
  ``Circuit3_EIS_1.z`` case: c = 0.69 gives M = 10, mu = 0.684).
* ``c = 0.85``: Schoenleber's recommended cut-off.
* ``tolerance = 0.025``: the largest relative residual accepted. The largest of ~2 x 60
  residuals of pure noise is about 3-4 standard deviations, so 2.5 % accepts spectra with up to
  ~0.5-0.7 % noise per component (typical potentiostat accuracy), while a cell that drifts
  during the sweep (an arc changing by tens of per cent) leaves larger systematic residuals.
  Pass the instrument's noise level x 4 for a sharper test.

References: M. Schoenleber, D. Klotz, E. Ivers-Tiffee, Electrochim. Acta 131, 20-27 (2014),
doi:10.1016/j.electacta.2014.01.034; B. A. Boukamp, J. Electrochem. Soc. 142, 1885 (1995);
impedance.py ``validation.linKK`` (same algorithm; its default is ``fit_type='real'``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.eis.elements import Complex, Real


@dataclass(frozen=True)
class LinKKResult:
    """Outcome of the test: number of RC elements, mu, the KK fit and its residuals."""

    n_rc: int
    mu: float
    cutoff: float
    resistances_ohm: Real = field(repr=False)
    time_constants_s: Real = field(repr=False)
    r_ohmic_ohm: float
    inductance_h: float
    capacitance_f: float | None
    frequency_hz: Real = field(repr=False)
    z_fit: Complex = field(repr=False)
    residuals_real: Real = field(repr=False)
    residuals_imag: Real = field(repr=False)
    tolerance: float

    @property
    def max_residual(self) -> float:
        """Largest relative residual |Re| or |Im| of (Z - Z_hat)/|Z| (dimensionless)."""
        return float(max(np.max(np.abs(self.residuals_real)), np.max(np.abs(self.residuals_imag))))

    @property
    def valid(self) -> bool:
        """True when every relative residual is within :attr:`tolerance`."""
        return self.max_residual <= self.tolerance

    def to_dict(self) -> dict[str, Any]:
        return {
            "M": self.n_rc,
            "mu": self.mu,
            "cutoff": self.cutoff,
            "valid": self.valid,
            "tolerance": self.tolerance,
            "max_relative_residual": self.max_residual,
            "r_ohmic_ohm": self.r_ohmic_ohm,
            "inductance_h": self.inductance_h,
            "capacitance_f": self.capacitance_f,
            "frequency_hz": self.frequency_hz.tolist(),
            "residuals_real": self.residuals_real.tolist(),
            "residuals_imag": self.residuals_imag.tolist(),
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


def _fit_complex(
    f: Real, z: Complex, taus: Real, add_capacitance: bool
) -> tuple[Real, float, float]:
    """Complex fit (Schoenleber Eq. 9-10): R_0, R_k, L (and 1/C) from Re and Im together,
    each weighted by 1/|Z|."""
    w = 2 * np.pi * f
    mod = np.abs(z)
    rc = 1.0 / (1.0 + 1j * w[:, None] * taus[None, :])
    n = f.size
    cols_re = [np.ones(n), *rc.real.T, np.zeros(n)]
    cols_im = [np.zeros(n), *rc.imag.T, w]
    if add_capacitance:
        cols_re.append(np.zeros(n))
        cols_im.append(-1.0 / w)
    a = np.vstack((np.column_stack(cols_re), np.column_stack(cols_im))) / np.tile(mod, 2)[:, None]
    b = np.concatenate((z.real, z.imag)) / np.tile(mod, 2)
    x = np.linalg.lstsq(a, b, rcond=None)[0]
    m = taus.size
    coef = x[: m + 1]
    inductance = float(x[m + 1])
    inv_c = float(x[m + 2]) if add_capacitance else 0.0
    return coef, inductance, inv_c


def _fit(f: Real, z: Complex, taus: Real, add_capacitance: bool) -> tuple[Real, float, float]:
    """Real-part fit (Schoenleber Eq. 10 with 1/|Z| weights), then L (and C) from Im."""
    w = 2 * np.pi * f
    mod = np.abs(z)
    rc = 1.0 / (1.0 + 1j * w[:, None] * taus[None, :])
    a_re = np.column_stack((np.ones_like(w), rc.real)) / mod[:, None]
    coef = np.linalg.pinv(a_re) @ (z.real / mod)
    z_re_fit = (rc @ coef[1:]).imag
    cols = [w / mod]
    if add_capacitance:
        cols.insert(0, -1.0 / (w * mod))
    a_im = np.column_stack(cols)
    extra = np.linalg.pinv(a_im) @ ((z.imag - z_re_fit) / mod)
    inductance = float(extra[-1])
    inv_c = float(extra[0]) if add_capacitance else 0.0
    return coef, inductance, inv_c


def lin_kk(
    frequency_hz: Sequence[float] | Real,
    impedance: Sequence[complex] | Complex,
    *,
    c: float = 0.85,
    max_m: int = 50,
    add_capacitance: bool = False,
    tolerance: float = 0.025,
    fit_type: str = "complex",
) -> LinKKResult:
    """Schoenleber's lin-KK test (see module docstring); ``c`` is the mu cut-off, ``max_m``
    the largest number of RC elements, ``add_capacitance`` adds a series capacitance for
    spectra without a low-frequency intercept; ``tolerance`` the accepted relative residual;
    ``fit_type`` ``"complex"`` (default, Schoenleber) or ``"real"`` (impedance.py's default).
    See the module docstring for the choice of defaults.
    Frequencies in Hz, impedance in ohm (complex)."""
    f = np.asarray(frequency_hz, dtype=np.float64)
    z = np.asarray(impedance, dtype=np.complex128)
    if f.size < 3:
        raise ValueError("lin-KK needs at least 3 points")
    if fit_type not in ("complex", "real"):
        raise ValueError(f"fit_type must be 'complex' or 'real', not {fit_type!r}")
    fit = _fit_complex if fit_type == "complex" else _fit
    m = 0
    mu = 1.0
    coef = np.zeros(1)
    inductance = inv_c = 0.0
    taus = np.zeros(0)
    while mu > c and m < max_m:
        m += 1
        taus = time_constants(f, m)
        coef, inductance, inv_c = fit(f, z, taus, add_capacitance)
        mu = _mu(coef[1:])
    w = 2 * np.pi * f
    z_fit = coef[0] + (1.0 / (1.0 + 1j * w[:, None] * taus[None, :])) @ coef[1:]
    z_fit = z_fit + 1j * w * inductance
    if add_capacitance and inv_c != 0.0:
        z_fit = z_fit - 1j * inv_c / w
    res = (z - z_fit) / np.abs(z)
    return LinKKResult(
        n_rc=m,
        mu=float(mu),
        cutoff=c,
        resistances_ohm=coef[1:],
        time_constants_s=taus,
        r_ohmic_ohm=float(coef[0]),
        inductance_h=inductance,
        capacitance_f=(1.0 / inv_c) if add_capacitance and inv_c else None,
        frequency_hz=f,
        z_fit=z_fit,
        residuals_real=res.real,
        residuals_imag=res.imag,
        tolerance=tolerance,
    )
