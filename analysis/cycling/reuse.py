"""Incremental analysis of a growing file: what one version's analysis can take from the
analysis of an earlier version of the same file (docs/live.md, "Incremental analysis").

Exactness comes first: the result of an incremental analysis is the full analysis's, value
for value (tests/analysis/cycling/test_incremental.py checks it over many split points). So
only values that are functions of *one half-cycle's rows* and of context that is compared are
reused; everything that looks across half-cycles or cycles (the rest threshold, interruption
merging, cut-offs, the partial first cycle, every short-circuit rule with its baseline, ICE,
retention against a reference cycle, cumulative CE, run metrics) is recomputed over the whole
test, because a new cycle can move a median or a baseline that an old cycle's value depends
on (the rules' search for the earlier cycles at a cycle's current looks only backwards, and
continues from this process's last searches: :mod:`analysis.cycling.lookback`). What is reused is where the per-row work of the per-half-cycle loops goes:

``noise_V``
    the voltage noise of each half-cycle (:func:`analysis.cycling.plateaus._noises`);
``stripping_end_row``
    where each stripping's Li plateau ends (:func:`analysis.cycling.plateaus.plateaus`);
``time_after_V=<level>``
    the current-carrying time after a half-cycle last reached a voltage level
    (:func:`analysis.cycling.shorts._time_after_cutoff`; the level is in the name);
``current_level_A``
    the constant-current level of each half-cycle, the median ``|I|`` of its current-carrying
    rows (:func:`analysis.cycling.halfcycles._levels`);
the plateau overpotentials and their running sums
    (:func:`analysis.cycling.plateaus.plateaus`, :func:`settled`): these are differences of
    running sums over the whole test, so they depend on the rows *before* a half-cycle too
    (rounding). The memo keeps each half-cycle's values and the running sums at its end; the
    leading half-cycles that all match take theirs, and the sums are continued from the value
    at the end of the last of them over the rows after it: the same additions in the same order
    as over the whole test, so the same numbers. The first half-cycle that does not match ends
    the reuse of these values (a half-cycle after it is recomputed even when it matches).

A value of half-cycle ``i`` of the new table is taken from the earlier analysis when the
earlier analysis had a half-cycle with the same first row, end row and direction, ending at
least two rows before the earlier table's end (its last row may have been cut short by the
instrument still writing it, and a row's integration weight reaches one row further), and
the context matches: the same cell type, resolved parameters, rest-current threshold and
current sign. Rows before that point are the same in both tables (a version's table is the
earlier table plus its new lines: :mod:`analysis.readers.growing`). A half-cycle that is
split or merged differently in the new analysis has different boundaries and is recomputed.

:class:`Recorder` is active during one analysis (:func:`recording`); the stages ask it with
:func:`each` (or :func:`some` and :func:`many`, which compute many half-cycles in one call),
which computes what cannot be reused and records everything, so the result carries its own
:class:`Memo` for the next version (the ``half_cycle_memo`` series of the cycling pipeline).
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.cycling.segmentation import FloatArray, IntArray, Segmentation

KEYS = ("first_row", "stop_row", "direction")


@dataclass(frozen=True)
class Memo:
    """Per-half-cycle values of one analysis, with what decides whether they can be reused."""

    rows: int
    context: str
    starts: IntArray
    stops: IntArray
    direction: IntArray
    values: dict[str, FloatArray]

    def to_frame(self) -> pd.DataFrame:
        """One row per half-cycle, numbers only (the series digest hashes the values); the
        context is repeated on every row (no half-cycle, no memo) and the table size is on the
        last row (-1 on the others): the next version's memo then has the same first rows, which
        are stored as this one's parts (:mod:`labdb.table_parts`) instead of written again (a
        memo written before kept the size on every row, and reads the same)."""
        frame = pd.DataFrame(
            {
                "first_row": self.starts,
                "stop_row": self.stops,
                "direction": self.direction,
                **{f"value:{k}": v for k, v in sorted(self.values.items())},
            }
        )
        size = np.full(len(frame), -1, dtype=np.int64)
        size[-1:] = self.rows
        frame["table_rows"] = size
        frame["context"] = np.int64(int(self.context[:15], 16))  # numbers only: digests
        return frame

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Memo | None:
        if frame.empty or not set(KEYS) <= set(frame.columns):
            return None
        return cls(
            rows=int(frame["table_rows"].iloc[-1]),
            context=f"{int(frame['context'].iloc[0]):015x}",
            starts=frame["first_row"].to_numpy(dtype=np.int64),
            stops=frame["stop_row"].to_numpy(dtype=np.int64),
            direction=frame["direction"].to_numpy(dtype=np.int64),
            values={
                str(c).removeprefix("value:"): frame[c].to_numpy(dtype=np.float64)
                for c in frame.columns
                if str(c).startswith("value:")
            },
        )


def context_of(cell_type: str, parameters: dict[str, Any], seg: Segmentation) -> str:
    """What every reused value depends on besides its own rows (the first 60 bits of a
    sha256 of it, as 15 hex digits)."""
    text = json.dumps(
        {
            "cell_type": cell_type,
            "parameters": parameters,
            "rest_threshold_A": float(seg.rest_threshold_A).hex(),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:15]


@dataclass
class Recorder:
    """Reuse from ``previous`` (if any) and record this analysis's values."""

    previous: Memo | None = None
    rows: int = 0
    context: str = ""
    seg: Segmentation | None = None
    #: per new half-cycle: its index in ``previous``, or -1 (computed)
    source: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    values: dict[str, FloatArray] = field(default_factory=dict)
    reused: int = 0
    computed: int = 0

    def begin(self, seg: Segmentation, rows: int, context: str) -> None:
        """A (new) segmentation of the table: match its half-cycles with the earlier ones."""
        self.seg, self.rows, self.context = seg, rows, context
        self.values, self.reused, self.computed = {}, 0, 0
        self.source = np.full(seg.starts.size, -1, dtype=np.int64)
        old = self.previous
        if old is None or old.context != context or not seg.starts.size or not old.starts.size:
            return
        j = np.searchsorted(old.starts, seg.starts)
        inside = j < old.starts.size
        jj = np.where(inside, j, 0)
        same = (
            inside
            & (old.starts[jj] == seg.starts)
            & (old.stops[jj] == seg.stops)
            & (old.direction[jj] == seg.direction)
            & (old.stops[jj] <= old.rows - 2)
            & (seg.stops <= rows)
        )
        self.source = np.where(same, jj, -1)

    def each(self, name: str, which: IntArray, compute: Callable[[int], float]) -> FloatArray:
        """The value ``name`` of the half-cycles ``which``: reused where possible, else
        ``compute(i)``; recorded either way (NaN for half-cycles not asked)."""
        return self.some(name, which, lambda missing: _one_by_one(compute, missing))

    def some(
        self, name: str, which: IntArray, compute: Callable[[IntArray], FloatArray]
    ) -> FloatArray:
        """As :meth:`each`, with ``compute(missing)`` giving the values of all the half-cycles
        ``missing`` (sorted) in one call (a vectorised computation)."""
        n = self.source.size
        recorded = self.values.setdefault(name, np.full(n, np.nan))
        old = self.previous.values.get(name) if self.previous is not None else None
        out = np.empty(which.size)
        source = self.source[which]
        if old is not None:
            taken = source >= 0
            taken[taken] = ~np.isnan(old[source[taken]])
        else:
            taken = np.zeros(which.size, dtype=bool)
        out[taken] = old[source[taken]] if old is not None else 0.0
        missing = np.flatnonzero(~taken)
        out[missing] = compute(which[missing])
        self.reused += int(np.count_nonzero(taken))
        self.computed += int(missing.size)
        recorded[which] = out
        return out

    def many(self, name: str, count: int, compute: Callable[[IntArray], FloatArray]) -> FloatArray:
        """The value ``name`` of every half-cycle (``count`` of them): reused where possible,
        else from ``compute(which)``, one call for all the half-cycles ``which`` it must give
        (a vectorised computation); recorded either way."""
        old = self.previous.values.get(name) if self.previous is not None else None
        out = np.full(count, np.nan)
        taken = self.source >= 0 if self.source.size == count else np.zeros(count, dtype=bool)
        if old is not None:
            taken[taken] = ~np.isnan(old[self.source[taken]])
            out[taken] = old[self.source[taken]]
        else:
            taken[:] = False
        missing = np.flatnonzero(~taken)
        if missing.size:
            out[missing] = compute(missing)
        self.reused += int(np.count_nonzero(taken))
        self.computed += int(missing.size)
        self.values[name] = out.copy()
        return out

    def settled(self, names: tuple[str, ...]) -> tuple[int, dict[str, FloatArray]]:
        """How many leading half-cycles all come from the earlier analysis with every value of
        ``names`` recorded there (NaN counts as recorded), and those values."""
        old = self.previous
        n = self.source.size
        if old is None or not all(name in old.values for name in names):
            self.computed += n
            return 0, {}
        matched = self.source >= 0
        h0 = int(np.argmin(matched)) if not matched.all() else n
        taken = self.source[:h0]
        self.reused += h0
        self.computed += n - h0
        return h0, {name: old.values[name][taken] for name in names}

    def record(self, name: str, values: FloatArray) -> None:
        self.values[name] = np.asarray(values, dtype=np.float64).copy()

    def memo(self) -> Memo | None:
        if self.seg is None:
            return None
        return Memo(
            rows=self.rows,
            context=self.context,
            starts=self.seg.starts,
            stops=self.seg.stops,
            direction=self.seg.direction,
            values=dict(self.values),
        )


