"""Which numbers a result gives its cycles: the vendor's, when the file has a usable cycle
index, else the order in which the cycles ran.

Every stage of the analysis counts cycles in the order they ran (:mod:`~analysis.cycling.
segmentation`: 1 = the first cycle with a first half-cycle, 0 = a leading second-kind
half-cycle, -1 = a diagnostic block), and so do the parameters that name cycles
(``average_ce_first_cycle``, ``average_ce_last_cycle``, ``reference_cycle``,
``formation_cycles``): the average-CE window starts at the second cycle run whatever the file
calls it. What a result *reports* (``cycle`` of the per-cycle, half-cycle and rate tables, the
short circuits and the run metrics that name a cycle) follows the vendor's numbering when the
file has a usable one, so a cycle is found under the number the cycler's own software and
summary use.

The vendor's index (the table's ``cycle_count``) labels each of our cycles (the leading
half-cycle included) with the index that carries most of the cycle's charge (``|I| dt`` over
its current-carrying rows). It is usable when every cycle has a label and the labels strictly
increase from one cycle to the next: then ``cycle`` is the label and ``metrics.cycle_numbering``
is ``"vendor"``, with ``cycle_numbering_basis`` ``"consistent"`` (the index is constant over
each cycle's current-carrying rows: the vendor's cycles are ours) or ``"most_charge"`` (the
vendor's cycle boundaries differ from ours, e.g. a partial charge the vendor counts as a cycle
of its own or an EIS measurement that takes a number: numbers are then skipped). Otherwise
(no index, an index constant over the whole test as an Arbin export of a Li half cell keeps
it, two cycles under one number, or a number going back) cycles are numbered in the order
they ran (``"current_sign"``) and ``cycle_numbering_reason`` says why; ``vendor_cycle`` still
gives each cycle's label where there is one.

A zero-based index (EC-Lab, some Maccor and BEEP exports count from 0) is reported from 1:
every label plus one, so that the vendor's first cycle is cycle 1 whatever the instrument
(the cell summaries and comparisons across cells at the same cycle rely on it); its boundaries and
skipped numbers are still the vendor's, ``vendor_cycle`` keeps the file's own number and the
reason says so. A leading half-cycle keeps a vendor numbering only when the vendor numbers it
below the first cycle. Counts (``number_of_cycles``, ``cycle_life``,
``cycles_to_80_percent_retention``, ``formation_cycles``) count cycles and are not renumbered.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis.cycling.events import ShortCircuitEvent
from analysis.cycling.groups import range_rows, sorted_union, sorted_unique, unique_pairs
from analysis.cycling.segmentation import FloatArray, IntArray, Segmentation, all_finite

Scheme = Literal["vendor", "current_sign"]

_CYCLE_IN_TEXT = re.compile(r"\bcycle (\d+(?:\.\d+)?)\b")


@dataclass(frozen=True)
class CycleNumbering:
    """The reported number of each of our cycles.

    ``ordinal``: our cycle numbers (in the order run: 0 for a leading half-cycle, 1..N);
    ``vendor``: the vendor's label of each (-1: none; all -1 without a usable index column);
    ``scheme``/``basis``/``reason``: which numbering is reported and why (module docstring).
    With the vendor's numbering, ``numbers`` are the reported numbers; otherwise ``ordinal``.
    """

    scheme: Scheme
    basis: str | None
    reason: str
    ordinal: IntArray
    vendor: IntArray
    #: the reported number of each (``vendor``, one higher when the file counts from 0)
    numbers: IntArray

    def label(self, ordinal: int) -> int:
        """The reported number of our cycle ``ordinal`` (-1, a block, stays -1); numbers past
        the test's cycles (a window given beyond them) continue one by one from its last."""
        if self.scheme != "vendor" or ordinal < 0 or not self.ordinal.size:
            return int(ordinal)
        at = int(np.searchsorted(self.ordinal, ordinal))
        if at < self.ordinal.size and self.ordinal[at] == ordinal:
            return int(self.numbers[at])
        if at >= self.ordinal.size:
            return int(self.numbers[-1] + (ordinal - self.ordinal[-1]))
        return int(self.numbers[0] - (self.ordinal[0] - ordinal))

    def labels(self, ordinals: IntArray) -> IntArray:
        """:meth:`label` of each of ``ordinals``."""
        if self.scheme != "vendor":
            return np.asarray(ordinals, dtype=np.int64)
        k = np.asarray(ordinals, dtype=np.int64)
        if not self.ordinal.size:
            return k.copy()
        at = np.searchsorted(self.ordinal, k)
        inside = np.minimum(at, self.ordinal.size - 1)
        found = (at < self.ordinal.size) & (self.ordinal[inside] == k)
        after = self.numbers[-1] + (k - self.ordinal[-1])
        before = self.numbers[0] - (self.ordinal[0] - k)
        out = np.where(
            found, self.numbers[inside], np.where(at >= self.ordinal.size, after, before)
        )
        labelled: IntArray = np.where(k < 0, k, out).astype(np.int64)
        return labelled

    def text(self, text: str) -> str:
        """``text`` with every "cycle N" in our numbering put in the reported one (a fractional
        position, e.g. the mean cycle of a trend, is interpolated between its cycles)."""
        if self.scheme != "vendor":
            return text

        def swap(match: re.Match[str]) -> str:
            value = match.group(1)
            if "." not in value:
                return f"cycle {self.label(int(value))}"
            x = float(value)
            mapped = float(np.interp(x, self.ordinal, self.numbers))
            return f"cycle {mapped:.{len(value.split('.')[1])}f}"

        return _CYCLE_IN_TEXT.sub(swap, text)

    def event(self, e: ShortCircuitEvent) -> ShortCircuitEvent:
        """A rule's finding in the reported numbering: its cycle, ``detected_at_cycle`` and the
        cycles its evidence names; ``cycle_in_order`` keeps the cycle's place in the test."""
        if self.scheme != "vendor":
            return e
        values = dict(e.values)
        values["cycle_in_order"] = float(e.cycle)
        if "detected_at_cycle" in values:
            values["detected_at_cycle"] = float(self.label(int(values["detected_at_cycle"])))
        return dataclasses.replace(
            e, cycle=self.label(e.cycle), evidence=self.text(e.evidence), values=values
        )

    def report(
        self,
        cycles: pd.DataFrame,
        metrics: Mapping[str, Any],
        events: tuple[ShortCircuitEvent, ...],
        rate: pd.DataFrame,
    ) -> tuple[pd.DataFrame, dict[str, Any], tuple[ShortCircuitEvent, ...], pd.DataFrame]:
        """The outputs in the reported numbering: every stage counted cycles in the order they
        ran; what names a cycle gets the number the result reports (the per-cycle table's
        ``cycle``, with ``cycle_in_order`` keeping each cycle's place; the short circuits;
        the metrics naming a cycle or a window; the rate table's first and last cycle), counts
        stay counts."""
        order = cycles["cycle"].to_numpy(dtype=np.int64)
        cycles = cycles.copy()
        cycles["cycle"] = self.labels(order)
        cycles.insert(1, "cycle_in_order", order)
        out = dict(metrics)

        def label(value: Any) -> Any:
            return None if value is None else self.label(int(value))

        for key in ("short_circuit_cycle", "last_complete_cycle", "reference_cycle"):
            out[key] = label(out.get(key))
        for key in (
            "average_coulombic_efficiency_window",
            "cumulative_coulombic_efficiency_window",
        ):
            window = out.get(key)
            if isinstance(window, list):
                out[key] = [label(v) for v in window]
        out["excluded_cycles"] = [label(v) for v in out.get("excluded_cycles", [])]
        if self.scheme == "vendor" and len(rate):
            rate = rate.copy()
            for column in ("first_cycle", "last_cycle"):
                rate[column] = self.labels(rate[column].to_numpy(dtype=np.int64))
        return cycles, out, tuple(self.event(e) for e in events), rate

    def metrics(self) -> dict[str, str | None]:
        return {
            "cycle_numbering": self.scheme,
            "cycle_numbering_basis": self.basis,
            "cycle_numbering_reason": self.reason,
        }


