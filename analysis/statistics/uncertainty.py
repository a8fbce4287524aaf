"""Error bounds of charge and coulombic efficiency from a cycler's stated accuracy.

Model (docs/statistics.md, "Uncertainty"). The cycler's current reading is
I_read = I (1 + g) + o with a gain error |g| <= a_reading (the "% of reading" of the
specification, as a fraction) and an offset |o| <= a_range * I_range (the "% of range"
times the full-scale current of the range used, in mA); its clock runs at (1 + c) with
|c| <= the time accuracy (ppm / 1e6). A half-cycle's charge Q = integral of |I| dt over
its active time t_h then reads

    Q_read = Q (1 + g)(1 + c) +- o t_h,

the offset adding to the charge passed in one direction and taking from the other (it adds
to the signed current). Bound of a half-cycle's charge (mAh): |Q| (a_reading + c) + o t_h.

CE = Q_2 / Q_1 (second over first half-cycle). The gain and the clock are the same for both
half-cycles of a cycle (same channel, same range, minutes apart) and cancel in the ratio;
the offset does not: to first order CE_read = CE (1 + o t_2 / Q_2 + o t_1 / Q_1), so

    dCE = CE * o * (t_1 / Q_1 + t_2 / Q_2)      (= CE * o (1/I_1 + 1/I_2) at constant current).

This is why high-precision coulometry asks for current accuracy and offset far better
than the 0.1 % of range of an ordinary cycler (Smith, Burns, Trussler and Dahn, J.
Electrochem. Soc. 157 (2010) A196; Bond, Burns, Stevens, Dahn and Dahn, J. Electrochem.
Soc. 160 (2013) A521). That a "% of full-scale range" accuracy is a fixed current error, the
same at any current, whose share of a small current grows, is set out in CountCharge's
"Measurement and Precision in UHPC" (https://www.countcharge.com/uhpc/principle); BioLogic
Application Note 53, "Precision and Accuracy in Coulombic Efficiency Measurements (High
Precision Coulometry HPC)", discusses instrument accuracy in CE measurements. A stated gain
error that differs between the charge and discharge ranges is not modelled (give the worse
offset instead).

The offset is a systematic error of the channel, the same sign in every cycle, so the bounds
add linearly, not in quadrature: the average CE over N cycles has the bound
mean(dCE_i), and the cumulative CE P_n = prod CE_i the relative bound sum(dCE_i / CE_i)
(first order; the exact product differs by less than half its square). The bounds are limits
of error as the specification states them, not standard uncertainties (divide by sqrt(3)
for the standard uncertainty of a rectangular distribution, GUM JCGM 100:2008 4.3.7).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True)
class Accuracy:
    """A cycler channel's stated accuracy: gain (fraction of reading), offset (mA) and clock
    (fraction). Unknown parts are None and make the bounds that need them None."""

    gain: float | None
    offset_mA: float | None
    clock: float | None

    @classmethod
    def from_specification(
        cls,
        *,
        pct_of_reading: float | None,
        pct_of_range: float | None,
        range_mA: float | None,
        time_ppm: float | None,
    ) -> Accuracy:
        """From a data sheet: current accuracy "% of reading + % of range" with the range's
        full-scale current (mA), and the time accuracy in ppm."""
        offset = (
            pct_of_range / 100.0 * range_mA
            if pct_of_range is not None and range_mA is not None
            else None
        )
        return cls(
            None if pct_of_reading is None else pct_of_reading / 100.0,
            offset,
            None if time_ppm is None else time_ppm * 1e-6,
        )

    @property
    def known(self) -> bool:
        return self.offset_mA is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _arr(x: Any) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def charge_bound_mAh(capacity_mAh: Any, duration_h: Any, accuracy: Accuracy) -> FloatArray:
    """Bound of each half-cycle's charge (mAh): |Q| (gain + clock) + offset * t_h; NaN
    where the accuracy lacks a part or the inputs are missing."""
    q, t = np.abs(_arr(capacity_mAh)), _arr(duration_h)
    if accuracy.offset_mA is None or accuracy.gain is None:
        return np.full(q.shape, np.nan)
    clock = accuracy.clock or 0.0
    out: FloatArray = q * (accuracy.gain + clock) + accuracy.offset_mA * t
    return out


def ce_bound(
    ce: Any,
    first_mAh: Any,
    first_h: Any,
    second_mAh: Any,
    second_h: Any,
    accuracy: Accuracy,
) -> FloatArray:
    """Bound of each cycle's CE (fraction): CE * offset * (t_1/Q_1 + t_2/Q_2); gain and clock
    cancel (module docstring). NaN where the offset is unknown or a value is missing."""
    c = _arr(ce)
    if accuracy.offset_mA is None:
        return np.full(c.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = accuracy.offset_mA * (
            _arr(first_h) / np.abs(_arr(first_mAh)) + _arr(second_h) / np.abs(_arr(second_mAh))
        )
    out: FloatArray = np.abs(c) * rel
    return out


def average_ce_bound(bounds: Any) -> float | None:
    """Bound of the average CE over the cycles whose ``bounds`` are given: their mean (a
    systematic offset does not average out)."""
    b = _arr(bounds)
    b = b[np.isfinite(b)]
    return float(np.mean(b)) if b.size else None


def cumulative_ce_bounds(cumulative: Any, ce: Any, bounds: Any) -> FloatArray:
    """Bound of the cumulative CE after each cycle, P_n * sum of dCE_i / CE_i over the cycles
    i <= n that enter the product (those whose ``cumulative`` is finite: the analysis leaves
    incomplete and excluded cycles out of it); NaN elsewhere."""
    p, c, b = _arr(cumulative), _arr(ce), _arr(bounds)
    used = np.isfinite(p) & np.isfinite(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(used, b / np.abs(c), 0.0)
    out: FloatArray = np.where(used, np.abs(p) * np.cumsum(rel), np.nan)
    return out
