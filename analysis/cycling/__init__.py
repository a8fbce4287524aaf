"""Cycling analysis: half-cycles, capacities, coulombic efficiency, retention, short circuits.

``analyze_cycling(table, cell_type=...)`` takes the canonical cycling table of
:mod:`analysis.readers` and returns a frozen :class:`CyclingResult`. Definitions, units and
references: :mod:`analysis.cycling.metrics` (CE conventions), :mod:`analysis.cycling.halfcycles`
(capacities), :mod:`analysis.cycling.shorts` (short-circuit rules) and docs/metrics-cycling.md.

The names below are imported on first use (PEP 562): the parameters
(:mod:`analysis.cycling.parameters`) are read by the command line before it reads a file, and
the analysis, which imports pandas, is not needed until after the read (:mod:`analysis.lazy`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.cycling.analyze import analyze_cycling
    from analysis.cycling.events import ShortCircuitEvent
    from analysis.cycling.parameters import SHORT_CIRCUIT_RULES, CellType, CyclingParameters
    from analysis.cycling.result import CyclingResult

__all__ = [
    "SHORT_CIRCUIT_RULES",
    "CellType",
    "CyclingParameters",
    "CyclingResult",
    "ShortCircuitEvent",
    "analyze_cycling",
]

#: exported name -> module of this package that defines it
_HOMES = {
    "SHORT_CIRCUIT_RULES": "parameters",
    "CellType": "parameters",
    "CyclingParameters": "parameters",
    "CyclingResult": "result",
    "ShortCircuitEvent": "events",
    "analyze_cycling": "analyze",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
