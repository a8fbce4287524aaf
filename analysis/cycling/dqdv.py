"""Differential capacity dQ/dV and differential voltage dV/dQ of every half-cycle, half or full
cell, computed for all half-cycles at once from the voltage-profile curves
(:func:`analysis.cycling.profiles.profile_series`).

dQ/dV is the charge passed while the voltage was in each voltage bin, divided by the bin width:
a histogram of charge over voltage. It needs no derivative of a measured curve, so a voltage
that turns back (a nucleation dip, a pulse, noise) only moves charge between neighbouring bins
instead of dividing by a ``dV`` near zero or of the wrong sign, which scrambles
``np.diff(Q) / np.diff(V)`` (the complaint of navani's users). The binned dQ/dV is smoothed by a
Gaussian along the voltage (``smooth_V``, its standard deviation; 0 for none), which keeps the
area: the integral of dQ/dV over voltage is the half-cycle's capacity.

dV/dQ is the derivative of voltage against capacity, which is single-valued even where the
voltage turns back: each half-cycle's voltage is interpolated on ``dvdq_points`` equally spaced
capacities (the capacity made non-decreasing by its running maximum), then differentiated by a
Savitzky-Golay filter (cubic, ``dvdq_window_points`` points).

A dQ/dV peak is a maximum whose prominence is at least ``min_peak_fraction`` (5 %) of the
largest dQ/dV within ``peak_window_V`` (0.05 V) of it, and at least ``floor_fraction`` (1 %)
of the half-cycle's largest: judged against its neighbourhood, so the lithium-plating plateau
of an anode-less half cell (often 20 times the alloying plateaus) does not hide them; and at
least ``noise_factor`` (5) standard deviations of the dQ/dV noise that the measured voltage
noise causes there (:func:`voltage_noise`, :func:`dqdv_noise`): the relative rules alone take
the bumps that voltage noise makes on a sloping curve for peaks (a noisy full cell gave ten
per half-cycle). Like the local-baseline rule of the CV peaks (:mod:`analysis.voltammetry`),
it assumes white noise on the voltage records; noise correlated over many records (a drifting
temperature) is read as signal.

Conventions: ``dq_dv_mAh_per_V`` counts charge positive in the half-cycle's own direction (a
discharge has positive dQ/dV here; navani and others sign it by the current); ``dv_dq_V_per_mAh``
is signed, negative where the voltage falls as charge passes (lithiation of a half cell's
electrode, discharge of a full cell). References: M. Dubarry, C. Truchot, B. Y. Liaw,
J. Power Sources 219 (2012) 204 (incremental capacity analysis); H. M. Dahn, A. J. Smith,
J. C. Burns, D. A. Stevens, J. R. Dahn, J. Electrochem. Soc. 159 (2012) A1405 (dV/dQ);
A. Savitzky & M. J. E. Golay, Anal. Chem. 36 (1964) 1627.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.cycling import dqdv_reuse
from analysis.cycling.dqdv_reuse import Previous
from analysis.series import GrownSeries

FloatArray = npt.NDArray[np.float64]

#: The largest dense half-cycle x voltage-bin grid (cells) computed at once.
MAX_GRID_CELLS = 50_000_000


@dataclass(frozen=True)
class DQDVResult:
    """``curves``: one row per half-cycle and voltage bin inside its voltage range (widened by
    4 smoothing widths): ``half_cycle``, ``cycle``, ``kind``, ``voltage_V`` (bin centre),
    ``dq_dv_mAh_per_V``. ``dvdq``: ``half_cycle``, ``cycle``, ``kind``, ``capacity_mAh``,
    ``voltage_V``, ``dv_dq_V_per_mAh`` on each half-cycle's capacity grid. ``peaks``: the
    maxima of each half-cycle's dQ/dV whose prominence is at least ``min_peak_fraction`` of the
    largest dQ/dV within ``peak_window_V`` of the peak and at least ``floor_fraction`` of the
    half-cycle's largest and ``noise_factor`` times the noise sd there: ``half_cycle``,
    ``cycle``, ``kind``, ``voltage_V``, ``dq_dv_mAh_per_V``, ``prominence_mAh_per_V``,
    ``noise_mAh_per_V``. ``parameters``: the binning, smoothing and peak rules used, and the
    median over half-cycles of the measured voltage noise (``voltage_noise_V``)."""

    curves: pd.DataFrame | GrownSeries = field(compare=False, repr=False)
    dvdq: pd.DataFrame | GrownSeries = field(compare=False, repr=False)
    peaks: pd.DataFrame = field(compare=False, repr=False)
    parameters: dict[str, Any] = field(default_factory=dict)
    #: one row per half-cycle, for the next version of a growing file
    #: (:mod:`analysis.cycling.dqdv_reuse`)
    memo: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False, repr=False)
    #: half-cycles whose rows were taken from ``previous`` / computed
    reused: int = 0
    computed: int = 0
    #: per output (``dqdv``, ``dvdq``, ``dqdv_peaks``): how many of its first rows are the
    #: first rows of the same output of ``previous``
    shared_rows: dict[str, int] = field(default_factory=dict, compare=False)
    #: the digest entries of ``curves`` and ``dvdq`` (grouped per half-cycle, composed of the
    #: memo's per-half-cycle digests: :mod:`analysis.cycling.dqdv_reuse`)
    digests: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False)


def _group_bounds(labels: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], ...]:
    """Start and stop rows of the runs of equal labels (labels contiguous)."""
    change = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate([[0], change]).astype(np.int64)
    stops = np.concatenate([change, [len(labels)]]).astype(np.int64)
    return starts, stops


def _spread_charge(
    row: npt.NDArray[np.int64],
    v: FloatArray,
    first: npt.NDArray[np.bool_],
    dq: FloatArray,
    lo: FloatArray,
    offset: npt.NDArray[np.int64],
    bin_V: float,
    n: int,
    nbins: int,
) -> FloatArray:
    """Charge (mAh) per half-cycle and voltage bin, each record interval's charge ``dq``
    spread evenly over the voltage interval it spans (the profile taken as piecewise linear
    between records), so that records further apart than a bin leave no empty bins between
    them (a comb that would read as peaks); an interval that turns back spreads over its own
    span like any other. Exact for each interval's total, so every row sums to the
    half-cycle's charge. Computed for all rows at once: the derivative of each interval's
    cumulative charge along the bins is a step at each end of its span (two entries each, for
    the fractional bin), summed by one ``bincount`` and integrated by one ``cumsum``.

    ``lo``: each record's half-cycle's lowest bin edge (V, a whole multiple of ``bin_V``);
    ``offset``: where that bin is on the common grid. Bins are counted from ``lo`` and moved
    by the integer ``offset``, so a half-cycle's row does not depend on where the others are."""
    prev = np.concatenate([[v[0]], v[:-1]])
    ua = (np.minimum(v, prev) - lo) / bin_V
    ub = (np.maximum(v, prev) - lo) / bin_V
    ua = np.where(first, (v - lo) / bin_V, ua)
    ub = np.where(first, ua, ub)
    # a span narrower than a bin is widened to one bin about its middle: the charge of a
    # record whose voltage barely moved (a plateau, noise) is shared by the two nearest bins
    # in proportion, not dropped whole into one, which made the histogram jump by a whole
    # interval's charge as noise carried a record across a bin edge (noise linear in the
    # voltage noise, not quadratic: the noise rule of the peaks assumes a smooth kernel)
    mid = 0.5 * (ua + ub)
    narrow = (ub - ua) < 1.0
    ua = np.where(narrow, mid - 0.5, ua)
    ub = np.where(narrow, mid + 0.5, ub)
    flat = (ub - ua) < 1e-9
    width = np.where(flat, 1.0, ub - ua)
    rate = dq / width  # charge per bin width over the span
    fa = np.floor(ua)
    fb = np.floor(ub)
    # a span inside one bin (or a record at one voltage): all of its charge in that bin
    rate = np.where(flat, dq, rate)
    a_frac = np.where(flat, 0.0, ua - fa)
    b_frac = np.where(flat, 0.0, ub - fb)
    fb = np.where(flat, fa + 1, fb)
    width_cols = nbins + 2
    base = row * width_cols
    ia, ib = fa.astype(np.int64) + offset, fb.astype(np.int64) + offset
    index = np.concatenate([base + ia, base + ia + 1, base + ib, base + ib + 1])
    weight = np.concatenate(
        [rate * (1 - a_frac), rate * a_frac, -rate * (1 - b_frac), -rate * b_frac]
    )
    steps = np.bincount(index, weights=weight, minlength=n * width_cols).reshape(n, width_cols)
    charge = np.asarray(np.cumsum(steps, axis=1)[:, :nbins], dtype=np.float64)
    # the running sum leaves round-off (1e-12 of the row's charge) where no charge is
    scale = np.abs(charge).max(axis=1, keepdims=True)
    return np.where(np.abs(charge) <= 1e-9 * scale, 0.0, charge)


