"""Anode-less half cell (seeded working electrode against Li): plating, then stripping to the
cut-off, through the :mod:`.engine` circuit.

Equilibrium voltage of the working electrode against Li (the overpotential is the circuit's
``R0 I + v1``, so it scales with the current and relaxes in rests):

- plating of cycle n, against the charge ``p`` plated in the step (mAh): from where the last
  step left it down through the seed's alloying plateaus (``alloy_V``, taking ``alloy_share``
  of the capacity), then Li at 0 V with a nucleation dip (``nucleation_V`` on cycle 1, a third
  later) that decays over 4 % of the capacity;
- stripping, against the charge stripped ``p``: Li at 0 V (rising by 35 mV near its end as
  contact is lost), then the reversible alloy capacity de-alloys while the voltage rises
  exponentially; the total that can come back is ``CE(n) x`` the charge that was plated
  electrochemically, so CE < 1 is the step reaching its cut-off early, and CE > 1 (trapped Li
  coming back) is the step lasting longer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analysis.simulate._trace import MODE_CC, MODE_REST, CyclerTrace, FloatArray
from analysis.simulate.cells.engine import Channel, Short
from analysis.simulate.cells.spec import CellSpec

_GRID = 2048


@dataclass
class Tabulated:
    """An equilibrium curve tabulated on a uniform charge grid, followed as charge passes."""

    q_max_mAh: float
    values_V: FloatArray
    q_mAh: float = 0.0
    sign: float = 1.0  # +1: positive current advances the curve (stripping), -1: plating

    def equilibrium_V(self) -> float:
        return self.equilibrium_V_after(0.0)

    def equilibrium_V_after(self, dq_mAh: float) -> float:
        q = self.q_mAh + self.sign * dq_mAh
        x = min(max(q / self.q_max_mAh, 0.0), 1.0) * (self.values_V.size - 1)
        i = min(int(x), self.values_V.size - 2)
        f = x - i
        return float(self.values_V[i] * (1.0 - f) + self.values_V[i + 1] * f)

    def advance(self, dq_mAh: float) -> None:
        self.q_mAh += self.sign * dq_mAh


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * np.clip(x, -60.0, 60.0))), dtype=np.float64)


@dataclass(frozen=True)
class Seed:
    """The seed layer's alloying: plateaus (V vs Li), share of the capacity, nucleation dip."""

    alloy_V: tuple[float, ...] = (0.1, 0.05)
    alloy_share: float = 0.06
    reversible_share: float = 0.02
    nucleation_V: float = 0.015
    open_circuit_V: float = 1.9


def plating_curve(seed: Seed, n: int, start_V: float, capacity_mAh: float) -> Tabulated:
    """Equilibrium voltage of the plating of cycle ``n`` (see the module docstring)."""
    q_max = 2.0 * capacity_mAh
    q = np.linspace(0.0, q_max, _GRID) / capacity_mAh
    total = seed.alloy_share if n == 1 else seed.reversible_share
    share = total / len(seed.alloy_V)
    curve = np.full(q.size, start_V)
    previous = start_V
    onsets = [0.002] + [share * (i + 1) for i in range(len(seed.alloy_V))]
    widths = [0.001] + [0.15 * share] * len(seed.alloy_V)
    plateaus = [min(v, 0.9 * start_V) for v in seed.alloy_V]  # below where stripping stopped
    for onset, width, target in zip(onsets, widths, [*plateaus, 0.0], strict=True):
        curve = curve + (target - previous) * _sigmoid((q - onset) / width)
        previous = target
    li = q - total
    dip = seed.nucleation_V * (1.0 if n == 1 else 0.35)
    curve = curve - dip * _sigmoid(li / (0.1 * share)) * np.exp(-np.clip(li, 0.0, None) / 0.04)
    return Tabulated(q_max, curve, sign=-1.0)


def stripping_curve(
    seed: Seed, available_mAh: float, capacity_mAh: float, end_V: float
) -> Tabulated:
    """Equilibrium voltage of a stripping that can give back ``available_mAh``, reaching
    ``end_V`` (the cut-off less the overpotential) when all of it has come back."""
    q_max = max(available_mAh * 1.6, 0.05 * capacity_mAh)
    q = np.linspace(0.0, q_max, _GRID)
    tail = max(min(seed.reversible_share * capacity_mAh, 0.5 * available_mAh), 1e-6)
    q_li = max(available_mAh - tail, 1e-9)
    x = np.clip(q / q_li, 0.0, 1.0)
    li_V = 0.035 * x**10
    y = (q - q_li) / tail
    rise = np.expm1(3.0 * np.clip(y, 0.0, 8.0)) / math.expm1(3.0) * (end_V - 0.035)
    return Tabulated(q_max, np.asarray(li_V + rise, dtype=np.float64), sign=1.0)


