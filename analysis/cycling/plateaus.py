"""Per-half-cycle overpotentials of Li plating and stripping, and the voltage noise.

Half cells only (the anode-less electrode against Li, voltage = electrode potential vs Li/Li+).
Positions inside a half-cycle are fractions ``f`` of its charge (0 at its first row, 1 at its
last), so the definitions do not depend on the sampling rate or the current.

``plating_overpotential_V`` (V, positive)
    Minus the mean voltage over the plating rows that are at constant current, below 0 V
    (Li plating happens only below 0 V vs Li) and in the second half of the plating charge up
    to ``1 - overpotential_tail_fraction``: the growth plateau after nucleation.
``nucleation_overpotential_V`` (V)
    The depth of the voltage dip at the onset of Li plating below the plateau: minus the
    lowest voltage held over two consecutive samples (so a one-sample glitch does not count)
    over the
    constant-current rows below 0 V in the first half of the plating charge, minus the
    plating overpotential (Pei et al., "Nanoscale nucleation and growth of electrodeposited
    lithium metal", Nano Lett. 2017, 17, 1132; Ely & Garcia, J. Electrochem. Soc. 2013, 160,
    A662); 0 when the early voltage never goes below the plateau, NaN when no plating row is
    below 0 V.
``stripping_overpotential_V`` (V)
    The mean voltage over the Li-stripping plateau: the constant-current stripping rows after
    the first 2 % of the charge and before the voltage first rises ``stripping_rise_V`` above
    its early level (the mean over 2-20 % of the charge), i.e. before the seeds dealloy and the
    voltage climbs to its cut-off. Assumes the Li stripping comes first and covers at least a
    fifth of the stripping charge (true when the plated Li exceeds the seed layer's alloy
    capacity, as in 1 mAh/cm2 on a 5 um seed layer).
``noise_V`` (V, every half-cycle and cell type)
    The white-noise standard deviation of the voltage over constant-current rows: the RMS of
    the second difference divided by sqrt(6), computed three times, each time without the
    triples beyond four times the previous RMS, so isolated glitches do not count. NaN for
    fewer than 10 triples.

Positions by charge come from one cumulative sum over the test and a binary search per
half-cycle; means over those ranges from prefix sums; the noise from windows of each
half-cycle (:data:`NOISE_WINDOW_ROWS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.cycling import reuse
from analysis.cycling.parameters import CyclingParameters
from analysis.cycling.segmentation import BoolArray, FloatArray, IntArray, Segmentation


@dataclass(frozen=True)
class Plateaus:
    """One value per half-cycle (V); NaN where a quantity does not apply."""

    plating_overpotential_V: FloatArray
    nucleation_overpotential_V: FloatArray
    stripping_overpotential_V: FloatArray
    noise_V: FloatArray


#: the noise is estimated on up to three windows of this many rows per half-cycle (at a
#: quarter, half and three quarters of it): enough triples for a few-percent estimate, at a
#: cost that does not grow with the sampling rate
NOISE_WINDOW_ROWS = 256


def _noise(v: FloatArray, cc: BoolArray) -> float:
    """Robust white-noise standard deviation of ``v`` over its constant-current triples."""
    n = v.size
    if n < 12:
        return float("nan")
    if n > 3 * NOISE_WINDOW_ROWS:
        parts = []
        for centre in (n // 4, n // 2, 3 * n // 4):
            lo = centre - NOISE_WINDOW_ROWS // 2
            w, c = v[lo : lo + NOISE_WINDOW_ROWS], cc[lo : lo + NOISE_WINDOW_ROWS]
            ok = c[2:] & c[1:-1] & c[:-2]
            parts.append((w[2:] - 2.0 * w[1:-1] + w[:-2])[ok])
        d2 = np.concatenate(parts)
    else:
        ok = cc[2:] & cc[1:-1] & cc[:-2]
        d2 = (v[2:] - 2.0 * v[1:-1] + v[:-2])[ok]
    if d2.size < 10:
        return float("nan")
    sq = d2 * d2
    rms = float(np.sqrt(sq.sum() / sq.size))
    for _ in range(2):
        kept = sq[sq <= 16.0 * rms * rms]
        if not kept.size:
            break
        rms = float(np.sqrt(kept.sum() / kept.size))
    return rms / float(np.sqrt(6.0))


def _range_sums(prefix: FloatArray, lo: IntArray, hi: IntArray) -> FloatArray:
    """Sums over rows ``lo[i]..hi[i]-1`` from a prefix sum with a leading 0."""
    out: FloatArray = prefix[hi] - prefix[lo]
    return out


def plateaus(
    voltage_V: FloatArray,
    cc_rows: BoolArray,
    seg: Segmentation,
    params: CyclingParameters,
    half: bool,
) -> Plateaus:
    """The overpotentials (half cells) and the voltage noise of every half-cycle.

    Means over charge-fraction ranges come from prefix sums over the whole test (a handful of
    passes over the rows); only the rise of each stripping and the noise windows are per
    half-cycle slices."""
    n_hc = seg.starts.size
    starts, stops = seg.starts, seg.stops
    lo_rows, hi_rows = starts.tolist(), stops.tolist()
    noise = reuse.each(
        "noise_V",
        np.arange(n_hc),
        lambda i: _noise(voltage_V[lo_rows[i] : hi_rows[i]], cc_rows[lo_rows[i] : hi_rows[i]]),
    )
    nan = np.full(n_hc, np.nan)
    if not half or not n_hc:
        return Plateaus(nan, nan.copy(), nan.copy(), noise)
    n = voltage_V.size
    cum_q = np.zeros(n + 1)
    np.cumsum(np.abs(seg.charge_As), out=cum_q[1:])
    before, total = cum_q[starts], cum_q[stops] - cum_q[starts]

    def at(fraction: float) -> IntArray:
        # First row of each half-cycle whose cumulative charge reaches the fraction.
        rows = np.searchsorted(cum_q, before + fraction * total, side="left") - 1
        return np.clip(rows, starts, stops).astype(np.int64)

    def prefix(values: FloatArray) -> FloatArray:
        out = np.zeros(n + 1)
        np.cumsum(values, out=out[1:])
        return out

    li = cc_rows & (voltage_V < 0)
    p_li, c_li = prefix(np.where(li, voltage_V, 0.0)), prefix(li.astype(np.float64))
    p_cc, c_cc = prefix(np.where(cc_rows, voltage_V, 0.0)), prefix(cc_rows.astype(np.float64))
    r02, r20, r50, r_tail = at(0.02), at(0.2), at(0.5), at(1.0 - params.overpotential_tail_fraction)
    with np.errstate(invalid="ignore", divide="ignore"):
        plating = -_range_sums(p_li, r50, r_tail) / _range_sums(c_li, r50, r_tail)
        level = _range_sums(p_cc, r02, r20) / _range_sums(c_cc, r02, r20)
    # Nucleation: the lowest voltage held over two consecutive Li-plating samples in the first
    # half of the plating charge (a one-sample glitch does not count).
    held = np.full(n, np.inf)
    both = li[1:] & li[:-1]
    held[:-1] = np.where(both, np.maximum(voltage_V[1:], voltage_V[:-1]), np.inf)
    idx = np.empty(2 * n_hc, dtype=np.int64)
    idx[0::2], idx[1::2] = starts, np.maximum(r50, starts)
    lowest = np.minimum.reduceat(np.append(held, np.inf), idx)[0::2]
    lowest[r50 <= starts] = np.inf
    nucleation = np.where(np.isfinite(lowest), np.maximum(-lowest - plating, 0.0), np.nan)

    # Stripping: the Li plateau ends where the voltage first rises stripping_rise_V above its
    # early level.
    def plateau_end(i: int) -> float:
        lo, hi = int(r02[i]), int(stops[i])
        risen = voltage_V[lo:hi] > level[i] + params.stripping_rise_V
        return float(lo + int(np.argmax(risen)) if risen.any() else hi)

    end = stops.copy()
    which = np.flatnonzero((seg.direction > 0) & np.isfinite(level))
    end[which] = reuse.each("stripping_end_row", which, plateau_end).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        stripping = _range_sums(p_cc, r02, np.maximum(end, r02)) / _range_sums(
            c_cc, r02, np.maximum(end, r02)
        )
    plating[seg.direction > 0] = np.nan
    nucleation[seg.direction > 0] = np.nan
    stripping[seg.direction < 0] = np.nan
    return Plateaus(plating, nucleation, stripping, noise)
