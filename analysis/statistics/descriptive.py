"""Descriptive statistics of one group of cells.

Definitions (docs/statistics.md, "Per group"): for the n finite values x_i of a group,
mean = sum(x_i) / n; sample standard deviation s = sqrt(sum((x_i - mean)^2) / (n - 1))
(Bessel's correction); standard error SE = s / sqrt(n); two-sided 95 % confidence interval of
the mean mean +- t(0.975, n - 1) * SE with Student's t quantile (the population sd is unknown
and n is small: a normal 1.96 would be too narrow for n < 30). Reference: Montgomery and
Runger, Applied Statistics and Probability for Engineers, 7th ed., section 8.2.
Units are those of the values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


def finite(values: Iterable[float | None]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The finite values (None, NaN and infinities left out) as a float array."""
    if isinstance(values, np.ndarray):  # already numbers: no Python loop over 10,000 cells
        arr = np.asarray(values, dtype=np.float64)
        return arr[np.isfinite(arr)]
    xs = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return np.asarray(xs, dtype=np.float64)


@dataclass(frozen=True)
class Summary:
    """n, mean, sample sd, standard error and t-based 95 % CI of a group's values (the
    values' unit; sd, se and CI are None below two values)."""

    n: int
    mean: float | None
    sd: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float = CONFIDENCE

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe(values: Iterable[float | None], confidence: float = CONFIDENCE) -> Summary:
    """The :class:`Summary` of the finite ``values`` (module docstring for definitions)."""
    xs = finite(values)
    n = int(xs.size)
    if n == 0:
        return Summary(0, None, None, None, None, None, confidence)
    mean = float(np.mean(xs))
    if n == 1:
        return Summary(1, mean, None, None, None, None, confidence)
    sd = float(np.std(xs, ddof=1))
    se = sd / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * se
    return Summary(n, mean, sd, se, mean - half, mean + half, confidence)
