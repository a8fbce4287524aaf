"""From a fitted circuit to the lab's quantities, and the choice between one and two arcs.

Candidate models (impedance.py strings; ``R0`` is the bulk resistance Rb, the x-axis intercept):

* one arc: ``R0-p(R1,CPE1)``;
* two arcs: ``R0-p(R1,CPE1)-p(R2,CPE2)``;
* each optionally followed by a semi-infinite Warburg ``-W1`` (diffusion);
* each followed by a series inductance ``-L0`` when the spectrum ends in inductive points
  (Im Z > 0 at its highest frequencies beyond the noise: cables, the cell's geometry), so
  that the tail is modelled rather than bent into an arc
  (:func:`analysis.eis.inductive.inductive_tail`).

Which arc is RSEI and which RCT is argued from the arcs' effective capacitances, characteristic
frequencies and the DRT peaks (:mod:`analysis.eis.assign`): a single arc is RCT. Area-specific
resistances are R x A (ohm cm2). For an arc R || CPE(Q, alpha) the time constant is
tau = (R Q)^(1/alpha) (s), its characteristic frequency f = 1 / (2 pi tau) (Hz) and the
effective capacitance Brug's (F, :func:`analysis.eis.assign.brug_capacitance`).

The model is chosen by the Bayesian information criterion (lowest BIC) among the candidates
whose fit is reliable (:mod:`analysis.eis.fitting.checks`; an unreliable candidate is left out
and named in the reason), cross-checked against the number of DRT peaks: a second arc is
accepted only when it lowers BIC by more than 10 (strong evidence, Kass and Raftery, JASA 90,
773 (1995)) or when the DRT shows two or more peaks and it lowers BIC at all. When no
candidate is reliable the lowest BIC is kept and reported as failed (``fit.success`` False,
the problems in the reason). Paper context: Rb/RCT after cycling, RSEI appearing with a PVDF
binder (in-situ EIS).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.eis.assign import Assignment, arc_facts, assign
from analysis.eis.drt import DRTResult, compute_drt
from analysis.eis.elements import Complex, Real
from analysis.eis.fitting import FitResult, fit_circuit
from analysis.eis.inductive import inductive_tail

ONE_ARC = "R0-p(R1,CPE1)"
TWO_ARCS = "R0-p(R1,CPE1)-p(R2,CPE2)"
CANDIDATES = (ONE_ARC, ONE_ARC + "-W1", TWO_ARCS, TWO_ARCS + "-W1")
INDUCTANCE = "-L0"
STRONG_EVIDENCE_BIC = 10.0


def candidates(*, diffusion: bool = True, inductance: bool = False) -> tuple[str, ...]:
    """The automatic candidate circuits: one or two arcs, with a Warburg when ``diffusion``,
    all with a series inductance ``L0`` when ``inductance``."""
    base = CANDIDATES if diffusion else (ONE_ARC, TWO_ARCS)
    return tuple(c + INDUCTANCE for c in base) if inductance else base


@dataclass(frozen=True)
class Arc:
    """One R || CPE arc: resistance (ohm, ohm cm2), CPE, tau (s), f (Hz), C_eff (F, Brug's;
    F cm-2 with an area) and its capacitance class (:mod:`analysis.eis.assign`)."""

    name: str
    resistance_ohm: float
    resistance_error_ohm: float
    resistance_ohm_cm2: float | None
    q: float
    alpha: float
    tau_s: float
    frequency_hz: float
    capacitance_f: float
    capacitance_f_cm2: float | None = None
    capacitance_class: str = "unknown"


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
    inductance_h: float | None = None
    assignment: Assignment | None = None
    reliable: bool = True
    problems: tuple[str, ...] = ()

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
            "inductance_h": self.inductance_h,
            "reliable": self.reliable,
            "problems": list(self.problems),
            "assignment": self.assignment.to_dict() if self.assignment else None,
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
            out[f"{a.name}_capacitance_f_cm2"] = a.capacitance_f_cm2
            out[f"{a.name}_capacitance_class"] = a.capacitance_class
        return out


def physical_result(
    fit: FitResult,
    *,
    area_cm2: float | None = None,
    drt_peaks_hz: Sequence[float] | None = None,
) -> PhysicalResult:
    """Rb/RSEI/RCT from a fit of one of the candidates (or any ``R0-p(R1,CPE1)...`` circuit):
    R0 is Rb; the arcs are named by :func:`analysis.eis.assign.assign` (a single arc is RCT;
    of two, the interphase-capacitance one is RSEI, else the faster one, flagged ambiguous).
    ``drt_peaks_hz``: the characteristic frequencies of the spectrum's DRT peaks (evidence)."""
    p, e = fit.parameters, fit.standard_errors
    n_arcs = sum(1 for k in p if k.startswith("CPE") and k.endswith("_0"))
    if n_arcs not in (1, 2) or "R0" not in p:
        raise ValueError(f"circuit {fit.circuit!r} is not Rb + (R||CPE) arcs")
    rb = p["R0"]
    facts = [
        arc_facts(i, p[f"R{i}"], p[f"CPE{i}_0"], p[f"CPE{i}_1"], rb, area_cm2, drt_peaks_hz or ())
        for i in range(1, n_arcs + 1)
    ]
    assignment = assign(facts, area_cm2=area_cm2, drt_peaks_hz=drt_peaks_hz)
    arcs = []
    for a in sorted(facts, key=lambda a: (assignment.names[a.index] != "RSEI", a.index)):
        r = a.resistance_ohm
        arcs.append(
            Arc(
                name=assignment.names[a.index],
                resistance_ohm=r,
                resistance_error_ohm=e[f"R{a.index}"],
                resistance_ohm_cm2=r * area_cm2 if area_cm2 else None,
                q=a.q,
                alpha=a.alpha,
                tau_s=a.tau_s,
                frequency_hz=a.frequency_hz,
                capacitance_f=a.capacitance_f,
                capacitance_f_cm2=a.capacitance_f_cm2,
                capacitance_class=a.capacitance_class,
            )
        )
    return PhysicalResult(
        circuit=fit.circuit,
        rb_ohm=rb,
        rb_error_ohm=e["R0"],
        rb_ohm_cm2=rb * area_cm2 if area_cm2 else None,
        arcs=tuple(arcs),
        warburg=p.get("W1"),
        area_cm2=area_cm2,
        inductance_h=p.get("L0"),
        assignment=assignment,
        reliable=fit.success,
        problems=fit.problems if fit.problems else (() if fit.converged else (fit.message,)),
    )