def dqdv(
    profiles: pd.DataFrame,
    half_cycles: pd.DataFrame,
    *,
    bin_V: float = 0.005,
    smooth_V: float = 0.01,
    dvdq_points: int = 200,
    dvdq_window_points: int = 11,
    min_peak_fraction: float = 0.05,
    peak_window_V: float = 0.05,
    floor_fraction: float = 0.01,
    noise_factor: float = 5.0,
    previous: Previous | None = None,
) -> DQDVResult:
    """dQ/dV, dV/dQ and dQ/dV peaks of every half-cycle (module docstring for the method).

    ``profiles``: the voltage-profile series (``half_cycle``, ``capacity_mAh``,
    ``voltage_volt``, half-cycles in contiguous rows); ``half_cycles``: the half-cycle table
    (``half_cycle``, ``cycle``, ``kind``). Units: V, mAh, mAh/V, V/mAh.

    Every half-cycle's rows of the outputs are a function of its own profile rows, its cycle
    and kind, and its position among the half-cycles (the voltage bins are anchored at whole
    multiples of ``bin_V``, not at the lowest voltage of the test). ``previous``: the outputs
    and memo of the same analysis of an earlier version of a growing file
    (:mod:`analysis.cycling.dqdv_reuse`): the rows of its leading half-cycles whose inputs are
    unchanged are taken from it and only the half-cycles after them are computed; the result
    is the same as without it.
    """
    if not bin_V > 0:
        raise ValueError(f"bin_V must be positive, found {bin_V}")
    if noise_factor < 0:
        raise ValueError(f"noise_factor must not be negative, found {noise_factor}")
    if smooth_V < 0:
        raise ValueError(f"smooth_V must not be negative, found {smooth_V}")
    if dvdq_window_points < 5 or dvdq_window_points % 2 == 0 or dvdq_window_points > dvdq_points:
        raise ValueError(
            "dvdq_window_points must be odd, at least 5 and at most dvdq_points, found "
            f"{dvdq_window_points}"
        )
    params: dict[str, Any] = {
        "bin_V": bin_V,
        "smooth_V": smooth_V,
        "dvdq_points": dvdq_points,
        "dvdq_window_points": dvdq_window_points,
        "min_peak_fraction": min_peak_fraction,
        "peak_window_V": peak_window_V,
        "floor_fraction": floor_fraction,
        "noise_factor": noise_factor,
    }
    hc = profiles["half_cycle"].to_numpy(dtype=np.int64)
    q = profiles["capacity_mAh"].to_numpy(dtype=np.float64)
    v = profiles["voltage_volt"].to_numpy(dtype=np.float64)
    ok = np.isfinite(q) & np.isfinite(v)
    hc, q, v = hc[ok], q[ok], v[ok]
    if len(hc) < 2:
        empty = pd.DataFrame()
        return DQDVResult(empty, empty, empty, params)
    starts, stops = _group_bounds(hc)
    labels = hc[starts]
    n = len(starts)
    pad = int(np.ceil(4 * smooth_V / bin_V)) + 1
    # the grid over the whole test is refused as before (the same limit whatever is reused)
    lo_bin = np.floor(v.min() / bin_V) - pad
    nbins_all = int(np.ceil((v.max() - lo_bin * bin_V) / bin_V)) + pad + 1
    if n * nbins_all > MAX_GRID_CELLS:
        raise ValueError(
            f"{n} half-cycles x {nbins_all} voltage bins of {bin_V} V is too large a grid; "
            "use wider bins"
        )
    meta = half_cycles.set_index("half_cycle").reindex(labels)
    cycle = meta["cycle"].to_numpy()
    kind = meta["kind"].to_numpy()
    inputs = dqdv_reuse.Inputs(q, v, starts, stops, labels, cycle, kind)
    memo = dqdv_reuse.memo_of(inputs, params)
    h = dqdv_reuse.unchanged(memo, previous)
    rows = _half_cycles_from(inputs, h, pad, params)
    out = dqdv_reuse.assemble(inputs, memo, previous, h, rows, params)
    peaks = out.frames["dqdv_peaks"]
    assert isinstance(peaks, pd.DataFrame)  # a table, never a grown series
    return DQDVResult(
        out.frames["dqdv"],
        out.frames["dvdq"],
        peaks,
        out.parameters,
        memo=out.memo,
        reused=h,
        computed=len(starts) - h,
        shared_rows=out.shared_rows,
        digests=out.digests,
    )


