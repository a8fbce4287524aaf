"""What a generated cell is asked to be (:class:`CellSpec`, :class:`Realism`) and what it was
(:class:`CellTruth`), kept with its canonical table in a :class:`GeneratedCell`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

CellType = Literal["half", "full"]
ShortKind = Literal["hard", "soft"]
CycleIndex = Literal["protocol", "zero_based", "arbin", "none"]


@dataclass(frozen=True)
class Realism:
    """What real cells and cyclers add to a clean cycling record (magnitudes and references in
    docs/simulator.md). Every field's default is "absent"."""

    #: white voltage noise of the instrument, V (standard deviation per recorded sample)
    noise_V: float = 0.0
    #: resolution of the recorded voltage (ADC step or export rounding), V; 0: none
    quantum_V: float = 0.0
    #: number of single-sample voltage glitches, each of ``glitch_V`` (random sign)
    glitches: int = 0
    glitch_V: tuple[float, float] = (0.010, 0.020)
    #: trapped (inactive) Li events: a cycle loses extra Li that comes back the cycle after
    ce_recovery_events: int = 0
    #: fraction of the first charging half-cycle (plating / charge) that the file holds
    partial_first: float | None = None
    #: rest after every half-cycle, s (the voltage relaxes through the RC element)
    rest_s: float = 0.0
    #: the cycler's current sign is the opposite of the convention (BDF: + charges the cell)
    flipped_sign: bool = False
    #: protocol cycles before which an HPPC block is run (full cells)
    hppc_before: tuple[int, ...] = ()
    #: protocol cycles before which a rest and an EIS measurement (zero DC current) are run
    eis_before: tuple[int, ...] = ()
    #: first cycles at the formation rate (``formation_rate`` x the cycling current)
    formation_cycles: int = 0
    formation_rate: float = 0.2
    #: current multipliers of consecutive blocks of ``cycles_per_rate`` cycles after formation
    rate_steps: tuple[float, ...] = ()
    cycles_per_rate: int = 3
    #: how the file numbers its cycles (the column is absent with "none")
    cycle_index: CycleIndex = "protocol"
    #: the cycler's logging: a row every ``record_dt_s`` of step time and on every
    #: ``record_dv_V`` of voltage change (EC-Lab's dt1/dE1, Arbin's dt/dV), and at step ends
    record_dt_s: float = 60.0
    record_dv_V: float = 0.01

    def options(self) -> tuple[str, ...]:
        """Names of the options that are on (for per-option statistics)."""
        on = []
        if self.noise_V >= 0.001:
            on.append("noise>=1mV")
        elif self.noise_V > 0:
            on.append("noise<1mV")
        if self.quantum_V > 0:
            on.append("quantisation")
        if self.glitches:
            on.append("glitches")
        if self.ce_recovery_events:
            on.append("ce_recovery")
        if self.partial_first is not None:
            on.append("partial_first")
        if self.rest_s > 0:
            on.append("rests")
        if self.flipped_sign:
            on.append("flipped_sign")
        if self.hppc_before:
            on.append("hppc")
        if self.eis_before:
            on.append("eis_steps")
        if self.formation_cycles:
            on.append("formation")
        if self.rate_steps:
            on.append("rate_steps")
        if self.cycle_index != "protocol":
            on.append(f"cycle_index={self.cycle_index}")
        return tuple(on)


@dataclass(frozen=True)
class CellSpec:
    """One cell to generate: type, protocol length, its short (if any) and the realism options.

    Half cell: anode-less working electrode against Li, plating then stripping to
    ``strip_cutoff_V`` at ``current_density_mA_cm2`` for ``capacity_mAh_cm2``. Full cell:
    NCM811 against an anode-less electrode, CC-CV charge to 4.3 V, CC discharge to 2.5 V at
    ``c_rate`` (1C = ``capacity_mAh_cm2`` per hour).
    """

    cell_type: CellType
    cycles: int
    short_kind: ShortKind | None = None
    short_onset: int | None = None
    cycles_after_short: int = 6
    realism: Realism = field(default_factory=Realism)
    area_cm2: float = 0.785
    current_density_mA_cm2: float = 1.0
    capacity_mAh_cm2: float = 1.0
    strip_cutoff_V: float = 1.0
    c_rate: float = 0.5
    initial_ce: float = 0.85
    average_ce: float = 0.995
    ce_scatter: float = 0.0008
    #: area-specific resistance of the cell, ohm cm2 (sets the overpotential: R I)
    asr_ohm_cm2: float = 15.0
    #: how fast a soft short's filament resistance falls, cycles (e-fold)
    short_efold_cycles: float = 2.0
    #: a soft short's filament resistance in its first cycle, ohm cm2
    short_onset_ohm_cm2: float = 1500.0

    @property
    def last_cycle(self) -> int:
        if self.short_onset is None:
            return self.cycles
        return min(self.cycles, self.short_onset + self.cycles_after_short)


@dataclass(frozen=True)
class CellTruth:
    """What the generated cell really did: ``short_onset`` (protocol cycle, 1-based, of the
    first cycle the filament carries current) or None, the ``short_kind``, the electrochemical
    CE of every protocol cycle (index 0 is cycle 1; what a correct analysis of a healthy cycle
    finds), the test time at which each protocol cycle starts, and the options that were on."""

    cell_type: CellType
    short_kind: ShortKind | None
    short_onset: int | None
    ce: tuple[float, ...]
    cycle_start_s: tuple[float, ...]
    options: tuple[str, ...]
    seed: int

    def protocol_cycle_at(self, time_s: float) -> int:
        """The protocol cycle (1-based) running at test time ``time_s``: a block inserted
        before a cycle (HPPC, EIS, rests) counts with the cycle before it."""
        starts = np.asarray(self.cycle_start_s)
        return max(1, int(np.searchsorted(starts, time_s + 1e-6, side="right")))


@dataclass(frozen=True)
class GeneratedCell:
    """A generated cell: the canonical cycling table (as a reader returns it), its truth and
    the spec it came from."""

    table: pd.DataFrame
    truth: CellTruth
    spec: CellSpec
