"""From rows to half-cycles and cycles, using the sign of the current.

A half-cycle is a maximal stretch of rows whose current has one sign, rests ignored: a rest
(``|I|`` at or below the rest threshold) belongs to the half-cycle before it, so a pause, a
relaxation step or the constant-voltage step that follows a constant-current step (same sign)
never starts a new half-cycle. A short run of the opposite sign (a pulse, a mis-signed sample)
is an interruption, merged into the half-cycle around it (see :class:`CyclingParameters`).

A cycle is a first half-cycle and the half-cycle that follows it. The first half-cycle is Li
plating for a half cell (negative current, BDF sign convention: positive current charges the
test object, here the anode-less working electrode against Li) and charge for a full cell
(positive current, which plates Li on the anode side); the second is stripping / discharge. So
the coulombic efficiency is always second over first. A file that starts with a second-kind
half-cycle gets it as cycle 0, which no run metric uses.

Everything here works on whole arrays (``np.add.reduceat`` over contiguous groups); the only
Python-level iteration is over the few parameters, never over rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from analysis.cycling.parameters import CellType, CyclingParameters

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Segmentation:
    """Row-level and half-cycle-level structure of a test.

    ``weight_s``: each row's share of the trapezoidal rule, half the intervals on either side
    (s); ``current_A * weight_s`` summed over a half-cycle is the trapezoidal charge, assigned
    to the half-cycle each row belongs to. ``charge_As`` is that product per row (A s) and
    ``active_weight_s`` the weight of current-carrying rows (0 on rests), kept because every
    later stage uses them. :meth:`labels_of` gives the half-cycle of given rows (-1 for rest
    rows before the first current). ``starts``: first row of each half-cycle (half-cycles are contiguous:
    ``stops[i] == starts[i + 1]``, the last one ends with the table); ``direction``: +1
    (positive current) or -1; ``cycle``: the cycle each half-cycle belongs to.
    """

    rest_threshold_A: float
    weight_s: FloatArray
    charge_As: FloatArray
    active_weight_s: FloatArray
    active: BoolArray
    starts: IntArray
    stops: IntArray
    direction: IntArray
    cycle: IntArray
    is_first: BoolArray
    interruptions_merged: int
    gaps_skipped: int
    backward_steps: int
    #: intervals not integrated because another technique ran in them (the table's
    #: ``interrupted_before``: impedance loops of a mixed file), and their total length (s)
    interrupted_intervals: int = 0
    interrupted_s: float = 0.0

    def labels_of(self, rows: IntArray) -> IntArray:
        """The half-cycle of each of ``rows`` (-1 before the first half-cycle)."""
        found: IntArray = np.searchsorted(self.starts, rows, side="right") - 1
        return found


def row_weights(
    time_s: FloatArray, max_gap_s: float, interrupted: BoolArray | None = None
) -> tuple[FloatArray, int, int]:
    """Trapezoidal weight of every row (s), the number of skipped gaps and of backward steps.

    Intervals that go back in time count as zero; intervals longer than ``max_gap_s`` (the
    instrument was paused) are not integrated, nor the intervals ending at a row where
    ``interrupted`` is True (another technique ran between the two rows: the current of the
    rows on either side did not flow then).
    """
    dt = np.diff(time_s)
    backwards = int(np.count_nonzero(dt < 0))
    gaps = dt > max_gap_s
    n_gaps = int(np.count_nonzero(gaps))
    skip = interrupted is not None and bool(np.any(interrupted[1:]))
    if backwards or n_gaps or skip or not np.all(np.isfinite(dt)):
        dt = np.where((dt < 0) | gaps | ~np.isfinite(dt), 0.0, dt)
        if skip:
            assert interrupted is not None
            dt[interrupted[1:]] = 0.0
    half = np.multiply(dt, 0.5, out=dt)
    weight = np.empty_like(time_s)
    if weight.size:
        # (0 + half[i]) + half[i - 1], as zeros and two in-place additions give (adding
        # 0.0 keeps the sign of a zero the same, too).
        np.add(half, 0.0, out=weight[:-1])
        weight[-1] = 0.0
        weight[1:] += half
    return weight, n_gaps, backwards


def rest_threshold(current_A: FloatArray, params: CyclingParameters) -> float:
    """The current (A) at or below which a row is a rest."""
    if params.rest_current_threshold_A is not None:
        return float(params.rest_current_threshold_A)
    magnitude = np.abs(current_A)  # a copy of our own: the percentile may reorder it
    top = float(np.percentile(magnitude, 99.0, overwrite_input=True)) if magnitude.size else 0.0
    return max(params.rest_current_fraction * top, 1e-9)


def _run_starts(values: npt.NDArray[np.int8]) -> IntArray:
    change = np.flatnonzero(values[1:] != values[:-1]) + 1
    return np.concatenate(([0], change)).astype(np.int64)


def _forward_fill_runs(run_sign: npt.NDArray[np.int8]) -> npt.NDArray[np.int8]:
    """Runs of rest (sign 0) take the sign of the run before them (0 before the first current).

    On runs rather than rows: a test has thousands of runs and a million rows."""
    idx = np.where(run_sign != 0, np.arange(run_sign.size), 0)
    np.maximum.accumulate(idx, out=idx)
    filled: npt.NDArray[np.int8] = run_sign[idx]
    if run_sign.size and run_sign[0] == 0:
        first = int(np.argmax(run_sign != 0)) if np.any(run_sign != 0) else run_sign.size
        filled[:first] = 0
    return filled


def _merge_equal_runs(
    starts: IntArray, values: npt.NDArray[np.int8]
) -> tuple[IntArray, npt.NDArray[np.int8]]:
    """Consecutive runs with the same value joined into one."""
    if not starts.size:
        return starts, values
    keep = np.empty(starts.size, dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return starts[keep], values[keep]


def segment(
    time_s: FloatArray,
    current_A: FloatArray,
    cell_type: CellType,
    params: CyclingParameters,
    interrupted: BoolArray | None = None,
) -> Segmentation:
    """Split a test into half-cycles and cycles (see the module docstring for the rules).

    ``interrupted``: True on the rows before which another technique ran (the table's
    ``interrupted_before``); the intervals ending there are not integrated (:func:`row_weights`)."""
    n = current_A.size
    weight, gaps, backwards = row_weights(time_s, params.max_integration_gap_s, interrupted)
    cut = np.zeros(0, dtype=np.int64)
    if interrupted is not None and n > 1:
        cut = np.flatnonzero(interrupted[1:])
    threshold = rest_threshold(current_A, params)
    positive = current_A > threshold
    negative = current_A < -threshold
    active = positive | negative  # |I| > threshold
    # The sign of each row (0 on rests) as int8: booleans are bytes of 0 and 1.
    sign = positive.view(np.int8) - negative.view(np.int8)
    charge_As = current_A * weight
    active_weight = weight * active

    # Runs of one sign, rests joined to the run before them; all later steps work on runs.
    starts = _run_starts(sign) if n else np.zeros(0, dtype=np.int64)
    starts, run_dir = _merge_equal_runs(starts, _forward_fill_runs(sign[starts]))

    # Interruptions: short, small runs of the other sign take the direction around them.
    merged = 0
    if starts.size:
        charge = np.abs(np.add.reduceat(charge_As, starts))
        busy = np.add.reduceat(active_weight, starts)
        real = run_dir != 0
        if np.count_nonzero(real) > 2:
            typical = float(np.median(charge[real]))
            minor = (
                real
                & (busy < params.max_interruption_s)
                & (charge < params.max_interruption_charge_fraction * typical)
            )
            merged = int(np.count_nonzero(minor))
            if merged and merged < np.count_nonzero(real):
                keep = np.where(real & ~minor, np.arange(starts.size), -1)
                np.maximum.accumulate(keep, out=keep)
                following = np.where(real & ~minor, np.arange(starts.size), starts.size)
                following = np.minimum.accumulate(following[::-1])[::-1]
                source = np.where(keep >= 0, keep, following)
                new_dir = np.where(real, run_dir[np.minimum(source, starts.size - 1)], 0)
                starts, run_dir = _merge_equal_runs(starts, new_dir.astype(np.int8))
            else:
                merged = 0

    lead = 1 if starts.size and run_dir[0] == 0 else 0
    hc_starts = starts[lead:].astype(np.int64)
    hc_stops = np.append(starts[1:], n).astype(np.int64)[lead:]
    hc_dir = run_dir[lead:].astype(np.int64)
    first_direction = -1 if cell_type == "half" else 1
    is_first = hc_dir == first_direction
    cycle = np.cumsum(is_first).astype(np.int64)
    return Segmentation(
        rest_threshold_A=threshold,
        weight_s=weight,
        charge_As=charge_As,
        active_weight_s=active_weight,
        active=active,
        starts=hc_starts,
        stops=hc_stops,
        direction=hc_dir,
        cycle=cycle,
        is_first=is_first,
        interruptions_merged=merged,
        gaps_skipped=gaps,
        backward_steps=backwards,
        interrupted_intervals=int(cut.size),
        interrupted_s=float(np.sum(np.clip(time_s[cut + 1] - time_s[cut], 0.0, None))),
    )


def vendor_cycle_index(seg: Segmentation, vendor: FloatArray) -> tuple[IntArray | None, str | None]:
    """The vendor's cycle number of each of our cycles, or ``None`` and why it is not usable.

    The vendor index is consistent when it is constant over the current-carrying rows of each of
    our cycles and strictly increases from one cycle to the next; then it is kept. An Arbin
    export of a Li half cell that keeps ``Cycle_Index`` 1 for the whole test is not.
    """
    if not seg.starts.size:
        return None, None
    use = seg.active & np.isfinite(vendor)
    use[: seg.starts[0]] = False  # rows before the first half-cycle
    if not np.any(use):
        return None, "the vendor cycle index is empty"
    unused = ~use
    values = vendor.copy()  # one temporary for both extremes
    values[unused] = np.inf
    hc_min = np.minimum.reduceat(values, seg.starts)
    values[unused] = -np.inf
    hc_max = np.maximum.reduceat(values, seg.starts)
    counted = seg.cycle >= 1
    cycles = seg.cycle[counted]
    if not cycles.size:
        return None, None
    n_cycles = int(cycles.max())
    cyc_min = np.full(n_cycles + 1, np.inf)
    cyc_max = np.full(n_cycles + 1, -np.inf)
    np.minimum.at(cyc_min, cycles, hc_min[counted])
    np.maximum.at(cyc_max, cycles, hc_max[counted])
    cyc_min, cyc_max = cyc_min[1:], cyc_max[1:]
    if not np.all(np.isfinite(cyc_min)) or np.any(cyc_min != cyc_max):
        return None, (
            "the vendor cycle index changes inside half-cycles found from the current sign; "
            "cycles are numbered from the current sign"
        )
    if n_cycles > 1 and np.any(np.diff(cyc_min) <= 0):
        return None, (
            "the vendor cycle index does not advance with the half-cycles found from the "
            "current sign (e.g. constant for the whole test); cycles are numbered from the "
            "current sign"
        )
    return cyc_min.astype(np.int64), None


def vendor_cycle_by_charge(seg: Segmentation, vendor: FloatArray) -> IntArray | None:
    """For each of our cycles 1..N: the vendor's cycle index that carries most of its charge
    (the sum of ``|charge_As|`` over its current-carrying rows with that index); -1 where none
    of its rows has one. Used when the vendor index is not consistent with ours
    (:func:`vendor_cycle_index`), e.g. an HPPC block the vendor counts as one cycle and the
    current sign splits into many: each of our cycles is then labelled with the vendor cycle it
    mostly lies in, so a cycle can be found by the number the vendor's own summary uses.
    ``None`` when the index never changes (an Arbin Li half cell keeping ``Cycle_Index`` 1)."""
    if not seg.starts.size:
        return None
    rows = np.flatnonzero(seg.active & np.isfinite(vendor))
    rows = rows[rows >= seg.starts[0]]
    if not rows.size:
        return None
    cycle = seg.cycle[seg.labels_of(rows)]
    keep = cycle >= 1
    rows, cycle = rows[keep], cycle[keep]
    if not rows.size:
        return None
    n_cycles = int(seg.cycle.max())
    index = vendor[rows].astype(np.int64)
    if np.unique(index).size < 2:
        return None  # one value for the whole test (Arbin Li half cell): not a numbering
    # Charge per (our cycle, vendor index) pair, then the heaviest pair of each cycle.
    pairs, inverse = np.unique(np.stack([cycle, index]), axis=1, return_inverse=True)
    weight = np.bincount(inverse.ravel(), weights=np.abs(seg.charge_As[rows]))
    order = np.lexsort((-weight, pairs[0]))
    first = order[np.r_[True, np.diff(pairs[0][order]) != 0]]
    out = np.full(n_cycles, -1, dtype=np.int64)
    out[pairs[0][first] - 1] = pairs[1][first]
    return out