@dataclass(frozen=True)
class ModelChoice:
    """The chosen fit, every candidate's BIC, the DRT peak count, the candidates left out as
    unreliable (circuit -> problems) and why."""

    fit: FitResult
    physical: PhysicalResult
    reason: str
    bic: dict[str, float]
    drt_peaks: int
    candidates: dict[str, FitResult] = field(repr=False)
    unreliable: dict[str, tuple[str, ...]] = field(default_factory=dict)
    inductive_points: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "circuit": self.fit.circuit,
            "reason": self.reason,
            "bic": self.bic,
            "drt_peaks": self.drt_peaks,
            "unreliable_candidates": {c: list(p) for c, p in self.unreliable.items()},
            "inductive_points": self.inductive_points,
        }


def _arcs(circuit: str) -> int:
    return circuit.count("p(")


def choose_model(
    frequency_hz: Sequence[float] | Real,
    impedance: Sequence[complex] | Complex,
    *,
    weighting: str = "noise",
    area_cm2: float | None = None,
    diffusion: bool = True,
    drt: DRTResult | None = None,
    warm: dict[str, FitResult] | None = None,
) -> ModelChoice:
    """Fit the candidate circuits and choose one (see the module docstring for the rule).

    ``diffusion=False`` leaves out the Warburg variants; an inductive high-frequency tail adds
    ``L0`` to every candidate; ``warm`` gives previous fits of the candidates (a series) to
    start from."""
    f = np.asarray(frequency_hz, dtype=np.float64)
    z = np.asarray(impedance, dtype=np.complex128)
    drt = drt or compute_drt(f, z)
    n_peaks = len(drt.peaks)
    tail = inductive_tail(f, z)
    fits: dict[str, FitResult] = {}
    for circ in candidates(diffusion=diffusion, inductance=tail > 0):
        previous = (warm or {}).get(circ)
        guess = previous.values if previous is not None else None
        fits[circ] = fit_circuit(f, z, circ, guess, weighting=weighting)
    bic = {c: r.bic for c, r in fits.items()}
    unreliable = {c: r.problems or (r.message,) for c, r in fits.items() if not r.success}
    pool = [c for c in fits if c not in unreliable] or list(fits)
    ones = [c for c in pool if _arcs(c) == 1]
    twos = [c for c in pool if _arcs(c) == 2]
    best_one = min(ones, key=bic.__getitem__) if ones else None
    best_two = min(twos, key=bic.__getitem__) if twos else None
    if best_one is None or best_two is None:
        chosen = best_one or best_two
        assert chosen is not None
        reason = f"{'one arc' if best_one else 'two arcs'}: the only reliable arc count"
    else:
        gain = bic[best_one] - bic[best_two]
        if gain > STRONG_EVIDENCE_BIC:
            chosen = best_two
            reason = f"two arcs: BIC lower by {gain:.1f} (> {STRONG_EVIDENCE_BIC:g})"
            reason += f"; DRT peaks: {n_peaks}"
        elif gain > 0 and n_peaks >= 2:
            chosen = best_two
            reason = f"two arcs: BIC lower by {gain:.1f} and the DRT shows {n_peaks} peaks"
        else:
            chosen = best_one
            reason = (
                f"one arc: a second arc changes BIC by {-gain:+.1f} and the DRT shows "
                f"{n_peaks} peak{'s' if n_peaks != 1 else ''}"
            )
    if "-W1" in chosen:
        reason += "; diffusion tail (W) lowers BIC"
    if tail:
        reason += f"; {tail} inductive high-frequency point{'s' if tail != 1 else ''} (L0)"
    left_out = [c for c in unreliable if c != chosen]
    if left_out and len(unreliable) < len(fits):
        reason += f"; left out as unreliable: {', '.join(left_out)}"
    if chosen in unreliable:
        reason = f"no reliable candidate, lowest BIC kept ({'; '.join(unreliable[chosen])}); " + (
            reason
        )
    peaks_hz = [p.frequency_hz for p in drt.peaks]
    return ModelChoice(
        fit=fits[chosen],
        physical=physical_result(fits[chosen], area_cm2=area_cm2, drt_peaks_hz=peaks_hz),
        reason=reason,
        bic=bic,
        drt_peaks=n_peaks,
        candidates=fits,
        unreliable=unreliable,
        inductive_points=tail,
    )
