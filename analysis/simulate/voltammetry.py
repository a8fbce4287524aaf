"""Deterministic synthetic electrochemistry for the voltammetry and dQ/dV analyses.

DEMO DATA: simulated, not measured. Every function takes explicit physical parameters and a
``seed``; the same arguments always give the same values.

* :func:`cv_model` / :func:`simulate_cv`: a cyclic voltammogram of an alloying anode: a
  double-layer current, alloying and dealloying waves (``sech^2``, the shape of a Nernstian
  insertion wave), and optionally lithium plating at the lower vertex with its stripping peak
  on the way back (Tafel kinetics; stripping depletes the plated lithium, so its peak and its
  charge follow from the plated charge, not from a chosen shape).
* :func:`plating_curve_table`: a first galvanostatic plating curve through alloying plateaus.
* :func:`incremental_capacity_table`: galvanostatic half- or full-cell cycles whose capacity
  follows ``Q(V) = sum_k Q_k / 2 (1 - tanh((V - E_k) / w))`` (ideal-solution insertion
  isotherms, ``w = n RT / F``), so that ``dQ/dV`` is known in closed form
  (:func:`incremental_capacity_peaks`), with an ohmic drop ``I R`` and optionally a voltage that
  turns back (a nucleation dip) at the start of each half-cycle.

CV alloying potentials on lithiation (cathodic, vs Li/Li+), illustrative values within the
literature ranges and in the paper's order (Sn, then Mg, then Ag as the potential falls):
Li-Sn ~0.55 and ~0.42 V (LiSn, Li7Sn3/Li22Sn5 steps), Li-Mg ~0.10 V (solid solution), Li-Ag
~0.05 V (LiAg phases, reported between ~0.2 and ~0.05 V). Delithiation (anodic): Li-Mg ~0.16 V,
Li-Ag ~0.26 V, Li-Sn ~0.60 and ~0.78 V. They are not fitted to the paper's Fig. S8.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: RT/F at 298.15 K (V).
THERMAL_VOLTAGE_V = 8.314462618 * 298.15 / 96485.33212


@dataclass(frozen=True)
class CVPeakSpec:
    """A simulated voltammetric wave: ``height_mA * sech^2((E - potential_V) / width_V)``."""

    potential_V: float
    height_mA: float
    width_V: float
    direction: str  # "cathodic" or "anodic"


#: Alloying waves of the MgAgSn electrode (see the module docstring for the values).
MGAGSN_CV_PEAKS = (
    CVPeakSpec(0.55, 0.020, 0.030, "cathodic"),  # Li-Sn
    CVPeakSpec(0.42, 0.030, 0.030, "cathodic"),  # Li-Sn
    CVPeakSpec(0.10, 0.040, 0.015, "cathodic"),  # Li-Mg
    CVPeakSpec(0.05, 0.035, 0.010, "cathodic"),  # Li-Ag
    CVPeakSpec(0.16, 0.035, 0.020, "anodic"),  # Li-Mg
    CVPeakSpec(0.26, 0.030, 0.020, "anodic"),  # Li-Ag
    CVPeakSpec(0.60, 0.025, 0.030, "anodic"),  # Li-Sn
    CVPeakSpec(0.78, 0.020, 0.030, "anodic"),  # Li-Sn
)


@dataclass(frozen=True)
class Plating:
    """Lithium plating at the lower vertex and its stripping on the anodic sweep.

    Plating: Tafel kinetics, ``|i| = vertex_current_mA * exp(-(E - E_vertex) / tafel_V)``
    on the cathodic sweep. Stripping of the plated charge ``Q`` (times ``efficiency``) on the
    anodic sweep: ``i = rate_fraction * vertex_current_mA * exp((E - E_vertex) / strip_tafel_V)
    * theta`` with ``theta`` the fraction of strippable lithium left; at scan rate ``v``,
    ``dtheta/dE = -i / (v Q_s)`` integrates to ``theta = exp(-k b (exp((E - E_v) / b) - 1) / (v
    Q_s))`` (``k = rate_fraction * vertex_current_mA``, ``b = strip_tafel_V``).
    """

    vertex_current_mA: float
    tafel_V: float = 0.010
    strip_tafel_V: float = 0.020
    rate_fraction: float = 0.05
    efficiency: float = 0.9


def _sweep_current(
    e: np.ndarray,
    direction: str,
    peaks: Sequence[CVPeakSpec],
    double_layer_mA: float,
    plating: Plating | None,
    lower_V: float,
    scan_V_per_s: float,
) -> np.ndarray:
    sign = -1.0 if direction == "cathodic" else 1.0
    current = np.full(len(e), sign * double_layer_mA)
    for p in peaks:
        if p.direction == direction:
            current += sign * p.height_mA / np.cosh((e - p.potential_V) / p.width_V) ** 2
    if plating is not None and plating.vertex_current_mA > 0:
        iv, b = plating.vertex_current_mA, plating.tafel_V
        if direction == "cathodic":
            current -= iv * np.exp(-(e - lower_V) / b)
        else:
            plated_mC = iv * b / scan_V_per_s  # integral of the Tafel tail over the sweep
            strippable = plating.efficiency * plated_mC
            k, bs = plating.rate_fraction * iv, plating.strip_tafel_V
            grow = np.exp((e - lower_V) / bs)
            theta = np.exp(-k * bs * (grow - 1.0) / (scan_V_per_s * strippable))
            current += k * grow * theta
    return current


def cv_model(
    *,
    peaks: Sequence[CVPeakSpec] = MGAGSN_CV_PEAKS,
    upper_V: float = 1.5,
    lower_V: float = 0.0,
    scan_rate_mV_per_s: float = 0.5,
    step_mV: float = 1.0,
    cycles: int = 2,
    double_layer_mA: float = 0.002,
    plating: Plating | None = None,
) -> pd.DataFrame:
    """The noise-free voltammogram: starts at ``upper_V``, sweeps down first (lithiation).
    Columns ``time_s``, ``potential_V``, ``current_mA``, ``cycle``."""
    n = round((upper_V - lower_V) / (step_mV * 1e-3))
    down = np.linspace(upper_V, lower_V, n + 1)
    up = down[::-1][1:]
    scan = scan_rate_mV_per_s * 1e-3
    e_parts, i_parts, c_parts = [], [], []
    for cycle in range(1, cycles + 1):
        for e, direction in ((down[1:] if cycle > 1 else down, "cathodic"), (up, "anodic")):
            e_parts.append(e)
            i_parts.append(
                _sweep_current(e, direction, peaks, double_layer_mA, plating, lower_V, scan)
            )
            c_parts.append(np.full(len(e), cycle))
    e_all = np.concatenate(e_parts)
    return pd.DataFrame(
        {
            "time_s": np.arange(len(e_all)) * step_mV / scan_rate_mV_per_s,
            "potential_V": e_all,
            "current_mA": np.concatenate(i_parts),
            "cycle": np.concatenate(c_parts),
        }
    )


def simulate_cv(
    path: str | Path,
    *,
    noise_mA: float = 0.0003,
    seed: int = 0,
    **options: Any,
) -> Path:
    """:func:`cv_model` (``options`` are its keyword arguments) with Gaussian current noise
    ``noise_mA``, written as a CSV with columns ``Time (s)``, ``Potential (V)``,
    ``Current (mA)``, ``Cycle`` and the scan rate in the preamble."""
    scan_rate_mV_per_s = float(options.get("scan_rate_mV_per_s", 0.5))
    model = cv_model(**options)
    rng = np.random.default_rng(seed)
    current = model["current_mA"].to_numpy() + noise_mA * rng.standard_normal(len(model))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(
        {
            "Time (s)": model["time_s"],
            "Potential (V)": model["potential_V"],
            "Current (mA)": current,
            "Cycle": model["cycle"],
        }
    )
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(f"Scan rate: {scan_rate_mV_per_s:g} mV/s\nReference: Li/Li+\n")
        frame.to_csv(fh, index=False, float_format="%.6g", lineterminator="\n")
    return path


def plating_curve_table(
    *,
    plateaus: Sequence[tuple[float, float]] = ((0.45, 0.08), (0.10, 0.06), (0.05, 0.05)),
    current_mA: float = 1.0,
    lithium_capacity_mAh: float = 1.0,
    open_circuit_V: float = 1.8,
    points: int = 3000,
    noise_V: float = 0.0005,
    seed: int = 0,
) -> pd.DataFrame:
    """A first galvanostatic plating curve as a canonical ``cycling`` table
    (``test_time_second``, ``voltage_volt``, ``current_ampere``, ``cycle_count``): from open
    circuit through alloying plateaus ``(potential_V, capacity_mAh)``, each sloping 10 mV, then
    lithium plating at -15 mV, then a short rest. For dQ/dV tests and demos."""
    rng = np.random.default_rng(seed)
    q_knots, v_knots = [0.0], [open_circuit_V]
    q = 0.0
    for level, cap in plateaus:
        q += 0.01
        q_knots += [q, q + cap]
        v_knots += [level + 0.005, level - 0.005]
        q += cap
    q += 0.01
    q_knots += [q, q + lithium_capacity_mAh]
    v_knots += [-0.015, -0.015]
    total = q + lithium_capacity_mAh
    qs = np.linspace(0.0, total, points)
    v = np.interp(qs, q_knots, v_knots) + noise_V * rng.standard_normal(points)
    t = qs / current_mA * 3600.0
    rest_t = t[-1] + np.linspace(10.0, 600.0, 60)
    return pd.DataFrame(
        {
            "test_time_second": np.concatenate([t, rest_t]),
            "voltage_volt": np.concatenate([v, np.full(60, 0.0)]),
            "current_ampere": np.concatenate([np.full(points, -current_mA * 1e-3), np.zeros(60)]),
            "cycle_count": np.ones(points + 60, dtype="int64"),
        }
    )


@dataclass(frozen=True)
class Phase:
    """One insertion step: ``capacity_mAh`` exchanged around ``potential_V`` (open circuit),
    over an ideal-solution width ``n_rt_f`` times RT/F."""

    potential_V: float
    capacity_mAh: float
    n_rt_f: float = 1.0


def _q_of_v(v: np.ndarray, phases: Sequence[Phase]) -> np.ndarray:
    """Capacity inserted (lithiation) at open-circuit voltage ``v``: decreasing in ``v``."""
    q = np.zeros_like(v)
    for ph in phases:
        w = ph.n_rt_f * THERMAL_VOLTAGE_V
        q += 0.5 * ph.capacity_mAh * (1.0 - np.tanh((v - ph.potential_V) / w))
    return q


def incremental_capacity_peaks(
    phases: Sequence[Phase], *, current_mA: float, resistance_ohm: float
) -> dict[str, list[tuple[float, float]]]:
    """The exact dQ/dV peaks of :func:`incremental_capacity_table` (no smoothing, no noise):
    ``{"lithiation": [(V, dQ/dV mAh/V), ...], "delithiation": [...]}``. Each phase gives a
    ``sech^2`` peak of height ``Q_k / (2 w)`` at ``E_k - I R`` on lithiation (negative current
    pulls the terminal voltage down) and ``E_k + I R`` on delithiation; the peaks of
    overlapping phases are the local maxima of their sum, found here on a 0.1 mV grid."""
    ir = current_mA * 1e-3 * resistance_ohm
    grid = np.arange(-0.5, 5.0, 1e-4)
    total = np.zeros_like(grid)
    for ph in phases:
        w = ph.n_rt_f * THERMAL_VOLTAGE_V
        total += ph.capacity_mAh / (2 * w) / np.cosh((grid - ph.potential_V) / w) ** 2
    inner = np.flatnonzero((total[1:-1] > total[:-2]) & (total[1:-1] >= total[2:])) + 1
    found = [(float(grid[k]), float(total[k])) for k in inner if total[k] > 1e-6]
    return {
        "lithiation": [(v - ir, h) for v, h in found],
        "delithiation": [(v + ir, h) for v, h in found],
    }


def incremental_capacity_table(
    phases: Sequence[Phase],
    *,
    cell_type: str = "half",
    cycles: int = 3,
    current_mA: float = 1.0,
    resistance_ohm: float = 5.0,
    lower_V: float | None = None,
    upper_V: float | None = None,
    points_per_half_cycle: int = 2000,
    nucleation_dip_V: float = 0.0,
    dip_at_fraction: float = 0.0,
    rest_s: float = 60.0,
    noise_V: float = 0.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Galvanostatic cycles of an insertion electrode whose open-circuit voltage follows
    ``Q(V)`` (module docstring), as a canonical ``cycling`` table.

    ``cell_type="half"``: lithiation first (negative current, the electrode against Li);
    ``"full"``: the phases seen from a full cell (their potentials are the cell's), charge
    first (positive current raises the voltage). The terminal voltage is the open-circuit
    voltage ``+ I R`` (``I`` signed). Each half-cycle takes the whole capacity between ``lower_V``
    and ``upper_V`` (default 0.15 V beyond the outermost phases). ``nucleation_dip_V`` > 0
    adds, over the first 2 % of each half-cycle's capacity, a dip of that depth that recovers:
    the voltage turns back, as at the nucleation of a new phase or of lithium. Rests of
    ``rest_s`` at zero current separate half-cycles.
    """
    rng = np.random.default_rng(seed)
    ir = current_mA * 1e-3 * resistance_ohm
    pots = [p.potential_V for p in phases]
    lo = min(pots) - 0.15 if lower_V is None else lower_V
    hi = max(pots) + 0.15 if upper_V is None else upper_V
    v_grid = np.linspace(hi, lo, 20001)  # decreasing voltage: inserted capacity increases
    q_grid = _q_of_v(v_grid, phases) - _q_of_v(np.array([hi]), phases)[0]
    total = float(q_grid[-1])
    q = np.linspace(0.0, total, points_per_half_cycle)
    dt = (total / current_mA * 3600.0) / (points_per_half_cycle - 1)
    v_lith = np.interp(q, q_grid, v_grid)
    v_delith = np.interp(total - q, q_grid, v_grid)
    if cell_type not in ("half", "full"):
        raise ValueError(f"cell_type must be 'half' or 'full', found {cell_type!r}")
    # lithiation of the half cell's electrode and discharge of the full cell both lower the
    # voltage with negative current; only the order differs
    order = ("lith", "delith") if cell_type == "half" else ("delith", "lith")
    dip = np.zeros_like(q)
    if nucleation_dip_V > 0:
        x = (q / max(total, 1e-12) - dip_at_fraction) / 0.02
        dip = nucleation_dip_V * np.sin(np.pi * np.clip(x, 0.0, 1.0))
    times, volts, amps, cyc = [], [], [], []
    t0 = 0.0
    for c in range(1, cycles + 1):
        for kind in order:
            lith = kind == "lith"
            sign = -1.0 if lith else 1.0
            ocv = v_lith if lith else v_delith
            v = ocv + sign * (ir + dip)
            t = t0 + np.arange(points_per_half_cycle) * dt
            rest_t = t[-1] + np.linspace(rest_s / 10, rest_s, 10)
            times += [t, rest_t]
            volts += [v, np.full(10, ocv[-1])]
            amps += [np.full(points_per_half_cycle, sign * current_mA * 1e-3), np.zeros(10)]
            cyc += [np.full(points_per_half_cycle + 10, c)]
            t0 = rest_t[-1] + dt
    volt = np.concatenate(volts) + noise_V * rng.standard_normal(sum(len(v) for v in volts))
    return pd.DataFrame(
        {
            "test_time_second": np.concatenate(times),
            "voltage_volt": volt,
            "current_ampere": np.concatenate(amps),
            "cycle_count": np.concatenate(cyc).astype("int64"),
        }
    )


def plating_ratio_of(peaks: Sequence[CVPeakSpec], ratio: float, **kw: Any) -> Plating:
    """A :class:`Plating` whose vertex current is ``ratio`` times the tallest wave."""
    tallest = max(p.height_mA for p in peaks)
    return Plating(vertex_current_mA=ratio * tallest, **kw)


__all__ = [
    "MGAGSN_CV_PEAKS",
    "THERMAL_VOLTAGE_V",
    "CVPeakSpec",
    "Phase",
    "Plating",
    "cv_model",
    "incremental_capacity_peaks",
    "incremental_capacity_table",
    "plating_curve_table",
    "plating_ratio_of",
    "simulate_cv",
]
