"""Error bounds of a cycling result's charge and CE from its instrument's stated accuracy.

Read from the stored per-cycle rows and the instrument's accuracy fields as they are now
(the model and its references: :mod:`analysis.statistics.uncertainty`, docs/statistics.md);
the instrument's calibration date is shown with every bound.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.statistics.uncertainty import (
    Accuracy,
    average_ce_bound,
    ce_bound,
    charge_bound_mAh,
    cumulative_ce_bounds,
)
from labdb import models as m
from labdb.selectors import results as sel

COLUMNS = [
    "charge_capacity_mAh",
    "discharge_capacity_mAh",
    "coulombic_efficiency",
    "charge_duration_h",
    "discharge_duration_h",
    "cumulative_coulombic_efficiency",
    "complete",
    "excluded_from_metrics",
]


def accuracy_of(instrument: m.Instrument | None) -> Accuracy | None:
    """The instrument's stated accuracy, None when it has no offset (the part that matters
    for CE) stated."""
    if instrument is None:
        return None
    acc = Accuracy.from_specification(
        pct_of_reading=instrument.current_accuracy_pct_of_reading,
        pct_of_range=instrument.current_accuracy_pct_of_range,
        range_mA=instrument.current_range_mA,
        time_ppm=instrument.time_accuracy_ppm,
    )
    return acc if acc.known else None


@dataclass(frozen=True)
class CyclingBounds:
    """Per-cycle bounds (cycle >= 1; NaN where not defined) and the run-level ones: charge and
    discharge capacity in mAh, CE and cumulative CE as fractions."""

    instrument: str
    calibrated_on: dt.date | None
    accuracy: Accuracy
    cycles: list[int]
    charge_mAh: list[float]
    discharge_mAh: list[float]
    ce: list[float]
    cumulative_ce: list[float]
    average_ce: float | None
    final_cumulative_ce: float | None

    def at(self, cycle: int) -> dict[str, float]:
        i = self.cycles.index(cycle)
        return {
            "charge_capacity_mAh": self.charge_mAh[i],
            "discharge_capacity_mAh": self.discharge_mAh[i],
            "coulombic_efficiency": self.ce[i],
            "cumulative_coulombic_efficiency": self.cumulative_ce[i],
        }

    def to_dict(self) -> dict[str, Any]:
        def clean(xs: list[float]) -> list[float | None]:
            return [None if not np.isfinite(x) else float(x) for x in xs]

        return {
            "instrument": self.instrument,
            "calibrated_on": self.calibrated_on.isoformat() if self.calibrated_on else None,
            "accuracy": self.accuracy.to_dict(),
            "average_coulombic_efficiency": self.average_ce,
            "cumulative_coulombic_efficiency": self.final_cumulative_ce,
            "cycles": self.cycles,
            "charge_capacity_mAh": clean(self.charge_mAh),
            "discharge_capacity_mAh": clean(self.discharge_mAh),
            "coulombic_efficiency": clean(self.ce),
            "cumulative_coulombic_efficiency_per_cycle": clean(self.cumulative_ce),
            "model": "docs/statistics.md#uncertainty (limits of error, offset systematic)",
        }


def _col(cols: dict[str, list[Any]], name: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    return np.array([np.nan if v is None else float(v) for v in cols[name]], dtype=np.float64)


def cycling_bounds(result: m.AnalysisResult | None) -> CyclingBounds | None:
    """The bounds of a cycling result, None when its run has no instrument with a stated
    offset."""
    if result is None or result.kind != "cycling":
        return None
    instrument = result.test_run.instrument
    accuracy = accuracy_of(instrument)
    if accuracy is None or instrument is None:
        return None
    cols = sel.cycle_columns(result, COLUMNS)
    number = np.asarray(cols["cycle"], dtype=np.int64)
    q_c, q_d = _col(cols, "charge_capacity_mAh"), _col(cols, "discharge_capacity_mAh")
    t_c, t_d = _col(cols, "charge_duration_h"), _col(cols, "discharge_duration_h")
    ce = _col(cols, "coulombic_efficiency")
    d_ce = ce_bound(ce, q_c, t_c, q_d, t_d, accuracy)
    d_cum = cumulative_ce_bounds(_col(cols, "cumulative_coulombic_efficiency"), ce, d_ce)
    usable = np.array(
        [
            bool(c) and not bool(x)
            for c, x in zip(cols["complete"], cols["excluded_from_metrics"], strict=True)
        ],
        dtype=bool,
    )
    metrics = (result.summary or {}).get("metrics", {})
    window = metrics.get("average_coulombic_efficiency_window")
    end = (
        result.cycle_life if result.cycle_life is not None else (number.max() if number.size else 0)
    )
    if isinstance(window, list) and len(window) == 2:
        first, last = window[0], window[1] if window[1] is not None else end
        in_window = usable & (number >= first) & (number <= last) & np.isfinite(ce)
        average = average_ce_bound(d_ce[in_window])
    else:
        average = None  # the reservoir method: not a mean of cycle CEs
    in_life = np.isfinite(d_cum) & (number <= end)
    final = float(d_cum[in_life][-1]) if np.any(in_life) else None
    return CyclingBounds(
        instrument=instrument.label,
        calibrated_on=instrument.calibrated_on,
        accuracy=accuracy,
        cycles=[int(c) for c in number],
        charge_mAh=list(charge_bound_mAh(q_c, t_c, accuracy)),
        discharge_mAh=list(charge_bound_mAh(q_d, t_d, accuracy)),
        ce=list(d_ce),
        cumulative_ce=list(d_cum),
        average_ce=average,
        final_cumulative_ce=final,
    )
