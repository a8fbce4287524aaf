"""dQ/dV of the first plating curve of a cycling record (the alloying plateaus before lithium
plates); the dQ/dV of every half-cycle is :mod:`analysis.cycling.dqdv`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.voltammetry.data import CVData, cv_data, moving_average


@dataclass(frozen=True)
class Plateau:
    """A dQ/dV maximum of a plating curve: an alloying plateau at ``potential_V``."""

    potential_V: float
    dq_dv_mAh_per_V: float


@dataclass(frozen=True)
class PlatingDQDV:
    """Differential capacity of the first plating (negative-current) segment.

    ``potential_V`` are bin centres, ``dq_dv_mAh_per_V`` the charge passed while the potential
    was in each bin divided by the bin width (positive, mAh/V); ``plateaus`` the maxima above
    ``min_potential_V``, from high to low potential (the order lithiation meets them).
    """

    potential_V: tuple[float, ...]
    dq_dv_mAh_per_V: tuple[float, ...]
    plateaus: tuple[Plateau, ...]
    capacity_mAh: float
    segment_start_s: float
    segment_end_s: float

    def to_json(self) -> dict[str, Any]:
        return {
            "plateaus": [asdict(p) for p in self.plateaus],
            "capacity_mAh": self.capacity_mAh,
            "segment_start_s": self.segment_start_s,
            "segment_end_s": self.segment_end_s,
            "potential_V": list(self.potential_V),
            "dq_dv_mAh_per_V": list(self.dq_dv_mAh_per_V),
        }


def first_plating_dqdv(
    data: CVData | pd.DataFrame,
    *,
    bin_V: float = 0.005,
    min_potential_V: float = 0.0,
    min_prominence_fraction: float = 0.1,
    current_threshold_fraction: float = 0.01,
) -> PlatingDQDV:
    """dQ/dV of the first plating curve of a cycling record, and its alloying plateaus.

    The first plating curve is the first run of consecutive points whose current is below
    ``-current_threshold_fraction`` times the largest absolute current (plating is negative
    current). Its charge ``|I| dt`` (trapezoids) is binned by potential into ``bin_V`` wide
    bins: ``dQ/dV = charge in bin / bin_V``, which is robust to noise and to a potential that
    is not monotonic. A plateau is a maximum of dQ/dV at a potential of at least
    ``min_potential_V`` (default 0 V: lithium plating below 0 V vs Li/Li+ is not an alloying
    plateau) with a prominence of at least ``min_prominence_fraction`` of the largest dQ/dV in
    that range. Needs a time column.

    Units: V, mAh, mAh/V. Reference: the incremental-capacity method (A. J. Bard &
    L. R. Faulkner, *Electrochemical Methods*, 2nd ed., ch. 10, coulometry; Dubarry et al.,
    J. Power Sources 2012, 219, 204 for dQ/dV of battery data).
    """
    from scipy.signal import find_peaks

    d = data if isinstance(data, CVData) else cv_data(data)
    if d.time_s is None:
        raise ValueError("dQ/dV needs a time column (time_s or test_time_second)")
    keep = np.isfinite(d.potential_V) & np.isfinite(d.current_A) & np.isfinite(d.time_s)
    e, i_a, t = d.potential_V[keep], d.current_A[keep], d.time_s[keep]
    if len(e) < 3:
        raise ValueError("too few points for dQ/dV")
    plating = i_a < -current_threshold_fraction * float(np.max(np.abs(i_a)))
    if not plating.any():
        raise ValueError("no plating (negative current) segment in this record")
    a = int(np.argmax(plating))
    stop = np.flatnonzero(~plating[a:])
    b = a + (int(stop[0]) if len(stop) else len(plating) - a)
    e, i_a, t = e[a:b], i_a[a:b], t[a:b]
    if len(e) < 3:
        raise ValueError("the first plating segment has fewer than 3 points")
    dq_mah = 0.5 * (np.abs(i_a[1:]) + np.abs(i_a[:-1])) * np.diff(t) / 3.6
    e_mid = 0.5 * (e[1:] + e[:-1])
    lo = np.floor(e_mid.min() / bin_V) * bin_V
    hi = np.ceil(e_mid.max() / bin_V) * bin_V + bin_V
    edges = np.arange(lo, hi + bin_V / 2, bin_V)
    charge, _ = np.histogram(e_mid, bins=edges, weights=dq_mah)
    centres = 0.5 * (edges[1:] + edges[:-1])
    dqdv = charge / bin_V
    smooth = moving_average(dqdv, 3)
    plateaus: list[Plateau] = []
    region = centres >= min_potential_V
    if region.any() and smooth[region].max() > 0:
        y = np.where(region, smooth, 0.0)
        idx, _ = find_peaks(
            np.concatenate([[0.0], y, [0.0]]), prominence=min_prominence_fraction * float(y.max())
        )
        for k in sorted((int(j) - 1 for j in idx), key=lambda j: -centres[j]):
            plateaus.append(Plateau(float(centres[k]), float(smooth[k])))
    return PlatingDQDV(
        potential_V=tuple(float(c) for c in centres),
        dq_dv_mAh_per_V=tuple(float(v) for v in dqdv),
        plateaus=tuple(plateaus),
        capacity_mAh=float(dq_mah.sum()),
        segment_start_s=float(t[0]),
        segment_end_s=float(t[-1]),
    )