def _vendor_labels(
    seg: Segmentation, vendor: FloatArray, ordinal: IntArray, finite: bool | None = None
) -> tuple[IntArray, bool, bool] | None:
    """Per cycle of ``ordinal``: the vendor index carrying most of its charge (-1: none);
    whether the index is constant over each cycle's current-carrying rows; whether it takes
    more than one value over the test. None when no cycle has a label. ``finite``: whether
    every value of the index is finite, when the caller knows."""
    if finite is None:
        finite = all_finite(vendor)
    rows = seg.active_rows if finite else np.flatnonzero(seg.active & np.isfinite(vendor))
    rows = rows[np.searchsorted(rows, seg.starts[0]) :]
    # where the half-cycles start among the rows (they are sorted)
    bounds = np.append(np.searchsorted(rows, seg.starts), rows.size)
    blocks = bool(np.any(seg.cycle < 0))
    if blocks:  # each row's cycle, the rows of blocks left out
        cycle = np.repeat(seg.cycle, np.diff(bounds))
        keep = cycle >= 0
        rows, cycle = rows[keep], cycle[keep]
    if not rows.size:
        return None
    # Runs of rows with the same (cycle, index) pair: the rows are in time order, so a file
    # has a few runs per cycle, and everything below works on runs, not on a million rows.
    # The index (as int64) of two successive rows can differ only where the column changes
    # between them, so it is compared there only: at the first row at or after each change.
    changed = np.flatnonzero(vendor[1:] != vendor[:-1]) + 1
    at = sorted_unique(np.searchsorted(rows, changed))
    at = at[(at > 0) & (at < rows.size)]
    at = at[vendor[rows[at]].astype(np.int64) != vendor[rows[at - 1]].astype(np.int64)]
    if blocks:
        change = np.zeros(rows.size, dtype=bool)
        change[0] = True
        change[at] = True
        change[1:] |= cycle[1:] != cycle[:-1]
        starts = np.flatnonzero(change)
        run_cycle = cycle[starts]
    else:  # the cycles do not decrease: a new one starts with the first row of its first half
        new = bounds[1:-1][np.diff(seg.cycle) != 0]
        starts = sorted_union(at, np.append(new[new < rows.size], 0))
        run_cycle = seg.cycle[np.searchsorted(bounds[:-1], starts, side="right") - 1]
    run_index = vendor[rows[starts]].astype(np.int64)
    size = int(ordinal.max()) + 1
    low = np.full(size, np.iinfo(np.int64).max)
    high = np.full(size, np.iinfo(np.int64).min)
    np.minimum.at(low, run_cycle, run_index)
    np.maximum.at(high, run_cycle, run_index)
    # Charge per (cycle, index) pair, then the heaviest pair of each cycle. Only a cycle with
    # more than one pair is weighed: its runs' charges are summed as over all the runs (each
    # run's own reduceat segment, the runs of a pair in order), the others weigh nothing.
    pairs, inverse = unique_pairs(run_cycle, run_index)
    shared = np.bincount(pairs[0], minlength=size) > 1
    run_charge = np.zeros(starts.size)
    weighed = np.flatnonzero(shared[run_cycle])
    if weighed.size:
        ends: IntArray = np.append(starts[1:], rows.size)
        lo, hi = starts[weighed], ends[weighed]
        picked = rows[range_rows(lo, hi)]
        heads: IntArray = np.cumsum(hi - lo) - (hi - lo)
        run_charge[weighed] = np.add.reduceat(np.abs(seg.charge_As[picked]), heads)
    weight = np.bincount(inverse, weights=run_charge)
    order = np.lexsort((-weight, pairs[0]))
    first = order[np.r_[True, np.diff(pairs[0][order]) != 0]]
    by_cycle = np.full(size, -1, dtype=np.int64)
    by_cycle[pairs[0][first]] = pairs[1][first]
    labels = by_cycle[ordinal]
    consistent = bool(np.all(labels >= 0) and np.all(low[ordinal] == high[ordinal]))
    return labels, consistent, bool(run_index.min() != run_index.max())


