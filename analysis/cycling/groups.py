"""Per-group arithmetic for many half-cycles at once, equal to the last bit to what a loop over
the half-cycles computes with numpy on each one's rows.

The analysis reports numbers byte for byte the same whether a half-cycle's value is computed
alone (an incremental analysis, :mod:`analysis.cycling.reuse`) or with all the others, and
whichever code computes it; a vectorised stage must therefore add in the order a per-slice
``sum()`` adds. numpy sums a contiguous float64 array pairwise onto the identity 0.0, and a
``reduceat`` segment pairwise onto the segment's first value: :func:`group_sums` leads each
group with a 0.0 of its own, so the two are the same computation (checked against each
group's own ``sum()`` for groups of 0 to 300,000 values in
``tests/analysis/cycling/test_groups.py``). A plain ``reduceat`` over the groups differs from
their own sums in the last bits.

It also holds the small helpers the stages share, each exact: whether an array is finite,
medians of a few numbers as numpy gives them, sorted unions and unique values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def all_finite(values: FloatArray) -> bool:
    """Whether every value is finite: from their sum (one fast pass; a NaN or an infinity makes
    it non-finite), value by value only when the sum is not finite (finite values can overflow)."""
    return bool(np.isfinite(np.add.reduce(values))) or bool(np.all(np.isfinite(values)))


def range_rows(lo: IntArray, hi: IntArray) -> IntArray:
    """The rows ``lo[i]..hi[i]-1`` of every range ``i``, one range after the other (an empty
    range where ``hi <= lo``)."""
    size = np.maximum(hi - lo, 0)
    total = int(size.sum())
    offset = np.cumsum(size) - size
    rows: IntArray = np.repeat(lo - offset, size) + np.arange(total, dtype=np.int64)
    return rows


def group_sums(values: FloatArray, counts: IntArray) -> FloatArray:
    """The sum of each group of ``values`` (consecutive groups of ``counts`` values; 0.0 for
    an empty group), bit for bit as the group's own ``sum()`` gives it (module docstring)."""
    if not counts.size:
        return np.zeros(0)
    heads = np.zeros(counts.size, dtype=np.int64)
    np.cumsum(counts[:-1] + 1, out=heads[1:])
    led = np.zeros(values.size + counts.size)
    led[np.arange(values.size) + np.repeat(np.arange(1, counts.size + 1), counts)] = values
    out: FloatArray = np.add.reduceat(led, heads)
    return out


def group_counts(mask: BoolArray, lengths: IntArray) -> IntArray:
    """The number of True values in each consecutive group of ``lengths`` values of ``mask``."""
    running = np.zeros(mask.size + 1, dtype=np.int64)
    np.cumsum(mask, out=running[1:])
    ends = np.cumsum(lengths)
    out: IntArray = running[ends] - running[ends - lengths]
    return out


def median_of_few(values: list[float]) -> float:
    """``np.median`` of a few numbers, to the last bit, without numpy's cost per call: the
    middle one, or the mean of the two middle ones (numpy sums onto 0.0, so the median of a
    -0.0 is 0.0); NaN if any is NaN."""
    if any(x != x for x in values):
        return float("nan")
    s = sorted(values)
    m = len(s) // 2
    if len(s) % 2:
        return 0.0 + s[m]
    return (0.0 + (s[m - 1] + s[m])) / 2.0


def nanmedian_of_few(values: list[float]) -> float:
    """``np.nanmedian`` of a few numbers (not all NaN), to the last bit, without numpy's cost
    per call: :func:`median_of_few` of those other than NaN, which is what numpy's masked
    median gives for numbers below 1e307 in size (it sums the middle value twice for an odd
    count and halves it: the value itself, short of an overflow); numpy's own otherwise."""
    kept = [x for x in values if x == x]
    if kept and all(abs(x) < 1e307 for x in kept):
        return median_of_few(kept)
    return float(np.nanmedian(np.asarray(values, dtype=np.float64)))


def sorted_unique(values: IntArray, kind: Any = None) -> IntArray:
    """``np.unique`` of whole numbers: sorted, each once; by one sort (numpy's ``unique``
    hashes its values first, several times slower on the few thousand a test has), of
    ``np.sort``'s ``kind``."""
    ordered = np.sort(values, kind=kind)
    if not ordered.size:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    out: IntArray = ordered[keep]
    return out


def sorted_union(a: IntArray, b: IntArray) -> IntArray:
    """``np.union1d`` of whole numbers (:func:`sorted_unique` of both). Each of ``a`` and
    ``b`` is sorted where the callers build it (row numbers found in order), so their
    concatenation is two runs: numpy's stable sort (a merge sort that finds runs) merges them
    in linear time (~0.25 ms for 60,000 rows against ~3 ms for the default sort); any other
    input gives the same answer, sorted as usual."""
    return sorted_unique(np.concatenate((a, b)), kind="stable")


def unique_pairs(first: IntArray, second: IntArray) -> tuple[IntArray, IntArray]:
    """``np.unique(np.stack([first, second]), axis=1, return_inverse=True)`` of whole numbers:
    the distinct (first, second) pairs as two rows, in order of ``first`` then ``second``, and
    the column of each input pair; by one lexicographic sort."""
    order = np.lexsort((second, first))
    a, b = first[order], second[order]
    new = np.ones(order.size, dtype=bool)
    new[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    inverse = np.empty(order.size, dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    pairs: IntArray = np.stack([a[new], b[new]])
    return pairs, inverse
