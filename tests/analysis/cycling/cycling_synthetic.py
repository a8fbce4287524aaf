"""Synthetic cycling tests with known answers, in the canonical (BDF) table layout.

Every step is sampled at ``t0, t0 + dt, ..., t_end`` with ``t_end`` included, and the next step
starts with a row at the same ``t_end``: the current is piecewise linear between samples, so the
trapezoidal rule and the counters below are exact and the known capacities are the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

CounterStyle = Literal["none", "per_step", "per_test_converted", "per_test"]
ShortKind = Literal[
    "none",
    "soft_short_ce",
    "cutoff_not_reached",
    "sudden_voltage_drop",
    "voltage_collapse",
    "voltage_noise",
]

HALF_UPPER_CUTOFF_V = 1.0
FULL_UPPER_CUTOFF_V = 4.2
FULL_LOWER_CUTOFF_V = 3.0


@dataclass
class Protocol:
    """A synthetic test. Capacities in mAh, currents in mA, times in s."""

    cell_type: Literal["half", "full"] = "half"
    cycles: int = 6
    first_capacity_mAh: float = 1.0
    #: per-cycle first half-cycle capacity (overrides first_capacity_mAh)
    first_capacities_mAh: list[float] | None = None
    coulombic_efficiency: list[float] = field(default_factory=list)
    current_mA: float = 1.0
    currents_mA: list[float] | None = None
    dt_s: float = 30.0
    rest_after_first_s: float = 0.0
    rest_after_second_s: float = 0.0
    leading_rest_s: float = 0.0
    pause_inside_first_s: float = 0.0
    cv_fraction: float = 0.0
    counters: CounterStyle = "none"
    vendor_cycle: Literal["none", "consistent", "constant"] = "none"
    short: ShortKind = "none"
    short_cycle: int = 0
    base_noise_V: float = 0.0
    seed: int = 0


@dataclass
class Truth:
    first_mAh: list[float] = field(default_factory=list)
    second_mAh: list[float] = field(default_factory=list)

    @property
    def ce(self) -> list[float]:
        return [b / a for a, b in zip(self.first_mAh, self.second_mAh, strict=True)]


class _Builder:
    def __init__(self) -> None:
        self.t: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.i: list[np.ndarray] = []
        self.step: list[np.ndarray] = []
        self.cycle: list[np.ndarray] = []
        self.now = 0.0
        self.steps = 0

    def add(
        self,
        duration: float,
        dt: float,
        current_A: np.ndarray | float,
        voltage: np.ndarray | float,
        cycle: int,
    ) -> None:
        n = max(int(np.ceil(duration / dt)), 1)
        times = self.now + np.minimum(np.arange(n + 1) * dt, duration)
        frac = (times - self.now) / duration if duration > 0 else np.zeros(n + 1)
        cur = current_A(frac) if callable(current_A) else np.full(n + 1, current_A)
        volt = voltage(frac) if callable(voltage) else np.full(n + 1, voltage)
        self.steps += 1
        self.t.append(times)
        self.i.append(np.asarray(cur, dtype=float))
        self.v.append(np.asarray(volt, dtype=float))
        self.step.append(np.full(n + 1, self.steps))
        self.cycle.append(np.full(n + 1, cycle))
        self.now += duration


def build(p: Protocol) -> tuple[pd.DataFrame, Truth]:
    rng = np.random.default_rng(p.seed)
    b = _Builder()
    truth = Truth()
    half = p.cell_type == "half"
    first_sign = -1.0 if half else 1.0
    ces = p.coulombic_efficiency or [0.99] * p.cycles
    if p.leading_rest_s:
        b.add(p.leading_rest_s, p.dt_s, 0.0, 0.5 if half else 3.0, 1)
    for k in range(1, p.cycles + 1):
        shorted = p.short != "none" and k >= p.short_cycle
        current_mA = p.currents_mA[k - 1] if p.currents_mA else p.current_mA
        i_A = current_mA / 1000.0
        q1 = p.first_capacities_mAh[k - 1] if p.first_capacities_mAh else p.first_capacity_mAh
        # First half-cycle: plating (half) or charge (full), optionally split by a pause and
        # (full) ending with a CV step whose current falls linearly to 1/20.
        cv_q = q1 * p.cv_fraction if not half else 0.0
        cc_q = q1 - cv_q
        cc_time = cc_q / current_mA * 3600.0
        if half:

            def plate_v(f: np.ndarray, _s: bool = shorted) -> np.ndarray:
                if _s and p.short == "voltage_collapse":
                    return np.full_like(f, -0.0002)
                return -0.010 - 0.010 * f

            first_v = plate_v
        else:

            def first_v(f: np.ndarray, _s: bool = shorted) -> np.ndarray:
                v = 3.5 + 0.7 * f
                if _s and p.short == "sudden_voltage_drop":
                    v = np.where((f > 0.5) & (f < 0.6), v - 0.3, v)
                return v

        if p.pause_inside_first_s:
            b.add(cc_time / 2, p.dt_s, first_sign * i_A, lambda f, fv=first_v: fv(f / 2), k)
            b.add(p.pause_inside_first_s, p.dt_s, 0.0, 0.0 if half else 3.8, k)
            b.add(cc_time / 2, p.dt_s, first_sign * i_A, lambda f, fv=first_v: fv(0.5 + f / 2), k)
        else:
            b.add(cc_time, p.dt_s, first_sign * i_A, first_v, k)
        if cv_q:
            # Linear decay from I to I/20: charge = I * (1 + 1/20) / 2 * tau.
            tau = cv_q / (current_mA * 0.525) * 3600.0
            b.add(tau, p.dt_s, lambda f, ia=i_A: ia * (1 - 0.95 * f), FULL_UPPER_CUTOFF_V, k)
        if p.rest_after_first_s:
            b.add(p.rest_after_first_s, p.dt_s, 0.0, 0.0 if half else 4.1, k)
        # Second half-cycle: stripping (half) or discharge (full).
        ce = ces[k - 1]
        if half and shorted and p.short in ("cutoff_not_reached", "voltage_collapse"):
            # Across a short the stripping voltage cannot build up: the step runs on until
            # its time limit (here 1.6x the plated charge) without reaching the cut-off.
            ce = 1.6
        q2 = q1 * ce
        t2 = q2 / current_mA * 3600.0
        if half:

            def second_v(f: np.ndarray, _s: bool = shorted) -> np.ndarray:
                v = 0.010 + 0.010 * f
                if _s and p.short == "voltage_collapse":
                    return np.full_like(f, 0.0002)
                if _s and p.short == "cutoff_not_reached":
                    return v
                v = v.copy()
                v[-1] = HALF_UPPER_CUTOFF_V
                return v
        else:

            def second_v(f: np.ndarray) -> np.ndarray:
                return 4.0 - 1.0 * f

        b.add(t2, p.dt_s, -first_sign * i_A, second_v, k)
        if p.rest_after_second_s:
            b.add(p.rest_after_second_s, p.dt_s, 0.0, 0.5 if half else 3.2, k)
        truth.first_mAh.append(q1)
        truth.second_mAh.append(q2)

    t = np.concatenate(b.t)
    v = np.concatenate(b.v)
    i = np.concatenate(b.i)
    step = np.concatenate(b.step)
    cyc = np.concatenate(b.cycle)
    if p.base_noise_V:
        v = v + rng.normal(0, p.base_noise_V, v.size)
    if p.short == "voltage_noise":
        noisy = (cyc >= p.short_cycle) & (i != 0)
        v = v + np.where(noisy, rng.normal(0, 0.005, v.size), 0.0)
    table = pd.DataFrame({"test_time_second": t, "voltage_volt": v, "current_ampere": i})
    if p.counters != "none":
        table["step_count"] = step.astype(float)
        ch, dis = _counters(t, i, step, p.counters)
        table["charging_capacity_ah"] = ch
        table["discharging_capacity_ah"] = dis
    if p.vendor_cycle == "consistent":
        table["cycle_count"] = cyc.astype(float)
    elif p.vendor_cycle == "constant":
        table["cycle_count"] = 1.0
    return table, truth


def _counters(
    t: np.ndarray, i: np.ndarray, step: np.ndarray, style: CounterStyle
) -> tuple[np.ndarray, np.ndarray]:
    dt = np.diff(t, prepend=t[0])
    same = np.concatenate(([False], step[1:] == step[:-1]))
    # Charge since the previous row, only within a step (boundaries share their time).
    prev_i = np.concatenate(([0.0], i[:-1]))
    inc = np.where(same, 0.5 * (i + prev_i) * dt, 0.0) / 3600.0
    inc_ch = np.clip(inc, 0, None)
    inc_dis = np.clip(-inc, 0, None)
    if style == "per_test":
        return np.cumsum(inc_ch), np.cumsum(inc_dis)
    cum_ch, cum_dis = np.cumsum(inc_ch), np.cumsum(inc_dis)
    starts = np.flatnonzero(~same)
    lengths = np.diff(np.append(starts, t.size))
    if style == "per_test_converted":
        # What a reader does to a per-test counter: subtract its value before the step.
        base_ch = np.repeat(cum_ch[np.maximum(starts - 1, 0)] * (starts > 0), lengths)
        base_dis = np.repeat(cum_dis[np.maximum(starts - 1, 0)] * (starts > 0), lengths)
        return cum_ch - base_ch, cum_dis - base_dis
    base_ch = np.repeat(cum_ch[starts] - inc_ch[starts], lengths)
    base_dis = np.repeat(cum_dis[starts] - inc_dis[starts], lengths)
    return cum_ch - base_ch, cum_dis - base_dis
