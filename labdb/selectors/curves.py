"""Reads of the row-level outputs a job stored (:class:`~labdb.models.ResultTable`): the
voltage-profile curves and half-cycle boundaries of a cycling result. Pages plot these; they
compute nothing themselves, so a plot shows what the job computed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from labdb import models as m
from labdb.table_parts import read_table


def stored_table(
    result: m.AnalysisResult,
    name: str,
    columns: Sequence[str] | None = None,
    filters: list[tuple[str, str, Any]] | None = None,
) -> pd.DataFrame | None:
    """The result's stored table ``name`` (None when the job stored none, e.g. a result of an
    older version: re-run it), optionally only ``columns`` and the rows matching ``filters``
    (pyarrow filters, e.g. ``[("cycle", "in", [1, 2])]``)."""
    record = m.ResultTable.objects.filter(result=result, name=name).first()
    if record is None:
        return None
    have = [c for c in columns if c in record.columns] if columns is not None else None
    return read_table(record.sha256, have, filters=filters)


def profile_curves(
    result: m.AnalysisResult, cycles: Sequence[int]
) -> list[tuple[int, str, np.ndarray, np.ndarray]]:
    """``(cycle, half-cycle kind, capacity_mAh, voltage_V)`` of every half-cycle of ``cycles``,
    in order: the voltage against the charge passed since the half-cycle began, as the cycling
    pipeline stored it (:mod:`analysis.cycling.profiles`)."""
    halves = stored_table(result, "half_cycles", ["half_cycle", "cycle", "kind"])
    if halves is None or not cycles:
        return []
    chosen = halves[halves["cycle"].isin([int(c) for c in cycles])]
    if chosen.empty:
        return []
    curves = stored_table(
        result,
        "profiles",
        ["half_cycle", "capacity_mAh", "voltage_volt"],
        filters=[("half_cycle", "in", chosen["half_cycle"].tolist())],
    )
    if curves is None or curves.empty:
        return []
    half = curves["half_cycle"].to_numpy()
    q = curves["capacity_mAh"].to_numpy(dtype=float)
    v = curves["voltage_volt"].to_numpy(dtype=float)
    info = chosen.set_index("half_cycle")
    out = []
    for seg in np.split(np.arange(half.size), np.flatnonzero(np.diff(half)) + 1):
        k = int(half[seg[0]])
        out.append((int(info.at[k, "cycle"]), str(info.at[k, "kind"]), q[seg], v[seg]))
    return out
