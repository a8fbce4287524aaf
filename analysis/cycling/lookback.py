"""The earlier cycles at a cycle's current (:func:`previous_at_same_current`), which the
baselines of ``ce_rise``, ``charge_overrun``, ``ce_trend`` and ``stripping_tail`` look back at,
and those baselines (:func:`continued`), continued from the last ones this process computed.

Both are *causal*: a cycle's answer depends on its own values and on those of the cycles
before it, nothing after. So where the inputs of a kept computation (same parameters) agree
bit for bit with this one's over their first ``p`` cycles, the answers of those ``p`` cycles
are that computation's, and only the cycles from ``p`` on are computed. That is what makes
the rules' look-back cost follow the *new* cycles of a growing file (docs/live.md, "Cost per
version"): the next version's analysis in a worker's serving analysis process finds the
earlier version's here. Within one analysis, the rules that search with the same inputs share
one search. The search's answers are integers found by element-wise comparisons, and the
baselines are computed row by row (numpy reductions along each row: the same numbers
whichever rows are computed together), so a continued computation is the same, value for
value, as one from scratch (tested: ``tests/analysis/cycling/test_cycle_rules_linear.py``,
``tests/analysis/cycling/test_lookback.py``). The last :data:`KEPT` of each are kept (at 1,600
cycles and ``k`` = 30, ~0.4 MB a search).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable

import numpy as np

from analysis.cycling.segmentation import BoolArray, FloatArray, IntArray

#: how many earlier cycles the search looks at in one vectorised pass, as a multiple of the
#: cycles it needs; cycles whose earlier ones at their current lie further back (the first
#: cycles after a return to a rate) are scanned one by one
_NEAR_FACTOR = 4

#: searches kept for the next ones (four rules' searches of the last analysis, and one more)
KEPT = 6

#: (k, tolerance, current, eligible, indices, found) of the last searches, newest last
_searches: deque[tuple[int, float, FloatArray, BoolArray, IntArray, IntArray]] = deque(maxlen=KEPT)


def previous_at_same_current(
    current: FloatArray, eligible: BoolArray, k: int, tolerance: float
) -> tuple[IntArray, IntArray]:
    """For each cycle ``j``: the (at most) ``k`` latest earlier cycles ``i < j`` that are
    ``eligible`` and at its current (``|current[i] - current[j]| <= tolerance * |current[j]|``),
    as an ``(n, k)`` array of indices in time order, right-aligned (-1 pads the left where
    fewer were found), and how many were found.

    The same as scanning every earlier cycle for each cycle (quadratic in the cycles), in time
    linear in them: the ``_NEAR_FACTOR * k`` cycles before each are compared at once, and only
    a cycle that finds fewer than ``k`` there while earlier cycles exist is scanned in full.
    The answers of the first cycles are taken from a kept search whose inputs agree with these
    over them (module docstring). The arrays returned are read-only (they may be shared)."""
    current = np.asarray(current, dtype=np.float64)
    eligible = np.asarray(eligible, dtype=bool)
    n = current.size
    if not n or k <= 0:
        return np.full((n, max(k, 0)), -1, dtype=np.int64), np.zeros(n, dtype=np.int64)
    start, base = 0, None
    for kept in reversed(tuple(_searches)):  # a snapshot: another thread may append
        agree = _agreeing(kept, current, eligible, k, tolerance)
        if agree > start:
            start, base = agree, kept
        if start == n:
            break
    out = np.full((n, k), -1, dtype=np.int64)
    found = np.zeros(n, dtype=np.int64)
    if base is not None:
        out[:start], found[:start] = base[4][:start], base[5][:start]
    _search(current, eligible, k, tolerance, start, out, found)
    out.flags.writeable = found.flags.writeable = False
    if base is None or start < n or base[2].size != n:
        _searches.append((k, tolerance, current.copy(), eligible.copy(), out, found))
    return out, found


#: (name, key, inputs, outputs) of the last computations :func:`continued` made, newest last
_computed: deque[tuple[str, Hashable, tuple[np.ndarray, ...], tuple[np.ndarray, ...]]] = deque(
    maxlen=KEPT
)


def continued(
    name: str,
    key: Hashable,
    inputs: tuple[np.ndarray, ...],
    compute: Callable[[int], tuple[np.ndarray, ...]],
) -> tuple[np.ndarray, ...]:
    """The per-cycle outputs of a *causal* computation ``name`` with parameters ``key``: one
    whose output for cycle ``j`` depends only on cycles ``0..j`` of ``inputs`` (arrays of one
    value per cycle), each cycle's row computed on its own (row-wise numpy: the same numbers
    whichever rows are computed together). ``compute(start)`` gives the outputs of cycles
    ``start`` on. Where a kept computation of the same name and key had inputs that agree
    bit for bit with these over the first ``p`` cycles, those cycles' outputs are taken from
    it and only ``compute(p)`` runs (the rules' baselines of a growing file: module
    docstring). The arrays returned are read-only (they may be shared)."""
    n = len(inputs[0])
    start, base = 0, None
    for kept in reversed(tuple(_computed)):  # a snapshot: another thread may append
        if kept[0] != name or kept[1] != key:
            continue
        agree = agreeing_prefix(kept[2], inputs)
        if agree > start:
            start, base = agree, kept
        if start == n:
            break
    tail = compute(start)
    if base is None:
        out = tuple(np.asarray(t) for t in tail)
    else:
        out = tuple(
            np.concatenate([old[:start], new]) for old, new in zip(base[3], tail, strict=True)
        )
    for array in out:
        array.flags.writeable = False
    if base is None or start < n or len(base[2][0]) != n:
        _computed.append((name, key, tuple(np.array(a) for a in inputs), out))
    return out


def agreeing_prefix(kept: tuple[np.ndarray, ...], inputs: tuple[np.ndarray, ...]) -> int:
    """How many first values all of ``inputs`` share with ``kept``, bit for bit (floats by
    their bits: NaN equal to the same NaN, 0.0 not -0.0; arrays of another dtype or count
    share none)."""
    if len(kept) != len(inputs):
        return 0
    m = min(min(len(a) for a in kept), min(len(a) for a in inputs))
    differs = np.zeros(m, dtype=bool)
    for old, new in zip(kept, inputs, strict=True):
        if old.dtype != new.dtype or old.ndim != 1 or new.ndim != 1:
            return 0
        if old.dtype.kind == "f":
            differs |= old[:m].view(np.dtype(f"i{old.dtype.itemsize}")) != new[:m].view(
                np.dtype(f"i{new.dtype.itemsize}")
            )
        else:
            differs |= old[:m] != new[:m]
    first = np.flatnonzero(differs)
    return int(first[0]) if first.size else m


def _agreeing(
    kept: tuple[int, float, FloatArray, BoolArray, IntArray, IntArray],
    current: FloatArray,
    eligible: BoolArray,
    k: int,
    tolerance: float,
) -> int:
    """How many first cycles a kept search answered for the same inputs (0 for another ``k``
    or tolerance): the cycles before the first whose current (bit for bit, NaN equal to NaN)
    or eligibility differs."""
    k_kept, tolerance_kept, current_kept, eligible_kept = kept[:4]
    if k_kept != k or tolerance_kept != tolerance:
        return 0
    return agreeing_prefix((current_kept, eligible_kept), (current, eligible))


def _search(
    current: FloatArray,
    eligible: BoolArray,
    k: int,
    tolerance: float,
    start: int,
    out: IntArray,
    found: IntArray,
) -> None:
    """Fill rows ``start`` on of ``out`` and ``found`` (see :func:`previous_at_same_current`)."""
    n = current.size
    if start >= n:
        return
    depth = min(_NEAR_FACTOR * k, n)
    j = np.arange(start, n)[:, None]
    i = j - np.arange(1, depth + 1)[None, :]  # nearest first
    inside = i >= 0
    ii = np.where(inside, i, 0)
    scale = tolerance * np.abs(current[start:])
    match = inside & eligible[ii] & (np.abs(current[ii] - current[start:, None]) <= scale[:, None])
    rank = np.cumsum(match, axis=1)  # matches up to and including each offset
    take = match & (rank <= k)
    found[start:] = np.minimum(rank[:, -1], k)
    rows, cols = np.nonzero(take)
    out[start + rows, k - rank[rows, cols]] = ii[rows, cols]
    rows_left = np.arange(start, n)
    for r in rows_left[(found[start:] < k) & (rows_left > depth)].tolist():
        same = np.flatnonzero(
            (np.abs(current[:r] - current[r]) <= tolerance * abs(current[r])) & eligible[:r]
        )[-k:]
        out[r] = -1
        out[r, k - same.size :] = same
        found[r] = same.size
