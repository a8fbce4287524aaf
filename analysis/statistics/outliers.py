"""Outlier cells within a group: the modified z-score of Iglewicz and Hoaglin.

M_i = 0.6745 (x_i - median) / MAD, MAD = median(|x_i - median|); a cell is flagged when
|M_i| > 3.5 (Iglewicz and Hoaglin 1993, How to Detect and Handle Outliers, ASQC Basic
References in Quality Control 16, p. 11-12). 0.6745 is the 0.75 quantile of the standard
normal, so M is on the scale of a z-score for normal data, while the median and MAD are not
pulled by the outlier itself (a plain z-score cannot exceed (n-1)/sqrt(n) = 1.8 for n = 5).
Needs three values; when MAD is 0 (half the group identical) nothing is flagged. A flag is a
prompt to look at the cell, never an automatic exclusion. Unitless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

MODIFIED_Z_LIMIT = 3.5
MIN_VALUES = 3


@dataclass(frozen=True)
class Outlier:
    """A flagged value: its position in the input, value, modified z-score and the reason."""

    index: int
    value: float
    modified_z: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def modified_z(values: Sequence[float]) -> list[float | None]:
    """The modified z-score of each value (None for all below three values or MAD = 0)."""
    xs = np.asarray(values, dtype=np.float64)
    if xs.size < MIN_VALUES:
        return [None] * int(xs.size)
    median = float(np.median(xs))
    mad = float(np.median(np.abs(xs - median)))
    if mad == 0:
        return [None] * int(xs.size)
    return [float(v) for v in 0.6745 * (xs - median) / mad]


def outliers(
    values: Sequence[float], limit: float = MODIFIED_Z_LIMIT, unit: str = ""
) -> list[Outlier]:
    """Values with |modified z| > ``limit`` (module docstring), with the reason in words."""
    xs = np.asarray(values, dtype=np.float64)
    out = []
    if xs.size >= MIN_VALUES:
        median = float(np.median(xs))
        for i, z in enumerate(modified_z(values)):
            if z is not None and abs(z) > limit:
                side = "above" if z > 0 else "below"
                out.append(
                    Outlier(
                        i,
                        float(xs[i]),
                        z,
                        f"modified z-score {z:+.1f} (|M| > {limit:g}, Iglewicz-Hoaglin): "
                        f"{xs[i]:.6g}{unit} is far {side} the group median {median:.6g}{unit}",
                    )
                )
    return out
