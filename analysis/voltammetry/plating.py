"""Lithium plating at the lower vertex of a cyclic voltammogram: a cathodic current still
growing when the sweep turns, set apart from the alloying peaks and reported on its own."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from analysis.voltammetry.data import FloatArray, Sweep


@dataclass(frozen=True)
class VertexPlating:
    """The plating tail of one cathodic sweep.

    ``onset_V``: where the tail's current first exceeds its base by 10 % of its rise;
    ``vertex_V`` and ``vertex_current_mA`` (signed, negative; as recorded) at the vertex;
    ``charge_mC``:
    the charge of the tail above its base current (``None`` without time); ``first_row``: the
    record row (after dropping non-finite rows) where the tail starts. ``stripping_V`` and
    ``stripping_charge_mC``: the first anodic peak of the next sweep within 0.2 V of the vertex
    (lithium stripping), ``stripping_ratio`` its charge over the plating charge.
    """

    sweep: int
    cycle: int | None
    first_row: int
    onset_V: float
    vertex_V: float
    vertex_current_mA: float
    charge_mC: float | None
    stripping_V: float | None = None
    stripping_charge_mC: float | None = None
    stripping_ratio: float | None = None


def vertex_plating(
    sw: Sweep,
    number: int,
    e: FloatArray,
    smooth_mA: FloatArray,
    raw_mA: FloatArray,
    t: FloatArray | None,
    cyc: npt.NDArray[np.int64] | None,
    noise_mA: float,
) -> VertexPlating | None:
    """The plating tail of a cathodic sweep, or ``None``.

    Rule: walking back from the sweep's last point (the lower vertex) while the cathodic
    current keeps falling, by at most 3 noise standard deviations per step, reaches the tail's
    base. It is plating when the current at the vertex is the sweep's largest and rises above
    the base by more than 10 noise standard deviations and by more than the base itself (the
    tail at least doubles the current): a current still growing at the vertex, not a wave that
    has passed.
    """
    if sw.direction != "cathodic" or sw.stop - sw.start < 5:
        return None
    y = -smooth_mA[sw.start : sw.stop + 1]
    end = len(y) - 1
    tol = 3.0 * noise_mA
    j = end
    while j > 0 and y[j - 1] <= y[j] + tol:
        j -= 1
    # the walk may stop on a noise step inside a flat base: settle on the lowest point
    j = int(np.argmin(y[j : end + 1])) + j
    rise = float(y[end] - y[j])
    if y[end] < float(y.max()) - tol or rise <= 10.0 * noise_mA or rise <= abs(float(y[j])):
        return None
    over = np.flatnonzero(y[j : end + 1] - y[j] >= 0.1 * rise)
    onset = j + int(over[0])
    charge = None
    if t is not None:
        tt = t[sw.start + j : sw.start + end + 1]
        charge = float(np.trapezoid(y[j : end + 1] - y[j], tt))
    at = sw.start + end
    return VertexPlating(
        sweep=number,
        cycle=int(cyc[at]) if cyc is not None else None,
        first_row=sw.start + j,
        onset_V=float(e[sw.start + onset]),
        vertex_V=float(e[at]),
        vertex_current_mA=float(raw_mA[at]),
        charge_mC=charge,
    )
