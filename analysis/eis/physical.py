"""From a fitted circuit to the lab's quantities, and the choice between one and two arcs.

Candidate models (impedance.py strings; ``R0`` is the bulk resistance Rb, the x-axis intercept):

* one arc: ``R0-p(R1,CPE1)`` with R1 = RCT (charge transfer);
* two arcs: ``R0-p(R1,CPE1)-p(R2,CPE2)`` with R1 = RSEI (the high-frequency arc of the
  interphase) and R2 = RCT;
* each optionally followed by a semi-infinite Warburg ``-W1`` (diffusion).

Area-specific resistances are R x A (ohm cm2). For an arc R || CPE(Q, alpha) the time constant
is tau = (R Q)^(1/alpha) (s), its characteristic frequency f = 1 / (2 pi tau) (Hz) and the
effective capacitance C = (R Q)^(1/alpha) / R (F; Hsu and Mansfeld, Corrosion 57, 747 (2001)).

The model is chosen by the Bayesian information criterion (lowest BIC), cross-checked against the
number of DRT peaks: a second arc is accepted only when it lowers BIC by more than 10 (strong
evidence, Kass and Raftery, JASA 90, 773 (1995)) or when the DRT shows two or more peaks and
it lowers BIC at all. The reason is recorded with the choice. Paper context: Rb/RCT after
cycling, RSEI appearing with a PVDF binder (in-situ EIS).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.eis.drt import DRTResult, compute_drt
from analysis.eis.elements import Complex, Real
from analysis.eis.fitting import FitResult, fit_circuit

ONE_ARC = "R0-p(R1,CPE1)"
TWO_ARCS = "R0-p(R1,CPE1)-p(R2,CPE2)"
CANDIDATES = (ONE_ARC, ONE_ARC + "-W1", TWO_ARCS, TWO_ARCS + "-W1")
STRONG_EVIDENCE_BIC = 10.0


@dataclass(frozen=True)
class Arc:
    """One R || CPE arc: resistance (ohm, ohm cm2), CPE, tau (s), f (Hz), C_eff (F)."""

    name: str
    resistance_ohm: float
    resistance_error_ohm: float
    resistance_ohm_cm2: float | None
    q: float
    alpha: float
    tau_s: float
    frequency_hz: float
    capacitance_f: float


@dataclass(frozen=True)
class PhysicalResult:
    """Rb, RSEI (None with one arc) and RCT, in ohm and, with a cell area, ohm cm2."""

    circuit: str
    rb_ohm: float
    rb_error_ohm: float
    rb_ohm_cm2: float | None
    arcs: tuple[Arc, ...]
    warburg: float | None
    area_cm2: float | None

    def arc(self, name: str) -> Arc | None:
        return next((a for a in self.arcs if a.name == name), None)

    @property
    def rsei_ohm(self) -> float | None:
        a = self.arc("RSEI")
        return a.resistance_ohm if a else None

    @property
    def rct_ohm(self) -> float | None:
        a = self.arc("RCT")
        return a.resistance_ohm if a else None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "circuit": self.circuit,
            "area_cm2": self.area_cm2,
            "Rb_ohm": self.rb_ohm,
            "Rb_error_ohm": self.rb_error_ohm,
            "Rb_ohm_cm2": self.rb_ohm_cm2,
            "warburg_ohm_s-1/2": self.warburg,
        }
        for a in self.arcs:
            out[f"{a.name}_ohm"] = a.resistance_ohm
            out[f"{a.name}_error_ohm"] = a.resistance_error_ohm
            out[f"{a.name}_ohm_cm2"] = a.resistance_ohm_cm2
            out[f"{a.name}_cpe_q"] = a.q
            out[f"{a.name}_cpe_alpha"] = a.alpha
            out[f"{a.name}_tau_s"] = a.tau_s
            out[f"{a.name}_frequency_hz"] = a.frequency_hz
            out[f"{a.name}_capacitance_f"] = a.capacitance_f
        return out


def physical_result(fit: FitResult, *, area_cm2: float | None = None) -> PhysicalResult:
    """Rb/RSEI/RCT from a fit of one of :data:`CANDIDATES` (or any ``R0-p(R1,CPE1)...``
    circuit): R0 is Rb; with two arcs the faster one (smaller tau, higher frequency) is RSEI
    and the slower RCT, whatever their order in the circuit string."""
    p, e = fit.parameters, fit.standard_errors
    n_arcs = sum(1 for k in p if k.startswith("CPE") and k.endswith("_0"))
    names = ["RCT"] if n_arcs == 1 else ["RSEI", "RCT"] if n_arcs == 2 else []
    if not names or "R0" not in p:
        raise ValueError(f"circuit {fit.circuit!r} is not Rb + (R||CPE) arcs")

    def tau_of(i: int) -> float:
        r, q, a = p[f"R{i}"], p[f"CPE{i}_0"], p[f"CPE{i}_1"]
        return (r * q) ** (1 / a) if r > 0 and q > 0 and a > 0 else math.inf

    order = sorted(range(1, n_arcs + 1), key=tau_of)
    arcs = []
    for i, name in zip(order, names, strict=True):
        r, q, alpha = p[f"R{i}"], p[f"CPE{i}_0"], p[f"CPE{i}_1"]
        tau = (r * q) ** (1 / alpha) if r > 0 and q > 0 and alpha > 0 else math.nan
        arcs.append(
            Arc(
                name=name,
                resistance_ohm=r,
                resistance_error_ohm=e[f"R{i}"],
                resistance_ohm_cm2=r * area_cm2 if area_cm2 else None,
                q=q,
                alpha=alpha,
                tau_s=tau,
                frequency_hz=1 / (2 * math.pi * tau) if tau > 0 else math.nan,
                capacitance_f=tau / r if r > 0 else math.nan,
            )
        )
    return PhysicalResult(
        circuit=fit.circuit,
        rb_ohm=p["R0"],
        rb_error_ohm=e["R0"],
        rb_ohm_cm2=p["R0"] * area_cm2 if area_cm2 else None,
        arcs=tuple(arcs),
        warburg=p.get("W1"),
        area_cm2=area_cm2,
    )


@dataclass(frozen=True)
class ModelChoice:
    """The chosen fit, every candidate's BIC, the DRT peak count and why."""

    fit: FitResult
    physical: PhysicalResult
    reason: str
    bic: dict[str, float]
    drt_peaks: int
    candidates: dict[str, FitResult] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "circuit": self.fit.circuit,
            "reason": self.reason,
            "bic": self.bic,
            "drt_peaks": self.drt_peaks,
        }


