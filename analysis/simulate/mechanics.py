"""Deterministic synthetic instrument files: peel, scratch, nano-indentation (CV and plating
curves: :mod:`analysis.simulate.voltammetry`).

For demos and tests. Every function takes explicit physical parameters and a ``seed``, and
the same arguments always write the same bytes. The files use the header conventions the
readers expect (``Force (gf)``, ``Penetration depth (um)``...). :data:`ELASTANE` and
:data:`PVDF` hold parameters that reproduce the contrasts of the MgAgSn anode-less electrode
paper (peel ~20 vs ~2 gf/mm, shallow vs deep scratch, high vs low elastic recovery), and
:func:`write_demo_set` writes the whole set.

The CV generator and its alloying potentials live in :mod:`analysis.simulate.voltammetry`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.simulate.voltammetry import simulate_cv

#: Standard gravity: 1 gf = 9.80665e-3 N (CGPM 1901); written here so the simulator does not
#: depend on the analysis it is used to test.
GF_IN_N = 9.80665e-3


def _write(path: str | Path, columns: dict[str, Any], preamble: Sequence[str] = ()) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(columns)
    with path.open("w", encoding="utf-8", newline="") as fh:
        for line in preamble:
            fh.write(line + "\n")
        frame.to_csv(fh, index=False, float_format="%.6g", lineterminator="\n")
    return path


def peel_curve(
    *,
    peel_strength_gf_per_mm: float,
    width_mm: float = 20.0,
    length_mm: float = 60.0,
    points_per_mm: int = 10,
    noise_fraction: float = 0.05,
    stick_slip_fraction: float | None = None,
    stick_slip_period_mm: float = 1.7,
    initial_peak_factor: float = 1.3,
    detach_after_mm: float | None = None,
    baseline_noise_gf: float | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """A 180-degree peel record in gram-force: 1 mm of slack, a 3 mm load build-up to an
    initial peak ``initial_peak_factor * level`` that decays (1 mm) to the steady level
    ``peel_strength * width``, stick-slip (a sine of amplitude ``stick_slip_fraction``, default
    half of ``noise_fraction``, period ``stick_slip_period_mm``) plus Gaussian noise of
    ``noise_fraction``, then the strip's end: the force falls to zero over 2 mm, 3 mm before the
    end of the record. ``detach_after_mm``: the layer lets go that far after the slack instead
    (early detachment), the force falling to zero over 0.5 mm; the rest of the record is the
    empty grip. ``baseline_noise_gf``: the load cell's noise (default 0.2 % of the level).
    Columns ``time_s`` (300 mm/min), ``displacement_mm``, ``force_gf``."""
    rng = np.random.default_rng(seed)
    x = np.arange(0, length_mm * points_per_mm + 1) / points_per_mm
    level_gf = peel_strength_gf_per_mm * width_mm
    amp = 0.5 * noise_fraction if stick_slip_fraction is None else stick_slip_fraction
    end_mm = length_mm - 5.0 if detach_after_mm is None else 1.0 + detach_after_mm
    fall_mm = 2.0 if detach_after_mm is None else 0.5
    f = np.zeros_like(x)
    ramp = (x >= 1.0) & (x < min(4.0, end_mm))
    f[ramp] = initial_peak_factor * level_gf * (x[ramp] - 1.0) / 3.0
    steady = (x >= 4.0) & (x < end_mm)
    xs = x[steady]
    f[steady] = level_gf * (
        1.0
        + (initial_peak_factor - 1.0) * np.exp(-(xs - 4.0) / 1.0)
        + amp * np.sin(2 * np.pi * xs / stick_slip_period_mm)
        + noise_fraction * rng.standard_normal(len(xs))
    )
    last = float(f[x < end_mm][-1]) if np.any(x < end_mm) else 0.0
    drop = (x >= end_mm) & (x < end_mm + fall_mm)
    f[drop] = last * (end_mm + fall_mm - x[drop]) / fall_mm
    noise = 0.002 * level_gf if baseline_noise_gf is None else baseline_noise_gf
    f += noise * rng.standard_normal(len(x))
    return pd.DataFrame({"time_s": x / 5.0, "displacement_mm": x, "force_gf": f})


def simulate_peel(
    path: str | Path,
    *,
    peel_strength_gf_per_mm: float,
    width_mm: float = 20.0,
    force_unit: str = "gf",
    seed: int = 0,
    **options: Any,
) -> Path:
    """:func:`peel_curve` written as a CSV: ``Time (s)``, ``Displacement (mm)``,
    ``Force (<force_unit>)`` (``gf`` or ``N``)."""
    curve = peel_curve(
        peel_strength_gf_per_mm=peel_strength_gf_per_mm, width_mm=width_mm, seed=seed, **options
    )
    f = curve["force_gf"].to_numpy()
    if force_unit == "N":
        f = f * GF_IN_N
    elif force_unit != "gf":
        raise ValueError(f"force_unit must be 'gf' or 'N', found {force_unit!r}")
    return _write(
        path,
        {
            "Time (s)": curve["time_s"],
            "Displacement (mm)": curve["displacement_mm"],
            f"Force ({force_unit})": f,
        },
        preamble=(f"Test: 180 degree peel, width {width_mm:g} mm",),
    )


def scratch_curve(
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
    first_crack_load_mN: float | None = None,
    friction_coefficient: tuple[float, float, float] = (0.2, 0.3, 0.5),
    acoustic_bursts_per_mm: float = 40.0,
    lift_off_mm: float = 0.0,
    depth_sign: float = 1.0,
    seed: int = 0,
) -> pd.DataFrame:
    """A progressive-load scratch: the load rises linearly along the scratch; the depth is
    ``a * load``, plus from ``critical_load_mN`` (L_c2, delamination) a jump and a steeper
    slope; residual depth ``(1 - elastic_recovery) * depth``. Friction force ``mu * load``
    with ``mu`` stepping through ``friction_coefficient`` at ``first_crack_load_mN`` (L_c1,
    first cohesive cracks; default none) and at L_c2. Acoustic emission: a baseline of 1 %
    with noise, and from L_c1 (or L_c2) bursts of 20-80 % at ``acoustic_bursts_per_mm``.
    ``lift_off_mm`` > 0 appends the stylus lifting off at the end: load and depth back to 0.
    ``depth_sign=-1`` records depths as negative numbers (the instrument's convention).
    Columns ``distance_mm``, ``normal_load_mN``, ``depth_um``, ``residual_depth_um``,
    ``friction_force_mN``, ``acoustic_emission_percent``."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, length_mm, points)
    load = start_load_mN + (end_load_mN - start_load_mN) * x / length_mm
    depth = depth_per_load_um_per_mN * load
    failed = load >= critical_load_mN
    depth[failed] += depth_jump_um + post_failure_um_per_mN * (load[failed] - critical_load_mN)
    depth += noise_um * rng.standard_normal(points)
    residual = (1.0 - elastic_recovery) * depth + noise_um * rng.standard_normal(points)
    mu0, mu1, mu2 = friction_coefficient
    lc1 = critical_load_mN if first_crack_load_mN is None else first_crack_load_mN
    mu = np.where(load >= critical_load_mN, mu2, np.where(load >= lc1, mu1, mu0))
    friction = mu * load * (1.0 + 0.01 * rng.standard_normal(points))
    ae = 1.0 + 0.2 * rng.standard_normal(points)
    step = length_mm / (points - 1)
    burst = (load >= lc1) & (rng.random(points) < acoustic_bursts_per_mm * step)
    ae[burst] += rng.uniform(20.0, 80.0, int(burst.sum()))
    if lift_off_mm > 0:
        n = max(round(lift_off_mm / step), 2)
        xl = length_mm + step * np.arange(1, n + 1)
        fade = np.clip(1.0 - np.arange(1, n + 1) / 3.0, 0.0, None)  # off within 3 points
        x = np.concatenate([x, xl])
        load = np.concatenate([load, load[-1] * fade])
        depth = np.concatenate([depth, depth[-1] * fade + noise_um * rng.standard_normal(n)])
        residual = np.concatenate([residual, residual[-1] * fade])
        friction = np.concatenate([friction, friction[-1] * fade])
        ae = np.concatenate([ae, 1.0 + 0.2 * rng.standard_normal(n)])
    return pd.DataFrame(
        {
            "distance_mm": x,
            "normal_load_mN": load,
            "depth_um": depth_sign * depth,
            "residual_depth_um": depth_sign * residual,
            "friction_force_mN": friction,
            "acoustic_emission_percent": ae,
        }
    )


def simulate_scratch(
    path: str | Path,
    *,
    critical_load_mN: float,
    depth_per_load_um_per_mN: float,
    depth_jump_um: float,
    post_failure_um_per_mN: float,
    elastic_recovery: float,
    seed: int = 0,
    with_friction: bool = False,
    acoustic_emission_header: str | None = None,
    **options: Any,
) -> Path:
    """:func:`scratch_curve` written as a CSV: ``Distance (mm)``, ``Normal load (mN)``,
    ``Penetration depth (um)``, ``Residual depth (um)``, with ``with_friction``
    ``Friction force (mN)`` and, given its header (e.g. ``Acoustic emission (%)``, ``AE [%]``),
    the acoustic emission in percent."""
    c = scratch_curve(
        critical_load_mN=critical_load_mN,
        depth_per_load_um_per_mN=depth_per_load_um_per_mN,
        depth_jump_um=depth_jump_um,
        post_failure_um_per_mN=post_failure_um_per_mN,
        elastic_recovery=elastic_recovery,
        seed=seed,
        **options,
    )
    columns = {
        "Distance (mm)": c["distance_mm"],
        "Normal load (mN)": c["normal_load_mN"],
        "Penetration depth (um)": c["depth_um"],
        "Residual depth (um)": c["residual_depth_um"],
    }
    if with_friction:
        columns["Friction force (mN)"] = c["friction_force_mN"]
    if acoustic_emission_header:
        columns[acoustic_emission_header] = c["acoustic_emission_percent"]
    return _write(path, columns)


@dataclass(frozen=True)
class IndentationTruth:
    """The exact quantities behind a simulated indentation (nm, mN, s, pJ, %), computed here in
    closed form from the model, never by the analysis code.

    ``max_load_mN`` is the load where unloading starts (after any hold) and ``max_depth_nm``
    the sample's depth there; ``peak_load_mN`` the largest load of the record (above
    ``max_load_mN`` when the load relaxes during a depth-controlled hold). Works: loading
    ``P = k h^2`` gives ``P_peak h_1 / 3``; a load-controlled hold adds ``P (h_max - h_1)``; the
    unloading ``P = alpha (h - h_f)^m`` releases ``P_max (h_max - h_f) / (m + 1)``.
    """

    max_depth_nm: float
    final_depth_nm: float
    contact_depth_nm: float
    stiffness_mN_per_nm: float
    alpha: float
    max_load_mN: float = float("nan")
    peak_load_mN: float = float("nan")
    hardness_GPa: float = float("nan")
    reduced_modulus_GPa: float = float("nan")
    work_total_pJ: float = float("nan")
    work_elastic_pJ: float = float("nan")
    eta_IT_percent: float = float("nan")
    creep_C_IT_percent: float = 0.0
    relaxation_R_IT_percent: float = 0.0


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
    stiffness = reduced_modulus_GPa * 1e-6 * 2.0 * math.sqrt(area) / math.sqrt(math.pi)
    h_max = hc + epsilon * max_load_mN / stiffness
    h_f = h_max - exponent * max_load_mN / stiffness
    if h_f <= 0:
        raise ValueError(
            "these hardness and modulus give a negative final depth for this exponent; "
            "lower hardness / modulus or the exponent"
        )
    alpha = max_load_mN / (h_max - h_f) ** exponent
    return IndentationTruth(
        h_max,
        h_f,
        hc,
        stiffness,
        alpha,
        max_load_mN=max_load_mN,
        hardness_GPa=hardness_GPa,
        reduced_modulus_GPa=reduced_modulus_GPa,
    )


def _ramp(n: int) -> np.ndarray:
    return np.linspace(0.0, 1.0, n)


def indentation_curve(
    *,
    hardness_GPa: float,
    reduced_modulus_GPa: float,
    max_load_mN: float,
    exponent: float = 1.5,
    hold: str = "load",
    hold_s: float = 10.0,
    creep_fraction: float = 0.01,
    relaxation_fraction: float = 0.0,
    hold_time_constant_s: float = 2.0,
    drift_nm_per_s: float = 0.0,
    frame_compliance_nm_per_mN: float = 0.0,
    low_load_hold_s: float = 0.0,
    low_load_fraction: float = 0.1,
    contact_hold_s: float = 0.0,
    loading_s: float = 20.0,
    unloading_s: float = 20.0,
    points: int = 200,
    noise_nm: float = 0.2,
    noise_mN: float = 0.0002,
    seed: int = 0,
) -> tuple[pd.DataFrame, IndentationTruth]:
    """A Berkovich indentation as an instrument records it, and its exact truth.

    Segments: loading ``P = k h^2`` (Kick's law); a hold at the top, either load-controlled
    (``hold="load"``: the depth creeps by ``creep_fraction * h_max`` as
    ``1 - exp(-t / tau)``) or depth-controlled (``hold="depth"``: the load relaxes by
    ``relaxation_fraction`` of the peak load, same time law); elastic unloading ``P = alpha
    (h - h_f)^m`` from the load at the end of the hold, chosen by :func:`indentation_truth` so
    that Oliver-Pharr gives ``hardness_GPa`` and ``reduced_modulus_GPa`` there; optionally a
    hold of ``low_load_hold_s`` at ``low_load_fraction`` of that load (where the sample is
    elastic, so only drift moves the depth), then unloading to zero. ``contact_hold_s`` > 0
    holds the load at ``low_load_fraction`` on the way up instead (drift measured at contact;
    the depth stays, as the sample does not creep at that load in this model).

    What the instrument adds: a thermal drift of the displacement, ``drift_nm_per_s * t``
    (t from the start of loading), the frame's deflection ``frame_compliance * P`` (the
    measured displacement is the sample's plus the frame's), Gaussian noise on both channels.
    Returns ``(table, truth)`` with columns ``time_s``, ``depth_nm``, ``load_mN``.
    """
    if hold not in ("load", "depth"):
        raise ValueError(f"hold must be 'load' or 'depth', found {hold!r}")
    rng = np.random.default_rng(seed)
    tr = indentation_truth(
        hardness_GPa=hardness_GPa,
        reduced_modulus_GPa=reduced_modulus_GPa,
        max_load_mN=max_load_mN,
        exponent=exponent,
    )
    h_max, p_u = tr.max_depth_nm, max_load_mN
    n_hold = max(points // 4, 2)
    s = _ramp(n_hold)[1:]
    law = (1 - np.exp(-s * hold_s / hold_time_constant_s)) / (
        1 - math.exp(-hold_s / hold_time_constant_s)
    )
    if hold == "load":
        h1, p_peak = h_max * (1.0 - creep_fraction), p_u
        h_hold, p_hold = h1 + (h_max - h1) * law, np.full(len(s), p_u)
        hold_work = p_u * (h_max - h1)
    else:
        h1, p_peak = h_max, p_u / (1.0 - relaxation_fraction)
        h_hold, p_hold = np.full(len(s), h_max), p_peak - (p_peak - p_u) * law
        hold_work = 0.0
    p_load = p_peak * _ramp(points)
    t_load = loading_s * _ramp(points)
    if contact_hold_s > 0:  # stop at the low load on the way up, then load on
        p_c = low_load_fraction * p_u
        k = int(np.searchsorted(p_load, p_c))
        n_c = max(points // 4, 10)
        p_load = np.concatenate([p_load[:k], np.full(n_c, p_c), p_load[k:]])
        t_load = np.concatenate(
            [t_load[:k], t_load[k] + contact_hold_s * _ramp(n_c), t_load[k:] + contact_hold_s]
        )
    h_load = h1 * np.sqrt(p_load / p_peak)
    loading_s = float(t_load[-1])
    t_hold = loading_s + hold_s * s

    def unload(p_from: float, p_to: float, n: int) -> tuple[np.ndarray, np.ndarray]:
        p = np.linspace(p_from, p_to, n)[1:]
        return p, tr.final_depth_nm + (p / tr.alpha) ** (1.0 / exponent)

    t0 = loading_s + hold_s
    parts_p, parts_h, parts_t = [p_load, p_hold], [h_load, h_hold], [t_load, t_hold]
    if low_load_hold_s > 0:
        p_low = low_load_fraction * p_u
        n1 = max(int(points * (1 - low_load_fraction)), 2)
        p1, h1u = unload(p_u, p_low, n1)
        t1 = t0 + unloading_s * (1 - low_load_fraction) * _ramp(n1)[1:]
        n_low = max(points // 4, 10)
        t_low = t1[-1] + low_load_hold_s * _ramp(n_low)[1:]
        n2 = max(points - n1, 2)
        p2, h2u = unload(p_low, 0.0, n2)
        t2 = t_low[-1] + unloading_s * low_load_fraction * _ramp(n2)[1:]
        parts_p += [p1, np.full(len(t_low), p_low), p2]
        parts_h += [h1u, np.full(len(t_low), h1u[-1]), h2u]
        parts_t += [t1, t_low, t2]
    else:
        p1, h1u = unload(p_u, 0.0, points)
        parts_p.append(p1)
        parts_h.append(h1u)
        parts_t.append(t0 + unloading_s * _ramp(points)[1:])
    load = np.concatenate(parts_p)
    depth = np.concatenate(parts_h)
    time = np.concatenate(parts_t)
    measured = depth + drift_nm_per_s * time + frame_compliance_nm_per_mN * load
    measured = measured + noise_nm * rng.standard_normal(len(depth))
    load = load + noise_mN * rng.standard_normal(len(load))
    w_total = p_peak * h1 / 3.0 + hold_work  # mN nm = pJ
    w_elastic = p_u * (h_max - tr.final_depth_nm) / (exponent + 1.0)
    truth = IndentationTruth(
        h_max,
        tr.final_depth_nm,
        tr.contact_depth_nm,
        tr.stiffness_mN_per_nm,
        tr.alpha,
        max_load_mN=p_u,
        peak_load_mN=p_peak,
        hardness_GPa=hardness_GPa,
        reduced_modulus_GPa=reduced_modulus_GPa,
        work_total_pJ=w_total,
        work_elastic_pJ=w_elastic,
        eta_IT_percent=100.0 * w_elastic / w_total,
        creep_C_IT_percent=100.0 * (h_max - h1) / h1,
        relaxation_R_IT_percent=100.0 * (p_peak - p_u) / p_peak,
    )
    table = pd.DataFrame({"time_s": time, "depth_nm": measured, "load_mN": load})
    return table, truth


def simulate_indentation(path: str | Path, *, seed: int = 0, **curve: Any) -> Path:
    """:func:`indentation_curve` (``curve``: its keyword arguments; default a load-controlled
    hold with 1 % creep, no drift) written as a CSV: ``Time (s)``, ``Depth (nm)``,
    ``Load (mN)``."""
    table, _ = indentation_curve(seed=seed, **curve)
    names = {"time_s": "Time (s)", "depth_nm": "Depth (nm)", "load_mN": "Load (mN)"}
    return _write(path, {names[c]: table[c] for c in names})


def indentation_array(
    indents: Sequence[dict[str, Any]], *, gap_s: float = 5.0, seed: int = 0
) -> tuple[pd.DataFrame, list[IndentationTruth]]:
    """Several indents in one record (an array), each :func:`indentation_curve` with its own
    parameters, separated by ``gap_s`` at zero load; the depth of each is measured from its own
    surface contact. Returns the table and the truths in order."""
    frames, truths = [], []
    t0 = 0.0
    for k, spec in enumerate(indents):
        table, truth = indentation_curve(seed=seed * 100 + k, **spec)
        table = table.assign(time_s=table["time_s"] + t0)
        t0 = float(table["time_s"].iloc[-1]) + gap_s
        frames.append(table)
        truths.append(truth)
    return pd.concat(frames, ignore_index=True), truths


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