_ACTIVE: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar(
    "cycling_reuse", default=None
)


@contextlib.contextmanager
def recording(previous: Memo | None = None) -> Iterator[Recorder]:
    """Make a :class:`Recorder` the active one for the analysis run inside the block."""
    recorder = Recorder(previous)
    token = _ACTIVE.set(recorder)
    try:
        yield recorder
    finally:
        _ACTIVE.reset(token)


def begin(seg: Segmentation, rows: int, context: str) -> None:
    recorder = _ACTIVE.get()
    if recorder is not None:
        recorder.begin(seg, rows, context)


def many(name: str, count: int, compute: Callable[[IntArray], FloatArray]) -> FloatArray:
    """The value ``name`` of each of the ``count`` half-cycles, the earlier analysis's where it
    can be reused (see the module docstring), else ``compute(which)`` for the half-cycles
    ``which`` (sorted indices) in one call; without an active recorder, all computed."""
    recorder = _ACTIVE.get()
    if recorder is None or recorder.seg is None:
        return compute(np.arange(count, dtype=np.int64))
    return recorder.many(name, count, compute)


def each(name: str, which: IntArray, compute: Callable[[int], float]) -> FloatArray:
    """``compute(i)`` for each half-cycle ``i`` of ``which``, or the earlier analysis's value
    where it can be reused (see the module docstring); without an active recorder, computed."""
    return some(name, which, lambda missing: _one_by_one(compute, missing))