def _half_cycles_from(
    inputs: dqdv_reuse.Inputs, h: int, pad: int, params: dict[str, Any]
) -> dqdv_reuse.Rows:
    """dQ/dV, dV/dQ and peaks of half-cycles ``h`` to the last of ``inputs``
    (:class:`analysis.cycling.dqdv_reuse.Inputs`). Each half-cycle's voltage bins are counted
    from its own lowest bin (a whole multiple of ``bin_V``) and placed on one dense grid by
    integer offsets, so its values do not depend on the other half-cycles computed with it."""
    from scipy.ndimage import gaussian_filter1d, maximum_filter1d
    from scipy.signal import find_peaks

    bin_V, smooth_V = params["bin_V"], params["smooth_V"]
    dvdq_points, dvdq_window_points = params["dvdq_points"], params["dvdq_window_points"]
    n_all = len(inputs.starts)
    s0 = int(inputs.starts[h])
    q, v = inputs.q[s0:], inputs.v[s0:]
    starts, stops = inputs.starts[h:] - s0, inputs.stops[h:] - s0
    n = n_all - h
    local = np.repeat(np.arange(n), stops - starts)
    cycle, kind, labels = inputs.cycle[h:], inputs.kind[h:], inputs.labels[h:]

    # --- dQ/dV: charge per voltage bin, one bincount for all half-cycles -------------------
    first = np.zeros(len(q), dtype=bool)
    first[starts] = True
    dq = np.where(first, q, q - np.concatenate([[0.0], q[:-1]]))
    vmid = np.where(first, v, 0.5 * (v + np.concatenate([[v[0]], v[:-1]])))
    # each half-cycle's own grid: its first bin ``k_lo`` (a whole number of bins), its width
    k_lo = np.floor(np.minimum.reduceat(v, starts) / bin_V) - pad
    lo_row = k_lo * bin_V
    width = np.ceil((np.maximum.reduceat(v, starts) - lo_row) / bin_V).astype(np.int64) + pad + 1
    k0 = int(k_lo.min())
    offset = k_lo.astype(np.int64) - k0  # the half-cycle's first bin on the common grid
    nbins = int((offset + width).max())
    col = np.minimum(((vmid - lo_row[local]) / bin_V).astype(np.int64), width[local] - 1)
    col = np.maximum(col, 0) + offset[local]
    grid: FloatArray = (
        _spread_charge(local, v, first, dq, lo_row[local], offset[local], bin_V, n, nbins) / bin_V
    )
    if smooth_V > 0:
        grid = np.asarray(
            gaussian_filter1d(grid, smooth_V / bin_V, axis=1, mode="constant"), dtype=np.float64
        )
    centres = (k0 + np.arange(nbins) + 0.5) * bin_V
    cmin = np.maximum(np.minimum.reduceat(col, starts) - pad, offset)
    cmax = np.minimum(np.maximum.reduceat(col, starts) + pad, offset + width - 1)
    cols = np.arange(nbins)
    inside = (cols[None, :] >= cmin[:, None]) & (cols[None, :] <= cmax[:, None])
    r_idx, c_idx = np.nonzero(inside)
    curves = {
        "half_cycle": labels[r_idx],
        "cycle": cycle[r_idx],
        "kind": kind[r_idx],
        "voltage_V": centres[c_idx],
        "dq_dv_mAh_per_V": grid[r_idx, c_idx],
    }

    # --- peaks: one find_peaks over all rows, each row opened and closed by a zero, so a
    # peak's prominence is measured within its own row wherever the row sits on the grid
    lead = np.zeros(1)
    flat = np.concatenate(
        [lead, np.concatenate([np.clip(grid, 0.0, None), np.zeros((n, 1))], axis=1).ravel()]
    )
    idx, props = find_peaks(flat, prominence=1e-12)
    pr, pc = np.divmod(idx - lead.size, nbins + 1)
    top = grid.max(axis=1)
    reach = round(params["peak_window_V"] / bin_V)
    local_max = maximum_filter1d(grid, 2 * reach + 1, axis=1, mode="constant")
    noise_V = voltage_noise(v, starts, stops)
    noise = dqdv_noise(grid, local, col, noise_V, bin_V=bin_V, smooth_V=smooth_V)
    keep = (
        (props["prominences"] >= params["min_peak_fraction"] * local_max[pr, pc])
        & (props["prominences"] >= params["floor_fraction"] * top[pr])
        & (props["prominences"] >= params["noise_factor"] * noise[pr, pc])
    )
    pr, pc, prom = pr[keep], pc[keep], props["prominences"][keep]
    peaks = {
        "half_cycle": labels[pr],
        "cycle": cycle[pr],
        "kind": kind[pr],
        "voltage_V": centres[pc],
        "dq_dv_mAh_per_V": grid[pr, pc],
        "prominence_mAh_per_V": prom,
        "noise_mAh_per_V": noise[pr, pc],
    }

    # --- dV/dQ on each half-cycle's capacity grid, one interpolation for all. The key of a
    # record is its half-cycle's position plus its capacity fraction; a grid point before a
    # half-cycle's first record interpolates from the record before it, so the half-cycle
    # before ``h`` comes in as context (its rows are not output)
    c = h - 1 if h else 0
    sc = int(inputs.starts[c])
    qc, vc = inputs.q[sc:], inputs.v[sc:]
    cstarts = inputs.starts[c:] - sc
    cstops = inputs.stops[c:] - sc
    crow = np.repeat(np.arange(c, n_all), cstops - cstarts)
    mono = pd.Series(qc).groupby(crow).cummax().to_numpy()  # capacity made non-decreasing
    total = np.maximum.reduceat(mono, cstarts)
    frac = np.clip(mono / np.where(total > 0, total, 1.0)[crow - c], 0.0, 1.0)
    key = crow + frac * (1.0 - 1e-9)
    total, cstarts, cstops = total[h - c :], cstarts[h - c :], cstops[h - c :]
    usable = (total > 0) & ((cstops - cstarts) >= 5)
    f_grid = np.linspace(0.0, 1.0, dvdq_points)
    grid_keys = (np.arange(h, n_all)[:, None] + f_grid[None, :] * (1.0 - 1e-9)).ravel()
    vq = np.interp(grid_keys, key, vc).reshape(n, dvdq_points)
    step = np.where(total > 0, total, np.nan) / (dvdq_points - 1)
    dvdq_grid = savgol_derivative(vq, dvdq_window_points) / step[:, None]
    use = np.flatnonzero(usable)
    rr = np.repeat(use, dvdq_points)
    dvdq = {
        "half_cycle": labels[rr],
        "cycle": cycle[rr],
        "kind": kind[rr],
        "capacity_mAh": (total[use, None] * f_grid[None, :]).ravel(),
        "voltage_V": vq[use].ravel(),
        "dv_dq_V_per_mAh": dvdq_grid[use].ravel(),
    }
    counts = {
        "dqdv": (cmax - cmin + 1).astype(np.int64),
        "dvdq": np.where(usable, dvdq_points, 0).astype(np.int64),
        "dqdv_peaks": np.bincount(pr, minlength=n).astype(np.int64),
    }
    return dqdv_reuse.Rows(curves, dvdq, peaks, counts, noise_V)


