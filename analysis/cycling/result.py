"""The frozen result of a cycling analysis and its JSON form."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analysis.cycling.events import ShortCircuitEvent
from analysis.cycling.parameters import CellType, CyclingParameters
from analysis.serial import jsonable, records

__all__ = ["CyclingResult", "jsonable", "records"]


@dataclass(frozen=True)
class CyclingResult:
    """What :func:`analysis.cycling.analyze_cycling` found.

    ``cycles``: one row per cycle (columns and units in docs/metrics-cycling.md);
    ``metrics``: run metrics by key; ``short_circuits``: every rule firing, by cycle (the first
    is the failure); ``rate_capability``: mean reversible capacity per current step;
    ``half_cycles``: one row per half-cycle (direction, rows, times, capacity);
    ``warnings``: what the user should know about the data; ``parameters``: the parameters
    used, cell-type defaults filled in; ``profiles``: voltage against the charge passed in
    each half-cycle, one row per table row (only when asked for).
    """

    cell_type: CellType
    cycles: pd.DataFrame
    metrics: Mapping[str, Any]
    short_circuits: tuple[ShortCircuitEvent, ...]
    rate_capability: pd.DataFrame
    half_cycles: pd.DataFrame
    warnings: tuple[str, ...]
    parameters: CyclingParameters
    #: voltage-profile curves (``analyze_cycling(..., profiles=True)``), else None
    profiles: pd.DataFrame | None = field(default=None, repr=False, compare=False)

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
