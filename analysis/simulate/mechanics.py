"""Deterministic synthetic instrument files: peel, scratch, nano-indentation, CV, plating.

For demos and tests. Every function takes explicit physical parameters and a ``seed``, and
the same arguments always write the same bytes. The files use the header conventions the
readers expect (``Force (gf)``, ``Penetration depth (um)``...). :data:`ELASTANE` and
:data:`PVDF` hold parameters that reproduce the contrasts of the MgAgSn anode-less electrode
paper (peel ~20 vs ~2 gf/mm, shallow vs deep scratch, high vs low elastic recovery), and
:func:`write_demo_set` writes the whole set.

CV alloying potentials on lithiation (cathodic, vs Li/Li+), illustrative values within the
literature ranges and in the paper's order (Sn, then Mg, then Ag as the potential falls):
Li-Sn ~0.55 and ~0.42 V (LiSn, Li7Sn3/Li22Sn5 steps), Li-Mg ~0.10 V (solid solution), Li-Ag
~0.05 V (LiAg phases, reported between ~0.2 and ~0.05 V). Delithiation (anodic): Li-Mg ~0.16 V,
Li-Ag ~0.26 V, Li-Sn ~0.60 and ~0.78 V. They are not fitted to the paper's Fig. S8.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.mechanics import GF_IN_N, contact_area_nm2


def _write(path: str | Path, columns: dict[str, Any], preamble: Sequence[str] = ()) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(columns)
    with path.open("w", encoding="utf-8", newline="") as fh:
        for line in preamble:
            fh.write(line + "\n")
        frame.to_csv(fh, index=False, float_format="%.6g", lineterminator="\n")
    return path


def simulate_peel(
    path: str | Path,
    *,
    peel_strength_gf_per_mm: float,
    width_mm: float = 20.0,
    length_mm: float = 60.0,
    points_per_mm: int = 10,
    noise_fraction: float = 0.05,
    initial_peak_factor: float = 1.3,
    force_unit: str = "gf",
    seed: int = 0,
) -> Path:
    """A 180-degree peel record: slack, load build-up with an initial peak, a noisy steady
    plateau at ``peel_strength * width`` (stick-slip plus Gaussian noise of ``noise_fraction``),
    then detachment. Columns ``Time (s)``, ``Displacement (mm)``, ``Force (<force_unit>)``
    (``gf`` or ``N``); crosshead at 300 mm/min."""
    rng = np.random.default_rng(seed)
    x = np.arange(0, length_mm * points_per_mm + 1) / points_per_mm
    level_gf = peel_strength_gf_per_mm * width_mm
    f = np.zeros_like(x)
    ramp = (x >= 1.0) & (x < 4.0)
    f[ramp] = initial_peak_factor * level_gf * (x[ramp] - 1.0) / 3.0
    steady = (x >= 4.0) & (x < length_mm - 5.0)
    xs = x[steady]
    stick_slip = 0.5 * noise_fraction * np.sin(2 * np.pi * xs / 1.7)
    f[steady] = level_gf * (
        1.0
        + (initial_peak_factor - 1.0) * np.exp(-(xs - 4.0) / 1.0)
        + stick_slip
        + noise_fraction * rng.standard_normal(len(xs))
    )
    drop = (x >= length_mm - 5.0) & (x < length_mm - 3.0)
    f[drop] = level_gf * (length_mm - 3.0 - x[drop]) / 2.0
    f += 0.002 * level_gf * rng.standard_normal(len(x))
    if force_unit == "N":
        f = f * GF_IN_N
    elif force_unit != "gf":
        raise ValueError(f"force_unit must be 'gf' or 'N', found {force_unit!r}")
    return _write(
        path,
        {"Time (s)": x / 5.0, "Displacement (mm)": x, f"Force ({force_unit})": f},
        preamble=(f"Test: 180 degree peel, width {width_mm:g} mm",),
    )


def simulate_scratch(
    path: str | Path,
    *,
    critical_load_mN: float,
    depth_per_load_um_per_mN: float,
    depth_jump_um: float,
    post_failure_um_per_mN: float,
    elastic_recovery: float,
    length_mm: float = 2.5,
    start_load_mN: float = 1.0,
    end_load_mN: float = 100.0,
    points: int = 501,
    noise_um: float = 0.03,
    seed: int = 0,
) -> Path:
    """A progressive-load scratch: load rising linearly along the scratch, depth
    ``a * load`` plus, from ``critical_load_mN`` on, a jump and a steeper slope; residual depth
    ``(1 - elastic_recovery) * depth``. Columns ``Distance (mm)``, ``Normal load (mN)``,
    ``Penetration depth (um)``, ``Residual depth (um)``."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, length_mm, points)
    load = start_load_mN + (end_load_mN - start_load_mN) * x / length_mm
    depth = depth_per_load_um_per_mN * load
    failed = load >= critical_load_mN
    depth[failed] += depth_jump_um + post_failure_um_per_mN * (load[failed] - critical_load_mN)
    depth += noise_um * rng.standard_normal(points)
    residual = (1.0 - elastic_recovery) * depth + noise_um * rng.standard_normal(points)
    return _write(
        path,
        {
            "Distance (mm)": x,
            "Normal load (mN)": load,
            "Penetration depth (um)": depth,
            "Residual depth (um)": residual,
        },
    )