def savgol_derivative(y: FloatArray, window: int, order: int = 3) -> FloatArray:
    """The first derivative (per sample) of each row of ``y`` by a Savitzky-Golay filter: the
    least-squares polynomial of ``order`` over ``window`` samples (odd) about each point, and
    over the first and last ``window`` samples for the points nearer the ends (scipy's
    ``savgol_filter(..., deriv=1, mode="interp")``, the same filter). Written as sums of
    shifted rows, so a row's values do not depend on the other rows (scipy's end fit solves
    all rows in one least-squares call, whose last bits depend on how many there are)."""
    half = window // 2
    x = np.arange(window, dtype=np.float64)
    powers = np.arange(order + 1)
    fit = np.linalg.pinv(x[:, None] ** powers[None, :])  # values -> coefficients
    slope = powers[None, :] * x[:, None] ** np.maximum(powers - 1, 0)[None, :]
    weights = slope @ fit  # row j: the derivative at sample j of the window's fit
    m = y.shape[1]
    out = np.empty_like(y)
    inner = np.zeros((y.shape[0], m - window + 1))
    for k in range(window):
        inner += weights[half, k] * y[:, k : k + m - window + 1]
    out[:, half : m - half] = inner
    for j in range(half):
        left = np.zeros(y.shape[0])
        right = np.zeros(y.shape[0])
        for k in range(window):
            left += weights[j, k] * y[:, k]
            right += weights[window - half + j, k] * y[:, m - window + k]
        out[:, j] = left
        out[:, m - half + j] = right
    return out


