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

The model is chosen by the Bayesian information criterion, BIC = N ln(chi2/N) + k ln N
(N residuals, k parameters: -2 ln L + k ln N for Gaussian weighted residuals of one unknown
scale, up to a constant; a BIC difference approximates twice the log Bayes factor: Schwarz,
Ann. Stat. 6, 461 (1978)), among the candidates whose fit is reliable
(:mod:`analysis.eis.fitting.checks`; an unreliable candidate is left out and named in the
reason). A second arc is a second physical process and is only accepted on strong evidence:
it must lower BIC by more than 10 (Kass and Raftery, JASA 90, 773 (1995): "very strong",
posterior odds above 150:1). The DRT is a cross-check, never a promoter: it supports two arcs
when it has a distinct peak within half a decade of each arc's characteristic frequency
(:data:`analysis.eis.assign.DRT_MATCH_DECADES`). So

* BIC gain <= 10: one arc (a one-arc cell never gains a phantom SEI: the diffusion tail of a
  one-arc + Warburg spectrum puts DRT peaks at low frequency and lets a two-arc fit win by a
  fraction of a BIC unit). When the gain is positive and the DRT has a peak at each of the
  two arcs, the choice is *ambiguous*: a second process may be present but is not resolved.
* BIC gain > 10 with the DRT's support: two arcs, *clear*.
* BIC gain > 10 without it: two arcs (the data need them) but *ambiguous*, naming the arc
  without a DRT peak (e.g. a small arc whose apex lies beyond the highest frequency).
* every two-arc candidate unreliable: one arc; *ambiguous* when the best of those fits still
  lowers BIC by more than 10 (something one arc does not explain, which the data cannot
  resolve).

An ambiguous choice makes the RSEI/RCT assignment ambiguous too, with the reason among its
evidence. When no candidate is reliable the lowest BIC is kept and reported as failed
(``fit.success`` False, the problems in the reason). Paper context: Rb/RCT after cycling, RSEI
appearing with a PVDF binder (in-situ EIS).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.eis.assign import (
    DRT_MATCH_DECADES,
    Assignment,
    arc_facts,
    assign,
    cpe_time_constant_s,
)
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
    unreliable (circuit -> problems), why, and whether the choice is ``clear``,
    ``ambiguous`` or ``failed`` (no reliable candidate)."""

    fit: FitResult
    physical: PhysicalResult
    reason: str
    bic: dict[str, float]
    drt_peaks: int
    candidates: dict[str, FitResult] = field(repr=False)
    unreliable: dict[str, tuple[str, ...]] = field(default_factory=dict)
    inductive_points: int = 0
    status: str = "clear"
    bic_gain_two_arcs: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "circuit": self.fit.circuit,
            "status": self.status,
            "reason": self.reason,
            "bic": self.bic,
            "bic_gain_two_arcs": self.bic_gain_two_arcs,
            "drt_peaks": self.drt_peaks,
            "unreliable_candidates": {c: list(p) for c, p in self.unreliable.items()},
            "inductive_points": self.inductive_points,
        }


def arc_frequencies_hz(fit: FitResult) -> list[float]:
    """The characteristic frequency 1/(2 pi tau), tau = (R Q)^(1/alpha), of each R || CPE arc
    of a fit (Hz), in the circuit's order."""
    p = fit.parameters
    out = []
    i = 1
    while f"CPE{i}_0" in p and f"R{i}" in p:
        tau = cpe_time_constant_s(p[f"R{i}"], p[f"CPE{i}_0"], p[f"CPE{i}_1"])
        out.append(1 / (2 * math.pi * tau) if tau > 0 else math.nan)
        i += 1
    return out