def simulate_half(
    spec: CellSpec, ce: FloatArray, short: Short, rng: np.random.Generator, seed: Seed
) -> tuple[CyclerTrace, list[float]]:
    """Run the plating/stripping protocol of ``spec`` with the cycles' CEs ``ce``; returns the
    trace and the start time of every protocol cycle. Steps: 0 rest, 1 plating, 2 stripping,
    3 rest, 4 EIS (zero DC current)."""
    r = spec.realism
    area = spec.area_cm2
    asr = spec.asr_ohm_cm2 * rng.uniform(0.85, 1.15)
    trace = CyclerTrace(record_dt_s=r.record_dt_s, record_dv_V=r.record_dv_V)
    ch = Channel(
        r0_ohm=0.4 * asr / area,
        r1_ohm=0.6 * asr / area,
        tau_s=rng.uniform(30.0, 120.0),
        rng=rng,
        trace=trace,
        short=short,
        dt_s=10.0,
    )
    capacity = spec.capacity_mAh_cm2 * area
    rest = Tabulated(1.0, np.full(4, seed.open_circuit_V))
    ch.run(rest, mode=MODE_REST, value=0.0, max_s=600.0, step=0, cycle=1, dt_s=30.0)
    starts: list[float] = []
    last_V = seed.open_circuit_V
    onset = spec.short_onset
    for n in range(1, spec.last_cycle + 1):
        if onset is not None and spec.short_kind == "soft" and n >= onset:
            k = n - onset
            floor = 3.0 / area
            short.resistance_ohm = max(
                floor, spec.short_onset_ohm_cm2 / area * math.exp(-k / spec.short_efold_cycles)
            )
        scale = _rate(spec, n)
        current = spec.current_density_mA_cm2 * area * scale
        if n in r.eis_before:
            _eis_block(ch, last_V, n)
        starts.append(ch.trace.end_time_s + 0.001)
        if onset == n and spec.short_kind == "hard":
            plating_s = capacity / current * 3600.0
            short.hard = True
            short.resistance_ohm = rng.uniform(0.5, 3.0)
            short.hard_from_s = starts[-1] + rng.uniform(0.2, 0.95) * plating_s
        plate = plating_curve(seed, n, last_V, capacity)
        ch.run(
            plate,
            mode=MODE_CC,
            value=-current,
            max_s=capacity / current * 3600.0,
            step=1,
            cycle=n,
            dt_s=10.0 / scale,
        )
        plated = plate.q_mAh
        if r.rest_s:
            ch.run(plate, mode=MODE_REST, value=0.0, max_s=r.rest_s, step=3, cycle=n, dt_s=10.0)
        end_V = spec.strip_cutoff_V - (ch.r0_ohm + ch.r1_ohm) * current / 1000.0
        strip = stripping_curve(seed, float(ce[n - 1]) * max(plated, 0.0), capacity, end_V)
        ch.run(
            strip,
            mode=MODE_CC,
            value=current,
            max_s=2.0 * capacity / current * 3600.0,
            step=2,
            cycle=n,
            limit_V=spec.strip_cutoff_V,
            dt_s=10.0 / scale,
        )
        last_V = min(strip.equilibrium_V() + ch.v1_V, spec.strip_cutoff_V)
        if r.rest_s:
            ch.run(strip, mode=MODE_REST, value=0.0, max_s=r.rest_s, step=3, cycle=n, dt_s=10.0)
            last_V = strip.equilibrium_V() + ch.v1_V
    return trace, starts


def _rate(spec: CellSpec, n: int) -> float:
    """Current multiplier of cycle ``n``: formation, then the rate steps, then 1."""
    r = spec.realism
    if n <= r.formation_cycles:
        return r.formation_rate
    k = (n - r.formation_cycles - 1) // max(r.cycles_per_rate, 1)
    if k < len(r.rate_steps):
        return r.rate_steps[k]
    return 1.0


def _eis_block(ch: Channel, v_V: float, n: int) -> None:
    """A 15 min rest, then a potentiostatic EIS at open circuit: zero DC current, the DC
    voltage recorded every few seconds (as EC-Lab logs the PEIS rows in a cycling file)."""
    hold = Tabulated(1.0, np.full(4, v_V))
    ch.run(hold, mode=MODE_REST, value=0.0, max_s=900.0, step=3, cycle=n, dt_s=30.0)
    saved = ch.trace.record_dt_s
    ch.trace.record_dt_s = 5.0
    ch.run(hold, mode=MODE_REST, value=0.0, max_s=300.0, step=4, cycle=n, dt_s=5.0)
    ch.trace.record_dt_s = saved