def voltage_noise(
    v: FloatArray, starts: npt.NDArray[np.int64], stops: npt.NDArray[np.int64]
) -> FloatArray:
    """Standard deviation (V) of the recorded voltage's noise in each half-cycle (rows
    ``starts[k]:stops[k]`` of ``v``): ``1.4826 median|V[i+1] - 2 V[i] + V[i-1]| / sqrt(6)``,
    the second difference of white noise of sd ``s`` having sd ``sqrt(6) s`` while that of a
    smooth curve sampled densely is small; the median ignores the few records at a kink or
    a step. 0 for a half-cycle of fewer than 3 records."""
    d2 = np.zeros(len(v))
    if len(v) >= 3:
        d2[1:-1] = np.abs(v[2:] - 2.0 * v[1:-1] + v[:-2])
    interior = np.ones(len(v), dtype=bool)
    interior[starts] = False
    interior[stops - 1] = False
    row = np.repeat(np.arange(len(starts)), stops - starts)
    med = pd.Series(d2[interior]).groupby(row[interior]).median()
    out = np.zeros(len(starts))
    out[med.index.to_numpy()] = med.to_numpy() * 1.4826 / np.sqrt(6.0)
    return out


def dqdv_noise(
    grid: FloatArray,
    row: npt.NDArray[np.int64],
    col: npt.NDArray[np.int64],
    noise_V: FloatArray,
    *,
    bin_V: float,
    smooth_V: float,
) -> FloatArray:
    """Standard deviation (mAh/V) of the noise of each half-cycle's smoothed dQ/dV ``grid``
    caused by voltage noise of sd ``noise_V`` (per half-cycle, V).

    Noise ``e`` on the voltage moves charge along the voltage axis; the charge passed up to
    voltage ``V`` is ``Q(V - e)``, so the smoothed dQ/dV is off by ``y * (G' * e)`` to first
    order (``y`` the dQ/dV, ``G`` the smoothing kernel). With independent noise on records
    ``d`` volts apart, ``var = y^2 s_V^2 d / (4 sqrt(pi) s^3)`` for a Gaussian kernel of sd
    ``s``; here ``s^2 = smooth_V^2 + bin_V^2 / 6`` (the Gaussian, the bin and the one-bin
    spread of a short interval: two boxcars of one bin) and ``d = bin_V / n`` with ``n``
    the records per bin, counted and smoothed by the same kernel. Checked against simulated
    noise within 7 % for 0.05 to 7 mV between records and 0.1 to 2 mV of noise
    (``tests/analysis/cycling/test_dqdv_noise.py``); without smoothing it overstates the
    noise by about 25 %."""
    from scipy.ndimage import gaussian_filter1d

    n, nbins = grid.shape
    width = float(np.sqrt(smooth_V**2 + bin_V**2 / 6.0))
    counts = np.bincount(row * nbins + col, minlength=n * nbins).reshape(n, nbins)
    counts = gaussian_filter1d(counts.astype(np.float64), width / bin_V, axis=1, mode="constant")
    spacing_V = bin_V / np.maximum(counts, 1e-12)
    scale = np.sqrt(spacing_V / (4.0 * np.sqrt(np.pi) * width**3))
    return np.asarray(np.abs(grid) * noise_V[:, None] * scale, dtype=np.float64)
