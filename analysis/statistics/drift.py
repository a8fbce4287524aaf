"""Channel health: is one cycler channel drifting, or reading high or low, rather than the
materials differing?

- **Trend** of a metric over the start dates of the runs on the channel: the Theil-Sen slope
  (median of the pairwise slopes; Sen 1968, J. Am. Stat. Assoc. 63, 1379; robust to a single
  odd cell) with Kendall's tau and its two-sided p (``scipy.stats.theilslopes``,
  ``scipy.stats.kendalltau``). Units: the metric's unit per day.
- **Offset from the peers**: each cell's value minus the mean of the comparable cells (same
  formulation and cell kind) measured on other channels; the mean of these residuals with its
  t-based 95 % CI (:func:`analysis.statistics.describe`). A CI that excludes 0 says the
  channel reads consistently high or low for the same material. Units: the metric's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Trend:
    n: int
    slope_per_day: float | None
    intercept: float | None
    kendall_tau: float | None
    p: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def trend(days: Sequence[float], values: Sequence[float]) -> Trend:
    """Theil-Sen slope and Kendall's tau of ``values`` against ``days`` (module docstring);
    None below three points or with a single date."""
    x = np.asarray(days, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size < 3 or np.ptp(x) == 0:
        return Trend(int(x.size), None, None, None, None)
    slope, intercept, _, _ = stats.theilslopes(y, x)
    tau = stats.kendalltau(x, y)
    p = float(tau.pvalue)
    return Trend(
        int(x.size),
        float(slope),
        float(intercept),
        float(tau.statistic),
        p if math.isfinite(p) else None,
    )
