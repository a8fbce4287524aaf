"""Cyclic-voltammetry peaks: prominence judged against the current around each peak, the
lithium-plating tail at the lower vertex set apart, peak charge, and peaks tracked from cycle
to cycle."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.voltammetry.data import (
    CVData,
    Direction,
    FloatArray,
    Sweep,
    cv_data,
    moving_average,
    sweeps,
)
from analysis.voltammetry.plating import VertexPlating, vertex_plating
from analysis.voltammetry.tracks import track_peaks


@dataclass(frozen=True)
class CVPeak:
    """A CV peak: where, how high, how much charge.

    ``current_mA`` is signed (negative for cathodic peaks); ``prominence_mA`` its height above
    the higher of the valleys either side; ``local_scale_mA`` the largest absolute current of
    its sweep within the potential window around it (plating tail excluded), against which the
    prominence was judged; ``charge_mC`` is the magnitude of the charge above a straight
    baseline between the valleys either side (``None`` without a time column or scan rate);
    ``sweep`` counts sweeps from 1; ``cycle`` comes from the file.
    """

    direction: Direction
    potential_V: float
    current_mA: float
    prominence_mA: float
    local_scale_mA: float
    charge_mC: float | None
    sweep: int
    cycle: int | None


@dataclass(frozen=True)
class CVResult:
    """All peaks of a CV record, cathodic and anodic, in the order they were swept; the
    lithium plating at lower vertices (reported apart from the peaks); the noise of the current;
    the peaks tracked across cycles (:func:`~analysis.voltammetry.tracks.track_peaks`)."""

    peaks: tuple[CVPeak, ...]
    sweeps: int
    potential_range_V: tuple[float, float]
    max_abs_current_mA: float
    plating: tuple[VertexPlating, ...]
    noise_mA: float
    tracks: pd.DataFrame = field(compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "peaks": [asdict(p) for p in self.peaks],
            "sweeps": self.sweeps,
            "potential_range_V": list(self.potential_range_V),
            "max_abs_current_mA": self.max_abs_current_mA,
            "plating": [asdict(p) for p in self.plating],
            "noise_mA": self.noise_mA,
        }


def cv_peaks(
    data: CVData | pd.DataFrame,
    *,
    min_prominence_fraction: float = 0.03,
    window_V: float = 0.1,
    noise_factor: float = 5.0,
    smooth_points: int = 5,
    hysteresis_V: float = 0.005,
    scan_rate_mV_per_s: float | None = None,
    valley_tolerance: float = 0.05,
    track_window_V: float = 0.05,
) -> CVResult:
    """Cathodic and anodic peaks of a cyclic voltammogram.

    Peak rule: the record is split into sweeps (:func:`~analysis.voltammetry.data.sweeps`);
    the current is smoothed by a ``smooth_points`` moving average within each sweep; a
    *cathodic* peak is a local
    minimum of the current on a sweep towards lower potential with negative current, an
    *anodic* peak a local maximum on a sweep towards higher potential with positive current.
    It counts when its prominence (height above the higher of the two surrounding valleys,
    ``scipy.signal.find_peaks``) is at least

    * ``min_prominence_fraction`` (default 3 %) of the *local scale*: the largest absolute
      current of its sweep within ``window_V`` (default 0.1 V) of the peak, outside the plating
      tail; so a wave is judged against its neighbourhood, and lithium plating at the vertex
      (20 or 50 times the alloying waves) does not hide the alloying peaks; and
    * ``noise_factor`` (default 5) times the noise of the current (1.4826 MAD of the raw
      current minus the smoothed one).

    The plating tail at a lower vertex
    (:func:`~analysis.voltammetry.plating.vertex_plating`) is no peak and is reported apart,
    with its onset, vertex current and charge.

    Charge: the integral over time of the current above a straight baseline drawn between
    the valleys either side of the peak. A valley is found by walking away from the peak while
    the current keeps falling, stopping once it has risen more than ``valley_tolerance``
    (default 5 %) of the peak's prominence above the lowest point reached, at the
    neighbouring peak or sweep end, or three full widths at half prominence from the peak;
    the valley is the lowest point reached. Overlapping waves so share their valley. Time
    comes from the time column, otherwise from ``|dE| / scan rate``; without either the charge
    is ``None``.

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
    all_sweeps = sweeps(e, hysteresis_V=hysteresis_V)
    # smoothed sweep by sweep: an average across a vertex would blunt the current there
    # (a sweep shares its first point, the vertex, with the sweep before: that point's current
    # belongs to the sweep that reached it)
    all_sweeps = tuple(
        sw if k == 0 else Sweep(sw.start + 1, sw.stop, sw.direction)
        for k, sw in enumerate(all_sweeps)
    )
    smooth = i_ma.copy()
    for sw in all_sweeps:
        smooth[sw.start : sw.stop + 1] = moving_average(i_ma[sw.start : sw.stop + 1], smooth_points)
    resid = i_ma - smooth
    noise = float(1.4826 * np.median(np.abs(resid - np.median(resid))))
    found: list[CVPeak] = []
    plating: list[VertexPlating] = []
    for number, sw in enumerate(all_sweeps, start=1):
        tail = vertex_plating(sw, number, e, smooth, i_ma, t, cyc, noise)
        if tail is not None:
            plating.append(tail)
        found.extend(
            _sweep_peaks(
                sw,
                number,
                e,
                smooth,
                t,
                cyc,
                min_prominence_fraction,
                window_V,
                noise_factor * noise,
                valley_tolerance,
                None if tail is None else tail.first_row,
            )
        )
    return CVResult(
        peaks=tuple(found),
        sweeps=len(all_sweeps),
        potential_range_V=(float(e.min()), float(e.max())),
        max_abs_current_mA=max_abs,
        plating=tuple(_with_stripping(p, found) for p in plating),
        noise_mA=noise,
        tracks=track_peaks(found, window_V=track_window_V),
    )


