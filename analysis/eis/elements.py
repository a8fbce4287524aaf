"""Equivalent-circuit elements: impedance and its analytic derivatives.

Each element is a function of the angular frequency ``omega`` (rad/s, ``2*pi*f``, with its
reusable powers in :class:`Frequencies`) and its parameters; it returns ``Z`` (ohm, complex, one
value per frequency) and writes ``dZ/dp`` (one row per parameter) into the rows it is given. The definitions and parameter order are those of impedance.py
(``impedance/models/circuits/elements.py``), so that a circuit string and its parameter values
mean the same thing in both tools.

References: M. E. Orazem and B. Tribollet, *Electrochemical Impedance Spectroscopy*, 2nd ed.
(Wiley, 2017), ch. 9-10 (R, C, L, CPE, Warburg elements); ECSHackWeek/impedance.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

Complex = npt.NDArray[np.complex128]
Real = npt.NDArray[np.float64]
#: ``func(frequencies, params, jacobian_rows) -> Z``; ``params`` holds the element's values
#: as Python floats (cheaper than numpy scalars in the array arithmetic) or as an array.
ElementFunc = Callable[["Frequencies", Sequence[float], Complex], Complex]


@dataclass(frozen=True)
class ElementKind:
    """What an element is: its symbol, parameter units, physical bounds and its function."""

    symbol: str
    units: tuple[str, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    func: ElementFunc
    description: str

    @property
    def n_params(self) -> int:
        return len(self.units)


class Frequencies:
    """Quantities of the angular frequency that element functions reuse at every call."""

    __slots__ = ("jw", "log_jw", "neg_log_jw", "one_minus_j_over_sqrt_w", "w")

    def __init__(self, frequency_hz: Real) -> None:
        self.w = 2.0 * np.pi * np.asarray(frequency_hz, dtype=np.float64)
        self.jw = 1j * self.w
        self.log_jw = np.log(self.w) + 0.5j * np.pi
        self.neg_log_jw = -self.log_jw
        self.one_minus_j_over_sqrt_w = (1.0 - 1.0j) / np.sqrt(self.w)


def _resistor(fq: Frequencies, p: Sequence[float], d: Complex) -> Complex:
    """R: Z = R (ohm)."""
    d[0] = 1.0
    # A scalar broadcasts in the circuit arithmetic and saves building a constant array.
    return p[0] + 0j  # type: ignore[return-value]


def _capacitor(fq: Frequencies, p: Sequence[float], d: Complex) -> Complex:
    """C: Z = 1 / (j w C), C in farad."""
    z = cast(Complex, 1.0 / (fq.jw * p[0]))
    d[0] = -z / p[0]
    return z


def _inductor(fq: Frequencies, p: Sequence[float], d: Complex) -> Complex:
    """L: Z = j w L, L in henry."""
    d[0] = fq.jw
    return cast(Complex, fq.jw * p[0])


def _cpe(fq: Frequencies, p: Sequence[float], d: Complex) -> Complex:
    """CPE: Z = 1 / (Q (j w)^alpha), Q in ohm^-1 s^alpha, 0 < alpha <= 1."""
    q, alpha = p[0], p[1]
    z: Complex = np.exp(fq.neg_log_jw * alpha)
    z *= 1.0 / q
    np.multiply(z, -1.0 / q, out=d[0])
    np.multiply(z, fq.neg_log_jw, out=d[1])
    return z


def _warburg(fq: Frequencies, p: Sequence[float], d: Complex) -> Complex:
    """W (semi-infinite Warburg): Z = A_W (1 - j) / sqrt(w), A_W in ohm s^-1/2."""
    d[0] = fq.one_minus_j_over_sqrt_w
    out: Complex = p[0] * fq.one_minus_j_over_sqrt_w
    return out


def _warburg_open(fq: Frequencies, p: Sequence[float], d: Complex) -> Complex:
    """Wo (finite-space, reflective boundary): Z = Z0 coth(sqrt(j w tau)) / sqrt(j w tau)."""
    z0, tau = p[0], p[1]
    s = np.sqrt(fq.jw * tau)
    coth = 1.0 / np.tanh(s)
    d[0] = coth / s
    d[1] = z0 / (2.0 * tau) * (-(coth**2 - 1.0) - d[0])
    out: Complex = z0 * d[0]
    return out


def _warburg_short(fq: Frequencies, p: Sequence[float], d: Complex) -> Complex:
    """Ws (finite-length, transmissive boundary): Z = Z0 tanh(sqrt(j w tau)) / sqrt(j w tau)."""
    z0, tau = p[0], p[1]
    s = np.sqrt(fq.jw * tau)
    tanh = np.tanh(s)
    d[0] = tanh / s
    d[1] = z0 / (2.0 * tau) * ((1.0 - tanh**2) - d[0])
    out: Complex = z0 * d[0]
    return out


def _modified_inductor(fq: Frequencies, p: Sequence[float], d: Complex) -> Complex:
    """La: Z = (j w L)^alpha (BioLogic application note 42)."""
    ind, alpha = p[0], p[1]
    log_base = np.log(ind) + fq.log_jw
    z = np.exp(alpha * log_base)
    d[0] = alpha * z / ind
    d[1] = z * log_base
    out: Complex = z
    return out


def _gerischer(fq: Frequencies, p: Sequence[float], d: Complex) -> Complex:
    """G: Z = R_G / sqrt(1 + j w t_G) (Lu, Kreller and Adler, JES 156, B513 (2009))."""
    r, t = p[0], p[1]
    inner = 1.0 + fq.jw * t
    d[0] = 1.0 / np.sqrt(inner)
    d[1] = -0.5 * r * d[0] * fq.jw / inner
    out: Complex = r * d[0]
    return out


def _rc_tau(fq: Frequencies, p: Sequence[float], d: Complex) -> Complex:
    """K: Z = R / (1 + j w tau), the RC element of the lin-KK test."""
    r, tau = p[0], p[1]
    d[0] = 1.0 / (1.0 + fq.jw * tau)
    d[1] = -r * fq.jw * d[0] ** 2
    out: Complex = r * d[0]
    return out


_INF = float("inf")

ELEMENTS: dict[str, ElementKind] = {
    kind.symbol: kind
    for kind in (
        ElementKind("R", ("ohm",), (0.0,), (_INF,), _resistor, "resistor"),
        ElementKind("C", ("F",), (0.0,), (_INF,), _capacitor, "capacitor"),
        ElementKind("L", ("H",), (0.0,), (_INF,), _inductor, "inductor"),
        ElementKind(
            "CPE", ("ohm^-1 s^a", ""), (0.0, 0.0), (_INF, 1.0), _cpe, "constant phase element"
        ),
        ElementKind("W", ("ohm s^-1/2",), (0.0,), (_INF,), _warburg, "semi-infinite Warburg"),
        ElementKind("Wo", ("ohm", "s"), (0.0, 0.0), (_INF, _INF), _warburg_open, "open Warburg"),
        ElementKind("Ws", ("ohm", "s"), (0.0, 0.0), (_INF, _INF), _warburg_short, "short Warburg"),
        ElementKind(
            "La", ("H s", ""), (0.0, 0.0), (_INF, 1.0), _modified_inductor, "modified inductor"
        ),
        ElementKind("G", ("ohm", "s"), (0.0, 0.0), (_INF, _INF), _gerischer, "Gerischer"),
        ElementKind("K", ("ohm", "s"), (0.0, 0.0), (_INF, _INF), _rc_tau, "RC element (tau)"),
    )
}

#: Parameters that are exponents (dimensionless, bounded, fitted on a linear scale).
EXPONENT_UNITS = ""