def some(name: str, which: IntArray, compute: Callable[[IntArray], FloatArray]) -> FloatArray:
    """As :func:`each`, with ``compute(missing)`` giving the values of all the half-cycles
    ``missing`` (sorted) of ``which`` that are not reused, in one call."""
    recorder = _ACTIVE.get()
    if recorder is None or recorder.seg is None:
        return np.asarray(compute(which), dtype=np.float64)
    return recorder.some(name, which, compute)


def _one_by_one(compute: Callable[[int], float], which: IntArray) -> FloatArray:
    return np.array([compute(i) for i in which.tolist()], dtype=np.float64)


def settled(names: tuple[str, ...]) -> tuple[int, dict[str, FloatArray]]:
    """For a stage whose per-half-cycle values depend on the rows before each half-cycle
    (running sums over the test): the number ``h`` of leading half-cycles taken unchanged from
    the earlier analysis, with their values of ``names`` from its memo (the stage computes
    half-cycles ``h`` on, from the rows after them; see the module docstring); ``0`` without
    an active recorder or earlier analysis."""
    recorder = _ACTIVE.get()
    if recorder is None or recorder.seg is None:
        return 0, {}
    return recorder.settled(names)


def record(name: str, values: FloatArray) -> None:
    """Record the value ``name`` of every half-cycle for the next version (no-op without an
    active recorder)."""
    recorder = _ACTIVE.get()
    if recorder is not None and recorder.seg is not None:
        recorder.record(name, values)
