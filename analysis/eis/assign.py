"""Which arc is the interphase (RSEI) and which the charge transfer (RCT): the physical argument.

Each R || CPE arc of a fit gets its effective capacitance by Brug's formula,

    C_eff = Q^(1/alpha) (1/R_s + 1/R)^((alpha - 1)/alpha)        (F),

with R_s the series (bulk) resistance Rb (G. J. Brug et al., J. Electroanal. Chem. 176, 275
(1984); for alpha = 1 it is the capacitance, for R_s -> infinity Hsu and Mansfeld's
(RQ)^(1/alpha)/R), its specific capacitance C_eff / A (F cm-2, with the cell area A) and its
characteristic frequency f_c = 1 / (2 pi tau), tau = (R Q)^(1/alpha) (Hz).

Capacitance classes (F cm-2; Irvine, Sinclair and West, Adv. Mater. 2, 132 (1990), Table 1, and
a parallel-plate film C = eps eps0 / d with eps 5-10 and d 5-100 nm for the SEI):

============  ======================  =======================================================
class         C_eff / A (F cm-2)       process
============  ======================  =======================================================
electrolyte   < 1e-9                   bulk or grain boundary of a solid electrolyte
interphase    1e-9 .. 1e-6             a surface film: SEI, interphase, seed-layer reaction film
double layer  1e-6 .. 1e-2             charge transfer at the electrode (double layer)
storage       > 1e-2                   chemical / intercalation capacitance, porous electrodes
============  ======================  =======================================================

Without an area the ranges are applied to C_eff in F, as for 1 cm2, and the evidence says so.

Assignment: one arc is always RCT (a single arc never becomes an SEI); it is *ambiguous* when
its capacitance is not in the double-layer range. With two arcs, the arc in the interphase
class is RSEI and the one in the double-layer (or storage) class RCT: *confident* when the
interphase arc is also the faster one (higher f_c, as a film thinner than the diffusion layer
must be) and the DRT shows a peak within half a decade of each arc's f_c. Otherwise (both arcs
in one class, an electrolyte-class arc, the order or the DRT disagreeing) the arcs are named
by time constant (the faster RSEI) and the assignment is *ambiguous*, with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: (upper limit in F cm-2, class) in increasing order; above the last: "storage"
CAPACITANCE_CLASSES: tuple[tuple[float, str], ...] = (
    (1e-9, "electrolyte"),
    (1e-6, "interphase"),
    (1e-2, "double layer"),
)
#: a DRT peak within this many decades of an arc's characteristic frequency confirms the arc
DRT_MATCH_DECADES = 0.5


def brug_capacitance(q: float, alpha: float, r_ohm: float, r_series_ohm: float) -> float:
    """Effective capacitance (F) of R || CPE(Q, alpha) behind a series resistance (Brug 1984)."""
    if not (q > 0 and alpha > 0 and r_ohm > 0):
        return math.nan
    conductance = 1.0 / r_ohm + (1.0 / r_series_ohm if r_series_ohm > 0 else 0.0)
    try:
        return float(q ** (1.0 / alpha) * conductance ** ((alpha - 1.0) / alpha))
    except OverflowError:  # a degenerate arc (alpha near 0)
        return math.inf


def cpe_time_constant_s(r_ohm: float, q: float, alpha: float) -> float:
    """tau = (R Q)^(1/alpha) (s) of R || CPE(Q, alpha) (R C for alpha = 1), computed in
    logarithms (a degenerate arc with alpha near 0 gives inf, not an overflow); nan unless all
    three are positive."""
    if not (r_ohm > 0 and q > 0 and alpha > 0):
        return math.nan
    log_tau = math.log(r_ohm * q) / alpha
    return math.exp(log_tau) if log_tau < 700 else math.inf


def capacitance_class(c_specific_f_cm2: float) -> str:
    """The class of a specific capacitance (F cm-2) from :data:`CAPACITANCE_CLASSES`."""
    if not math.isfinite(c_specific_f_cm2):
        return "unknown"
    for limit, name in CAPACITANCE_CLASSES:
        if c_specific_f_cm2 < limit:
            return name
    return "storage"


@dataclass(frozen=True)
class ArcFacts:
    """What is known of one arc of the fit (``index``: its number in the circuit, R1 -> 1)."""

    index: int
    resistance_ohm: float
    q: float
    alpha: float
    tau_s: float
    frequency_hz: float
    capacitance_f: float
    capacitance_f_cm2: float | None
    capacitance_class: str
    drt_peak_hz: float | None


@dataclass(frozen=True)
class Assignment:
    """Arc names (circuit index -> "RSEI"/"RCT"), the verdict and the evidence for it."""

    names: dict[int, str]
    status: str  # "confident" or "ambiguous"
    evidence: tuple[str, ...]
    arcs: tuple[ArcFacts, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "evidence": list(self.evidence),
            "arcs": [
                {
                    "name": self.names[a.index],
                    "circuit_resistor": f"R{a.index}",
                    "capacitance_f": a.capacitance_f,
                    "capacitance_f_cm2": a.capacitance_f_cm2,
                    "capacitance_class": a.capacitance_class,
                    "frequency_hz": a.frequency_hz,
                    "drt_peak_hz": a.drt_peak_hz,
                }
                for a in self.arcs
            ],
        }


def arc_facts(
    index: int,
    r: float,
    q: float,
    alpha: float,
    rb: float,
    area_cm2: float | None,
    drt_peaks_hz: Sequence[float],
) -> ArcFacts:
    tau = cpe_time_constant_s(r, q, alpha)
    fc = 1 / (2 * math.pi * tau) if tau > 0 else math.nan
    c = brug_capacitance(q, alpha, r, rb)
    specific = c / area_cm2 if area_cm2 else c
    near = None
    if drt_peaks_hz and math.isfinite(fc) and fc > 0:
        near = min(drt_peaks_hz, key=lambda p: abs(math.log10(p / fc)))
        if abs(math.log10(near / fc)) > DRT_MATCH_DECADES:
            near = None
    return ArcFacts(
        index=index,
        resistance_ohm=r,
        q=q,
        alpha=alpha,
        tau_s=tau,
        frequency_hz=fc,
        capacitance_f=c,
        capacitance_f_cm2=c / area_cm2 if area_cm2 else None,
        capacitance_class=capacitance_class(specific),
        drt_peak_hz=near,
    )


def assign(
    arcs: Sequence[ArcFacts], *, area_cm2: float | None, drt_peaks_hz: Sequence[float] | None
) -> Assignment:
    """Name the arcs RSEI/RCT from their capacitance classes, order and DRT peaks (module
    docstring); ``drt_peaks_hz`` None means no DRT was computed."""
    unit = "F cm-2" if area_cm2 else "F (no cell area: ranges applied as for 1 cm2)"

    def describe(a: ArcFacts) -> str:
        c = a.capacitance_f_cm2 if area_cm2 else a.capacitance_f
        return (
            f"R{a.index}: C_eff {c:.3g} {unit.split(' (')[0]} ({a.capacitance_class}), "
            f"f_c {a.frequency_hz:.3g} Hz"
        )

    evidence = [describe(a) for a in arcs]
    if not area_cm2:
        evidence.append(f"capacitance ranges in {unit}")
    doubts: list[str] = []
    by_tau = sorted(arcs, key=lambda a: a.tau_s if math.isfinite(a.tau_s) else math.inf)
    if len(arcs) == 1:
        (a,) = arcs
        names = {a.index: "RCT"}
        if a.capacitance_class not in ("double layer", "storage"):
            doubts.append(
                f"the single arc has a {a.capacitance_class} capacitance, not a double layer's: "
                "it is reported as RCT, but it may be an interphase whose charge transfer is "
                "not resolved"
            )
    elif len(arcs) == 2:
        fast, slow = by_tau
        classes = {fast.capacitance_class, slow.capacitance_class}
        film = [a for a in arcs if a.capacitance_class == "interphase"]
        layer = [a for a in arcs if a.capacitance_class in ("double layer", "storage")]
        if len(film) == 1 and len(layer) == 1:
            names = {film[0].index: "RSEI", layer[0].index: "RCT"}
            evidence.append("one arc in the interphase range, one in the double-layer range")
            if film[0] is not fast:
                doubts.append("the interphase-range arc is the slower one (unexpected order)")
        else:
            names = {fast.index: "RSEI", slow.index: "RCT"}
            doubts.append(
                "the capacitances do not separate an interphase from a double layer "
                f"(classes: {', '.join(sorted(classes))}): named by time constant"
            )
    else:
        raise ValueError(f"{len(arcs)} arcs: expected one or two")
    if drt_peaks_hz is not None:
        if drt_peaks_hz:
            peaks = ", ".join(f"{p:.3g}" for p in sorted(drt_peaks_hz, reverse=True))
            evidence.append(f"DRT peaks at {peaks} Hz")
        unmatched = [a for a in arcs if a.drt_peak_hz is None]
        if len(arcs) == 2 and unmatched:
            doubts.append(
                "no DRT peak within half a decade of "
                + ", ".join(f"R{a.index} ({a.frequency_hz:.3g} Hz)" for a in unmatched)
            )
    status = "ambiguous" if doubts else "confident"
    return Assignment(names, status, tuple(evidence + doubts), tuple(arcs))