def _with_stripping(plating: VertexPlating, peaks: list[CVPeak]) -> VertexPlating:
    """The plating record with the first anodic peak of the next sweep within 0.2 V of the
    vertex (lithium stripping) and its charge over the plating charge."""
    strip = [
        p
        for p in peaks
        if p.sweep == plating.sweep + 1
        and p.direction == "anodic"
        and p.potential_V <= plating.vertex_V + 0.2
    ]
    if not strip:
        return plating
    first = min(strip, key=lambda p: p.potential_V)
    ratio = None
    if first.charge_mC is not None and plating.charge_mC:
        ratio = first.charge_mC / plating.charge_mC
    return replace(
        plating,
        stripping_V=first.potential_V,
        stripping_charge_mC=first.charge_mC,
        stripping_ratio=ratio,
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
    fraction: float,
    window_V: float,
    floor_mA: float,
    valley_tolerance: float,
    tail_start: int | None,
) -> list[CVPeak]:
    from scipy.signal import find_peaks

    sign = 1.0 if sw.direction == "anodic" else -1.0
    stop = sw.stop if tail_start is None else tail_start
    seg = slice(sw.start, stop + 1)
    y = sign * i_ma[seg]
    ee = e[seg]
    if len(y) < 3:
        return []
    raw, props = find_peaks(y, prominence=max(floor_mA, 1e-15), width=0)
    proms = {int(k): float(p) for k, p in zip(raw, props["prominences"], strict=True)}
    reach = {int(k): int(np.ceil(3 * w)) for k, w in zip(raw, props["widths"], strict=True)}
    absy = np.abs(y)
    scale: dict[int, float] = {}
    for k in proms:
        near = np.abs(ee - ee[k]) <= window_V
        scale[k] = float(absy[near].max())
    idx = [k for k in proms if y[k] > 0 and proms[k] >= fraction * scale[k]]
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
                local_scale_mA=scale[k],
                charge_mC=charge,
                sweep=number,
                cycle=int(cyc[at]) if cyc is not None else None,
            )
        )
    return out
