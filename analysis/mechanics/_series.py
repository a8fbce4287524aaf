"""Checks shared by the mechanical analyses: each input is a 1-D float series, the series of one
test have the same length (at least 5 points), and a mask of the rows where all are finite."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def _arr(values: Sequence[float] | npt.ArrayLike, name: str) -> FloatArray:
    out = np.asarray(values, dtype=float)
    if out.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D series, found shape {out.shape}")
    return out


def _same_length(**series: FloatArray) -> int:
    lengths = {k: len(v) for k, v in series.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"series of different lengths: {lengths}")
    n = next(iter(lengths.values()))
    if n < 5:
        raise ValueError(f"too few points ({n}); expected at least 5")
    return n


def _finite(**series: FloatArray) -> npt.NDArray[np.bool_]:
    keep = np.ones(len(next(iter(series.values()))), dtype=bool)
    for v in series.values():
        keep &= np.isfinite(v)
    return keep
