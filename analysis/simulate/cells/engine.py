"""One cycler channel driving an equivalent circuit with a short in parallel, step by step.

The cell is an equilibrium voltage ``E(state)`` (given by the electrode model, :mod:`.half` or
:mod:`.full`) behind an ohmic resistance ``R0`` and one RC element (``R1``, ``tau``: interfacial
and diffusion polarisation, which is what relaxes during a rest). A Li filament through the
separator is a resistance ``Rs`` in parallel with the whole cell (infinite when healthy): of
the current ``I`` the cycler imposes, ``I_ec = (I - (E + v1) / Rs) / (1 + R0 / Rs)`` flows
through the electrochemistry and the rest through the filament, so the cell voltage is
``V = E + v1 + R0 I_ec``. This is the circuit Xiao et al. (Nat. Energy 2020, 5, 561) use to
explain why a soft short makes CE look high: near the end of stripping or charge the short takes
more and more of the current and the voltage limit comes late, or never when ``I Rs`` is below
it. A hard short is ``Rs`` of a few ohms: the voltage collapses to ``I Rs`` (~1 mV) and the
electrode no longer sees any current.

Steps are integrated on a grid that refines where the voltage moves fast (the RC element
exactly, per interval; a constant-voltage step's current implicitly, on steps no longer than
half the local time constant ``R0 dq/dE``: :meth:`Channel._cv_current`), and stop when a
voltage limit is crossed (the crossing is interpolated, as a cycler that samples fast ends the
step at the limit), when a CV step's current falls below its end current, or at their time
limit. Currents in mA, resistances in ohm, voltages in V, charges in mAh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from analysis.simulate._trace import MODE_CC, MODE_CV, MODE_REST, CyclerTrace

#: largest voltage change between two samples of the integration grid, V; smallest step, s
MAX_DV_V, MIN_DT_S = 0.002, 0.2


class Electrode(Protocol):
    """The equilibrium side of the cell: voltage now, and what passing charge does to it."""

    def equilibrium_V(self) -> float: ...

    def equilibrium_V_after(self, dq_mAh: float) -> float:
        """The equilibrium voltage once ``dq_mAh`` more has passed (the state unchanged)."""
        ...

    def advance(self, dq_mAh: float) -> None: ...


@dataclass
class Short:
    """A filament in parallel with the cell: ``resistance_ohm`` (inf: none), ``hard`` (the
    voltage collapses), and intermittent contact: the filament opens (x ``open_factor``) for
    exponentially distributed dwell times (mean ``dwell_s``), connected ``on_fraction`` of the
    time; ``dips_per_h`` transient low-resistance contacts of ``dip_ohm`` for ``dip_s``."""

    resistance_ohm: float = math.inf
    hard: bool = False
    hard_from_s: float = math.inf  # test time at which a hard short appears
    on_fraction: float = 1.0
    dwell_s: float = 120.0
    open_factor: float = 30.0
    dips_per_h: float = 0.0
    dip_ohm: float = math.inf
    dip_s: float = 30.0
    _connected: bool = True
    _switch_at: float = 0.0
    _dip_until: float = -1.0

    def resistance(self, t_s: float, dt_s: float, rng: np.random.Generator) -> float:
        """Resistance of the filament at test time ``t_s`` (advancing its random state)."""
        if self.hard and t_s >= self.hard_from_s:
            return self.resistance_ohm
        if (
            self.dips_per_h > 0
            and t_s >= self._dip_until
            and rng.random() < self.dips_per_h * dt_s / 3600.0
        ):
            self._dip_until = t_s + self.dip_s * rng.uniform(0.5, 1.5)
        if t_s < self._dip_until:
            return self.dip_ohm
        if self.hard or not math.isfinite(self.resistance_ohm):
            return math.inf
        if self.on_fraction < 1.0 and t_s >= self._switch_at:
            self._connected = rng.random() < self.on_fraction
            self._switch_at = t_s + rng.exponential(self.dwell_s)
        return self.resistance_ohm if self._connected else self.resistance_ohm * self.open_factor


@dataclass
class Channel:
    """A cycler channel on one cell: runs steps and appends their rows to ``trace``."""

    r0_ohm: float
    r1_ohm: float
    tau_s: float
    rng: np.random.Generator
    trace: CyclerTrace
    short: Short = field(default_factory=Short)
    dt_s: float = 10.0
    v1_V: float = 0.0
    time_s: float = 0.0

    def _start(self) -> float:
        return self.trace.end_time_s + (0.001 if self.trace.steps_done else 0.0)

    def run(
        self,
        electrode: Electrode,
        *,
        mode: int,
        value: float,
        max_s: float,
        step: int,
        cycle: int,
        limit_V: float | None = None,
        end_current_mA: float = 0.0,
        max_current_mA: float | None = None,
        dt_s: float | None = None,
    ) -> bool:
        """Run one step: ``mode`` CC (``value`` mA), CV (``value`` V) or rest; returns whether it
        ended on its limit (voltage for CC, end current for CV) rather than on its time."""
        dt = dt_s or self.dt_s
        h = dt
        t0 = self._start()
        ts: list[float] = []
        vs: list[float] = []
        is_: list[float] = []
        t = 0.0
        reached = False
        v_prev = math.nan
        i_prev = value if mode == MODE_CC else 0.0
        direction = 0.0
        last_dq = 0.0
        last_h = dt
        prev_i_ec = 0.0
        limited = False
        if limit_V is not None and mode == MODE_CC:
            direction = 1.0 if value > 0 else -1.0
        while True:
            rs = self.short.resistance(t0 + t, last_h if ts else 0.0, self.rng)
            e = electrode.equilibrium_V()
            hard = self.short.hard and rs < 50.0
            if mode == MODE_CV:
                v = value
                i_ec = 1000.0 * (v - e - self.v1_V) / self.r0_ohm
                current = i_ec + (1000.0 * v / rs if math.isfinite(rs) else 0.0)
                limited = max_current_mA is not None and abs(current) > max_current_mA
                if limited:
                    assert max_current_mA is not None
                    # the channel's compliance: it cannot hold the voltage, it holds the current
                    current = math.copysign(max_current_mA, current)
                    if hard:
                        i_ec, v = 0.0, current * rs / 1000.0
                    else:
                        g = self.r0_ohm / rs if math.isfinite(rs) else 0.0
                        leak = 1000.0 * (e + self.v1_V) / rs if math.isfinite(rs) else 0.0
                        i_ec = (current - leak) / (1.0 + g)
                        v = e + self.v1_V + self.r0_ohm * i_ec / 1000.0
            else:
                current = value if mode == MODE_CC else 0.0
                if hard:
                    i_ec = 0.0
                    v = current * rs / 1000.0
                else:
                    g = self.r0_ohm / rs if math.isfinite(rs) else 0.0
                    leak = 1000.0 * (e + self.v1_V) / rs if math.isfinite(rs) else 0.0
                    i_ec = (current - leak) / (1.0 + g)
                    v = e + self.v1_V + self.r0_ohm * i_ec / 1000.0
            if ts and not hard:
                # the cycler integrates the current by trapezoids: the interval just done
                # gets the same charge (the state above advanced by ``last_dq``)
                electrode.advance(0.5 * last_h * (i_ec + prev_i_ec) / 3600.0 - last_dq)
            prev_i_ec = i_ec
            if not ts and direction and (v - limit_V) * direction >= 0:  # type: ignore[operator]
                ts.append(t)  # already past the limit: the step ends at its first sample
                vs.append(v)
                is_.append(current)
                reached = True
                break
            if ts and direction and (v - limit_V) * direction >= 0:  # type: ignore[operator]
                frac = (limit_V - v_prev) / (v - v_prev) if v != v_prev else 1.0  # type: ignore[operator]
                frac = min(max(frac, 0.0), 1.0)
                electrode.advance(-(1.0 - frac) * last_dq)  # the state at the crossing
                ts.append(ts[-1] + frac * (t - ts[-1]))
                vs.append(float(limit_V))  # type: ignore[arg-type]
                is_.append(current)
                reached = True
                break
            if mode == MODE_CV and ts and abs(current) <= end_current_mA:
                ts.append(t)
                vs.append(v)
                is_.append(current)
                reached = True
                break
            ts.append(t)
            vs.append(v)
            is_.append(current)
            if t >= max_s - 1e-9:
                break
            # a cycler samples fast and logs on voltage change: where the voltage moves quickly
            # (knees, the end of a step) the grid refines so that no sample jumps > max_dv_V
            if len(vs) > 1:
                moved = abs(vs[-1] - vs[-2]) / max(last_h, 1e-9)
                h = min(dt, max(MIN_DT_S, MAX_DV_V / moved if moved > 0 else dt), 2.0 * last_h)
            implicit = mode == MODE_CV and not hard
            if implicit:
                h = self._cv_step_bound(electrode, e, i_ec, h)
            step_dt = min(h, max_s - t)
            last_h = step_dt
            i_step = i_ec
            if implicit:
                i_step = self._cv_current(electrode, value, e, i_ec, step_dt)
                if limited and abs(i_step) > abs(i_ec):
                    i_step = i_ec  # the compliance current (the voltage is still below V_cv)
            last_dq = 0.0 if hard else i_step * step_dt / 3600.0
            if not hard:
                electrode.advance(last_dq)
                decay = math.exp(-step_dt / self.tau_s)
                self.v1_V = self.v1_V * decay + self.r1_ohm * i_step / 1000.0 * (1.0 - decay)
            else:
                self.v1_V = 0.0
            v_prev, i_prev = v, current
            t += step_dt
        del i_prev
        t_arr = np.asarray(ts, dtype=np.float64)
        v_arr = np.asarray(vs, dtype=np.float64)
        i_arr = np.asarray(is_, dtype=np.float64)
        self.trace.add(
            t_arr,
            v_arr,
            i_arr,
            step=step,
            cycle=cycle,
            mode=mode,
            control=value,
            clean_V=v_arr,
        )
        return reached

    def _cv_step_bound(self, electrode: Electrode, e_V: float, i_mA: float, h_s: float) -> float:
        """The longest step (s) that resolves a CV step's current decay: half of the local time
        constant ``tau = R0 dq/dE`` (the ohmic resistance against the equilibrium voltage's
        charge slope; the secant over the step ``h_s``). On a stiff OCV slope (an NCM cell near
        4.3 V: ~2 V/mAh at 1 mAh) tau is ~10-20 s at 15 ohm cm2, shorter than the 20 s grid,
        and the current the cycler integrates by trapezoids would oscillate instead of decaying.
        """
        dq = i_mA * h_s / 3600.0
        if dq == 0.0:
            return h_s
        slope = (electrode.equilibrium_V_after(dq) - e_V) / dq  # V per mAh
        if slope <= 0.0:
            return h_s
        tau_s = 3.6 * self.r0_ohm / slope  # (ohm / 1000 V per mA) / (slope / 3600 V per mA s)
        return min(h_s, max(0.5 * tau_s, 1e-3))

    def _cv_current(
        self, electrode: Electrode, v_cv: float, e_V: float, i_mA: float, h_s: float
    ) -> float:
        """The electrochemical current (mA) of a CV step over the next ``h_s`` s, implicit
        (backward Euler): the current that holds the cell at ``v_cv`` at the end of the step,
        ``v_cv = E(q + I h) + v1(h) + R0 I``, with ``v1`` the RC element's exact response to
        ``I`` over the step and ``E(q + I h)`` by its secant (three refinements from ``i_mA``).
        An explicit current (the one at the step's start) overshoots where ``dE/dq`` is steep
        and alternates sign; the implicit one decays monotonically to the end current."""
        decay = math.exp(-h_s / self.tau_s)
        resistance = (self.r0_ohm + self.r1_ohm * (1.0 - decay)) / 1000.0  # V per mA
        drive = v_cv - e_V - self.v1_V * decay
        current = i_mA
        for _ in range(3):
            dq = current * h_s / 3600.0
            slope = (electrode.equilibrium_V_after(dq) - e_V) / dq if dq != 0.0 else 0.0
            current = drive / (resistance + max(slope, 0.0) * h_s / 3600.0)
        return current


__all__ = ["MODE_CC", "MODE_CV", "MODE_REST", "Channel", "Electrode", "Short"]
