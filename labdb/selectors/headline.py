"""The headline numbers of a cell (:class:`CellMetrics`), shared by the two ways of picking
them: in Python from given results (:func:`labdb.selectors.results.cell_metrics`) and in SQL
(:mod:`labdb.selectors.cell_summary`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from labdb import models as m

#: protocol kinds whose cycling result describes long-term cycling (cycles to short, CE)
LONG_TERM_KINDS = ("plating_stripping", "galvanostatic")


#: statistics key -> the attribute it reads, where they differ: "cycles to short" keeps the
#: run-metric column's name (short_circuit_cycle) but is a count of the cycles run
STAT_ATTRIBUTE = {"short_circuit_cycle": "cycles_to_short"}


@dataclass(slots=True)  # no __dict__: a decade's /compare/ builds 10,000
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
    #: cycles run up to and including the short's onset (None: no short): ``cycle_life`` + 1,
    #: counted in the order the cycles ran; ``short_circuit_cycle`` is the onset's number as
    #: the result reports it, the vendor's label where the file numbers its cycles, which skips
    #: numbers where the vendor counts an EIS or a partial step as a cycle
    cycles_to_short: int | None = None
    retention: float | None = None
    total_time_h: float | None = None
    rct_after: dict[int, float | None] = field(default_factory=dict)

    def take_main(self, main: m.AnalysisResult, formation_ice: float | None) -> None:
        """Fill the numbers from the cell's main cycling result; a full cell's ICE comes from
        its formation run when it has one, and only a full cell reports retention."""
        full = self.cell.kind == "full"
        ice = formation_ice if full else None
        self.result = main
        self.ice = ice if ice is not None else main.initial_coulombic_efficiency
        self.average_ce = main.average_coulombic_efficiency
        self.cumulative_ce = main.cumulative_coulombic_efficiency
        self.cycles = main.cycle_count
        self.short_circuit_cycle = main.short_circuit_cycle
        self.cycle_life = main.cycle_life
        self.cycles_to_short = main.short_circuit_cycle
        if main.short_circuit_cycle is not None and main.cycle_life is not None:
            self.cycles_to_short = main.cycle_life + 1
        self.retention = main.capacity_retention if full else None
        self.total_time_h = main.total_time_h

    def value(self, key: str) -> float | None:
        if key.startswith("rct_"):
            return self.rct_after.get(int(key.split("_")[1]))
        v = getattr(self, STAT_ATTRIBUTE.get(key, key))
        return None if v is None else float(v)
