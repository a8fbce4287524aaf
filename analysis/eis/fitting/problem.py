"""The least-squares problem of a circuit fit: weighted residuals and their analytic Jacobian
(from the circuit's compiled model, :meth:`analysis.eis.circuit.Circuit.model`) in unconstrained
variables; the weightings and the log scaling are described in :mod:`analysis.eis.fitting`."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from analysis.eis.circuit import Circuit
from analysis.eis.elements import Complex, Real
from analysis.eis.linkk import noise_model

#: the "noise" weighting's smallest standard deviation, relative to |Z| (a spectrum without
#: measurable noise is weighted by its modulus)
NOISE_FLOOR = 1e-4


def noise_sigma(frequency_hz: Real, impedance: Complex) -> Real:
    """Standard deviation (ohm) of each point's real and imaginary parts from the spectrum's
    own noise, sqrt(a^2 + (b |Z|)^2) (:func:`analysis.eis.linkk.noise_model`), at least
    :data:`NOISE_FLOOR` x |Z|."""
    key = (np.asarray(frequency_hz).tobytes(), np.asarray(impedance).tobytes())
    cached = _NOISE_CACHE.get(key)
    if cached is None:
        cached = noise_model(frequency_hz, impedance)
        _NOISE_CACHE.clear()  # one spectrum at a time: its candidates share the estimate
        _NOISE_CACHE[key] = cached
    a, b = cached
    mod = np.abs(impedance)
    return np.asarray(np.maximum(np.sqrt(a**2 + (b * mod) ** 2), NOISE_FLOOR * mod))


_NOISE_CACHE: dict[tuple[bytes, bytes], tuple[float, float]] = {}


class _Problem:
    """The least-squares problem in unconstrained variables ``u``.

    Each free parameter p is first mapped to ``y = ln p`` (positive scale parameters) or
    ``y = p`` (exponents, parameters allowed below 0); a bounded ``y`` is then written as a
    smooth function of an unconstrained ``u`` (MINPACK/lmfit convention: ``sin`` for two
    bounds, ``sqrt(u^2 + 1)`` for one), so that Levenberg-Marquardt can run without bounds.

    Residuals are stored interleaved (``Re_0, Im_0, Re_1, Im_1, ...``): a complex array viewed
    as float64 is already in that order, so residuals and Jacobian need no concatenation.
    """

    def __init__(
        self,
        circuit: Circuit,
        frequency_hz: Real,
        impedance: Complex,
        weighting: str,
        free: list[int],
        fixed_values: Real,
        log_scaled: npt.NDArray[np.bool_],
        lower: Real,
        upper: Real,
    ) -> None:
        self.circuit = circuit
        self.model = circuit.model(frequency_hz)
        self.f = frequency_hz
        self.z = impedance
        self.free = np.array(free, dtype=int)
        self.all_free = self.free.size == circuit.n_params
        self.full = fixed_values.copy()
        self.log = log_scaled
        self.lower = lower
        self.upper = upper
        self.any_log = bool(log_scaled.any())
        self.all_log = bool(log_scaled.all())
        with np.errstate(divide="ignore"):
            self.ylo = np.where(log_scaled, np.log(np.maximum(lower, 0.0)), lower)
            self.yhi = np.where(log_scaled, np.log(upper), upper)
        self.both = np.isfinite(self.ylo) & np.isfinite(self.yhi)
        self.only_lo = np.isfinite(self.ylo) & ~self.both
        self.only_hi = np.isfinite(self.yhi) & ~self.both
        self._i_both = np.flatnonzero(self.both)
        self._i_lo = np.flatnonzero(self.only_lo)
        self._i_hi = np.flatnonzero(self.only_hi)
        self._lo_both = self.ylo[self._i_both]
        self._half_span = (self.yhi[self._i_both] - self._lo_both) / 2.0
        if weighting == "none":
            s_re = s_im = np.ones(impedance.size)
        elif weighting == "modulus":
            s_re = s_im = np.abs(impedance)
        elif weighting == "noise":
            s_re = s_im = noise_sigma(frequency_hz, impedance)
        else:
            floor = 1e-6 * np.abs(impedance)
            s_re = np.maximum(np.abs(impedance.real), floor)
            s_im = np.maximum(np.abs(impedance.imag), floor)
        self.inv_re = 1.0 / s_re
        self.inv_im = 1.0 / s_im
        self.inv = np.empty(2 * impedance.size)
        self.inv[0::2] = self.inv_re
        self.inv[1::2] = self.inv_im
        self.target = np.ascontiguousarray(impedance).view(np.float64) * self.inv
        self.any_bounded = bool(self.both.any() or self.only_lo.any() or self.only_hi.any())
        self.nfev = 0
        self._cache_u: Real | None = None
        self._cache_jac: Real | None = None
        self._last: tuple[Real, Real, Complex, Complex] | None = None

    def _y(self, u: Real) -> tuple[Real, Real]:
        if not self.any_bounded:
            return u, np.ones_like(u)
        y = u.copy()
        dy = np.ones_like(u)
        if self._i_both.size:
            b = self._i_both
            ub = u[b]
            y[b] = self._lo_both + self._half_span * (1.0 + np.sin(ub))
            dy[b] = self._half_span * np.cos(ub)
        if self._i_lo.size:
            b = self._i_lo
            root = np.sqrt(u[b] ** 2 + 1.0)
            y[b] = self.ylo[b] - 1.0 + root
            dy[b] = u[b] / root
        if self._i_hi.size:
            b = self._i_hi
            root = np.sqrt(u[b] ** 2 + 1.0)
            y[b] = self.yhi[b] + 1.0 - root
            dy[b] = -u[b] / root
        return y, dy

    def _free_values(self, y: Real) -> Real:
        if self.all_log:
            return np.exp(np.minimum(y, 700.0))
        if not self.any_log:
            return y.copy()
        return np.where(self.log, np.exp(np.minimum(y, 700.0)), y)

    def params(self, u: Real) -> Real:
        y, _ = self._y(u)
        if self.all_free:
            return self._free_values(y)
        p = self.full.copy()
        p[self.free] = self._free_values(y)
        return p

    def to_u(self, p_free: Real) -> Real:
        """Inverse map, with the start pulled just inside its bounds."""
        y = np.where(self.log, np.log(np.maximum(p_free, 1e-300)), p_free)
        span = np.where(self.both, self.yhi - self.ylo, 1.0)
        y = np.clip(y, self.ylo + 1e-6 * span, self.yhi - 1e-6 * span)
        u = y.copy()
        b = self.both
        u[b] = np.arcsin(np.clip(2.0 * (y[b] - self.ylo[b]) / span[b] - 1.0, -1.0, 1.0))
        u[self.only_lo] = np.sqrt((y - self.ylo + 1.0)[self.only_lo] ** 2 - 1.0)
        u[self.only_hi] = np.sqrt((self.yhi - y + 1.0)[self.only_hi] ** 2 - 1.0)
        return u

    def evaluate(self, u: Real) -> tuple[Real, Real]:
        """Weighted residuals ``r`` (model - data, interleaved) and their Jacobian transposed,
        ``d r / d u`` with shape ``(free parameters, 2 x points)``; non-finite residuals are
        replaced by 1e150 and non-finite derivatives by 0."""
        self.nfev += 1
        y, dy = self._y(u)
        pf = self._free_values(y)
        if self.all_free:
            p = pf
        else:
            p = self.full.copy()
            p[self.free] = pf
        zm, dz = self.model(p)
        self._last = (u.copy(), p, zm, dz)
        r = zm.view(np.float64) * self.inv
        r -= self.target
        if not self.all_free:
            dz = dz[self.free]
        if self.all_log:
            chain = pf * dy
        elif self.any_log:
            chain = np.where(self.log, pf, 1.0) * dy
        else:
            chain = dy
        jac_t = dz.view(np.float64) * self.inv
        jac_t *= chain[:, None]
        if not math.isfinite(float(r.sum())):
            r = np.where(np.isfinite(r), r, 1e150)
        if not math.isfinite(float(jac_t.sum())):
            jac_t = np.where(np.isfinite(jac_t), jac_t, 0.0)
        return r, jac_t

    def residual(self, u: Real) -> Real:
        r, jac_t = self.evaluate(u)
        self._cache_u = u.copy()
        self._cache_jac = jac_t.T
        return r

    def jacobian(self, u: Real) -> Real:
        if self._cache_u is None or not np.array_equal(u, self._cache_u):
            self.residual(u)
        assert self._cache_jac is not None
        return self._cache_jac

    def model_at(self, u: Real) -> tuple[Real, Complex, Complex]:
        """Parameters, Z and dZ/dp at ``u`` (reusing the last evaluation when it was at ``u``)."""
        if self._last is None or not np.array_equal(self._last[0], u):
            self.evaluate(u)
        assert self._last is not None
        return self._last[1], self._last[2], self._last[3]

    def physical_jacobian(self, dz: Complex) -> Real:
        """Weighted d(residual)/dp in the parameters' own units (for the covariance), from
        the model's ``dZ/dp``."""
        d = dz if self.all_free else dz[self.free]
        return (np.ascontiguousarray(d).view(np.float64) * self.inv).T
