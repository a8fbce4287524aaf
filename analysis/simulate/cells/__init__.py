"""Generated cells with known truth, as real cells and cyclers produce them: the independent
evaluation set of the cycling analysis (``bench/shorts.py``). DEMO DATA: simulated.

:func:`generate_cell` runs a :class:`CellSpec` (half or full cell, healthy or shorted, with any
:class:`Realism` options) through an equivalent circuit with a short in parallel
(:mod:`~analysis.simulate.cells.engine`), with the electrode models of
:mod:`~analysis.simulate.cells.half` and :mod:`~analysis.simulate.cells.full`, records it as a
cycler would and returns the canonical table (:mod:`analysis.readers.canonical`) with its
:class:`CellTruth`. :func:`~analysis.simulate.cells.corpus.random_spec` draws mixed specs.
What each option models, its magnitudes and references: docs/simulator.md.

Nothing here knows the analysis' rules: magnitudes come from the physics and the literature.
"""

from __future__ import annotations

import math

import numpy as np

from analysis.simulate._trace import FloatArray
from analysis.simulate.cells.engine import Short
from analysis.simulate.cells.full import simulate_full
from analysis.simulate.cells.half import Seed, simulate_half
from analysis.simulate.cells.instrument import apply_realism, canonical_table
from analysis.simulate.cells.spec import CellSpec, CellTruth, GeneratedCell, Realism


def true_ce(spec: CellSpec, rng: np.random.Generator) -> FloatArray:
    """The electrochemical CE of every protocol cycle (index 0 is cycle 1).

    Cycle 1: ``initial_ce`` (sd 0.005). Cycle n >= 2: ``average_ce`` less a conditioning
    transient (1 % for half cells, 0.3 % for full cells, e-folding over 3 cycles), with
    independent scatter ``ce_scatter``. Trapped Li (``ce_recovery_events``): in a random cycle m
    an extra 0.8-1.5 % of the plated Li is isolated (Fang et al., Nature 2019, 572, 511) and in
    cycle m + 1 70-100 % of it reconnects, with 0.3-0.8 % of older isolated Li (Liu et al.,
    Nature 2021, 600, 659): a CE of ~0.985 followed by one of ~1.01.
    """
    n = spec.last_cycle
    cond = 0.01 if spec.cell_type == "half" else 0.003
    k = np.arange(2, n + 1, dtype=np.float64)
    ce = spec.average_ce - cond * np.exp(-(k - 2) / 3.0) + rng.normal(0.0, spec.ce_scatter, k.size)
    out = np.concatenate(([spec.initial_ce + rng.normal(0.0, 0.005)], ce))
    events = spec.realism.ce_recovery_events
    last_healthy = n - 1 if spec.short_onset is None else spec.short_onset - 2
    candidates = list(range(3, last_healthy))  # cycle m (1-based), m + 1 <= last healthy
    picked: list[int] = []
    for m in rng.permutation(candidates).tolist():
        if len(picked) >= events:
            break
        if all(abs(m - p) > 2 for p in picked):
            picked.append(m)
    for m in picked:
        delta = rng.uniform(0.008, 0.015)
        out[m - 1] -= delta
        out[m] += delta * rng.uniform(0.7, 1.0) + rng.uniform(0.003, 0.008)
    return np.asarray(out, dtype=np.float64)


def generate_cell(spec: CellSpec, seed: int) -> GeneratedCell:
    """The cell ``spec`` generated with ``seed``: its canonical table and truth (same seed,
    same table)."""
    rng = np.random.default_rng(seed)
    ce = true_ce(spec, np.random.default_rng([seed, 7]))
    short = Short()
    if spec.short_kind == "soft":
        short.on_fraction = rng.uniform(0.5, 0.9)
        short.dwell_s = rng.uniform(60.0, 600.0)
    if spec.cell_type == "half":
        seed_layer = Seed(
            alloy_V=tuple(sorted(rng.choice([0.55, 0.42, 0.2, 0.1, 0.05], 2, False)))[::-1],
            nucleation_V=rng.uniform(0.005, 0.035),
            open_circuit_V=rng.uniform(1.6, 2.4),
        )
        trace, starts = simulate_half(spec, ce, short, rng, seed_layer)
    else:
        trace, starts = simulate_full(spec, ce, short, rng)
    table, t0 = apply_realism(canonical_table(trace), spec.realism, rng)
    truth = CellTruth(
        cell_type=spec.cell_type,
        short_kind=spec.short_kind,
        short_onset=spec.short_onset,
        ce=tuple(float(c) for c in ce),
        cycle_start_s=tuple(max(s - t0, 0.0) for s in starts),
        options=spec.realism.options(),
        seed=seed,
    )
    if not math.isfinite(float(table["voltage_volt"].abs().max())):
        raise ValueError(f"generated cell {seed} has a non-finite voltage")
    return GeneratedCell(table=table, truth=truth, spec=spec)


__all__ = [
    "CellSpec",
    "CellTruth",
    "GeneratedCell",
    "Realism",
    "generate_cell",
    "true_ce",
]