@dataclass(frozen=True)
class IndentationTruth:
    """The exact Oliver-Pharr quantities behind a simulated indentation (nm, mN)."""

    max_depth_nm: float
    final_depth_nm: float
    contact_depth_nm: float
    stiffness_mN_per_nm: float
    alpha: float


def indentation_truth(
    *,
    hardness_GPa: float,
    reduced_modulus_GPa: float,
    max_load_mN: float,
    exponent: float = 1.5,
    epsilon: float = 0.75,
    area_coefficient: float = 24.5,
) -> IndentationTruth:
    """Invert Oliver-Pharr: the unloading curve ``P = alpha (h - h_f)^m`` whose analysis gives
    exactly ``hardness_GPa`` and ``reduced_modulus_GPa`` (beta = 1, ``A = C0 h_c^2``)."""
    area = max_load_mN / (hardness_GPa * 1e-6)  # nm^2
    hc = math.sqrt(area / area_coefficient)
    if not math.isclose(contact_area_nm2(hc, (area_coefficient,)), area, rel_tol=1e-9):
        raise AssertionError("area function inversion failed")
    stiffness = reduced_modulus_GPa * 1e-6 * 2.0 * math.sqrt(area) / math.sqrt(math.pi)
    h_max = hc + epsilon * max_load_mN / stiffness
    h_f = h_max - exponent * max_load_mN / stiffness
    if h_f <= 0:
        raise ValueError(
            "these hardness and modulus give a negative final depth for this exponent; "
            "lower hardness / modulus or the exponent"
        )
    alpha = max_load_mN / (h_max - h_f) ** exponent
    return IndentationTruth(h_max, h_f, hc, stiffness, alpha)


