"""Cycling analysis: half-cycles, capacities, coulombic efficiency, retention, short circuits.

``analyze_cycling(table, cell_type=...)`` takes the canonical cycling table of
:mod:`analysis.readers` and returns a frozen :class:`CyclingResult`. Definitions, units and
references: :mod:`analysis.cycling.metrics` (CE conventions), :mod:`analysis.cycling.halfcycles`
(capacities), :mod:`analysis.cycling.shorts` (short-circuit rules) and docs/metrics-cycling.md.
"""

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
