"""A mixed corpus of generated cells: :func:`random_spec` draws one cell's physics, its short and
its realism options (each on with a stated probability), independently of any analysis rule.

Ranges (docs/simulator.md gives the reasons): half cells 25-60 cycles, ICE 0.60-0.90, CE
0.975-0.997, ASR 8-30 ohm cm2, 0.5-2 mA/cm2; full cells 25-50 cycles, ICE 0.78-0.90, CE
0.996-0.9995, ASR 40-120 ohm cm2, C/3 or C/2. Half of the cells short: 40 % of those hard, 60 %
soft, at a cycle drawn between 6 and 4 before the end, the test going on 4-10 cycles after.
"""

from __future__ import annotations

import math

import numpy as np

from analysis.simulate.cells.spec import CellSpec, CycleIndex, Realism, ShortKind


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def random_realism(rng: np.random.Generator, cell_type: str, cycles: int) -> Realism:
    """Realism options, each on with its own probability (see the module docstring)."""

    def on(p: float) -> bool:
        return bool(rng.random() < p)

    index: CycleIndex = rng.choice(
        np.array(["protocol", "zero_based", "arbin", "none"]), p=[0.5, 0.2, 0.2, 0.1]
    ).item()
    late = max(cycles - 2, 4)
    rate_steps: tuple[float, ...] = ()
    if on(0.2):
        rate_steps = (0.5, 2.0) if cell_type == "half" else (0.4, 2.0)
    return Realism(
        noise_V=_log_uniform(rng, 1e-4, 3e-3) if on(0.8) else 0.0,
        quantum_V=float(rng.choice([1e-4, 3e-4, 1e-3])) if on(0.4) else 0.0,
        glitches=int(rng.integers(1, 4)) if on(0.3) else 0,
        ce_recovery_events=int(rng.integers(1, 3)) if on(0.3) else 0,
        partial_first=float(rng.uniform(0.2, 0.8)) if on(0.15) else None,
        rest_s=float(rng.choice([300.0, 600.0, 1800.0])) if on(0.4) else 0.0,
        flipped_sign=on(0.15),
        hppc_before=(int(rng.integers(3, late)),) if cell_type == "full" and on(0.2) else (),
        eis_before=tuple(sorted({int(c) for c in rng.integers(2, late, 2)})) if on(0.25) else (),
        formation_cycles=int(rng.integers(1, 4)) if on(0.3) else 0,
        formation_rate=0.25 if cell_type == "half" else 0.2,
        rate_steps=rate_steps,
        cycle_index=index,
        record_dt_s=float(rng.choice([10.0, 30.0, 60.0, 120.0])),
        record_dv_V=float(rng.choice([0.005, 0.01, 0.02, 0.05])),
    )


def random_spec(rng: np.random.Generator) -> CellSpec:
    """One cell of the corpus (see the module docstring)."""
    half = rng.random() < 0.55
    cycles = int(rng.integers(25, 61) if half else rng.integers(25, 51))
    short_kind: ShortKind | None = None
    onset: int | None = None
    if rng.random() < 0.5:
        short_kind = "hard" if rng.random() < 0.4 else "soft"
        onset = int(rng.integers(6, cycles - 3))
    realism = random_realism(rng, "half" if half else "full", cycles)
    after = int(rng.integers(4, 11))
    if half:
        density, capacity = [(1.0, 1.0), (0.5, 0.5), (2.0, 1.0), (1.0, 2.0)][int(rng.integers(4))]
        return CellSpec(
            "half",
            cycles,
            short_kind=short_kind,
            short_onset=onset,
            cycles_after_short=after,
            realism=realism,
            current_density_mA_cm2=density,
            capacity_mAh_cm2=capacity,
            strip_cutoff_V=float(rng.choice([0.5, 1.0, 1.5])),
            initial_ce=float(rng.uniform(0.6, 0.9)),
            average_ce=float(rng.uniform(0.975, 0.997)),
            ce_scatter=float(rng.uniform(3e-4, 1.5e-3)),
            asr_ohm_cm2=float(rng.uniform(8.0, 30.0)),
            short_efold_cycles=float(rng.uniform(1.0, 4.0)),
            short_onset_ohm_cm2=_log_uniform(rng, 800.0, 3000.0),
        )
    return CellSpec(
        "full",
        cycles,
        short_kind=short_kind,
        short_onset=onset,
        cycles_after_short=after,
        realism=realism,
        capacity_mAh_cm2=float(rng.uniform(1.5, 3.0)),
        c_rate=float(rng.choice([1.0 / 3.0, 0.5])),
        initial_ce=float(rng.uniform(0.78, 0.9)),
        average_ce=float(rng.uniform(0.996, 0.9995)),
        ce_scatter=float(rng.uniform(2e-4, 8e-4)),
        asr_ohm_cm2=float(rng.uniform(40.0, 120.0)),
        short_efold_cycles=float(rng.uniform(3.0, 10.0)),
        short_onset_ohm_cm2=_log_uniform(rng, 1e5, 5e5),
    )


def corpus_specs(n: int, seed: int) -> list[tuple[CellSpec, int]]:
    """``n`` cells of the corpus with their generation seeds (same ``seed``, same corpus)."""
    rng = np.random.default_rng(seed)
    return [(random_spec(rng), seed * 1_000_003 + i) for i in range(n)]
