"""Inductive points: Im Z > 0 at the high-frequency end of a spectrum (the inductance of the
leads and of the cell's geometry), told apart from noise that happens to cross the axis."""

from __future__ import annotations

import numpy as np

from analysis.eis.elements import Complex, Real
from analysis.eis.linkk import noise_model

#: the tail is inductive when its largest Im Z exceeds this many noise standard deviations
SIGNIFICANCE = 4.0


def inductive_tail(frequency_hz: Real, impedance: Complex) -> int:
    """Number of points with Im Z > 0 at the high-frequency end, counted from the highest
    frequency down to the first capacitive point; 0 when the largest Im Z of that tail is
    within :data:`SIGNIFICANCE` noise standard deviations (the noise model of
    :func:`analysis.eis.linkk.noise_model`): a noisy spectrum whose highest points scatter
    around the real axis has no inductive tail."""
    f = np.asarray(frequency_hz, dtype=np.float64)
    z = np.asarray(impedance, dtype=np.complex128)
    order = np.argsort(f)[::-1]
    zs = z[order]
    positive = zs.imag > 0
    first_capacitive = np.flatnonzero(~positive)
    n = int(first_capacitive[0]) if first_capacitive.size else int(positive.size)
    if n == 0:
        return 0
    a, b = noise_model(f, z)
    tail = zs[:n]
    sigma = np.sqrt(a**2 + (b * np.abs(tail)) ** 2)
    return n if bool(np.any(tail.imag > SIGNIFICANCE * sigma)) else 0


def inductive_mask(frequency_hz: Real, impedance: Complex) -> np.ndarray:
    """Boolean mask (in the spectrum's own order) of the points of :func:`inductive_tail`."""
    f = np.asarray(frequency_hz, dtype=np.float64)
    n = inductive_tail(f, impedance)
    mask = np.zeros(f.size, dtype=bool)
    if n:
        mask[np.argsort(f)[::-1][:n]] = True
    return mask
