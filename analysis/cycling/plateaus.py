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
from numpy.lib.stride_tricks import sliding_window_view

from analysis.cycling import reuse
from analysis.cycling.groups import group_counts, group_sums, range_rows
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


def _noises(voltage_V: FloatArray, cc: BoolArray, seg: Segmentation, which: IntArray) -> FloatArray:
    """``noise_V`` (module docstring) of the half-cycles ``which``, all at once: each
    half-cycle of more than ``3 * NOISE_WINDOW_ROWS`` rows on its three windows of that many
    rows, centred at a quarter, half and three quarters of it; a shorter one on all its rows;
    NaN under 12 rows or 10 constant-current triples. Each value is, to the last bit, the one
    computed on the half-cycle's own rows with ``sum()`` (its triples gathered in that order,
    its windows one after the other): a long half-cycle whose windows are all at constant
    current is a row of a 2-D array (a row's ``sum()`` is the row's own), the others are
    summed by :func:`analysis.cycling.groups.group_sums`."""
    out = np.full(which.size, np.nan)
    a = seg.starts[which]
    n = seg.stops[which] - a
    w = NOISE_WINDOW_ROWS
    long = n > 3 * w
    # Per half-cycle, three runs of triples (by their first row): the windows of a long one
    # (w - 2 triples each), all the rows of a short one in the first run (n - 2), none under
    # 12 rows.
    first = np.stack([a + n // 4 - w // 2, a + n // 2 - w // 2, a + 3 * n // 4 - w // 2], axis=1)
    size = np.zeros_like(first)
    size[long] = w - 2
    short = ~long & (n >= 12)
    first[short, 0] = a[short]
    size[short, 0] = n[short] - 2
    if not np.any(size):
        return out
    rest = np.ones(which.size, dtype=bool)
    if np.any(long):
        # The windows of the long half-cycles whose rows are all at constant current (so are
        # all their triples), their second differences computed on the windows' rows alone.
        heads = first[long].ravel()
        idx = np.empty(2 * heads.size, dtype=np.int64)
        idx[0::2], idx[1::2] = heads, heads + w  # a window ends before its half-cycle's end
        whole = np.logical_and.reduceat(cc, idx)[0::2].reshape(-1, 3).all(axis=1)
        if np.any(whole):
            uniform = np.flatnonzero(long)[whole]
            rest[uniform] = False
            windows = sliding_window_view(voltage_V, w)[first[uniform]]
            out[uniform] = _window_noises(_second_differences(windows).reshape(uniform.size, -1))
    keep = np.flatnonzero(rest & (size > 0).any(axis=1))
    if keep.size:
        # The second differences and constant-current triples over the rows the runs cover.
        lo = int(first[keep][size[keep] > 0].min())
        hi = int((first[keep] + size[keep]).max()) + 2
        v, c = voltage_V[lo:hi], cc[lo:hi]
        d2 = _second_differences(v)
        ok = c[2:] & c[1:-1] & c[:-2]
        row = range_rows((first[keep] - lo).ravel(), (first[keep] - lo + size[keep]).ravel())
        chosen = ok[row]
        m = group_counts(chosen, size[keep].sum(axis=1))
        g = d2[row[chosen]]
        out[keep] = _robust_rms(np.multiply(g, g, out=g), m) / float(np.sqrt(6.0))
    return out


def _second_differences(v: FloatArray) -> FloatArray:
    """``v[2:] - 2.0 * v[1:-1] + v[:-2]`` along the last axis, in that order, in one array."""
    out = np.multiply(v[..., 1:-1], 2.0)
    np.subtract(v[..., 2:], out, out=out)
    np.add(out, v[..., :-2], out=out)
    return out


def _window_noises(d2: FloatArray) -> FloatArray:
    """:func:`_noises` of half-cycles with every triple of their windows at constant current:
    one row of second differences each."""
    sq = np.multiply(d2, d2, out=d2)
    m = sq.shape[1]
    full = np.sqrt(sq.sum(axis=1) / m)
    rms = full.copy()
    moved = np.arange(sq.shape[0])
    for _ in range(2):
        rows = sq if moved.size == sq.shape[0] else sq[moved]
        limit = 16.0 * rms[moved] * rms[moved]
        # every triple kept (the largest within the limit): the whole sum again; none: the
        # estimate stays; the others (a NaN limit or value among them) triple by triple
        new = full[moved]
        sub = np.flatnonzero(~(rows.max(axis=1) <= limit))
        kept = rows[sub] <= limit[sub, None]
        k = kept.sum(axis=1)
        some = k > 0
        new[sub[~some]] = rms[moved[sub[~some]]]
        new[sub[some]] = np.sqrt(group_sums(rows[sub[some]][kept[some]], k[some]) / k[some])
        changed = new != rms[moved]
        rms[moved] = new
        moved = moved[changed]
    out: FloatArray = rms / float(np.sqrt(6.0))
    return out


def _robust_rms(sq: FloatArray, m: IntArray) -> FloatArray:
    """The RMS of each group of squared second differences (``m`` each), twice without those
    beyond four times the last RMS (a group that would keep none keeps its estimate); NaN for
    a group of fewer than 10."""
    with np.errstate(invalid="ignore", divide="ignore"):
        rms = np.sqrt(group_sums(sq, m) / m)
        for _ in range(2):
            kept = sq <= np.repeat(16.0 * rms * rms, m)
            k = group_counts(kept, m)
            rms = np.where(k > 0, np.sqrt(group_sums(sq[kept], k) / k), rms)
    out: FloatArray = np.where(m >= 10, rms, np.nan)
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
    passes over the rows), the noise of every half-cycle at once (:func:`_noises`); only the
    rise of each stripping is a per half-cycle slice."""
    n_hc = seg.starts.size
    starts = seg.starts
    noise = reuse.many("noise_V", n_hc, lambda which: _noises(voltage_V, cc_rows, seg, which))
    nan = np.full(n_hc, np.nan)
    if not half or not n_hc:
        return Plateaus(nan, nan.copy(), nan.copy(), noise)
    # The half-cycles an earlier version's analysis already gave (an incremental analysis,
    # analysis.cycling.reuse): their values, and the running sums at their end, from its memo;
    # the rest from the rows after them. Running sums continued from the same value over the
    # same rows are the same numbers, so this is the full analysis's result to the last bit.
    h0, memo = reuse.settled(MEMO)
    base = {name: float(memo[name][-1]) if h0 else 0.0 for name in _SUMS}
    r0 = (int(starts[h0]) if h0 < n_hc else voltage_V.size) if h0 else 0
    part = _overpotentials(voltage_V, cc_rows, seg, params, h0, r0, base)
    out = {}
    for name in MEMO:
        values = np.empty(n_hc)
        values[:h0] = memo[name] if h0 else values[:0]
        values[h0:] = part[name]
        reuse.record(name, values)
        out[name] = values
    return Plateaus(
        out["plating_overpotential_V"],
        out["nucleation_overpotential_V"],
        out["stripping_overpotential_V"],
        noise,
    )


#: running sums over the rows (charge, Li-plating voltage and rows, constant-current voltage and
#: rows), recorded at each half-cycle's end for an incremental analysis
_SUMS = ("sum:abs_charge", "sum:li_voltage", "sum:li_rows", "sum:cc_voltage", "sum:cc_rows")
MEMO = (
    "plating_overpotential_V",
    "nucleation_overpotential_V",
    "stripping_overpotential_V",
    "stripping_end_row",
    *_SUMS,
)


class _MaskedSums:
    """The running sum, over the rows of a mask, of the values on them (0.0 on the other rows),
    from ``base`` at row 0: a sum continued from an earlier analysis's (``continued``), or, from
    the test's first row, the prefix sum that starts with that row's value (``base`` 0.0). In
    ``buf`` (one more than the rows), which it takes over.

    Adding the other rows' 0.0 changes no sum but -0.0 (-0.0 + 0.0 is 0.0), and a sum is -0.0
    only if it starts so (-0.0 is the sum of two -0.0s only): from a ``base`` of -0.0, or, not
    continued, from a first masked value of -0.0 (the prefix sum starts with it, or with
    ``0.0 +`` it when the first row is not masked). Apart from those, the sums are those of the
    masked values alone, added one after the other (a shorter running sum), and the sum at a
    row is the one after the masked rows before it; in those, the prefix sum over every row."""

    def __init__(
        self, values: FloatArray, mask: BoolArray, base: float, continued: bool, buf: FloatArray
    ) -> None:
        k = int(np.count_nonzero(mask))
        # positions of the fewer of the masked rows and the others, for counting
        self.dense = 2 * k > mask.size
        self.rows: IntArray = np.flatnonzero(~mask if self.dense else mask)
        masked = values[mask]
        signed_zero = base if continued else (float(masked[0]) if k else 0.0)
        self.by_count = not (signed_zero == 0.0 and bool(np.signbit(signed_zero)))
        if self.by_count:
            sums = buf[: k + 1]
            sums[0] = base
            if continued and k:  # base + the first value, then one value after the other
                masked[0] = base + masked[0]
            np.cumsum(masked, out=sums[1:])
        else:
            sums = buf
            sums.fill(0.0)
            np.copyto(sums[1:], values, where=mask)
            sums[0] = base
            if continued:
                np.cumsum(sums, out=sums)
            else:
                np.cumsum(sums[1:], out=sums[1:])
        self.sums = sums

    def before(self, rows: IntArray) -> IntArray:
        """The number of masked rows before each of ``rows`` (any shape, ``0..`` the rows)."""
        found: IntArray = np.searchsorted(self.rows, rows)
        out: IntArray = rows - found if self.dense else found
        return out

    def at(self, rows: IntArray, before: IntArray) -> FloatArray:
        """The running sum at each of ``rows`` (over the rows before it), given the number of
        masked rows before each (``before``)."""
        out: FloatArray = self.sums[before] if self.by_count else self.sums[rows]
        return out


def _overpotentials(
    voltage_V: FloatArray,
    cc_rows: BoolArray,
    seg: Segmentation,
    params: CyclingParameters,
    h0: int,
    r0: int,
    base: dict[str, float],
) -> dict[str, FloatArray]:
    """The plateau values of half-cycles ``h0`` on, from rows ``r0`` on (``r0``: 0, or the
    first row of half-cycle ``h0``), with the running sums continued from ``base`` (their values
    at row ``r0``); also the running sums at each of those half-cycles' end."""
    starts, stops = seg.starts[h0:] - r0, seg.stops[h0:] - r0
    direction = seg.direction[h0:]
    v, cc = voltage_V[r0:], cc_rows[r0:]
    n, n_hc = v.size, starts.size

    # The running sums over the rows (each from its base, not a sum added to it: the same
    # additions in the same order as over the whole test), one after the other in one buffer,
    # each looked up where needed.
    buf = np.empty(n + 1)
    np.abs(seg.charge_As[r0:], out=buf[1:])
    if h0:
        buf[0] = base["sum:abs_charge"]
        np.cumsum(buf, out=buf)
    else:
        buf[0] = 0.0
        np.cumsum(buf[1:], out=buf[1:])
    cum_q = buf
    before, total = cum_q[starts], cum_q[stops] - cum_q[starts]
    q_at_stops = cum_q[stops]

    def at(fraction: float) -> IntArray:
        # First row of each half-cycle whose cumulative charge reaches the fraction.
        rows = np.searchsorted(cum_q, before + fraction * total, side="left") - 1
        return np.clip(rows, starts, stops).astype(np.int64)

    r02, r20, r50, r_tail = at(0.02), at(0.2), at(0.5), at(1.0 - params.overpotential_tail_fraction)
    li = cc & (v < 0)
    p_li = _MaskedSums(v, li, base["sum:li_voltage"] if h0 else 0.0, bool(h0), buf)
    # Row counts are whole numbers: exact however they are counted.
    li_before = p_li.before(np.stack([r50, r_tail, stops]))
    li_sums = p_li.at(np.stack([r50, r_tail, stops]), li_before)
    with np.errstate(invalid="ignore", divide="ignore"):
        plating = -(li_sums[1] - li_sums[0]) / (li_before[1] - li_before[0])
    # Nucleation: the lowest voltage held over two consecutive Li-plating samples in the first
    # half of the plating charge (a one-sample glitch does not count; inf elsewhere).
    held = buf
    held.fill(np.inf)
    np.maximum(v[1:], v[:-1], out=held[: n - 1], where=li[1:] & li[:-1])
    idx = np.empty(2 * n_hc, dtype=np.int64)
    idx[0::2], idx[1::2] = starts, np.maximum(r50, starts)
    lowest = np.minimum.reduceat(held, idx)[0::2] if n_hc else held[:0]
    lowest[r50 <= starts] = np.inf
    nucleation = np.where(np.isfinite(lowest), np.maximum(-lowest - plating, 0.0), np.nan)

    p_cc = _MaskedSums(v, cc, base["sum:cc_voltage"] if h0 else 0.0, bool(h0), buf)
    cc_before = p_cc.before(np.stack([r02, r20, stops]))
    cc_sums = p_cc.at(np.stack([r02, r20, stops]), cc_before)
    with np.errstate(invalid="ignore", divide="ignore"):
        level = (cc_sums[1] - cc_sums[0]) / (cc_before[1] - cc_before[0])

    # Stripping: the Li plateau ends where the voltage first rises stripping_rise_V above its
    # early level.
    end = stops.copy()
    end_row = np.full(n_hc, np.nan)
    which = np.flatnonzero((direction > 0) & np.isfinite(level))
    risen = _first_above(v, r02[which], stops[which], level[which] + params.stripping_rise_V)
    end_row[which] = r0 + risen
    end[which] = risen
    end = np.maximum(end, r02)
    cc_to_end = p_cc.before(end)
    with np.errstate(invalid="ignore", divide="ignore"):
        stripping = (p_cc.at(end, cc_to_end) - cc_sums[0]) / (cc_to_end - cc_before[0])
    plating[direction > 0] = np.nan
    nucleation[direction > 0] = np.nan
    stripping[direction < 0] = np.nan
    return {
        "plating_overpotential_V": plating,
        "nucleation_overpotential_V": nucleation,
        "stripping_overpotential_V": stripping,
        "stripping_end_row": end_row,
        "sum:abs_charge": q_at_stops,
        "sum:li_voltage": li_sums[2],
        "sum:li_rows": (base["sum:li_rows"] if h0 else 0.0) + li_before[2].astype(np.float64),
        "sum:cc_voltage": cc_sums[2],
        "sum:cc_rows": (base["sum:cc_rows"] if h0 else 0.0) + cc_before[2].astype(np.float64),
    }


def _first_above(v: FloatArray, lo: IntArray, hi: IntArray, threshold: FloatArray) -> IntArray:
    """The first row of each range ``lo[i]..hi[i]-1`` (sorted, not overlapping) where ``v``
    exceeds ``threshold[i]``, or ``hi[i]`` where it does not: among the rows above the lowest
    threshold only."""
    found = hi.copy()
    if not lo.size:
        return found
    above = np.flatnonzero(v[lo[0] : hi[-1]] > threshold.min()) + lo[0]
    a, b = np.searchsorted(above, lo), np.searchsorted(above, hi)
    rows = above[range_rows(a, b)]
    over = v[rows] > np.repeat(threshold, b - a)
    hit = np.flatnonzero(over)
    # the first hit in each range: the first of its rows, by position in ``rows``
    ends = np.cumsum(b - a)
    first = np.searchsorted(hit, ends - (b - a))
    inside = first < hit.size
    inside[inside] = hit[first[inside]] < ends[inside]
    found[inside] = rows[hit[first[inside]]]
    return found
