"""The recorded rows of a simulated cycler run, built step by step from fine-grid segments.

A segment is one control step (a constant current, a constant voltage or a rest) given on a
fine time grid. The instrument integrates the charge and energy on that fine grid (as real
cyclers do, at a much higher rate than they log) and records a row every ``record_dt_s`` seconds
of step time, whenever the noise-free voltage has moved by ``record_dv_V`` since the last
recorded row, and at the first and last point of the step (the point where a limit was
reached). Currents are in mA, charges in mA.h, energies in W.h, as BioLogic logs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Control modes, with BioLogic's numbers: 1 galvanostatic, 2 potentiostatic, 3 rest.
MODE_CC, MODE_CV, MODE_REST = 1, 2, 3


def record_mask(
    t_s: FloatArray, v_clean_V: FloatArray, record_dt_s: float, record_dv_V: float
) -> npt.NDArray[np.bool_]:
    """Rows a cycler logs: every ``record_dt_s``, on a voltage change of ``record_dv_V``, ends."""
    keep = np.zeros(t_s.size, dtype=bool)
    keep[0] = keep[-1] = True
    tick = np.floor(t_s / record_dt_s + 1e-9)
    keep[1:] |= tick[1:] != tick[:-1]
    if record_dv_V > 0:
        level = np.floor(v_clean_V / record_dv_V)
        keep[1:] |= level[1:] != level[:-1]
    return keep


@dataclass
class CyclerTrace:
    """Recorded rows, appended one step at a time (see the module docstring)."""

    record_dt_s: float = 60.0
    record_dv_V: float = 0.02
    time_s: list[FloatArray] = field(default_factory=list)
    voltage_V: list[FloatArray] = field(default_factory=list)
    current_mA: list[FloatArray] = field(default_factory=list)
    charge_mAh: list[FloatArray] = field(default_factory=list)
    step_energy_Wh: list[FloatArray] = field(default_factory=list)
    step: list[IntArray] = field(default_factory=list)
    cycle: list[IntArray] = field(default_factory=list)
    mode: list[IntArray] = field(default_factory=list)
    control: list[FloatArray] = field(default_factory=list)
    step_number: list[IntArray] = field(default_factory=list)
    end_time_s: float = 0.0
    end_charge_mAh: float = 0.0
    steps_done: int = 0

    def add(
        self,
        t_s: FloatArray,
        voltage_V: FloatArray,
        current_mA: FloatArray,
        *,
        step: int,
        cycle: int,
        mode: int,
        control: float,
        clean_V: FloatArray | None = None,
        gap_s: float = 0.001,
    ) -> None:
        """Append one step given on a fine grid ``t_s`` (seconds from the step start, from 0)."""
        dt = np.diff(t_s)
        i_mid = 0.5 * (current_mA[1:] + current_mA[:-1])
        v_mid = 0.5 * (voltage_V[1:] + voltage_V[:-1])
        dq = i_mid * dt / 3600.0
        charge = self.end_charge_mAh + np.concatenate(([0.0], np.cumsum(dq)))
        energy = np.concatenate(([0.0], np.cumsum(np.abs(v_mid * dq) / 1000.0)))
        keep = record_mask(
            t_s, voltage_V if clean_V is None else clean_V, self.record_dt_s, self.record_dv_V
        )
        start = self.end_time_s + (gap_s if self.steps_done else 0.0)
        n = int(keep.sum())
        self.time_s.append(start + t_s[keep])
        self.voltage_V.append(voltage_V[keep])
        self.current_mA.append(current_mA[keep])
        self.charge_mAh.append(charge[keep])
        self.step_energy_Wh.append(energy[keep])
        self.step.append(np.full(n, step, dtype=np.int64))
        self.cycle.append(np.full(n, cycle, dtype=np.int64))
        self.mode.append(np.full(n, mode, dtype=np.int64))
        self.control.append(np.full(n, control))
        self.step_number.append(np.full(n, self.steps_done, dtype=np.int64))
        self.end_time_s = float(start + t_s[-1])
        self.end_charge_mAh = float(charge[-1])
        self.steps_done += 1

    def arrays(self) -> dict[str, npt.NDArray[np.float64] | npt.NDArray[np.int64]]:
        """All rows as arrays: time_s, voltage_V, current_mA, charge_mAh, step_energy_Wh, step,
        cycle, mode, control, step_number (running number of the step instance)."""
        names = (
            "time_s",
            "voltage_V",
            "current_mA",
            "charge_mAh",
            "step_energy_Wh",
            "step",
            "cycle",
            "mode",
            "control",
            "step_number",
        )
        return {name: np.concatenate(getattr(self, name)) for name in names}


def fine_grid(duration_s: float, *, dt_s: float = 5.0, fine_head_s: float = 0.0) -> FloatArray:
    """0..duration on a ``dt_s`` grid, 1 s steps over the first ``fine_head_s`` and the end."""
    body = np.arange(0.0, duration_s, dt_s)
    parts = [body]
    if fine_head_s > 0:
        parts.append(np.arange(0.0, min(fine_head_s, duration_s), 1.0))
    parts.append(np.arange(max(duration_s - 150.0, 0.0), duration_s, 1.0))
    parts.append(np.array([duration_s]))
    return np.unique(np.concatenate(parts))