def number_cycles(
    seg: Segmentation, vendor: FloatArray | None, finite: bool | None = None
) -> CycleNumbering:
    """The numbering a result reports (module docstring); ``vendor``: the table's
    ``cycle_count`` per row, or None when it has none (``finite``: whether every value of it
    is finite, when the caller knows)."""
    cycles = seg.cycle[seg.cycle >= 0]
    ordinal = sorted_unique(cycles).astype(np.int64)
    none = np.full(ordinal.size, -1, dtype=np.int64)
    ours = "cycles are numbered in the order they ran (1 = the first cycle with both half-cycles)"
    if vendor is None:
        return CycleNumbering(
            "current_sign", None, f"the file has no cycle index: {ours}", ordinal, none, ordinal
        )
    found = _vendor_labels(seg, vendor, ordinal, finite) if ordinal.size else None
    if found is None:
        return CycleNumbering(
            "current_sign", None, f"the file's cycle index is empty: {ours}", ordinal, none, ordinal
        )
    labels, consistent, varies = found
    if not varies and ordinal.size > 1:
        return CycleNumbering(
            "current_sign",
            None,
            f"the file's cycle index has one value for the whole test, not a numbering: {ours}",
            ordinal,
            none,
            ordinal,
        )
    increasing = bool(np.all(labels >= 0) and np.all(np.diff(labels) > 0))
    if not increasing:
        missing = np.flatnonzero(labels < 0)
        if missing.size:
            why = f"no current-carrying row of cycle {int(ordinal[missing[0]])} has a cycle index"
        else:
            at = int(np.flatnonzero(np.diff(labels) <= 0)[0])
            why = (
                f"cycles {int(ordinal[at])} and {int(ordinal[at + 1])} fall in the vendor's "
                f"cycles {int(labels[at])} and {int(labels[at + 1])} (by most charge), which do "
                "not increase: the vendor's cycles are not ours"
            )
        return CycleNumbering(
            "current_sign",
            "consistent" if consistent else "most_charge",
            f"{why}; {ours}; `vendor_cycle` gives the vendor's cycle carrying most of each "
            "cycle's charge",
            ordinal,
            labels,
            ordinal,
        )
    zero_based = int(labels.min()) == 0
    if consistent:
        reason = (
            "the file's cycle index is constant over each cycle and increases from one cycle "
            "to the next: cycles carry the vendor's numbers"
        )
    else:
        changes = int(np.count_nonzero(labels >= 0))
        reason = (
            "the file's cycle index changes inside some cycles found from the current sign "
            "(a partial step or a diagnostic block the vendor counts as a cycle of its own); "
            f"each of the {changes} cycles carries the number of the vendor cycle holding most "
            "of its charge, and these increase from one cycle to the next"
        )
    if zero_based:
        reason += (
            "; the file counts from 0, so every number is reported one higher (the vendor's "
            "first cycle is cycle 1 whatever the instrument; `vendor_cycle` keeps the file's own)"
        )
    return CycleNumbering(
        "vendor",
        "consistent" if consistent else "most_charge",
        reason,
        ordinal,
        labels,
        labels + 1 if zero_based else labels,
    )
