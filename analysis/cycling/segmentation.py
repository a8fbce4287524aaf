"""From rows to half-cycles and cycles, using the sign of the current.

A half-cycle is a maximal stretch of rows whose current has one sign, rests ignored: a rest
(``|I|`` at or below the rest threshold) belongs to the half-cycle before it, so a pause, a
relaxation step, an impedance measurement at zero DC current or the constant-voltage step that
follows a constant-current step (same sign) never starts a new half-cycle. A short run of the
opposite sign is kept out of the pairing and merged into the half-cycle around it:

* an *interruption* (a mis-signed sample, a glitch): shorter than ``max_interruption_s`` and
  carrying less than ``max_interruption_charge_fraction`` of the median half-cycle charge;
* a *pulse* (HPPC, DCIR): a programmed step (it has steps of its own: the step index changes
  where its current starts and after it ends; without a step column, at least two
  current-carrying rows) lasting less than ``max_interruption_s`` and at most
  ``max_pulse_fraction`` of each of the two runs of the other sign around it (durations from
  the first to the last current-carrying row of a run), and not ended by a voltage limit
  (``PULSE_LIMIT_TOLERANCE_V``). The last two conditions tell a pulse from a short
  half-cycle: an HPPC charge pulse of 10 s sits between discharge steps of minutes and ends by
  its time, while a dead cell that hits its cut-offs within seconds alternates half-cycles of
  the same length, and a full cell shorted at ~0 V ends each discharge at its cut-off at once.
  The step condition tells a pulse from a glitch.

A half-cycle that holds pulses is a *diagnostic block* (an HPPC or pulse sequence walking the
cell through its states of charge) together with the half-cycle it would pair with (a full
cell's charge before its pulsed discharge): both are kept out of the cycles (``cycle`` -1) so a
full charge is not paired with a pulse, nor a diagnostic sequence counted as a cycle. A walk
goes once through the states of charge, so a pulsed half-cycle carrying more than
``BLOCK_MAX_CHARGE_FACTOR`` times the usual charge of its kind is not a block (a cell shorted
for many cycles whose steps end at once merges them into one long half-cycle, which the
short-circuit rules must see). This assumes blocks are occasional: when half or more of the half-cycles of one direction hold
pulses, the pulses are the protocol (pulse or pulse-reverse cycling) and the cycles are kept,
each with its pulses' net charge.

A cycle is a first half-cycle and the half-cycle that follows it. The first half-cycle is Li
plating for a half cell (negative current, BDF sign convention: positive current charges the
test object, here the anode-less working electrode against Li) and charge for a full cell
(positive current, which plates Li on the anode side); the second is stripping / discharge. So
the coulombic efficiency is always second over first. A file that starts with a second-kind
half-cycle gets it as cycle 0, which no run metric uses. These numbers (``cycle``) count the
cycles in the order they ran; the numbers a result reports may be the vendor's
(:mod:`analysis.cycling.numbering`).

Everything here works on whole arrays (``np.add.reduceat`` over contiguous groups); the only
Python-level iteration is over the few parameters, never over rows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from analysis.cycling.groups import all_finite as all_finite  # the analysis imports it here
from analysis.cycling.parameters import CellType, CyclingParameters
from analysis.cycling.quantiles import high_percentile

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
    (positive current) or -1; ``cycle``: the cycle each half-cycle belongs to, in the order
    the cycles ran (-1 for a half-cycle of a diagnostic block).
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
    #: per half-cycle: the pulses merged into it (counted in ``interruptions_merged`` too)
    pulses: IntArray
    #: per half-cycle: part of a diagnostic block (``cycle`` -1, in no cycle)
    block: BoolArray
    #: intervals not integrated because another technique ran in them (the table's
    #: ``interrupted_before``: impedance loops of a mixed file), and their total length (s)
    interrupted_intervals: int = 0
    interrupted_s: float = 0.0
    #: the rows where the table's step column changes (sorted; None without a complete one)
    step_changes: IntArray | None = None
    #: per half-cycle: ``charge_As`` and ``active_weight_s`` summed over its rows, as
    #: ``np.add.reduceat`` over the half-cycles' starts sums them (None: not summed yet)
    charge_sums_As: FloatArray | None = None
    active_sums_s: FloatArray | None = None

    @cached_property
    def active_rows(self) -> IntArray:
        """The current-carrying rows (sorted): those of half-cycle ``i`` are the slice between
        ``searchsorted(active_rows, starts[i])`` and ``searchsorted(active_rows, stops[i])``."""
        rows: IntArray = np.flatnonzero(self.active)
        return rows

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
    # Time that only goes forward, in finite steps within the gap, is told by the least and
    # greatest step (a NaN makes both NaN): then nothing is counted or zeroed row by row.
    longest = float(dt.max()) if dt.size else 0.0
    shortest = float(dt.min()) if dt.size else 0.0
    regular = bool(not dt.size or (shortest >= 0 and longest <= max_gap_s and longest < np.inf))
    backwards = 0 if regular else int(np.count_nonzero(dt < 0))
    gaps = dt > max_gap_s if not regular else None
    n_gaps = int(np.count_nonzero(gaps)) if gaps is not None else 0
    skip = interrupted is not None and bool(np.any(interrupted[1:]))
    if regular and not skip and dt.size and shortest >= 2.0**-1020 and longest <= 1e307:
        # Steps well inside the normal range of doubles: halving is exact before and after
        # a sum, so (dt[i] + dt[i - 1]) / 2 is the sum of the halves below, in one pass less.
        weight = np.empty_like(time_s)
        np.add(dt[1:], dt[:-1], out=weight[1:-1])
        weight[1:-1] *= 0.5
        weight[0], weight[-1] = dt[0] * 0.5, dt[-1] * 0.5
        return weight, 0, 0
    if not regular or skip:
        dt = np.where((dt < 0) | (dt > max_gap_s) | ~np.isfinite(dt), 0.0, dt)
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


def rest_threshold(current_A: FloatArray, params: CyclingParameters, finite: bool = False) -> float:
    """The current (A) at or below which a row is a rest (``finite``: every current is known
    to be finite)."""
    if params.rest_current_threshold_A is not None:
        return float(params.rest_current_threshold_A)
    magnitude = np.abs(current_A)  # a copy of our own: the percentile may reorder it
    top = high_percentile(magnitude, 99.0, finite) if magnitude.size else 0.0
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


def _step_changes(step: FloatArray | None, n: int) -> IntArray | None:
    """The rows where the step column changes (sorted; None without a complete one): steps are
    told apart by position, as a step number may come back (a loop). The step of row ``r`` is
    then ``searchsorted(changes, r, side="right")``, the number of changes up to it."""
    if step is None or step.size != n or not n or not all_finite(step):
        return None
    changes: IntArray = np.flatnonzero(step[1:] != step[:-1]) + 1
    return changes


#: a run whose voltage comes this close to the limit its direction's half-cycles reach (or
#: passes it) ended at a cut-off: it is a half-cycle, not a pulse (V)
PULSE_LIMIT_TOLERANCE_V = 0.01


def _pulses(
    starts: IntArray,
    run_dir: npt.NDArray[np.int8],
    time_s: FloatArray,
    voltage_V: FloatArray | None,
    active: BoolArray,
    active_rows: IntArray,
    step_changes: IntArray | None,
    params: CyclingParameters,
) -> BoolArray:
    """The runs that are pulses (module docstring): programmed, short, short next to each of
    the two runs of the other sign around them, and not ended by a voltage limit. A run's duration here is the time from its first to its last
    current-carrying row: sparse logging (a pulse of 5 s logged twice between rows a minute
    apart) does not stretch it, as trapezoidal weights would."""
    n_runs = starts.size
    pulse = np.zeros(n_runs, dtype=bool)
    real = run_dir != 0
    if n_runs < 3 or np.count_nonzero(real) < 3:
        return pulse
    rows = active_rows
    ends = np.append(starts[1:], active.size)
    # First and last current-carrying row of each run (a real run starts with one).
    first_active = starts
    last_active = rows[np.maximum(np.searchsorted(rows, ends) - 1, 0)]
    span = np.where(real, time_s[last_active] - time_s[first_active], 0.0)
    inner = np.zeros(n_runs, dtype=bool)
    inner[1:-1] = real[:-2] & real[2:]
    around = np.minimum(np.concatenate(([0.0], span[:-1])), np.concatenate((span[1:], [0.0])))
    candidate = (
        real
        & inner
        & (span < params.max_interruption_s)
        & (span <= params.max_pulse_fraction * around)
    )
    if not np.any(candidate):
        return pulse
    if voltage_V is not None:
        candidate &= ~_reaches_limit(starts, run_dir, voltage_V, active, candidate)
    if step_changes is not None:

        def step(rows: IntArray) -> IntArray:
            found: IntArray = np.searchsorted(step_changes, rows, side="right")
            return found

        programmed = np.zeros(n_runs, dtype=bool)
        programmed[1:-1] = (step(first_active[1:-1]) != step(last_active[:-2])) & (
            step(last_active[1:-1]) != step(first_active[2:])
        )
    else:  # a held current: two current-carrying rows or more
        programmed = np.add.reduceat(active, starts, dtype=np.int64) >= 2
    pulse[:] = candidate & programmed
    return pulse


def _reaches_limit(
    starts: IntArray,
    run_dir: npt.NDArray[np.int8],
    voltage_V: FloatArray,
    active: BoolArray,
    candidate: BoolArray,
) -> BoolArray:
    """Candidate runs whose voltage reaches the limit that the other runs of their direction
    reach (the lowest minimum of the negative runs, the highest maximum of the positive ones,
    within ``PULSE_LIMIT_TOLERANCE_V``): a step ended by its cut-off at once, e.g. the
    discharges of a full cell shorted at ~0 V, is a half-cycle, not a pulse."""
    reached = np.zeros(starts.size, dtype=bool)
    low = np.minimum.reduceat(np.where(active, voltage_V, np.inf), starts)
    high = np.maximum.reduceat(np.where(active, voltage_V, -np.inf), starts)
    negative, positive = run_dir < 0, run_dir > 0
    if np.any(negative & ~candidate):
        limit = float(np.min(low[negative & ~candidate]))
        reached |= negative & (low <= limit + PULSE_LIMIT_TOLERANCE_V)
    if np.any(positive & ~candidate):
        limit = float(np.max(high[positive & ~candidate]))
        reached |= positive & (high >= limit - PULSE_LIMIT_TOLERANCE_V)
    return reached


#: a diagnostic block walks the cell once through its states of charge: its pulsed half-cycle
#: carries at most this many times the usual charge of its kind (a half-cycle that merged the
#: cut-off-length steps of a cell shorted for many cycles carries far more, and is not a block)
BLOCK_MAX_CHARGE_FACTOR = 1.5


def _blocks(
    pulses: IntArray, direction: IntArray, capacity_Ah: FloatArray, first_direction: int
) -> tuple[BoolArray, BoolArray]:
    """Half-cycles of diagnostic blocks, and those whose pulses are their protocol (module
    docstring): a half-cycle holding pulses and carrying no more than
    ``BLOCK_MAX_CHARGE_FACTOR`` times the usual charge of its kind (the 90th percentile of the
    half-cycles of its direction without pulses), with the half-cycle it would pair with;
    unless half or more of the half-cycles of its direction hold pulses. ``capacity_Ah``: the
    charge of each half-cycle (any sign)."""
    n = direction.size
    core = np.zeros(n, dtype=bool)
    protocol = np.zeros(n, dtype=bool)
    pulsed = pulses > 0
    size = np.abs(capacity_Ah)
    for d in (-1, 1):
        mine = direction == d
        if not np.any(pulsed & mine):
            continue
        if 2 * np.count_nonzero(pulsed & mine) >= np.count_nonzero(mine):
            protocol |= pulsed & mine
            continue
        usual = float(np.percentile(size[mine & ~pulsed], 90))
        core |= pulsed & mine & (size <= BLOCK_MAX_CHARGE_FACTOR * usual)
    block = core.copy()
    held = np.flatnonzero(core)
    partner = np.where(direction[held] == first_direction, held + 1, held - 1)
    block[partner[(partner >= 0) & (partner < n)]] = True
    return block, protocol


def segment(
    time_s: FloatArray,
    current_A: FloatArray,
    cell_type: CellType,
    params: CyclingParameters,
    interrupted: BoolArray | None = None,
    step: FloatArray | None = None,
    voltage_V: FloatArray | None = None,
    finite_current: bool = False,
) -> Segmentation:
    """Split a test into half-cycles and cycles (see the module docstring for the rules).

    ``interrupted``: True on the rows before which another technique ran (the table's
    ``interrupted_before``); the intervals ending there are not integrated (:func:`row_weights`).
    ``step``: the table's step number per row (``step_count`` or ``step_index``), which tells a
    programmed pulse from a glitch; ``voltage_V`` tells it from a step ended by its cut-off.
    ``finite_current``: the caller has checked every current finite (the analysis does)."""
    n = current_A.size
    weight, gaps, backwards = row_weights(time_s, params.max_integration_gap_s, interrupted)
    cut = np.zeros(0, dtype=np.int64)
    if interrupted is not None and n > 1:
        cut = np.flatnonzero(interrupted[1:])
    threshold = rest_threshold(current_A, params, finite_current)
    positive = current_A > threshold
    negative = current_A < -threshold
    active = positive | negative  # |I| > threshold
    # The sign of each row (0 on rests) as int8: booleans are bytes of 0 and 1.
    sign = positive.view(np.int8) - negative.view(np.int8)
    charge_As = current_A * weight
    # weights are finite and never negative (nor -0.0): w * 1 is w and w * 0 is 0.0
    active_weight = np.where(active, weight, 0.0)

    # Runs of one sign, rests joined to the run before them; all later steps work on runs.
    starts = _run_starts(sign) if n else np.zeros(0, dtype=np.int64)
    starts, run_dir = _merge_equal_runs(starts, _forward_fill_runs(sign[starts]))

    # Interruptions and pulses: short runs of the other sign take the direction around them.
    merged = 0
    pulse_rows = np.zeros(0, dtype=np.int64)
    active_rows = np.flatnonzero(active)
    step_changes = _step_changes(step, n)
    sums: tuple[FloatArray, FloatArray] | None = None
    if starts.size:
        sums = (np.add.reduceat(charge_As, starts), np.add.reduceat(active_weight, starts))
        charge, busy = np.abs(sums[0]), sums[1]
        real = run_dir != 0
        if np.count_nonzero(real) > 2:
            typical = float(np.median(charge[real]))
            pulse = _pulses(
                starts,
                run_dir,
                time_s,
                voltage_V,
                active,
                active_rows,
                step_changes,
                params,
            )
            minor = (
                real
                & (busy < params.max_interruption_s)
                & (charge < params.max_interruption_charge_fraction * typical)
            ) | pulse
            merged = int(np.count_nonzero(minor))
            if merged and merged < np.count_nonzero(real):
                pulse_rows = starts[pulse]
                keep = np.where(real & ~minor, np.arange(starts.size), -1)
                np.maximum.accumulate(keep, out=keep)
                following = np.where(real & ~minor, np.arange(starts.size), starts.size)
                following = np.minimum.accumulate(following[::-1])[::-1]
                source = np.where(keep >= 0, keep, following)
                new_dir = np.where(real, run_dir[np.minimum(source, starts.size - 1)], 0)
                starts, run_dir = _merge_equal_runs(starts, new_dir.astype(np.int8))
                sums = None  # summed over runs that are merged now
            else:
                merged = 0

    lead = 1 if starts.size and run_dir[0] == 0 else 0
    hc_starts = starts[lead:].astype(np.int64)
    hc_stops = np.append(starts[1:], n).astype(np.int64)[lead:]
    hc_dir = run_dir[lead:].astype(np.int64)
    pulses = np.zeros(hc_starts.size, dtype=np.int64)
    if pulse_rows.size and hc_starts.size:
        owner = np.searchsorted(hc_starts, pulse_rows, side="right") - 1
        pulses = np.bincount(owner[owner >= 0], minlength=hc_starts.size).astype(np.int64)
    first_direction = -1 if cell_type == "half" else 1
    is_first = hc_dir == first_direction
    seg = Segmentation(
        rest_threshold_A=threshold,
        weight_s=weight,
        charge_As=charge_As,
        active_weight_s=active_weight,
        active=active,
        starts=hc_starts,
        stops=hc_stops,
        direction=hc_dir,
        cycle=np.cumsum(is_first).astype(np.int64),
        is_first=is_first,
        interruptions_merged=merged,
        gaps_skipped=gaps,
        backward_steps=backwards,
        pulses=pulses,
        block=np.zeros(hc_starts.size, dtype=bool),
        interrupted_intervals=int(cut.size),
        interrupted_s=float(np.sum(np.clip(time_s[cut + 1] - time_s[cut], 0.0, None))),
        step_changes=step_changes,
        # the runs' sums are the half-cycles' when no run was merged (the same segments)
        charge_sums_As=sums[0][lead:] if sums is not None else None,
        active_sums_s=sums[1][lead:] if sums is not None else None,
    )
    seg.__dict__["active_rows"] = active_rows  # the cached property, computed already
    return seg


def with_blocks(seg: Segmentation, capacity_Ah: FloatArray, cell_type: CellType) -> Segmentation:
    """``seg`` with its diagnostic blocks kept out of the cycles (module docstring; ``block``,
    ``is_first`` and ``cycle`` -1 in them, the cycles after renumbered), judged on the
    half-cycles' capacities (the vendor's counters where used: the trapezoidal rule over a
    sparsely logged HPPC sequence may be far off)."""
    first_direction = -1 if cell_type == "half" else 1
    block, _ = _blocks(seg.pulses, seg.direction, capacity_Ah, first_direction)
    if not np.any(block):
        return seg
    is_first = (seg.direction == first_direction) & ~block
    cycle = np.cumsum(is_first).astype(np.int64)
    cycle[block] = -1
    return dataclasses.replace(seg, block=block, is_first=is_first, cycle=cycle)


def pulse_protocol(seg: Segmentation, capacity_Ah: FloatArray, cell_type: CellType) -> BoolArray:
    """Half-cycles whose pulses are their protocol (not a diagnostic block: :func:`_blocks`)."""
    first_direction = -1 if cell_type == "half" else 1
    _, protocol = _blocks(seg.pulses, seg.direction, capacity_Ah, first_direction)
    return protocol
