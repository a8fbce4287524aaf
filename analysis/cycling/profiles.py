"""Voltage profiles: voltage against the charge passed since each half-cycle began.

The curve of half-cycle *k* covers its rows (``first_row`` to ``last_row`` of the half-cycle
table, its trailing rest included, where the charge stays constant while the voltage relaxes).
The charge is the trapezoidal integral of the current over those rows, counted positive in the
half-cycle's direction, with the same per-row weights that give the half-cycle's integrated
capacity (:mod:`analysis.cycling.segmentation`): a brief pulse of the opposite sign merged into
the half-cycle (an HPPC or EIS step) takes charge back, so the last point of each curve is the
half-cycle's ``integrated_capacity_mAh`` (in absolute value). Units: mAh and V. These are the
curves of the paper's voltage-profile figures (e.g. Fig. 2b).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.cycling.segmentation import FloatArray, Segmentation


def profile_series(voltage_V: FloatArray, seg: Segmentation) -> pd.DataFrame:
    """One row per table row inside a half-cycle, in table order: ``half_cycle`` (the half-cycle
    table's number; its cycle and rows are there), ``capacity_mAh`` (charge passed since the
    half-cycle began) and ``voltage_volt``. Row ``k`` of the series is row ``first_row + k`` of
    the canonical table, where ``first_row`` is that of half-cycle 0."""
    if not seg.starts.size:
        return pd.DataFrame(
            {
                "half_cycle": np.zeros(0, np.int32),
                "capacity_mAh": np.zeros(0),
                "voltage_volt": np.zeros(0),
            }
        )
    first = int(seg.starts[0])
    lengths = seg.stops - seg.starts
    # charge in each half-cycle's own direction, so that every curve rises; the charge passed
    # before each half-cycle's first row is subtracted row by row
    cum = np.cumsum(seg.charge_As[first:])
    before = np.concatenate(([0.0], cum[seg.starts[1:] - first - 1]))
    cum -= np.repeat(before, lengths)
    cum *= np.repeat(seg.direction.astype(np.float64) / 3.6, lengths)  # A s -> mAh
    return pd.DataFrame(
        {
            "half_cycle": np.repeat(np.arange(seg.starts.size, dtype=np.int32), lengths),
            "capacity_mAh": cum,
            "voltage_volt": voltage_V[first:],
        },
        copy=False,
    )