def drt_support(arc_hz: Sequence[float], peaks_hz: Sequence[float]) -> tuple[bool, str]:
    """Whether the DRT has a distinct peak within :data:`DRT_MATCH_DECADES` of each arc's
    characteristic frequency, and a sentence saying so (or naming the arc without one)."""
    used: set[float] = set()
    missing: list[float] = []
    for fc in sorted(arc_hz, reverse=True):
        near = [
            p
            for p in peaks_hz
            if p not in used and math.isfinite(fc) and abs(math.log10(p / fc)) <= DRT_MATCH_DECADES
        ]
        if near:
            used.add(min(near, key=lambda p: abs(math.log10(p / fc))))
        else:
            missing.append(fc)
    if not missing:
        where = ", ".join(f"{p:.3g}" for p in sorted(used, reverse=True))
        return True, f"the DRT has a peak at each arc ({where} Hz)"
    return False, "no distinct DRT peak within half a decade of the arc at " + ", ".join(
        f"{fc:.3g} Hz" for fc in missing
    )


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
    peaks_hz = [p.frequency_hz for p in drt.peaks]
    tail = inductive_tail(f, z)
    fits: dict[str, FitResult] = {}
    for circ in candidates(diffusion=diffusion, inductance=tail > 0):
        previous = (warm or {}).get(circ)
        # only a reliable fit is a start (as for a given circuit): a degenerate minimum is so
        # ill-conditioned that the last bits of rounding choose where the next fit ends
        guess = previous.values if previous is not None and previous.success else None
        fits[circ] = fit_circuit(f, z, circ, guess, weighting=weighting)
    bic = {c: r.bic for c, r in fits.items()}
    unreliable = {c: r.problems or (r.message,) for c, r in fits.items() if not r.success}
    pool = [c for c in fits if c not in unreliable] or list(fits)
    ones = [c for c in pool if _arcs(c) == 1]
    twos = [c for c in pool if _arcs(c) == 2]
    best_one = min(ones, key=bic.__getitem__) if ones else None
    best_two = min(twos, key=bic.__getitem__) if twos else None
    status = "clear"
    gain: float | None = None
    if best_one is None or best_two is None:
        chosen = best_one or best_two
        assert chosen is not None
        reason = f"{'one arc' if best_one else 'two arcs'}: the only reliable arc count"
        all_twos = [c for c in fits if _arcs(c) == 2]
        if best_one is not None and all_twos:
            # a second arc that fits much better but is not determined: something is there
            # that one arc does not explain, and the data cannot resolve it
            closest = min(all_twos, key=bic.__getitem__)
            unresolved = bic[best_one] - bic[closest]
            if unresolved > STRONG_EVIDENCE_BIC:
                gain = unresolved
                status = "ambiguous"
                reason = (
                    f"one arc kept: a second arc lowers BIC by {unresolved:.1f} but its fit is "
                    f"not a result ({'; '.join(unreliable[closest])}): a second process may be "
                    "present but is not resolved"
                )
    else:
        gain = bic[best_one] - bic[best_two]
        supported, drt_says = drt_support(arc_frequencies_hz(fits[best_two]), peaks_hz)
        if gain > STRONG_EVIDENCE_BIC:
            chosen = best_two
            reason = f"two arcs: BIC lower by {gain:.1f} (> {STRONG_EVIDENCE_BIC:g}); {drt_says}"
            status = "clear" if supported else "ambiguous"
        elif gain > 0 and supported:
            chosen = best_one
            status = "ambiguous"
            reason = (
                f"one arc kept: a second arc lowers BIC by only {gain:.1f} (a second arc needs "
                f"> {STRONG_EVIDENCE_BIC:g}), yet {drt_says}: a second process may be present "
                "but is not resolved"
            )
        else:
            chosen = best_one
            reason = (
                f"one arc: a second arc changes BIC by {-gain:+.1f} (it needs a gain above "
                f"{STRONG_EVIDENCE_BIC:g}); DRT peaks: {n_peaks}"
            )
    if "-W1" in chosen:
        reason += "; diffusion tail (W) lowers BIC"
    if tail:
        reason += f"; {tail} inductive high-frequency point{'s' if tail != 1 else ''} (L0)"
    left_out = [c for c in unreliable if c != chosen]
    if left_out and len(unreliable) < len(fits):
        reason += f"; left out as unreliable: {', '.join(left_out)}"
    if chosen in unreliable:
        status = "failed"
        reason = f"no reliable candidate, lowest BIC kept ({'; '.join(unreliable[chosen])}); " + (
            reason
        )
    physical = physical_result(fits[chosen], area_cm2=area_cm2, drt_peaks_hz=peaks_hz)
    if status == "ambiguous" and physical.assignment is not None:
        physical = dataclasses.replace(
            physical,
            assignment=dataclasses.replace(
                physical.assignment,
                status="ambiguous",
                evidence=(*physical.assignment.evidence, f"model choice: {reason}"),
            ),
        )
    return ModelChoice(
        fit=fits[chosen],
        physical=physical,
        reason=reason,
        bic=bic,
        drt_peaks=n_peaks,
        candidates=fits,
        unreliable=unreliable,
        inductive_points=tail,
        status=status,
        bic_gain_two_arcs=gain,
    )
