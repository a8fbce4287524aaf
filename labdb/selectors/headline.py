"""The headline numbers of a cell (:class:`CellMetrics`), shared by the two ways of picking
them: in Python from given results (:func:`labdb.selectors.results.cell_metrics`) and in SQL
(:mod:`labdb.selectors.cell_summary`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from labdb import models as m

#: protocol kinds whose cycling result describes long-term cycling (cycles to short, CE)
LONG_TERM_KINDS = ("plating_stripping", "galvanostatic")


@dataclass
class CellMetrics:
    """The headline numbers of one cell (CE as fractions, RCT in ohm cm2 or ohm)."""

    cell: m.Cell
    result: m.AnalysisResult | None
    ice: float | None = None
    average_ce: float | None = None
    cumulative_ce: float | None = None
    cycles: int | None = None
    short_circuit_cycle: int | None = None
    cycle_life: int | None = None
    retention: float | None = None
    total_time_h: float | None = None
    rct_after: dict[int, float | None] = field(default_factory=dict)

    def value(self, key: str) -> float | None:
        if key.startswith("rct_"):
            return self.rct_after.get(int(key.split("_")[1]))
        v = getattr(self, key)
        return None if v is None else float(v)
