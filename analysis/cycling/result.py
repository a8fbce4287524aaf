"""The frozen result of a cycling analysis and its JSON form."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.cycling.parameters import CellType, CyclingParameters
from analysis.cycling.shorts import ShortCircuitEvent


@dataclass(frozen=True)
class CyclingResult:
    """What :func:`analysis.cycling.analyze_cycling` found.

    ``cycles``: one row per cycle (columns and units in docs/metrics-cycling.md);
    ``metrics``: run metrics by key; ``short_circuits``: every rule firing, by cycle (the first
    is the failure); ``rate_capability``: mean reversible capacity per current step;
    ``half_cycles``: one row per half-cycle (direction, rows, times, capacity);
    ``warnings``: what the user should know about the data; ``parameters``: the parameters
    used, cell-type defaults filled in.
    """

    cell_type: CellType
    cycles: pd.DataFrame
    metrics: Mapping[str, Any]
    short_circuits: tuple[ShortCircuitEvent, ...]
    rate_capability: pd.DataFrame
    half_cycles: pd.DataFrame
    warnings: tuple[str, ...]
    parameters: CyclingParameters

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: NaN becomes ``None``, numpy scalars become Python numbers."""
        return {
            "cell_type": self.cell_type,
            "metrics": jsonable(dict(self.metrics)),
            "cycles": records(self.cycles),
            "short_circuits": [e.to_dict() for e in self.short_circuits],
            "rate_capability": records(self.rate_capability),
            "warnings": list(self.warnings),
            "parameters": jsonable(self.parameters.to_dict()),
        }

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as a JSON string (``kwargs`` go to :func:`json.dumps`)."""
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-ready dicts."""
    columns = {str(c): frame[c].astype(object).to_numpy() for c in frame.columns}
    return [
        {name: jsonable(values[i]) for name, values in columns.items()} for i in range(len(frame))
    ]


def jsonable(value: Any) -> Any:
    """``value`` with NaN/Inf as ``None`` and numpy types as Python types, recursively."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