def choose_model(
    frequency_hz: Sequence[float] | Real,
    impedance: Sequence[complex] | Complex,
    *,
    weighting: str = "modulus",
    area_cm2: float | None = None,
    diffusion: bool = True,
    drt: DRTResult | None = None,
    warm: dict[str, FitResult] | None = None,
) -> ModelChoice:
    """Fit the candidate circuits and choose one (see the module docstring for the rule).

    ``diffusion=False`` leaves out the Warburg variants; ``warm`` gives previous fits of the
    candidates (a series) to start from."""
    f = np.asarray(frequency_hz, dtype=np.float64)
    z = np.asarray(impedance, dtype=np.complex128)
    drt = drt or compute_drt(f, z)
    n_peaks = len(drt.peaks)
    fits: dict[str, FitResult] = {}
    for circ in CANDIDATES if diffusion else (ONE_ARC, TWO_ARCS):
        previous = (warm or {}).get(circ)
        guess = previous.values if previous is not None else None
        fits[circ] = fit_circuit(f, z, circ, guess, weighting=weighting)
    bic = {c: r.bic for c, r in fits.items()}
    best_one = min((c for c in fits if c.count("p(") == 1), key=bic.__getitem__)
    best_two = min((c for c in fits if c.count("p(") == 2), key=bic.__getitem__)
    gain = bic[best_one] - bic[best_two]
    if gain > STRONG_EVIDENCE_BIC:
        chosen = best_two
        reason = (
            f"two arcs: BIC lower by {gain:.1f} (> {STRONG_EVIDENCE_BIC:g}); DRT peaks: {n_peaks}"
        )
    elif gain > 0 and n_peaks >= 2:
        chosen = best_two
        reason = f"two arcs: BIC lower by {gain:.1f} and the DRT shows {n_peaks} peaks"
    else:
        chosen = best_one
        reason = (
            f"one arc: a second arc changes BIC by {-gain:+.1f} and the DRT shows {n_peaks} "
            f"peak{'s' if n_peaks != 1 else ''}"
        )
    if chosen.endswith("-W1"):
        reason += "; diffusion tail (W) lowers BIC"
    return ModelChoice(
        fit=fits[chosen],
        physical=physical_result(fits[chosen], area_cm2=area_cm2),
        reason=reason,
        bic=bic,
        drt_peaks=n_peaks,
        candidates=fits,
    )
