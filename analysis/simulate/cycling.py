"""Simulated galvanostatic cycling of the demo study's cells. DEMO DATA, not measurements.

A small, seeded, deterministic model that produces the shapes and numbers the users' paper reports
(Oh, Sohn & Choi, EES Batteries 2025, 1, 566-575), so that the demo exercises the real readers
and analyses. It is a phenomenological model: curves are built from charge-dependent voltage
terms, not from a transport model. All currents are for the demo's 0.785 cm2 cells.

Half cells: Li | Li6PS5Cl | seed layer (working electrode), :func:`simulate_half_cell`
    Protocol (GCPL, BioLogic BCS-805): 10 min open circuit, then cycles of plating at
    -1 mA/cm2 for 1 h (1 mAh/cm2; negative current: reduction at the anode-less working
    electrode) and stripping at +1 mA/cm2 until 1.0 V vs Li (safety limit 2 h), no rest.

    Plating voltage, as a function of the charge q passed in the step: the seeds first lithiate
    on the alloy plateaus of :attr:`HalfCellModel.alloy_plateaus_V` (the first plating from the
    open-circuit voltage, spending :attr:`~HalfCellModel.alloy_fraction` of the capacity; later
    platings re-lithiate the reversible part), then Li nucleates with an extra overpotential
    (:attr:`~HalfCellModel.nucleation_V` on the first cycle, a third of it later) that decays
    over ~2.4 min (4 % of the capacity), then grows on a plateau at ``-eta_p(n)``, with
    ``eta_p(n) = plating_overpotential_V * (1 + overpotential_growth * (n - 1) / 100)``.

    Stripping: the cycle's coulombic efficiency CE(n) fixes the charge that can come back:
    ``CE(n) * Q_plated``. Li strips at ``+eta_s(n)`` rising by 12 % over the step and sharply
    near the end (contact loss), then the reversible seed capacity de-alloys while the voltage
    rises exponentially to the 1.0 V cut-off, which ends the step. So CE < 1 is the stripping
    step ending early, as on a real cycler. CE(1) is the ICE; CE(n >= 2) approaches the average
    CE (the model's expected value after conditioning, the paper's figure) with a short
    conditioning transient and independent scatter ``ce_scatter``; nothing is shifted or capped,
    so the average over an analysis window differs from ``average_ce`` by the draw.

    Soft short from cycle ``short_cycle`` on (k = n - short_cycle): a Li filament carries a
    fraction ``f_p = 1 - 0.7 exp(-k/2)`` of the plating current and ``f_s = min(0.04 + 0.035 k,
    0.35)`` (x 1 +- 15 %) of the stripping current. Plating voltage collapses towards 0 V
    (``x (1 - f_p)``); stripping dissolves Li at ``(1 - f_s) I`` so the cut-off comes late or not
    at all (CE = CE(n) / (1 - f_s) > 1, capped by the 2 h limit); both are noisy (extra white
    noise 15 % of the overpotential times ``1 - f_p``, a few mV at the onset). The run stops
    ``cycles_after_short`` cycles after the onset, as an operator would stop it.

    White voltage noise ``noise_V`` (0.3 mV) on the 5 s internal grid (1 s near the step ends);
    records every 120 s of step time and on 100 mV of voltage change (EC-Lab's dt1/dE1), and at
    each step's end, so that a 470 h run stays near 5 MB of text.

Full cell: NCM811 | Li6PS5Cl | MgAgSn-Elastane anode-less, :func:`simulate_full_cell`
    1C = 2 mA/cm2 (1.57 mA), 2.5-4.3 V, CC charge then CV at 4.3 V until the current falls to
    0.05C (at most half of the CC current), CC discharge to 2.5 V, 10 min rests after each
    half-cycle. Voltage ``U(s) +- I R(n)`` with an NCM811 open-circuit curve ``U`` (3.05 V at
    s = 0 to 4.22 V at s = 1, tabulated below), ``R(n)`` from 80 ohm cm2 growing 0.8 % per cycle,
    and exponential knees so that the CC steps end exactly at their limits. The first charge of
    the formation cycle starts at 1.0 V (no Li on the anode side) and rises through seed
    lithiation within the first 1 % of the charge. Capacities (mAh/cm2): formation charge
    2.36, discharge ICE x 2.36 with ICE = 0.85; rate capability factors 1.00, 0.95, 0.86, 0.74 at
    0.1, 0.2, 0.5 and 1C; at 0.5C the discharge capacity fades as ``1 - 0.30 ((n-1)/99)^1.15``
    (70 % retention at cycle 100, the expected value): each cycle's charge is the previous
    discharge and its discharge that charge times a CE drawn around the fade curve's ratio
    (~99.6 %, scatter 0.05 %), see :func:`full_cell_capacities`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from analysis.simulate._trace import (
    MODE_CC,
    MODE_CV,
    MODE_REST,
    CyclerTrace,
    FloatArray,
    fine_grid,
)

AREA_CM2 = 0.785
HALF_CELL_CURRENT_mA = 1.0 * AREA_CM2  # 1 mA/cm2
HALF_CELL_CAPACITY_mAh = 1.0 * AREA_CM2  # 1 mAh/cm2
STRIP_CUTOFF_V = 1.0
STRIP_TIME_LIMIT_S = 2 * 3600.0
PLATING_TIME_S = 3600.0
OPEN_CIRCUIT_S = 600.0
#: EC-Lab's recording criteria of the plating/stripping runs (dt1, dE1): 470 h stay ~5 MB.
HALF_CELL_RECORD_DT_S = 120.0
HALF_CELL_RECORD_DV_V = 0.1

ONE_C_mA = 2.0 * AREA_CM2  # 1C = 2 mA/cm2
FULL_UPPER_V = 4.3
FULL_LOWER_V = 2.5
FULL_REST_S = 600.0

# NCM811 open-circuit voltage vs Li against the state of charge of the accessible capacity.
_NCM_SOC = np.array([0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
_NCM_OCV = np.array([3.05, 3.4, 3.52, 3.6, 3.67, 3.73, 3.79, 3.86, 3.93, 4.01, 4.08, 4.15, 4.22])


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * np.clip(x, -60.0, 60.0))), dtype=np.float64)


@dataclass(frozen=True)
class HalfCellModel:
    """Parameters of one simulated half cell (see the module docstring for the model)."""

    initial_ce: float
    average_ce: float
    cycles: int
    short_cycle: int | None = None
    cycles_after_short: int = 10
    plating_overpotential_V: float = 0.015
    stripping_overpotential_V: float = 0.013
    overpotential_growth: float = 0.3
    nucleation_V: float = 0.02
    alloy_plateaus_V: tuple[float, ...] = (0.05,)
    alloy_fraction: float = 0.06
    reversible_alloy_fraction: float = 0.02
    open_circuit_V: float = 1.9
    noise_V: float = 0.0003
    ce_scatter: float = 0.0008
    conditioning_ce_loss: float = 0.01

    @property
    def last_cycle(self) -> int:
        if self.short_cycle is None:
            return self.cycles
        return min(self.cycles, self.short_cycle + self.cycles_after_short)


def coulombic_efficiencies(model: HalfCellModel, rng: np.random.Generator) -> FloatArray:
    """CE of every cycle without the short's extra stripping (index 0 is cycle 1).

    The model's expected values, drawn once with independent scatter: ``initial_ce`` (sd 0.001)
    for cycle 1, ``average_ce - conditioning_ce_loss * exp(-(n - 2) / 4)`` (sd ``ce_scatter``)
    for cycle n >= 2. Nothing is shifted or capped afterwards: the mean over any window is
    whatever the draw gives (and a CE above 1 is possible), as on a real cell.
    """
    n = model.last_cycle
    k = np.arange(2, n + 1, dtype=np.float64)
    expected = model.average_ce - model.conditioning_ce_loss * np.exp(-(k - 2) / 4.0)
    ce = expected + rng.normal(0.0, model.ce_scatter, k.size)
    first = model.initial_ce + rng.normal(0.0, 0.001)
    return np.concatenate(([first], ce))


def half_cell_true_ce(model: HalfCellModel, *, seed: int) -> FloatArray:
    """The CE the cell of :func:`simulate_half_cell` (same ``seed``) has in each cycle, before a
    short's extra stripping (index 0 is cycle 1): the generated truth an analysis should find."""
    return coulombic_efficiencies(model, np.random.default_rng([seed, 1]))


