"""Distribution of relaxation times (DRT) by regularised non-negative least squares.

The spectrum is written as

    Z(w) = R_inf + j w L + integral gamma(ln tau) / (1 + j w tau) d ln tau,

with gamma (ohm, per unit of ln tau) piecewise constant on a log-spaced grid of tau (10 points
per decade, half a decade beyond the measured 1/(2 pi f) range each side). gamma >= 0, R_inf >= 0
and L >= 0 minimise

    || W (A x - Z) ||^2 + lambda || D2 gamma ||^2

(W = 1/|Z| weights on real and imaginary parts, D2 the second-difference operator), solved as
an augmented NNLS problem. lambda is chosen automatically by generalised cross-validation
(GCV) of the unconstrained ridge problem over 10^-6..10^1 (15 log-spaced values). For a series
:func:`series_regularization` chooses one lambda for all spectra: the grid value minimising
the sum over the spectra of log(GCV(lambda) / min GCV) (each spectrum's GCV curve relative to
its own best), so that near-identical spectra are regularised alike and their gamma(tau) can be
compared (a per-spectrum GCV minimum can jump by two decades between them).

The series inductance L is a column of the problem only when the spectrum has inductive points
(:func:`analysis.eis.inductive.inductive_tail`): otherwise L would trade against R_inf (a
noisy high-frequency end lowers R_inf by several per cent with a fitted L the data do not
contain). R_inf (ohm) and L (H) are reported.

R_inf is the high-frequency limit of the *measured band*: the part of gamma at time constants
shorter than 1/(2 pi f_max) (the half decade the grid extends beyond the fastest point) is an
RC element the spectrum sees as a plain resistance, so it is moved into R_inf (and out of
gamma) after the solve; the fitted spectrum is unchanged. Without this the regularised gamma
keeps, when lambda is small, up to 0.6 ohm of the series resistance as a spurious fast peak
(pyDRTtools' 2ZARC2/3: R_inf 9.50 and 9.37 ohm for a true 10, 10.06 and 10.17 with it).
On pyDRTtools' generator (R_inf 10 ohm, ZARCs of 50 ohm at 1e-4 s and
10 or 50 ohm at 0.1 s, 0.5 ohm of noise, 1e6..1e-2 Hz) R_inf is unbiased (mean 10.02-10.06 ohm
over 40 noise draws) with a spread of 0.17-0.21 ohm, so one draw lands within 2 % of 10 only
about 7 times in 10 (the tutorial's 2ZARC0 gives 9.78: its highest-frequency real parts lie
0.25 ohm below the generator's; an R_inf + 2 ZARC fit, which knows the shape, gives 9.97).

Peaks are local maxima of gamma with a prominence of at least 10 % of the largest and 5 % of
the total resistance; each reports tau (s), its characteristic frequency 1/(2 pi tau) (Hz) and
the resistance under it (ohm).

References: T. H. Wan, M. Saccoccio, C. Chen, F. Ciucci, Electrochim. Acta 184, 483 (2015)
(DRTtools/pyDRTtools); M. Saccoccio et al., Electrochim. Acta 147, 470 (2014) (GCV and other
criteria for lambda); G. Wahba, *Spline Models for Observational Data* (1990) (GCV).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import nnls
from scipy.signal import find_peaks

from analysis.eis.elements import Complex, Real
from analysis.eis.inductive import inductive_tail

POINTS_PER_DECADE = 10
HF_EXTENSION_DECADES = 0.5
#: the lambda grid of the GCV (and of the series choice)
LAMBDA_GRID = np.logspace(-6, 1, 15)


@dataclass(frozen=True)
class DRTPeak:
    tau_s: float
    frequency_hz: float
    gamma_ohm: float
    resistance_ohm: float


@dataclass(frozen=True)
class DRTResult:
    """gamma(tau) on its grid, R_inf, L, the chosen lambda and the peaks (shortest tau first)."""

    tau_s: Real = field(repr=False)
    gamma_ohm: Real = field(repr=False)
    r_inf_ohm: float
    inductance_h: float | None
    regularization: float
    peaks: tuple[DRTPeak, ...]
    z_fit: Complex = field(repr=False)
    frequency_hz: Real = field(repr=False)
    regularization_choice: str = "gcv"

    @property
    def polarization_ohm(self) -> float:
        """Total resistance under gamma: integral gamma d ln tau (ohm)."""
        return float(np.sum(self.gamma_ohm) * np.log(10) / POINTS_PER_DECADE)

    def to_dict(self) -> dict[str, Any]:
        return {
            "r_inf_ohm": self.r_inf_ohm,
            "inductance_h": self.inductance_h,
            "regularization": self.regularization,
            "regularization_choice": self.regularization_choice,
            "polarization_ohm": self.polarization_ohm,
            "peaks": [vars(p) for p in self.peaks],
            "tau_s": self.tau_s.tolist(),
            "gamma_ohm": self.gamma_ohm.tolist(),
        }


def _matrices(f: Real, tau: Real, z: Complex) -> tuple[Real, Real, Real]:
    w = 2 * np.pi * f
    d_ln_tau = np.log(10) / POINTS_PER_DECADE
    kernel = d_ln_tau / (1.0 + 1j * w[:, None] * tau[None, :])
    mod = np.abs(z)
    # columns: R_inf, L, gamma_1..gamma_M; rows: real parts then imaginary parts, / |Z|
    re_rows = np.column_stack((np.ones_like(w), np.zeros_like(w), kernel.real)) / mod[:, None]
    im_rows = np.column_stack((np.zeros_like(w), w, kernel.imag)) / mod[:, None]
    a = np.vstack((re_rows, im_rows))
    b = np.concatenate((z.real, z.imag)) / np.concatenate((mod, mod))
    m = tau.size
    # second differences of [0, gamma, 0]: gamma is also pulled to 0 at the grid ends, which
    # keeps R_inf (and the low-frequency limit) from leaking into edge peaks.
    d2 = np.zeros((m, m + 2))
    for i in range(m):
        for offset, coef in zip((-1, 0, 1), (1.0, -2.0, 1.0), strict=True):
            if 0 <= i + offset < m:
                d2[i, 2 + i + offset] = coef
    return a, b, d2


def _gcv_lambda(a: Real, b: Real, reg: Real, grid: Real) -> float:
    """lambda minimising GCV(lambda) = N ||(I - H) b||^2 / tr(I - H)^2 (ridge, unconstrained)."""
    return float(grid[int(np.argmin(_gcv_scores(a, b, reg, grid)))])


def _gcv_scores(a: Real, b: Real, reg: Real, grid: Real) -> Real:
    """GCV(lambda) at each grid value (inf where the system is singular)."""
    n = b.size
    scores = []
    ata, atb, rtr = a.T @ a, a.T @ b, reg.T @ reg
    eye = 1e-12 * np.eye(ata.shape[0])
    for lam in grid:
        try:
            sol = np.linalg.solve(ata + lam * rtr + eye, np.column_stack((atb, a.T)))
        except np.linalg.LinAlgError:
            scores.append(np.inf)
            continue
        x = sol[:, 0]
        trace_h = float(np.einsum("ij,ji->", a, sol[:, 1:]))
        resid = a @ x - b
        scores.append(n * float(resid @ resid) / max(n - trace_h, 1e-12) ** 2)
    return np.asarray(scores, dtype=np.float64)


def _problem(f: Real, z: Complex, inductance: bool | None) -> tuple[Real, Real, Real, Real, bool]:
    """``(tau grid, A, b, D2, with_inductance)`` of a spectrum (see the module docstring)."""
    lo = np.log10(1 / (2 * np.pi * f.max())) - HF_EXTENSION_DECADES
    hi = np.log10(1 / (2 * np.pi * f.min())) + 0.5
    tau = np.logspace(lo, hi, round((hi - lo) * POINTS_PER_DECADE) + 1)
    a, b, d2 = _matrices(f, tau, z)
    with_l = inductive_tail(f, z) > 0 if inductance is None else inductance
    if not with_l:
        a[:, 1] = 0.0
    return tau, a, b, d2, with_l


def series_regularization(
    spectra: Sequence[tuple[Real, Complex]], *, inductance: bool | None = None
) -> float:
    """One lambda for a series of spectra ``(frequency_hz, impedance)``: the grid value that
    minimises the sum of log(GCV / each spectrum's minimum GCV) (module docstring)."""
    total = np.zeros(LAMBDA_GRID.size)
    used = 0
    for f, z in spectra:
        f = np.asarray(f, dtype=np.float64)
        if f.size < 5:
            continue
        _, a, b, d2, _ = _problem(f, np.asarray(z, dtype=np.complex128), inductance)
        scores = _gcv_scores(a, b, d2, LAMBDA_GRID)
        best = float(np.min(scores))
        if not np.isfinite(best) or best <= 0:
            continue
        total += np.log(scores / best)
        used += 1
    if not used:
        raise ValueError("no spectrum of the series has the 5 points a DRT needs")
    return float(LAMBDA_GRID[int(np.argmin(total))])


def compute_drt(
    frequency_hz: Sequence[float] | Real,
    impedance: Sequence[complex] | Complex,
    *,
    regularization: float | None = None,
    inductance: bool | None = None,
    regularization_choice: str | None = None,
) -> DRTResult:
    """DRT of a spectrum (Hz, complex ohm); ``regularization`` fixes lambda (else GCV on this
    spectrum; ``regularization_choice`` records how a given lambda was chosen, e.g.
    ``"series"``); ``inductance``: a series inductance column (None: only when the spectrum
    has an inductive tail, :func:`analysis.eis.inductive.inductive_tail`)."""
    f = np.asarray(frequency_hz, dtype=np.float64)
    z = np.asarray(impedance, dtype=np.complex128)
    if f.size < 5:
        raise ValueError("a DRT needs at least 5 points")
    tau, a, b, d2, with_l = _problem(f, z, inductance)
    choice = regularization_choice or ("given" if regularization is not None else "gcv")
    if regularization is None:
        regularization = _gcv_lambda(a, b, d2, LAMBDA_GRID)
    aug_a = np.vstack((a, np.sqrt(regularization) * d2))
    aug_b = np.concatenate((b, np.zeros(d2.shape[0])))
    x, _ = nnls(aug_a, aug_b, maxiter=50 * aug_a.shape[1])
    r_inf, ind, gamma = float(x[0]), float(x[1]), x[2:].copy()
    w = 2 * np.pi * f
    d_ln_tau = np.log(10) / POINTS_PER_DECADE
    z_fit = r_inf + 1j * w * ind + (d_ln_tau / (1 + 1j * w[:, None] * tau[None, :])) @ gamma
    # fold the gamma faster than the fastest measured point into R_inf (module docstring)
    out_of_band = tau < 1 / (2 * np.pi * f.max())
    r_inf += float(np.sum(gamma[out_of_band]) * d_ln_tau)
    gamma[out_of_band] = 0.0
    return DRTResult(
        tau_s=tau,
        gamma_ohm=gamma,
        r_inf_ohm=r_inf,
        inductance_h=ind if with_l else None,
        regularization=float(regularization),
        peaks=tuple(find_drt_peaks(tau, gamma)),
        z_fit=z_fit,
        frequency_hz=f,
        regularization_choice=choice,
    )


def find_drt_peaks(
    tau: Real, gamma: Real, *, prominence: float = 0.1, min_share: float = 0.05
) -> list[DRTPeak]:
    """Local maxima of gamma(tau) with prominence >= ``prominence`` x max(gamma) holding at
    least ``min_share`` of the total resistance under gamma; the resistance of a peak is the
    integral of gamma between the minima around it (ohm)."""
    top = float(np.max(gamma)) if gamma.size else 0.0
    if top <= 0:
        return []
    padded = np.concatenate(([0.0], gamma, [0.0]))
    idx, props = find_peaks(padded, prominence=prominence * top)
    d_ln_tau = np.log(10) / POINTS_PER_DECADE
    peaks = []
    for k, i in enumerate(idx):
        left = int(props["left_bases"][k])
        right = int(props["right_bases"][k])
        # split shared valleys at the minimum between neighbouring peaks
        if k > 0:
            left = max(left, idx[k - 1] + int(np.argmin(padded[idx[k - 1] : i + 1])))
        if k + 1 < idx.size:
            right = min(right, i + int(np.argmin(padded[i : idx[k + 1] + 1])))
        area = float(np.sum(padded[left : right + 1]) * d_ln_tau)
        t = float(tau[i - 1])
        peaks.append(DRTPeak(t, 1 / (2 * np.pi * t), float(gamma[i - 1]), area))
    total = float(np.sum(gamma) * d_ln_tau)
    return [p for p in peaks if p.resistance_ohm >= min_share * total]