def simulate_indentation(
    path: str | Path,
    *,
    hardness_GPa: float,
    reduced_modulus_GPa: float,
    max_load_mN: float,
    exponent: float = 1.5,
    creep_fraction: float = 0.01,
    points: int = 200,
    noise_nm: float = 0.2,
    noise_mN: float = 0.0002,
    seed: int = 0,
) -> Path:
    """A load-controlled Berkovich indentation: loading ``P = C h^2``, a hold at ``P_max`` with
    creep of ``creep_fraction * h_max``, then the power-law unloading of
    :func:`indentation_truth`. Columns ``Time (s)``, ``Depth (nm)``, ``Load (mN)``."""
    rng = np.random.default_rng(seed)
    truth = indentation_truth(
        hardness_GPa=hardness_GPa,
        reduced_modulus_GPa=reduced_modulus_GPa,
        max_load_mN=max_load_mN,
        exponent=exponent,
    )
    h_hold = truth.max_depth_nm * (1.0 - creep_fraction)
    p_load = np.linspace(0.0, max_load_mN, points)
    h_load = h_hold * np.sqrt(p_load / max_load_mN)
    hold = np.linspace(0.0, 1.0, points // 4)[1:]
    h_hold_seg = h_hold + (truth.max_depth_nm - h_hold) * (1 - np.exp(-5 * hold)) / (
        1 - math.exp(-5)
    )
    p_unload = np.linspace(max_load_mN, 0.0, points)[1:]
    h_unload = truth.final_depth_nm + (p_unload / truth.alpha) ** (1.0 / exponent)
    depth = np.concatenate([h_load, h_hold_seg, h_unload])
    load = np.concatenate([p_load, np.full(len(hold), max_load_mN), p_unload])
    time = np.concatenate(
        [np.linspace(0, 20, points), 20 + 10 * hold, 30 + np.linspace(0, 20, points)[1:]]
    )
    depth = depth + noise_nm * rng.standard_normal(len(depth))
    load = load + noise_mN * rng.standard_normal(len(load))
    return _write(path, {"Time (s)": time, "Depth (nm)": depth, "Load (mN)": load})


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


def simulate_cv(
    path: str | Path,
    *,
    peaks: Sequence[CVPeakSpec] = MGAGSN_CV_PEAKS,
    upper_V: float = 1.5,
    lower_V: float = 0.0,
    scan_rate_mV_per_s: float = 0.5,
    step_mV: float = 1.0,
    cycles: int = 2,
    double_layer_mA: float = 0.002,
    noise_mA: float = 0.0003,
    seed: int = 0,
) -> Path:
    """A cyclic voltammogram starting at ``upper_V`` and sweeping down first (lithiation):
    a double-layer current ``+-double_layer_mA``, the given waves on their sweeps and no
    lithium plating above ``lower_V``. Columns ``Time (s)``, ``Potential (V)``,
    ``Current (mA)``, ``Cycle``."""
    rng = np.random.default_rng(seed)
    n = round((upper_V - lower_V) / (step_mV * 1e-3))
    down = np.linspace(upper_V, lower_V, n + 1)
    up = down[::-1][1:]
    e_parts, i_parts, c_parts = [], [], []
    for cycle in range(1, cycles + 1):
        for e, direction in ((down[1:] if cycle > 1 else down, "cathodic"), (up, "anodic")):
            sign = -1.0 if direction == "cathodic" else 1.0
            current = np.full(len(e), sign * double_layer_mA)
            for p in peaks:
                if p.direction == direction:
                    current += sign * p.height_mA / np.cosh((e - p.potential_V) / p.width_V) ** 2
            e_parts.append(e)
            i_parts.append(current)
            c_parts.append(np.full(len(e), cycle))
    e_all = np.concatenate(e_parts)
    i_all = np.concatenate(i_parts) + noise_mA * rng.standard_normal(len(e_all))
    t = np.arange(len(e_all)) * step_mV / scan_rate_mV_per_s
    return _write(
        path,
        {
            "Time (s)": t,
            "Potential (V)": e_all,
            "Current (mA)": i_all,
            "Cycle": np.concatenate(c_parts),
        },
        preamble=(f"Scan rate: {scan_rate_mV_per_s:g} mV/s", "Reference: Li/Li+"),
    )


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


#: Parameters of the two binders of the MgAgSn electrodes (paper: Elastane vs PVDF).
ELASTANE: dict[str, dict[str, Any]] = {
    "peel": {"peel_strength_gf_per_mm": 20.0},
    "scratch": {
        "critical_load_mN": 53.0,
        "depth_per_load_um_per_mN": 0.01,
        "depth_jump_um": 3.0,
        "post_failure_um_per_mN": 0.08,
        "elastic_recovery": 0.7,
    },
    "indentation": {"hardness_GPa": 0.02, "reduced_modulus_GPa": 0.15, "max_load_mN": 0.5},
}
PVDF: dict[str, dict[str, Any]] = {
    "peel": {"peel_strength_gf_per_mm": 2.0},
    "scratch": {
        "critical_load_mN": 17.0,
        "depth_per_load_um_per_mN": 0.08,
        "depth_jump_um": 6.0,
        "post_failure_um_per_mN": 0.15,
        "elastic_recovery": 0.15,
    },
    "indentation": {"hardness_GPa": 0.1, "reduced_modulus_GPa": 5.0, "max_load_mN": 1.0},
}


def write_demo_set(directory: str | Path, *, seed: int = 0) -> dict[str, Path]:
    """Peel, scratch and indentation files for the Elastane and PVDF MgAgSn electrodes and a
    CV of the MgAgSn electrode, named ``<test>_<binder>.csv`` and ``cv_mgagsn.csv``."""
    out: dict[str, Path] = {}
    d = Path(directory)
    for k, (binder, params) in enumerate((("elastane", ELASTANE), ("pvdf", PVDF))):
        s = seed * 10 + k
        out[f"peel_{binder}"] = simulate_peel(d / f"peel_{binder}.csv", seed=s, **params["peel"])
        out[f"scratch_{binder}"] = simulate_scratch(
            d / f"scratch_{binder}.csv", seed=s, **params["scratch"]
        )
        out[f"indentation_{binder}"] = simulate_indentation(
            d / f"indentation_{binder}.csv", seed=s, **params["indentation"]
        )
    out["cv_mgagsn"] = simulate_cv(d / "cv_mgagsn.csv", seed=seed)
    return out