def plating_curve(
    model: HalfCellModel, n: int, f_short: float, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Plating step of cycle ``n``: fine-grid time (s), noisy and noise-free voltage (V)."""
    t = fine_grid(PLATING_TIME_S, fine_head_s=300.0)
    q = t / PLATING_TIME_S  # fraction of the areal capacity plated
    plateaus = model.alloy_plateaus_V
    if n == 1:
        start_V, total = model.open_circuit_V, model.alloy_fraction
    else:
        start_V, total = 0.9 * STRIP_CUTOFF_V, model.reversible_alloy_fraction
    growth = 1.0 + model.overpotential_growth * (n - 1) / 100.0
    eta = model.plating_overpotential_V * growth * (1.0 + rng.normal(0.0, 0.02))
    levels = [start_V, *plateaus]
    share = total / len(plateaus)
    clean = np.full(q.size, start_V)
    onsets = [0.002] + [share * (i + 1) for i in range(len(plateaus))]
    widths = [0.001] + [0.15 * share] * len(plateaus)
    targets = [*levels[1:], -eta]
    previous = start_V
    for onset, width, target in zip(onsets, widths, targets, strict=True):
        clean = clean + (target - previous) * _sigmoid((q - onset) / width)
        previous = target
    li = q - total
    clean = clean - eta * 0.05 * (np.clip(li, 0, None) - 0.5)  # growing deposit area
    dip = model.nucleation_V * (1.0 if n == 1 else 0.35)
    clean = clean - dip * _sigmoid(li / (0.1 * share)) * np.exp(-np.clip(li, 0, None) / 0.04)
    clean = clean * (1.0 - f_short)
    sigma = model.noise_V + (0.15 * eta * (1.0 - f_short) if f_short > 0 else 0.0)
    voltage = clean + rng.normal(0.0, sigma, q.size)
    return t, np.asarray(voltage, dtype=np.float64), clean


def stripping_curve(
    model: HalfCellModel, n: int, ce: float, f_short: float, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Stripping step of cycle ``n`` with efficiency ``ce``: time (s), noisy and clean V."""
    echem = ce * HALF_CELL_CAPACITY_mAh  # charge the electrode can give back, mAh
    applied = echem / (1.0 - f_short)
    duration = min(applied / HALF_CELL_CURRENT_mA * 3600.0, STRIP_TIME_LIMIT_S)
    t = fine_grid(duration, fine_head_s=60.0)
    q_e = HALF_CELL_CURRENT_mA * t / 3600.0 * (1.0 - f_short)
    tail = model.reversible_alloy_fraction * HALF_CELL_CAPACITY_mAh
    q_li = echem - tail
    growth = 1.0 + model.overpotential_growth * (n - 1) / 100.0
    eta = model.stripping_overpotential_V * growth * (1.0 + rng.normal(0.0, 0.02))
    x = np.clip(q_e / q_li, 0.0, 1.0)
    li_V = eta * (1.0 + 0.12 * x) + 0.035 * x**10
    end_V = eta * 1.12 + 0.035
    y = np.clip((q_e - q_li) / tail, 0.0, 1.0)
    rise = (np.expm1(3.0 * y) / math.expm1(3.0)) * (STRIP_CUTOFF_V - end_V)
    clean = (li_V + rise) * (1.0 - f_short)
    sigma = model.noise_V + (0.15 * eta if f_short > 0 else 0.0)
    voltage = clean + rng.normal(0.0, sigma, t.size)
    if duration < STRIP_TIME_LIMIT_S:
        voltage[-1] = clean[-1] = STRIP_CUTOFF_V  # the point where the limit was reached
    return t, np.asarray(voltage, dtype=np.float64), clean


def simulate_half_cell(model: HalfCellModel, *, seed: int) -> CyclerTrace:
    """The recorded rows of a plating/stripping test (BioLogic GCPL: Ns 0 rest, 1 plating,
    2 stripping; EC-Lab cycle numbers from 0).

    The cycles' CEs come from their own random stream, ``coulombic_efficiencies(model,
    np.random.default_rng([seed, 1]))`` (:func:`half_cell_true_ce`): a test can know the truth
    without simulating the curves."""
    rng = np.random.default_rng(seed)
    trace = CyclerTrace(record_dt_s=HALF_CELL_RECORD_DT_S, record_dv_V=HALF_CELL_RECORD_DV_V)
    t0 = np.arange(0.0, OPEN_CIRCUIT_S + 1.0, 5.0)
    ocv = model.open_circuit_V - 0.01 * (1.0 - np.exp(-t0 / 200.0))
    trace.add(
        t0,
        ocv + rng.normal(0.0, model.noise_V, t0.size),
        np.zeros(t0.size),
        step=0,
        cycle=0,
        mode=MODE_REST,
        control=0.0,
        clean_V=ocv,
    )
    ces = coulombic_efficiencies(model, np.random.default_rng([seed, 1]))
    for n in range(1, model.last_cycle + 1):
        k = None if model.short_cycle is None else n - model.short_cycle
        f_p = f_s = 0.0
        if k is not None and k >= 0:
            f_p = 1.0 - 0.7 * math.exp(-k / 2.0)
            f_s = min(0.04 + 0.035 * k, 0.35) * (1.0 + rng.uniform(-0.15, 0.15))
        t, v, clean = plating_curve(model, n, f_p, rng)
        trace.add(
            t,
            v,
            np.full(t.size, -HALF_CELL_CURRENT_mA),
            step=1,
            cycle=n - 1,
            mode=MODE_CC,
            control=-HALF_CELL_CURRENT_mA,
            clean_V=clean,
        )
        t, v, clean = stripping_curve(model, n, float(ces[n - 1]), f_s, rng)
        trace.add(
            t,
            v,
            np.full(t.size, HALF_CELL_CURRENT_mA),
            step=2,
            cycle=n - 1,
            mode=MODE_CC,
            control=HALF_CELL_CURRENT_mA,
            clean_V=clean,
        )
    return trace


# --- full cell -----------------------------------------------------------------------------

FullProgram = Literal["formation", "rate", "cycling"]


@dataclass(frozen=True)
class FullCellModel:
    """Parameters of the simulated NCM811 full cell (see the module docstring)."""

    formation_charge_mAh_cm2: float = 2.36
    initial_ce: float = 0.85
    rate_factors: tuple[tuple[float, float], ...] = (
        (0.1, 1.0),
        (0.2, 0.95),
        (0.5, 0.86),
        (1.0, 0.74),
    )
    rate_cycles_per_step: int = 3
    cycling_c_rate: float = 0.5
    cycling_cycles: int = 100
    retention_at_last_cycle: float = 0.70
    fade_exponent: float = 1.15
    area_specific_resistance_ohm_cm2: float = 80.0
    resistance_growth_per_cycle: float = 0.008
    noise_V: float = 0.0005
    ce_scatter: float = 0.0005


def _ncm_ocv(soc: FloatArray) -> FloatArray:
    return np.asarray(np.interp(soc, _NCM_SOC, _NCM_OCV), dtype=np.float64)


def _full_cycle(
    trace: CyclerTrace,
    *,
    model: FullCellModel,
    charge_mAh: float,
    discharge_mAh: float,
    c_rate: float,
    resistance_ohm: float,
    cycle: int,
    first_step: int,
    from_empty_anode: bool,
    rng: np.random.Generator,
) -> None:
    current = c_rate * ONE_C_mA
    ir = current * resistance_ohm / 1000.0
    r_end = min(0.05 / c_rate, 0.5)
    cv_fraction = min(0.02 + 0.12 * c_rate, 0.2)
    q_cc = charge_mAh * (1.0 - cv_fraction)
    q_cv = charge_mAh - q_cc
    # CC charge: U(s) + IR, with a knee that ends exactly at the upper limit.
    s_top = float(np.interp(FULL_UPPER_V - ir - 0.03, _NCM_OCV, _NCM_SOC))
    t = fine_grid(q_cc / current * 3600.0, dt_s=10.0, fine_head_s=120.0)
    q = current * t / 3600.0
    clean = _ncm_ocv(s_top * q / q_cc) + ir
    clean = clean + (FULL_UPPER_V - clean[-1]) * np.exp((q - q_cc) / (0.03 * q_cc))
    if from_empty_anode:  # no Li on the anode side yet: the seeds lithiate first
        clean = 1.0 + (clean - 1.0) * _sigmoid((q - 0.006 * q_cc) / (0.0015 * q_cc))
    clean[-1] = FULL_UPPER_V
    noisy = clean + rng.normal(0.0, model.noise_V, t.size)
    noisy[-1] = FULL_UPPER_V
    trace.add(
        t,
        noisy,
        np.full(t.size, current),
        step=first_step,
        cycle=cycle,
        mode=MODE_CC,
        control=current,
        clean_V=clean,
    )
    # CV at the upper limit: I(t) = I_cc exp(-t / tau) down to the end current.
    tau = q_cv * 3600.0 / (current * (1.0 - r_end))
    t = fine_grid(tau * math.log(1.0 / r_end), dt_s=10.0)
    i_cv = current * np.exp(-t / tau)
    trace.add(
        t,
        FULL_UPPER_V + rng.normal(0.0, 0.0002, t.size),
        i_cv,
        step=first_step + 1,
        cycle=cycle,
        mode=MODE_CV,
        control=FULL_UPPER_V,
        clean_V=np.full(t.size, FULL_UPPER_V),
    )
    u_top = float(_ncm_ocv(np.array([s_top]))[0])
    t = np.arange(0.0, FULL_REST_S + 1.0, 10.0)
    rest = u_top + (FULL_UPPER_V - u_top) * np.exp(-t / 120.0)
    trace.add(
        t,
        rest + rng.normal(0.0, model.noise_V, t.size),
        np.zeros(t.size),
        step=first_step + 2,
        cycle=cycle,
        mode=MODE_REST,
        control=0.0,
        clean_V=rest,
    )
    # CC discharge to the lower limit.
    t = fine_grid(discharge_mAh / current * 3600.0, dt_s=10.0, fine_head_s=60.0)
    q = current * t / 3600.0
    clean = _ncm_ocv(s_top * (1.0 - q / discharge_mAh)) - ir
    clean = clean + (FULL_LOWER_V - clean[-1]) * np.exp(
        (q - discharge_mAh) / (0.02 * discharge_mAh)
    )
    clean = np.minimum(clean, rest[-1])
    clean[-1] = FULL_LOWER_V
    noisy = clean + rng.normal(0.0, model.noise_V, t.size)
    noisy[-1] = FULL_LOWER_V
    trace.add(
        t,
        noisy,
        np.full(t.size, -current),
        step=first_step + 3,
        cycle=cycle,
        mode=MODE_CC,
        control=-current,
        clean_V=clean,
    )
    t = np.arange(0.0, FULL_REST_S + 1.0, 10.0)
    rest = 3.45 - (3.45 - FULL_LOWER_V) * np.exp(-t / 90.0)
    trace.add(
        t,
        rest + rng.normal(0.0, model.noise_V, t.size),
        np.zeros(t.size),
        step=first_step + 4,
        cycle=cycle,
        mode=MODE_REST,
        control=0.0,
        clean_V=rest,
    )


def full_cell_capacities(
    model: FullCellModel, start_mAh: float, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Discharge and charge capacities (mAh) of the cycling test, cycle by cycle.

    Anode-less: all the Li comes from the cathode, so a cycle's charge is what the previous
    discharge brought back (charge(n) = discharge(n - 1)) and its discharge is charge(n) x CE(n).
    The expected CE(n) is the ratio of consecutive values of the fade curve
    ``1 - (1 - retention_at_last_cycle) ((n-1)/(N-1))^fade_exponent`` (the paper's 70 % at
    cycle 100), and each cycle draws its CE with scatter ``ce_scatter`` around it; the first
    cycle of the test (after the rate test) has CE 0.99. Nothing is forced: the retention at
    the last cycle is the product of the drawn CEs.
    """
    n = np.arange(model.cycling_cycles, dtype=np.float64)
    fade = (
        1.0 - (1.0 - model.retention_at_last_cycle) * (n / max(n[-1], 1.0)) ** model.fade_exponent
    )
    expected = fade[1:] / fade[:-1]
    ce = expected + rng.normal(0.0, model.ce_scatter, expected.size)
    discharges = start_mAh * np.concatenate(([1.0], np.cumprod(ce)))
    charges = np.concatenate(([start_mAh / 0.99], discharges[:-1]))
    return discharges, charges


def simulate_full_cell(
    program: FullProgram, *, seed: int, model: FullCellModel | None = None
) -> CyclerTrace:
    """Recorded rows of the full cell's ``formation``, ``rate`` or ``cycling`` test (Arbin:
    step 1 rest, then per cycle CC charge, CV charge, rest, CC discharge, rest; cycles from 1).

    The three tests are consecutive on one cell (formation, rate capability, then cycling):
    the capacity each starts from continues where the previous one ended.
    """
    m = model or FullCellModel()
    rng = np.random.default_rng(seed)
    trace = CyclerTrace(record_dt_s=60.0, record_dv_V=0.05)
    t = np.arange(0.0, FULL_REST_S + 1.0, 10.0)
    ocv = {"formation": 1.0, "rate": 3.45, "cycling": 3.45}[program]
    trace.add(
        t,
        ocv + rng.normal(0.0, m.noise_V, t.size),
        np.zeros(t.size),
        step=1,
        cycle=1,
        mode=MODE_REST,
        control=0.0,
        clean_V=np.full(t.size, ocv),
    )
    asr = m.area_specific_resistance_ohm_cm2 / AREA_CM2
    first_dis = m.formation_charge_mAh_cm2 * m.initial_ce * AREA_CM2
    if program == "formation":
        charge = m.formation_charge_mAh_cm2 * AREA_CM2
        ice = m.initial_ce + rng.normal(0.0, 0.002)
        _full_cycle(
            trace,
            model=m,
            charge_mAh=charge,
            discharge_mAh=charge * ice,
            c_rate=0.1,
            resistance_ohm=asr,
            cycle=1,
            first_step=2,
            from_empty_anode=True,
            rng=rng,
        )
        return trace
    n_rate = len(m.rate_factors) * m.rate_cycles_per_step
    base_fade = 0.0015  # per cycle, before the 0.5C cycling test
    if program == "rate":
        for i in range(n_rate):
            c_rate, factor = m.rate_factors[i // m.rate_cycles_per_step]
            dis = first_dis * factor * (1.0 - base_fade * (i + 1)) * (1.0 + rng.normal(0.0, 0.002))
            ce = 0.985 if i == 0 else 0.997 + rng.normal(0.0, 0.0005)
            charge = dis / ce
            _full_cycle(
                trace,
                model=m,
                charge_mAh=charge,
                discharge_mAh=dis,
                c_rate=c_rate,
                resistance_ohm=asr * (1.0 + m.resistance_growth_per_cycle * (i + 1)),
                cycle=i + 1,
                first_step=2 + 5 * (i // m.rate_cycles_per_step),
                from_empty_anode=False,
                rng=rng,
            )
        return trace
    factor_05 = dict(m.rate_factors).get(m.cycling_c_rate, 0.86)
    start = first_dis * factor_05 * (1.0 - base_fade * (n_rate + 1))
    discharges, charges = full_cell_capacities(m, start, rng)
    for i in range(m.cycling_cycles):
        _full_cycle(
            trace,
            model=m,
            charge_mAh=float(charges[i]),
            discharge_mAh=float(discharges[i]),
            c_rate=m.cycling_c_rate,
            resistance_ohm=asr * (1.0 + m.resistance_growth_per_cycle * (n_rate + i + 1)),
            cycle=i + 1,
            first_step=2,
            from_empty_anode=False,
            rng=rng,
        )
    return trace
