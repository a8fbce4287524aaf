"""numpy's percentiles, to the last bit, where numpy's own cost too much: the high percentile
of a million values (the rest threshold) without ordering them all, and the percentiles of
each row of a small table (the CE scatter) from one sort instead of a call per row.

numpy's default (linear) method interpolates between the order statistics of ranks
``floor((n - 1) q / 100)`` and the next (the last for both at the top) with weight ``g``:
``a + (b - a) g``, or ``b - (b - a)(1 - g)`` for ``g >= 0.5``. Both functions find the same two
values and interpolate the same way; where finding them cheaply could pick another value (a
-0.0 where 0.0 ties with it) or could go wrong (a value that is not finite), they leave it to
numpy. Tests compare with numpy bit for bit (``tests/analysis/cycling/test_cycling_kernels.py``).
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt

from analysis.cycling.groups import all_finite

FloatArray = npt.NDArray[np.float64]


#: :func:`high_percentile` takes about this many values as its sample
PERCENTILE_SAMPLE = 4096


def high_percentile(values: FloatArray, q: float, finite: bool = False) -> float:
    """``np.percentile(values, q)`` (its default, linear method), to the last bit, for a high
    ``q``, without ordering all the values (``values`` may be reordered).

    numpy interpolates between the order statistics of ranks ``floor((n - 1) q / 100)`` and
    the next (the last for both at the top) with weight ``g``: ``a + (b - a) g``, or
    ``b - (b - a)(1 - g)`` for ``g >= 0.5``; so does this, with the two values found above a
    bound: the value of a sample of the values a few per cent below ``q``. A rank at the bound
    is the bound (however many values equal it), a rank above it is selected among the values
    above it alone. It is left to ``np.percentile`` when a rank falls below the bound (an
    unlucky sample), when the bound is 0 (0.0 and -0.0 are equal, and which one numpy's
    partition puts at a rank depends on their order), or when a value is not finite (unless
    ``finite`` says the values are)."""
    n = values.size
    if not n or not (finite or all_finite(values)):
        return float(np.percentile(values, q, overwrite_input=True))
    virtual = (n - 1) * (q / 100.0)
    if virtual >= n - 1:
        ranks, gamma = (n - 1, n - 1), virtual + 1.0  # numpy's weight there (from index -1)
    else:
        below = int(np.floor(virtual))
        ranks, gamma = (below, below + 1), virtual - below
    sample = values[:: max(1, n // PERCENTILE_SAMPLE)].copy()
    at = int(0.97 * (sample.size - 1))
    bound = float(np.partition(sample, at)[at])
    above = int(np.count_nonzero(values > bound))
    if bound == 0.0 or ranks[0] < n - above - int(np.count_nonzero(values == bound)):
        return float(np.percentile(values, q, overwrite_input=True))
    upper = values[values > bound] if ranks[1] >= n - above else values[:0]
    a, b = (
        bound if rank < n - above else float(np.partition(upper, k := rank - (n - above))[k])
        for rank in ranks
    )
    diff = b - a
    return b - diff * (1.0 - gamma) if gamma >= 0.5 else a + diff * gamma


def row_percentiles(values: FloatArray, q: list[float]) -> FloatArray:
    """``np.nanpercentile(values, q, axis=1)`` (its default, linear method; ``np.percentile``
    for a row without NaN) to the last bit, from one sort of the rows rather than numpy's
    partition of each row (a Python call per row for ``nanpercentile``).

    numpy interpolates between the order statistics of ranks ``floor((n - 1) q / 100)`` and
    the next of a row's ``n`` values other than NaN (the last for both at the top) with weight
    ``g``: ``a + (b - a) g``, or ``b - (b - a)(1 - g)`` for ``g >= 0.5``, and so does this.
    Rows of NaN alone or holding a -0.0 are left to numpy (0.0 and -0.0 are equal, and which
    one lands at a rank depends on the algorithm)."""
    out = np.empty((len(q), values.shape[0]))
    count = np.count_nonzero(~np.isnan(values), axis=1)
    odd = (count == 0) | np.any((values == 0.0) & np.signbit(values), axis=1)
    if np.any(odd):
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: NaN, as numpy's
            out[:, odd] = np.nanpercentile(values[odd], q, axis=1)
    rows = np.flatnonzero(~odd)
    ordered = np.sort(values[rows], axis=1)  # NaN last
    n = count[rows]
    for j, p in enumerate(q):
        virtual = (n - 1) * (p / 100.0)
        top = virtual >= n - 1  # numpy takes the last value twice, weighted from index -1
        below = np.where(top, n - 1, np.floor(virtual).astype(np.int64))
        above = np.where(top, n - 1, below + 1)
        gamma = virtual - np.where(top, -1, below)
        a = ordered[np.arange(rows.size), below]
        b = ordered[np.arange(rows.size), above]
        diff = b - a
        with np.errstate(invalid="ignore"):
            out[j, rows] = np.where(gamma >= 0.5, b - diff * (1.0 - gamma), a + diff * gamma)
    return out
