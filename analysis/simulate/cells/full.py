"""Anode-less full cell (NCM811 against a seeded current collector) through the :mod:`.engine`
circuit: CC charge to 4.3 V then CV to C/20, CC discharge to 2.5 V.

Equilibrium voltage ``U_NCM(z / C) - U_an(x)``: ``z`` is the charge taken out of the cathode,
``x`` the Li on the anode side; ``U_an = 1.5 V exp(-x / (0.004 C))`` is ~0 while Li covers the
anode and rises when it is gone, which is what ends an anode-less discharge. A charge of ``dq``
moves ``z`` by ``dq`` and ``x`` by ``CE(n) dq`` (the rest becomes SEI and dead Li), a discharge
moves both back: so a cycle's discharge is CE(n) x its charge, and the next charge is what the
discharge brought back (the anode-less capacity fade, the product of the CEs). A soft short's
filament discharges the cell in rests and takes part of the charge current (:mod:`.engine`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analysis.simulate._trace import MODE_CC, MODE_CV, MODE_REST, CyclerTrace, FloatArray
from analysis.simulate.cells.engine import Channel, Short
from analysis.simulate.cells.half import _rate
from analysis.simulate.cells.spec import CellSpec

UPPER_V = 4.3
LOWER_V = 2.5
# NCM811 open-circuit voltage vs Li against the fraction of the cell's capacity taken out
_SOC = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.05, 1.12)
_OCV = (3.05, 3.4, 3.52, 3.6, 3.67, 3.73, 3.79, 3.86, 3.93, 4.01, 4.08, 4.15, 4.22, 4.3, 4.5)
_TABLE = np.interp(np.linspace(0.0, 1.12, 1121), _SOC, _OCV)


@dataclass
class FullCellState:
    """Charge out of the cathode ``z_mAh`` and Li on the anode ``x_mAh`` of a cell of capacity
    ``capacity_mAh``; ``ce`` is the fraction of the charge that stays cyclable Li."""

    capacity_mAh: float
    z_mAh: float = 0.0
    x_mAh: float = 0.0
    ce: float = 1.0

    def _voltage(self, z_mAh: float, x_mAh: float) -> float:
        s = min(max(z_mAh / self.capacity_mAh, 0.0), 1.119) * 1000.0
        i = int(s)
        f = s - i
        u = float(_TABLE[i] * (1.0 - f) + _TABLE[i + 1] * f)
        return u - 1.5 * math.exp(-max(x_mAh, 0.0) / (0.004 * self.capacity_mAh))

    def _moved(self, dq_mAh: float) -> tuple[float, float]:
        x = max(self.x_mAh + (self.ce * dq_mAh if dq_mAh > 0 else dq_mAh), 0.0)
        return self.z_mAh + dq_mAh, x

    def equilibrium_V(self) -> float:
        return self._voltage(self.z_mAh, self.x_mAh)

    def equilibrium_V_after(self, dq_mAh: float) -> float:
        return self._voltage(*self._moved(dq_mAh))

    def advance(self, dq_mAh: float) -> None:
        self.z_mAh, self.x_mAh = self._moved(dq_mAh)


def simulate_full(
    spec: CellSpec, ce: FloatArray, short: Short, rng: np.random.Generator
) -> tuple[CyclerTrace, list[float]]:
    """Run the CC-CV cycling of ``spec`` with the cycles' CEs ``ce``; returns the trace and the
    start time of every protocol cycle. Steps: 1 rest, 2 CC charge, 3 CV, 4 rest, 5 CC
    discharge, 6 rest, 7-8 EIS block, 10-15 HPPC block."""
    r = spec.realism
    area = spec.area_cm2
    asr = spec.asr_ohm_cm2 * rng.uniform(0.85, 1.15)
    trace = CyclerTrace(record_dt_s=r.record_dt_s, record_dv_V=r.record_dv_V)
    ch = Channel(
        r0_ohm=0.5 * asr / area,
        r1_ohm=0.5 * asr / area,
        tau_s=rng.uniform(60.0, 300.0),
        rng=rng,
        trace=trace,
        short=short,
        dt_s=20.0,
    )
    capacity = spec.capacity_mAh_cm2 * area
    cell = FullCellState(capacity_mAh=capacity * 1.02)
    ch.run(cell, mode=MODE_REST, value=0.0, max_s=600.0, step=1, cycle=1, dt_s=30.0)
    starts: list[float] = []
    onset = spec.short_onset
    for n in range(1, spec.last_cycle + 1):
        if onset is not None and spec.short_kind == "soft" and n >= onset:
            k = n - onset
            short.resistance_ohm = (
                spec.short_onset_ohm_cm2 / area * math.exp(-k / spec.short_efold_cycles)
            )
            short.dips_per_h = 1.0
            short.dip_ohm = rng.uniform(1200.0, 6300.0) / area  # ohm cm2 / cm2
        scale = _rate(spec, n)
        current = spec.c_rate * scale * capacity
        dt = 20.0 / scale
        if n in r.eis_before:
            ch.run(cell, mode=MODE_REST, value=0.0, max_s=900.0, step=7, cycle=n, dt_s=30.0)
            saved = trace.record_dt_s
            trace.record_dt_s = 5.0
            ch.run(cell, mode=MODE_REST, value=0.0, max_s=300.0, step=8, cycle=n, dt_s=5.0)
            trace.record_dt_s = saved
        if n in r.hppc_before:
            _hppc(ch, cell, spec, n, float(np.mean(ce[1:])) if ce.size > 1 else 0.99)
        starts.append(trace.end_time_s + 0.001)
        if onset == n and spec.short_kind == "hard":
            short.hard = True
            short.resistance_ohm = rng.uniform(0.5, 3.0)
            short.hard_from_s = starts[-1] + rng.uniform(0.2, 0.9) * 3600.0 / (spec.c_rate * scale)
        cell.ce = float(ce[n - 1])
        _charge(ch, cell, current, n, dt, spec.c_rate * scale)
        if r.rest_s:
            ch.run(cell, mode=MODE_REST, value=0.0, max_s=r.rest_s, step=4, cycle=n, dt_s=20.0)
        ch.run(
            cell,
            mode=MODE_CC,
            value=-current,
            max_s=1.5 * 3600.0 / (spec.c_rate * scale),
            step=5,
            cycle=n,
            limit_V=LOWER_V,
            dt_s=dt,
        )
        if r.rest_s:
            ch.run(cell, mode=MODE_REST, value=0.0, max_s=r.rest_s, step=6, cycle=n, dt_s=20.0)
    return trace, starts


def _charge(
    ch: Channel, cell: FullCellState, current: float, n: int, dt: float, c_rate: float
) -> None:
    """CC to 4.3 V (time limit 1.5 h / C-rate), then CV at 4.3 V to C/20 (at most 2 h): a
    charge that reaches no limit goes on to the next step, as schedules with a safety limit do."""
    reached = ch.run(
        cell,
        mode=MODE_CC,
        value=current,
        max_s=1.5 * 3600.0 / c_rate,
        step=2,
        cycle=n,
        limit_V=UPPER_V,
        dt_s=dt,
    )
    if reached:
        ch.run(
            cell,
            mode=MODE_CV,
            value=UPPER_V,
            max_s=2.0 * 3600.0,
            step=3,
            cycle=n,
            end_current_mA=current * 0.05 / c_rate,
            max_current_mA=current,
            dt_s=20.0,
        )


def _hppc(ch: Channel, cell: FullCellState, spec: CellSpec, n: int, ce: float) -> None:
    """A hybrid pulse power characterisation block (after the INL Battery Test Manual,
    INL/EXT-15-34184): full charge, then at four depths of discharge a 10 s discharge pulse at
    2 x the cycling current, 40 s rest, a 10 s charge pulse at 1.5 x, 40 s rest, 20 % of the
    capacity discharged and a 15 min rest; then discharge to 2.5 V."""
    capacity = cell.capacity_mAh
    current = spec.c_rate * capacity
    cell.ce = ce
    _charge(ch, cell, current, n, 20.0, spec.c_rate)
    ch.run(cell, mode=MODE_REST, value=0.0, max_s=1800.0, step=10, cycle=n, dt_s=30.0)
    saved = ch.trace.record_dt_s
    ch.trace.record_dt_s = 2.0  # the pulses are logged every 2 s
    for _ in range(4):
        ch.run(cell, mode=MODE_CC, value=-2.0 * current, max_s=10.0, step=11, cycle=n, dt_s=1.0)
        ch.run(cell, mode=MODE_REST, value=0.0, max_s=40.0, step=12, cycle=n, dt_s=2.0)
        ch.run(cell, mode=MODE_CC, value=1.5 * current, max_s=10.0, step=13, cycle=n, dt_s=1.0)
        ch.run(cell, mode=MODE_REST, value=0.0, max_s=40.0, step=12, cycle=n, dt_s=2.0)
        ch.run(
            cell,
            mode=MODE_CC,
            value=-current,
            max_s=0.2 * 3600.0 / spec.c_rate,
            step=14,
            cycle=n,
            limit_V=LOWER_V,
            dt_s=20.0,
        )
        ch.run(cell, mode=MODE_REST, value=0.0, max_s=900.0, step=15, cycle=n, dt_s=30.0)
    ch.trace.record_dt_s = saved
    ch.run(
        cell,
        mode=MODE_CC,
        value=-current,
        max_s=3600.0 / spec.c_rate,
        step=14,
        cycle=n,
        limit_V=LOWER_V,
        dt_s=20.0,
    )
    ch.run(cell, mode=MODE_REST, value=0.0, max_s=900.0, step=15, cycle=n, dt_s=30.0)
