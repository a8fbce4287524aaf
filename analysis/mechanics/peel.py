"""180-degree peel test: the steady-state plateau and the peel strength over it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from analysis.mechanics._series import _arr, _finite, _same_length

#: Standard gravity (CGPM 1901): 1 gf = 9.80665e-3 N, so 1 gf/mm = 9.80665 N/m.
GF_IN_N = 9.80665e-3
N_PER_M_PER_GF_PER_MM = GF_IN_N / 1e-3


@dataclass(frozen=True)
class PeelResult:
    """Peel strength over the steady-state plateau of a peel test.

    Strengths are force per specimen width: ``*_gf_per_mm`` in gram-force per millimetre and
    ``*_N_per_m`` in newton per metre (1 gf/mm = 9.80665 N/m). ``sd`` is the sample standard
    deviation of the force per width over the plateau points.
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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def peel_plateau(
    displacement_mm: npt.ArrayLike,
    force_N: npt.ArrayLike,
    *,
    onset_fraction: float = 0.5,
    lead_fraction: float = 0.2,
    tail_fraction: float = 0.1,
) -> tuple[float, float]:
    """The steady-state peel plateau ``(start_mm, end_mm)``, found by this rule.

    1. The *peeling span* runs from the first to the last point where the force reaches
       ``onset_fraction`` (default 0.5) of the 95th percentile of the force: the baseline before
       the grips take up the slack and after the strip is fully detached falls outside.
    2. The plateau is the peeling span without its first ``lead_fraction`` (default 20 %) and
       last ``tail_fraction`` (default 10 %) of displacement: the initial load build-up and peak
       and the final detachment are excluded, as ASTM D903 and ISO 8510-2 exclude the start
       and end of the peel from the average.

    Units: millimetres of crosshead displacement. Raises ``ValueError`` when no force rises
    above the threshold.
    """
    x = _arr(displacement_mm, "displacement_mm")
    f = _arr(force_N, "force_N")
    _same_length(displacement_mm=x, force_N=f)
    keep = _finite(x=x, f=f)
    x, f = x[keep], f[keep]
    if not 0 <= lead_fraction < 1 or not 0 <= tail_fraction < 1 - lead_fraction:
        raise ValueError("lead_fraction and tail_fraction must leave part of the peel")
    level = float(np.percentile(f, 95))
    if level <= 0:
        raise ValueError("the force never rises above zero: no peel in this record")
    above = np.flatnonzero(f >= onset_fraction * level)
    x0, x1 = float(x[above[0]]), float(x[above[-1]])
    span = x1 - x0
    if span <= 0:
        raise ValueError("the peel force is above the threshold at a single point only")
    return x0 + lead_fraction * span, x1 - tail_fraction * span


def peel_strength(
    displacement_mm: npt.ArrayLike,
    force_N: npt.ArrayLike,
    *,
    width_mm: float,
    onset_fraction: float = 0.5,
    lead_fraction: float = 0.2,
    tail_fraction: float = 0.1,
) -> PeelResult:
    """Peel strength: the mean peel force over the steady-state plateau divided by the width.

    Definition: ``strength = mean(F) / w`` over the plateau found by :func:`peel_plateau`, with
    the standard deviation, minimum and maximum of ``F / w`` over the same points.
    Units: force in newton, width in millimetres; results in gf/mm and N/m.
    Reference: ASTM D903 (peel or stripping strength of adhesive bonds) and ISO 8510-2
    (180-degree peel test of flexible-to-rigid assemblies).
    """
    if not width_mm > 0:
        raise ValueError(f"width_mm must be positive, found {width_mm}")
    x = _arr(displacement_mm, "displacement_mm")
    f = _arr(force_N, "force_N")
    start, end = peel_plateau(
        x,
        f,
        onset_fraction=onset_fraction,
        lead_fraction=lead_fraction,
        tail_fraction=tail_fraction,
    )
    on = (x >= start) & (x <= end) & np.isfinite(f)
    if on.sum() < 3:
        raise ValueError("fewer than 3 points on the peel plateau; record more densely")
    per_width_gf = f[on] / GF_IN_N / width_mm
    sd = float(np.std(per_width_gf, ddof=1))
    mean = float(np.mean(per_width_gf))
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
    )
