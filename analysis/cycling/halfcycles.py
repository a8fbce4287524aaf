"""Per-half-cycle quantities: capacity, energy, voltages, current, duration.

Capacity of a half-cycle (Ah) is its net charge in its own direction. From the vendor's
counters when the table has them (``charging_capacity_ah``/``discharging_capacity_ah``,
cumulative within the step: the instrument integrates at a much higher rate than it logs),
else by the trapezoidal rule on the logged current. Counters are summed as increments: at a
step boundary or wherever a counter goes down (a reset) the increment is the counter's own
value, counted from zero. Energy likewise from ``charging_energy_wh``/``discharging_energy_wh``
or the trapezoidal rule on ``V * I``.

Everything works on whole arrays, and a million-row test is mostly memory traffic: sums over
the half-cycles' contiguous row ranges are ``np.add.reduceat``, a counter's increments are
summed from the counter's values at the range ends and at its restarts (not row by row), and
per-row temporaries are few and reused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.cycling import reuse
from analysis.cycling.groups import sorted_union
from analysis.cycling.parameters import CyclingParameters
from analysis.cycling.segmentation import (
    BoolArray,
    FloatArray,
    IntArray,
    Segmentation,
    all_finite,
)


@dataclass(frozen=True)
class HalfCycles:
    """Arrays with one value per half-cycle (SI units: s, Ah, Wh, V, A)."""

    start_time_s: FloatArray
    end_time_s: FloatArray
    active_time_s: FloatArray
    capacity_Ah: FloatArray
    integrated_capacity_Ah: FloatArray
    energy_Wh: FloatArray
    mean_voltage_V: FloatArray
    max_voltage_V: FloatArray
    min_voltage_V: FloatArray
    current_A: FloatArray
    capacity_source: str
    energy_source: str
    cc_rows: BoolArray
    #: half-cycles whose counters disagree with the integrated current beyond the tolerance
    #: (None: no counters compared) and the median relative difference
    counter_mismatches: int | None = None
    counter_median_difference: float | None = None


def counter_restarts(values: FloatArray, step_start: IntArray) -> IntArray:
    """Rows where a counter cumulative within the step restarts from zero (sorted).

    ``step_start``: the first rows of the steps (row 0 excluded). A row restarts the counter
    at a step start, or where the counter falls (it was reset). A counter that never falls at
    the step starts where it was non-zero is cumulative over the test (a reader that did not
    convert it): then step starts are not restarts.
    """
    boundary = step_start
    carried = boundary[values[boundary - 1] > 0]
    if carried.size >= 2 and np.all(values[carried] >= values[carried - 1]):
        boundary = boundary[:0]
    fall = np.flatnonzero(values[1:] < values[:-1]) + 1
    return sorted_union(boundary, fall)


def counter_sums(values: FloatArray, step_start: IntArray, seg: Segmentation) -> FloatArray:
    """The sum of a counter's per-row increments over each half-cycle (the counter's unit).

    A row's increment is the counter's change since the previous row, or at a restart
    (:func:`counter_restarts`) the counter's value itself: it counted from zero. Over rows
    ``s..e-1`` the increments telescope: ``values[e-1] - values[s-1]`` (0 before the
    first row), plus ``values[r-1]`` for every restart ``r`` in the range (its increment is
    ``values[r]``, not ``values[r] - values[r-1]``).
    """
    if not seg.starts.size:
        return np.zeros(0)
    before = np.where(seg.starts > 0, values[np.maximum(seg.starts - 1, 0)], 0.0)
    total = values[seg.stops - 1] - before
    restarts = counter_restarts(values, step_start)
    restarts = restarts[(restarts >= seg.starts[0]) & (restarts > 0)]
    if restarts.size:
        owner = np.searchsorted(seg.starts, restarts, side="right") - 1
        total += np.bincount(owner, weights=values[restarts - 1], minlength=seg.starts.size)
    return total


def _step_starts(step: FloatArray | None) -> IntArray:
    """First rows of the steps after the first (``step``: the table's ``step_count`` or
    ``step_index`` as a float per row, None without either)."""
    if step is None:
        return np.zeros(0, dtype=np.int64)
    starts: IntArray = np.flatnonzero(step[1:] != step[:-1]) + 1
    return starts


def _counter_pair(
    table: pd.DataFrame, charge: str, discharge: str
) -> tuple[FloatArray, FloatArray] | None:
    if charge not in table.columns or discharge not in table.columns:
        return None
    a = table[charge].to_numpy(dtype=np.float64, na_value=np.nan)
    b = table[discharge].to_numpy(dtype=np.float64, na_value=np.nan)
    if not (all_finite(a) and all_finite(b)):
        return None
    return a, b


def _per_half_cycle_sum(values: FloatArray, seg: Segmentation) -> FloatArray:
    if not seg.starts.size:
        return np.zeros(0)
    out: FloatArray = np.add.reduceat(values, seg.starts)
    return out


def _range_reduce(
    ufunc: np.ufunc, values: FloatArray, lo: IntArray, hi: IntArray, empty: float
) -> FloatArray:
    """``ufunc`` over ``values[lo[i]:hi[i]]`` for sorted, non-overlapping ranges (``empty``
    for an empty range), in one ``reduceat``."""
    if not lo.size:
        return np.zeros(0)
    idx = np.empty(2 * lo.size, dtype=np.int64)
    idx[0::2] = lo
    idx[1::2] = hi
    if idx[-1] >= values.size:
        idx = idx[:-1]  # the last range runs to the end: reduceat's last index does
    out: FloatArray = ufunc.reduceat(values, idx)[0::2]
    out[hi <= lo] = empty
    return out


def compute_half_cycles(
    table: pd.DataFrame,
    time_s: FloatArray,
    voltage_V: FloatArray,
    current_A: FloatArray,
    seg: Segmentation,
    params: CyclingParameters,
    warnings: list[str],
    step: FloatArray | None,
) -> HalfCycles:
    """All per-half-cycle quantities; appends to ``warnings`` what the user should know.
    ``step``: the table's step number per row (``step_count``, else ``step_index``; None
    without either)."""
    n = time_s.size
    starts, stops = seg.starts, seg.stops
    direction = seg.direction.astype(np.float64)
    lengths = stops - starts
    first = int(starts[0]) if starts.size else n
    charge_As = seg.charge_As
    active_w = seg.active_weight_s

    summed = seg.charge_sums_As
    integrated = (
        direction * (summed if summed is not None else _per_half_cycle_sum(charge_As, seg)) / 3600.0
    )
    step_start = seg.step_changes if seg.step_changes is not None else _step_starts(step)

    capacity = integrated
    capacity_source = "integrated_current"
    counters = _counter_pair(table, "charging_capacity_ah", "discharging_capacity_ah")
    if params.capacity_source == "counters" and counters is None:
        raise ValueError(
            "capacity_source='counters' but the table has no complete charging_capacity_ah "
            "and discharging_capacity_ah columns"
        )
    mismatches: int | None = None
    median_off: float | None = None
    use_counters = counters is not None and params.capacity_source != "integration"
    rejected = False
    if counters is not None and use_counters:
        net = counter_sums(counters[0], step_start, seg) - counter_sums(
            counters[1], step_start, seg
        )
        from_counters = direction * net
        scale = np.maximum(np.abs(integrated), 1e-15)
        off = np.abs(from_counters - integrated) / scale
        # What the logged samples cannot tell: where the current changed between two rows
        # (pulses, step edges) the trapezoid may be off by up to |dI| dt / 2; the instrument
        # integrates at a much higher rate than it logs, so there the counters are the better
        # number and a disagreement within that bound is not held against them.
        gap = np.abs(from_counters - integrated)
        big = (gap > params.counter_mismatch_tolerance * np.abs(integrated)) & (
            np.abs(integrated) > 0
        )
        if np.any(big):
            suspect = np.flatnonzero(big)
            big[suspect] = gap[suspect] > _sampling_bound_Ah(
                time_s, current_A, seg, suspect
            ) + params.counter_mismatch_tolerance * np.abs(integrated[suspect])
        mismatches = int(np.count_nonzero(big))
        median_off = float(np.median(off)) if off.size else None
        disagree = mismatches > max(1, lengths.size // 10)
        # Broken, not merely coarse: on regular half-cycles (at least half the 90th percentile
        # of their kind's integrated charge) the counters give less than half, more than twice
        # or the opposite sign of the integrated charge. Sampling cannot do that to a regular
        # half-cycle; a counter that stays 0 or counts the other way does.
        size = np.abs(integrated)
        regular = np.zeros(size.size, dtype=bool)
        for d in (-1, 1):
            mine = seg.direction == d
            if np.any(mine):
                regular[mine] = size[mine] >= 0.5 * float(np.percentile(size[mine], 90))
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = from_counters / integrated
        broken = int(np.count_nonzero(regular & ~((ratio >= 0.5) & (ratio <= 2.0))))
        if (
            broken > max(1, int(np.count_nonzero(regular)) // 10)
            and params.capacity_source == "auto"
        ):
            use_counters = False
            rejected = True
            warnings.append(
                f"the vendor's capacity counters are off by more than a factor of 2 (or count "
                f"the wrong way) in {broken} of {int(np.count_nonzero(regular))} regular "
                f"half-cycles (median difference {median_off:.1%}): capacities and energies use "
                "the integrated current (capacity_source='counters' forces the counters)"
            )
        else:
            capacity = from_counters
            capacity_source = "vendor_counters"
            if disagree:
                warnings.append(
                    f"the vendor's capacity counters differ from the integrated current by more "
                    f"than {params.counter_mismatch_tolerance:.0%} (plus what the sampling cannot "
                    f"resolve) in {mismatches} of {lengths.size} half-cycles (median difference "
                    f"{median_off:.1%}); capacities use the counters: the instrument integrates "
                    "at a much higher rate than it logs"
                )

    scratch = np.empty(n)  # one reused per-row temporary
    e_counters = _counter_pair(table, "charging_energy_wh", "discharging_energy_wh")
    if e_counters is not None and params.capacity_source != "integration" and not rejected:
        net_e = counter_sums(e_counters[0], step_start, seg) - counter_sums(
            e_counters[1], step_start, seg
        )
        energy = direction * net_e
        energy_source = "vendor_counters"
    else:
        np.multiply(voltage_V, charge_As, out=scratch)  # W s
        energy = direction * _per_half_cycle_sum(scratch, seg) / 3600.0
        energy_source = "integrated_power"

    abs_q = np.abs(charge_As, out=scratch)
    q_total = _per_half_cycle_sum(abs_q, seg)
    np.multiply(voltage_V, abs_q, out=scratch)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_voltage = _per_half_cycle_sum(scratch, seg) / q_total

    pieces = _active_pieces(seg)
    v_max, v_min = _extremes(voltage_V, pieces, starts.size)
    summed = seg.active_sums_s
    active_time = summed if summed is not None else _per_half_cycle_sum(active_w, seg)

    # The constant-current level of a half-cycle: the median |I| of its current-carrying rows;
    # its constant-current rows: those whose current is within the tolerance of that level,
    # with the half-cycle's sign (|I - L| <= tol |L| for the signed level L, tol < 1).
    rows = seg.active[first:]
    steady = _set_point_currents(current_A, seg, pieces)
    level = reuse.many(
        "current_level_A",
        starts.size,
        lambda which: (
            np.abs(steady[which]) if steady is not None else _levels(current_A, seg, which)
        ),
    )
    cc_rows = np.zeros(n, dtype=bool)
    if steady is not None and params.cc_current_tolerance >= 0:
        # every current-carrying row at its half-cycle's level, with its sign: |I - L| is 0
        cc_rows[first:] = rows
    elif starts.size:
        signed = direction * level
        off_level = np.subtract(current_A[first:], np.repeat(signed, lengths), out=scratch[first:])
        np.abs(off_level, out=off_level)
        limit = np.repeat(np.abs(signed) * params.cc_current_tolerance, lengths)
        np.less_equal(off_level, limit, out=cc_rows[first:])
        cc_rows[first:] &= rows
        if params.cc_current_tolerance >= 1:  # the sign is no longer implied
            cc_rows[first:] &= np.sign(current_A[first:]) == np.repeat(direction, lengths)

    end_rows = stops - 1
    return HalfCycles(
        start_time_s=time_s[starts],
        end_time_s=time_s[end_rows] if starts.size else np.zeros(0),
        active_time_s=active_time,
        capacity_Ah=capacity,
        integrated_capacity_Ah=integrated,
        energy_Wh=energy,
        mean_voltage_V=mean_voltage,
        max_voltage_V=v_max,
        min_voltage_V=v_min,
        current_A=level,
        capacity_source=capacity_source,
        energy_source=energy_source,
        cc_rows=cc_rows,
        counter_mismatches=mismatches,
        counter_median_difference=median_off,
    )


def _sampling_bound_Ah(
    time_s: FloatArray, current_A: FloatArray, seg: Segmentation, which: IntArray
) -> FloatArray:
    """For the half-cycles ``which``: the sum of ``|I[k+1] - I[k]| (t[k+1] - t[k]) / 2`` over
    their intervals (Ah), the most the trapezoidal rule can miss where the current changed
    between samples."""
    out = np.zeros(which.size)
    for j, i in enumerate(which.tolist()):
        lo, hi = max(int(seg.starts[i]) - 1, 0), int(seg.stops[i])
        out[j] = float(np.sum(np.abs(np.diff(current_A[lo:hi])) * np.diff(time_s[lo:hi])))
    out /= 2.0 * 3600.0
    return out


@dataclass(frozen=True)
class _Pieces:
    """The runs of current-carrying rows, none across a half-cycle's start: rows
    ``lo[k]..hi[k]-1``, in order; ``held``: the half-cycles holding any, ``first``: the first
    piece of each of those."""

    lo: IntArray
    hi: IntArray
    held: IntArray
    first: IntArray


def _active_pieces(seg: Segmentation) -> _Pieces:
    """The runs of current-carrying rows of the half-cycles (:class:`_Pieces`)."""
    active = seg.active
    if not seg.starts.size:
        empty = np.zeros(0, dtype=np.int64)
        return _Pieces(empty, empty, empty, empty)
    cuts = sorted_union(np.flatnonzero(active[1:] != active[:-1]) + 1, seg.starts)
    lo = cuts[active[cuts] & (cuts >= seg.starts[0])]
    hi = np.append(cuts, active.size)[np.searchsorted(cuts, lo, side="right")]
    owner = np.searchsorted(seg.starts, lo, side="right") - 1
    # the pieces are in order of their rows: each half-cycle's first where the owner changes
    first = np.flatnonzero(np.concatenate((owner[:1] >= 0, owner[1:] != owner[:-1])))
    held = owner[first]
    return _Pieces(lo, hi, held, first)


def _extremes(values: FloatArray, pieces: _Pieces, n_hc: int) -> tuple[FloatArray, FloatArray]:
    """The greatest and the least of ``values`` over each half-cycle's current-carrying rows
    (NaN where it has none): reduced over its pieces, read in place, then over the pieces."""
    high, low = np.full(n_hc, np.nan), np.full(n_hc, np.nan)
    if pieces.lo.size:
        piece_high = _range_reduce(np.maximum, values, pieces.lo, pieces.hi, np.nan)
        piece_low = _range_reduce(np.minimum, values, pieces.lo, pieces.hi, np.nan)
        high[pieces.held] = np.maximum.reduceat(piece_high, pieces.first)
        low[pieces.held] = np.minimum.reduceat(piece_low, pieces.first)
    return high, low


def _set_point_currents(
    current_A: FloatArray, seg: Segmentation, pieces: _Pieces
) -> FloatArray | None:
    """The current of each half-cycle (NaN where it has no current-carrying row) when every
    current-carrying row of each carries exactly its half-cycle's current (a current logged as
    its set point), else None. Then each level, the median ``|I|`` (:func:`_levels`), is that
    current's size (the middle value, or the mean of two equal ones: the same, below 1e300).
    Told from the first half-cycle holding such rows before the others are looked at."""
    if not pieces.lo.size:
        return None
    a, b = int(pieces.lo[0]), int(pieces.hi[pieces.first[1] - 1 if pieces.first.size > 1 else -1])
    head = current_A[a:b][seg.active[a:b]]
    if head.min() != head.max():
        return None
    high, low = _extremes(current_A, pieces, seg.starts.size)
    has = ~np.isnan(high)
    if not (np.all(high[has] == low[has]) and np.all(np.abs(high[has]) < 1e300)):
        return None
    return high


#: Above this many half-cycles the per-group median is left to pandas' groupby (one pass in C)
#: rather than a Python loop over the groups.
_LOOP_MEDIAN_MAX_GROUPS = 4000


def _levels(current_A: FloatArray, seg: Segmentation, which: IntArray) -> FloatArray:
    """The constant-current level of the half-cycles ``which`` (sorted): the median ``|I|`` of
    their current-carrying rows (NaN where there is none). Computed the same way for a few
    half-cycles (an incremental analysis, :mod:`analysis.cycling.reuse`) as for all of them, so
    the values are the same to the last bit."""
    n_hc = seg.starts.size
    by_pandas = n_hc > _LOOP_MEDIAN_MAX_GROUPS
    if which.size == n_hc:
        # the current-carrying rows of every half-cycle, one half-cycle after the other
        rows = seg.active_rows
        counts = np.searchsorted(rows, seg.stops) - np.searchsorted(rows, seg.starts)
        first = int(seg.starts[0]) if n_hc else current_A.size
        values = current_A[first:][seg.active[first:]]
        return _group_median(np.abs(values, out=values), counts, by_pandas)
    parts = [
        np.abs(current_A[a:b][seg.active[a:b]])
        for a, b in zip(seg.starts[which].tolist(), seg.stops[which].tolist(), strict=True)
    ]
    counts = np.array([p.size for p in parts], dtype=np.int64)
    values = np.concatenate(parts) if parts else np.zeros(0)
    return _group_median(values, counts, by_pandas)


def _group_median(
    values: FloatArray, counts: IntArray, by_pandas: bool | None = None
) -> FloatArray:
    """The median of each group of ``values`` (NaN for an empty group), as pandas'
    ``groupby(...).median()`` gives it: the middle value, or the mean of the two middle values.
    Groups are consecutive slices of ``values`` with the given ``counts`` (half-cycles are
    contiguous), each selected with ``np.partition`` rather than sorted (a group of one value
    repeated needs neither); by pandas' groupby when ``by_pandas`` (default: over
    ``_LOOP_MEDIAN_MAX_GROUPS`` groups)."""
    n_groups = counts.size
    if by_pandas is None:
        by_pandas = n_groups > _LOOP_MEDIAN_MAX_GROUPS
    if by_pandas:
        labels = np.repeat(np.arange(n_groups), counts)
        median = pd.Series(values).groupby(labels).median().reindex(range(n_groups))
        return median.to_numpy(dtype=np.float64, na_value=np.nan).astype(np.float64)
    ends = np.cumsum(counts)
    level = np.full(n_groups, np.nan)
    # A group of one value repeated (a current logged as its set point) has that value as its
    # median, or the mean of two of it, computed as below: found by its least and greatest
    # values being equal (a NaN among them makes them differ) and not zero (0.0 and -0.0 are
    # equal, and which of them the loop picks depends on their order): the others go through
    # the loop.
    filled = np.flatnonzero(counts)
    if filled.size:
        heads = ends[filled] - counts[filled]
        first = values[heads]
        one = (np.minimum.reduceat(values, heads) == np.maximum.reduceat(values, heads)) & (
            first != 0
        )
        middle = first[one]
        odd = counts[filled[one]] % 2 == 1
        level[filled[one]] = np.where(odd, middle, (middle + middle) / 2)
        filled = filled[~one]
    for g in filled.tolist():
        m = int(counts[g])
        group = values[int(ends[g]) - m : int(ends[g])]
        k = m // 2
        if m % 2:
            level[g] = np.partition(group, k)[k]
        else:
            part = np.partition(group, (k - 1, k))
            level[g] = (part[k] + part[k - 1]) / 2
    return level
