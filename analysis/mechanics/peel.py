"""180-degree peel test: the steady-state plateau and the peel strength over it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from analysis.mechanics._series import FloatArray, _arr, _finite, _same_length

#: Standard gravity (CGPM 1901): 1 gf = 9.80665e-3 N, so 1 gf/mm = 9.80665 N/m.
GF_IN_N = 9.80665e-3
N_PER_M_PER_GF_PER_MM = GF_IN_N / 1e-3


@dataclass(frozen=True)
class PeelResult:
    """Peel strength over the steady-state plateau of a peel test.

    Strengths are force per specimen width: ``*_gf_per_mm`` in gram-force per millimetre and
    ``*_N_per_m`` in newton per metre (1 gf/mm = 9.80665 N/m). ``sd`` is the sample standard
    deviation of the force per width over the plateau points. ``peel_start_mm`` to
    ``peel_end_mm`` is the peeling span (force above the onset threshold); when the layer let
    go before a steady state could be measured (``steady_state`` false), the strength is the
    mean over the whole peeling span and ``warnings`` says so. ``detached_early``: the peeling
    span covers less than half of the record after the peel began (most of the record is the
    empty grip). ``force_cv`` is the plateau's sd over its mean; ``stick_slip`` is true when it
    exceeds the ``stick_slip_cv`` rule.
    """

    width_mm: float
    plateau_start_mm: float
    plateau_end_mm: float
    plateau_points: int
    mean_force_N: float
    peel_strength_gf_per_mm: float
    peel_strength_sd_gf_per_mm: float
    peel_strength_min_gf_per_mm: float
    peel_strength_max_gf_per_mm: float
    peel_strength_N_per_m: float
    peel_strength_sd_N_per_m: float
    peel_strength_min_N_per_m: float
    peel_strength_max_N_per_m: float
    peak_force_N: float
    peel_start_mm: float
    peel_end_mm: float
    peel_length_mm: float
    record_end_mm: float
    baseline_force_N: float
    steady_state: bool
    detached_early: bool
    force_cv: float
    stick_slip: bool
    warnings: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["warnings"] = list(self.warnings)
        return out


@dataclass(frozen=True)
class PeelSpan:
    """Where a record peels (mm) and its force levels (N); ``plateau_*`` after trimming."""

    peel_start_mm: float
    peel_end_mm: float
    plateau_start_mm: float
    plateau_end_mm: float
    baseline_N: float
    top_N: float
    record_end_mm: float


def _smooth_median(x: FloatArray, f: FloatArray, window_mm: float) -> FloatArray:
    from scipy.ndimage import median_filter

    step = float(np.median(np.diff(x))) if len(x) > 1 else 0.0
    size = max(int(window_mm / step) // 2 * 2 + 1, 3) if step > 0 else 3  # odd, >= 3 points
    return np.asarray(median_filter(f, size=size, mode="nearest"), dtype=float)


def peel_span(
    displacement_mm: npt.ArrayLike,
    force_N: npt.ArrayLike,
    *,
    onset_fraction: float = 0.5,
    lead_mm: float = 5.0,
    tail_mm: float = 3.0,
    lead_fraction: float | None = None,
    tail_fraction: float | None = None,
) -> PeelSpan:
    """The peeling span and the steady-state plateau of a peel record, by this rule.

    1. The force is smoothed by a running median over 0.5 mm of displacement (spikes and
       stick-slip teeth do not move the levels). The baseline is its 5th percentile (the
       slack before the grips load and the empty grip after the strip lets go); the top its
       maximum.
    2. The *peeling span* runs from the first to the last point where the smoothed force
       reaches ``baseline + onset_fraction (top - baseline)`` (default half way): a change
       point in force located in millimetres of displacement, whatever share of the record
       the baseline takes.
    3. The plateau is the peeling span without its first ``lead_mm`` (default 5 mm: the load
       build-up and initial peak) and last ``tail_mm`` (default 3 mm: the final detachment),
       as ASTM D903 and ISO 8510-2 leave the start and end of the peel out of the average.
       ``lead_fraction`` / ``tail_fraction`` (shares of the span), when given, replace the
       lengths (parameters of earlier versions).

    Units: millimetres of crosshead displacement, newton. Raises ``ValueError`` when the force
    never rises above the baseline by more than ten times the baseline noise.
    """
    x = _arr(displacement_mm, "displacement_mm")
    f = _arr(force_N, "force_N")
    _same_length(displacement_mm=x, force_N=f)
    keep = _finite(x=x, f=f)
    x, f = x[keep], f[keep]
    if lead_mm < 0 or tail_mm < 0:
        raise ValueError(f"lead_mm and tail_mm must not be negative, found {lead_mm}, {tail_mm}")
    fs = _smooth_median(x, f, 0.5)
    base, top = float(np.percentile(fs, 5)), float(np.max(fs))
    quiet = f[fs <= base + 0.1 * (top - base)]
    noise = float(1.4826 * np.median(np.abs(np.diff(quiet)))) / np.sqrt(2) if len(quiet) > 2 else 0
    if top <= 0 or top - base <= 10 * noise:
        raise ValueError("the force never rises above the baseline noise: no peel in this record")
    above = np.flatnonzero(fs >= base + onset_fraction * (top - base))
    x0, x1 = float(x[above[0]]), float(x[above[-1]])
    span = x1 - x0
    if lead_fraction is not None or tail_fraction is not None:
        lf, tf = lead_fraction or 0.0, tail_fraction or 0.0
        if not 0 <= lf < 1 or not 0 <= tf < 1 - lf:
            raise ValueError("lead_fraction and tail_fraction must leave part of the peel")
        start, end = x0 + lf * span, x1 - tf * span
    else:
        start, end = x0 + lead_mm, x1 - tail_mm
    return PeelSpan(x0, x1, start, end, base, top, float(x[-1]))


def peel_plateau(
    displacement_mm: npt.ArrayLike, force_N: npt.ArrayLike, **rule: Any
) -> tuple[float, float]:
    """The steady-state plateau ``(start_mm, end_mm)`` of :func:`peel_span` (same rule and
    keyword arguments)."""
    s = peel_span(displacement_mm, force_N, **rule)
    return s.plateau_start_mm, s.plateau_end_mm


def peel_strength(
    displacement_mm: npt.ArrayLike,
    force_N: npt.ArrayLike,
    *,
    width_mm: float,
    onset_fraction: float = 0.5,
    lead_mm: float = 5.0,
    tail_mm: float = 3.0,
    lead_fraction: float | None = None,
    tail_fraction: float | None = None,
    min_plateau_mm: float = 5.0,
    stick_slip_cv: float = 0.15,
) -> PeelResult:
    """Peel strength: the mean peel force over the steady-state plateau divided by the width.

    Definition: ``strength = mean(F) / w`` over the plateau found by :func:`peel_span`, with
    the standard deviation, minimum and maximum of ``F / w`` over the same points. A plateau
    shorter than ``min_plateau_mm`` (default 5 mm) or with fewer than 3 points means the layer
    let go before a steady state: the strength is then the mean over the whole peeling span,
    ``steady_state`` is false and a warning says how far the layer peeled. Stick-slip: the
    plateau's coefficient of variation (sd / mean) above ``stick_slip_cv`` (default 0.15).
    Units: force in newton, width in millimetres; results in gf/mm and N/m.
    Reference: ASTM D903 (peel or stripping strength of adhesive bonds) and ISO 8510-2
    (180-degree peel test of flexible-to-rigid assemblies).
    """
    if not width_mm > 0:
        raise ValueError(f"width_mm must be positive, found {width_mm}")
    x = _arr(displacement_mm, "displacement_mm")
    f = _arr(force_N, "force_N")
    sp = peel_span(
        x,
        f,
        onset_fraction=onset_fraction,
        lead_mm=lead_mm,
        tail_mm=tail_mm,
        lead_fraction=lead_fraction,
        tail_fraction=tail_fraction,
    )
    ok = np.isfinite(f) & np.isfinite(x)
    start, end = sp.plateau_start_mm, sp.plateau_end_mm
    on = (x >= start) & (x <= end) & ok
    warnings: list[str] = []
    length = sp.peel_end_mm - sp.peel_start_mm
    steady = bool(end - start >= min_plateau_mm and on.sum() >= 3)
    early = bool(length < 0.5 * (sp.record_end_mm - sp.peel_start_mm))
    if not steady:
        start, end = sp.peel_start_mm, sp.peel_end_mm
        on = (x >= start) & (x <= end) & ok
        warnings.append(
            f"the layer peeled over {length:.3g} mm only (from {sp.peel_start_mm:.3g} mm of a "
            f"{sp.record_end_mm:.3g} mm record): no steady-state plateau of {min_plateau_mm:g} mm "
            f"after leaving out {lead_mm:g} mm at the start and {tail_mm:g} mm at the end; the "
            "strength is the mean over the peeling span"
        )
    elif early:
        warnings.append(
            f"the layer detached after {length:.3g} mm of peel; the rest of the "
            f"{sp.record_end_mm:.3g} mm record is the empty grip"
        )
    if on.sum() < 2:
        raise ValueError("fewer than 2 points on the peel; record more densely")
    per_width_gf = f[on] / GF_IN_N / width_mm
    sd = float(np.std(per_width_gf, ddof=1))
    mean = float(np.mean(per_width_gf))
    cv = sd / mean if mean > 0 else float("nan")
    stick = bool(steady and cv > stick_slip_cv)
    if stick:
        warnings.append(
            f"stick-slip: the force varies by {100 * cv:.0f} % (sd / mean) over the plateau"
        )
    lo, hi = float(per_width_gf.min()), float(per_width_gf.max())
    k = N_PER_M_PER_GF_PER_MM
    return PeelResult(
        width_mm=float(width_mm),
        plateau_start_mm=start,
        plateau_end_mm=end,
        plateau_points=int(on.sum()),
        mean_force_N=float(np.mean(f[on])),
        peel_strength_gf_per_mm=mean,
        peel_strength_sd_gf_per_mm=sd,
        peel_strength_min_gf_per_mm=lo,
        peel_strength_max_gf_per_mm=hi,
        peel_strength_N_per_m=mean * k,
        peel_strength_sd_N_per_m=sd * k,
        peel_strength_min_N_per_m=lo * k,
        peel_strength_max_N_per_m=hi * k,
        peak_force_N=float(np.nanmax(f)),
        peel_start_mm=sp.peel_start_mm,
        peel_end_mm=sp.peel_end_mm,
        peel_length_mm=length,
        record_end_mm=sp.record_end_mm,
        baseline_force_N=sp.baseline_N,
        steady_state=steady,
        detached_early=early,
        force_cv=cv,
        stick_slip=stick,
        warnings=tuple(warnings),
    )
