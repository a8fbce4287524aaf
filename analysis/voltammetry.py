"""Cyclic voltammetry peaks and the dQ/dV of a first plating curve.

Two tables are accepted wherever a table is taken: the ``cv`` table of
:mod:`analysis.readers.cv_csv` (``potential_V``, ``current_A``, optional ``time_s`` and
``cycle``) and the ``cycling`` table the BioLogic and other cycler readers produce
(``voltage_volt``, ``current_ampere``, ``test_time_second``, optional ``cycle_count``).
Current is positive anodic (oxidation, delithiation of the working electrode) and negative
cathodic (reduction: lithium alloying and plating on an anode-less electrode).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
Direction = Literal["cathodic", "anodic"]

_ALIASES = {
    "potential": ("potential_V", "voltage_volt"),
    "current": ("current_A", "current_ampere"),
    "time": ("time_s", "test_time_second"),
    "cycle": ("cycle", "cycle_count", "cycle_number"),
}


@dataclass(frozen=True)
class CVData:
    """The columns a voltammetry analysis needs, in V, A and s, whatever table they came from."""

    potential_V: FloatArray
    current_A: FloatArray
    time_s: FloatArray | None
    cycle: npt.NDArray[np.int64] | None


def cv_data(table: pd.DataFrame) -> CVData:
    """Pick potential, current, time and cycle from a ``cv`` or ``cycling`` table.

    Raises ``ValueError`` naming the columns it looked for when one is missing.
    """

    def pick(role: str, required: bool) -> pd.Series | None:
        for name in _ALIASES[role]:
            if name in table.columns:
                return table[name]
        if required:
            raise ValueError(
                f"the table has no {role} column: expected one of {', '.join(_ALIASES[role])}, "
                f"found {', '.join(map(str, table.columns))}"
            )
        return None

    potential = pick("potential", True)
    current = pick("current", True)
    time = pick("time", False)
    cycle = pick("cycle", False)
    assert potential is not None and current is not None
    cyc = None
    if cycle is not None and cycle.notna().all():
        cyc = cycle.to_numpy(dtype="int64")
    return CVData(
        potential_V=potential.to_numpy(dtype=float),
        current_A=current.to_numpy(dtype=float),
        time_s=None if time is None else time.to_numpy(dtype=float),
        cycle=cyc,
    )


@dataclass(frozen=True)
class Sweep:
    """One monotonic potential sweep, points ``start..stop`` inclusive (indices in the record)."""

    start: int
    stop: int
    direction: Direction


def sweeps(potential_V: npt.ArrayLike, *, hysteresis_V: float = 0.005) -> tuple[Sweep, ...]:
    """Split a CV record into sweeps at its vertices.

    A vertex is the extreme potential after which the potential has moved back by more than
    ``hysteresis_V`` (default 5 mV), so noise does not split a sweep. Sweeps towards lower
    potential are cathodic, towards higher potential anodic.
    """
    e = np.asarray(potential_V, dtype=float)
    n = len(e)
    cuts: list[int] = [0]
    dirs: list[int] = []
    direction, hi, lo, ext = 0, 0, 0, 0
    for i in range(1, n):
        if direction == 0:
            hi = i if e[i] > e[hi] else hi
            lo = i if e[i] < e[lo] else lo
            if e[hi] - e[lo] > hysteresis_V:
                direction = 1 if hi > lo else -1
                ext = hi if direction == 1 else lo
        elif direction * (e[i] - e[ext]) >= 0:
            ext = i
        elif abs(e[ext] - e[i]) > hysteresis_V:
            cuts.append(ext)
            dirs.append(direction)
            direction, ext = -direction, i
    if direction == 0:
        return ()
    cuts.append(n - 1)
    dirs.append(direction)
    return tuple(
        Sweep(a, b, "anodic" if d > 0 else "cathodic")
        for a, b, d in zip(cuts[:-1], cuts[1:], dirs, strict=True)
        if b > a
    )


@dataclass(frozen=True)
class CVPeak:
    """A CV peak: where, how high, how much charge.

    ``current_mA`` is signed (negative for cathodic peaks); ``charge_mC`` is the magnitude of
    the charge above a straight baseline between the valleys either side (``None`` without a
    time column or scan rate); ``sweep`` counts sweeps from 1; ``cycle`` comes from the file.
    """

    direction: Direction
    potential_V: float
    current_mA: float
    prominence_mA: float
    charge_mC: float | None
    sweep: int
    cycle: int | None


@dataclass(frozen=True)
class CVResult:
    """All peaks of a CV record, cathodic and anodic, in the order they were swept."""

    peaks: tuple[CVPeak, ...]
    sweeps: int
    potential_range_V: tuple[float, float]
    max_abs_current_mA: float

    def to_json(self) -> dict[str, Any]:
        return {
            "peaks": [asdict(p) for p in self.peaks],
            "sweeps": self.sweeps,
            "potential_range_V": list(self.potential_range_V),
            "max_abs_current_mA": self.max_abs_current_mA,
        }


def _smooth(y: FloatArray, points: int) -> FloatArray:
    if points <= 1:
        return y
    from scipy.ndimage import uniform_filter1d

    return np.asarray(uniform_filter1d(y, size=points, mode="nearest"), dtype=float)


def cv_peaks(
    data: CVData | pd.DataFrame,
    *,
    min_prominence_fraction: float = 0.03,
    smooth_points: int = 5,
    hysteresis_V: float = 0.005,
    scan_rate_mV_per_s: float | None = None,
    valley_tolerance: float = 0.05,
) -> CVResult:
    """Cathodic and anodic peaks of a cyclic voltammogram.

    Peak rule: the record is split into sweeps (:func:`sweeps`); the current is smoothed by a
    ``smooth_points`` moving average; a *cathodic* peak is a local minimum of the current on a
    sweep towards lower potential with negative current, an *anodic* peak a local maximum on a
    sweep towards higher potential with positive current, each with a prominence (height above
    the higher of the two surrounding valleys, ``scipy.signal.find_peaks``) of at least
    ``min_prominence_fraction`` (default 3 %) of the largest absolute current of the record.
    A current still rising at a vertex (lithium plating at the lower vertex) is no peak.

    Charge: the integral over time of the current above a straight baseline drawn between
    the valleys either side of the peak. A valley is found by walking away from the peak while
    the current keeps falling, stopping once it has risen more than ``valley_tolerance``
    (default 5 %) of the peak's prominence above the lowest point reached, at the
    neighbouring peak or sweep end, or three full widths at half prominence from the peak;
    the valley is the lowest point reached. Overlapping waves so
    share their valley. Time comes from the time column, otherwise from ``|dE| / scan rate``;
    without either the charge is ``None``.

    Units: V, mA, mC. Reference: A. J. Bard & L. R. Faulkner, *Electrochemical Methods*,
    2nd ed. (Wiley 2001), ch. 6 (peak potential, peak current and charge of a voltammetric
    wave).
    """
    d = data if isinstance(data, CVData) else cv_data(data)
    keep = np.isfinite(d.potential_V) & np.isfinite(d.current_A)
    e = d.potential_V[keep]
    i_ma = d.current_A[keep] * 1e3
    if len(e) < 10:
        raise ValueError(f"too few points ({len(e)}) for a voltammogram")
    t = d.time_s[keep] if d.time_s is not None else None
    if t is None and scan_rate_mV_per_s:
        t = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(e)))]) / (scan_rate_mV_per_s * 1e-3)
    cyc = d.cycle[keep] if d.cycle is not None else None
    max_abs = float(np.max(np.abs(i_ma)))
    smooth = _smooth(i_ma, smooth_points)
    found: list[CVPeak] = []
    all_sweeps = sweeps(e, hysteresis_V=hysteresis_V)
    for number, sw in enumerate(all_sweeps, start=1):
        found.extend(
            _sweep_peaks(
                sw,
                number,
                e,
                smooth,
                t,
                cyc,
                min_prominence_fraction * max_abs,
                valley_tolerance,
            )
        )
    return CVResult(
        peaks=tuple(found),
        sweeps=len(all_sweeps),
        potential_range_V=(float(e.min()), float(e.max())),
        max_abs_current_mA=max_abs,
    )


def _valley(y: FloatArray, k: int, limit: int, tol: float) -> int:
    """Walk from peak ``k`` towards ``limit`` while the signal keeps falling; stop once it has
    risen more than ``tol`` above the lowest point reached, and return that lowest point."""
    step = -1 if limit < k else 1
    best = k
    j = k
    while j != limit:
        j += step
        if y[j] < y[best]:
            best = j
        elif y[j] > y[best] + tol:
            break
    return best


def _sweep_peaks(
    sw: Sweep,
    number: int,
    e: FloatArray,
    i_ma: FloatArray,
    t: FloatArray | None,
    cyc: npt.NDArray[np.int64] | None,
    prominence: float,
    valley_tolerance: float,
) -> list[CVPeak]:
    from scipy.signal import find_peaks

    sign = 1.0 if sw.direction == "anodic" else -1.0
    seg = slice(sw.start, sw.stop + 1)
    y = sign * i_ma[seg]
    if len(y) < 3 or prominence <= 0:
        return []
    raw, props = find_peaks(y, prominence=prominence, width=0)
    proms = {int(k): float(p) for k, p in zip(raw, props["prominences"], strict=True)}
    reach = {int(k): int(np.ceil(3 * w)) for k, w in zip(raw, props["widths"], strict=True)}
    idx = [k for k in proms if y[k] > 0]
    out: list[CVPeak] = []
    bounds = [0, *idx, len(y) - 1]
    for j, k in enumerate(idx):
        tol = valley_tolerance * proms[k]
        a = _valley(y, k, max(bounds[j], k - reach[k]), tol)
        b = _valley(y, k, min(bounds[j + 2], k + reach[k]), tol)
        charge = None
        if t is not None and b > a:
            tt = t[seg][a : b + 1]
            base = np.interp(tt, [tt[0], tt[-1]], [y[a], y[b]])
            charge = abs(float(np.trapezoid(y[a : b + 1] - base, tt)))  # mA s = mC
        at = sw.start + k
        out.append(
            CVPeak(
                direction=sw.direction,
                potential_V=float(e[at]),
                current_mA=float(i_ma[at]),
                prominence_mA=float(proms[k]),
                charge_mC=charge,
                sweep=number,
                cycle=int(cyc[at]) if cyc is not None else None,
            )
        )
    return out


# --- dQ/dV of the first plating curve ---------------------------------------------------------


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
    smooth = _smooth(dqdv, 3)
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
