"""Per-row cycler counters derived from a :class:`~analysis.simulate._trace.CyclerTrace`: half
cycles, charge since the start of the step and of the half cycle, and charge and energy per
direction accumulated within the cycle. EC-Lab (:mod:`~analysis.simulate.writers.gcpl`,
:mod:`~analysis.simulate.writers.modulo_bat`) and Arbin
(:mod:`~analysis.simulate.writers.arbin`) exports write their columns from these."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from analysis.simulate._trace import MODE_REST, CyclerTrace, FloatArray


def _step_table(trace: CyclerTrace) -> dict[str, npt.NDArray[np.generic]]:
    """Per-row EC-Lab counters from a trace (see :mod:`analysis.simulate.writers`)."""
    a = trace.arrays()
    current = a["current_mA"].astype(np.float64)
    step_no = a["step_number"].astype(np.int64)
    cycle = a["cycle"].astype(np.int64)
    mode = a["mode"].astype(np.int64)
    n_steps = int(step_no[-1]) + 1
    step_sign = np.sign(np.bincount(step_no, weights=np.where(mode == MODE_REST, 0.0, current)))
    # half cycles: a new one where a non-rest step's direction differs from the last one's
    half = np.zeros(n_steps, dtype=np.int64)
    last_sign = 0.0
    count = 0
    for s in range(n_steps):
        if step_sign[s] != 0:
            if last_sign != 0 and step_sign[s] != last_sign:
                count += 1
            last_sign = step_sign[s]
        half[s] = count
    row_half = half[step_no]
    first = np.ones(step_no.size, dtype=bool)
    first[1:] = step_no[1:] != step_no[:-1]
    q = a["charge_mAh"].astype(np.float64)
    step_start_q = q[first][step_no]
    half_start = np.ones(step_no.size, dtype=bool)
    half_start[1:] = row_half[1:] != row_half[:-1]
    half_q = q - q[half_start][np.cumsum(half_start) - 1]
    cycle_start = np.ones(step_no.size, dtype=bool)
    cycle_start[1:] = cycle[1:] != cycle[:-1]
    cycle_id = np.cumsum(cycle_start) - 1
    # per-direction charge and energy accumulated within the cycle
    dq = np.diff(q, prepend=q[0])
    dq[cycle_start] = 0.0
    energy = a["step_energy_Wh"].astype(np.float64)
    de = np.diff(energy, prepend=0.0)
    de[first] = energy[first]
    de[cycle_start] = 0.0
    pos = current > 0
    neg = current < 0
    out: dict[str, npt.NDArray[np.generic]] = dict(a)
    out["q_charge"] = _cumsum_by(np.where(dq > 0, dq, 0.0), cycle_id)
    out["q_discharge"] = _cumsum_by(np.where(dq < 0, -dq, 0.0), cycle_id)
    out["e_charge"] = _cumsum_by(np.where(pos, de, 0.0), cycle_id)
    out["e_discharge"] = _cumsum_by(np.where(neg, de, 0.0), cycle_id)
    out["half_cycle"] = row_half
    out["half_q"] = half_q
    out["step_q"] = q - step_start_q
    out["first"] = first
    out["cycle_start"] = cycle_start & (np.arange(step_no.size) > 0)
    return out


def _cumsum_by(values: FloatArray, group: npt.NDArray[np.int64]) -> FloatArray:
    total = np.cumsum(values)
    starts = np.ones(group.size, dtype=bool)
    starts[1:] = group[1:] != group[:-1]
    base = (total - values)[starts][np.cumsum(starts) - 1]
    return np.asarray(total - base, dtype=np.float64)
