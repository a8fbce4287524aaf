"""Is a converged fit a result? The checks that turn a numerically converged fit of a circuit
into a reported failure with its reason (docs/eis.md, "When a fit is not a result").

A fit is *unreliable* when any of these holds at the minimum:

* a free parameter is undetermined: its standard error is not finite (the Jacobian is
  singular, e.g. a branch shorted or opened so that its parameters no longer change Z) or more
  than :data:`MAX_RELATIVE_ERROR` times the value;
* a free parameter sits at a bound: an exponent at 0 or 1 (within 1e-6), a scale parameter run
  to 0 (below 1e-12 of the largest |Z| for a resistance, or at a user's finite bound within
  1e-6 relative);
* a resistance (a parameter in ohm) exceeds :data:`MAX_RESISTANCE_OVER_Z` times the largest
  |Z| of the spectrum: an arc that large is not closed within the measured range and its
  resistance is an extrapolation, not a measurement.

Each problem is one sentence naming the parameter and the numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from analysis.eis.elements import EXPONENT_UNITS, Real

#: A relative standard error above this (1000 %) means the data do not determine the value.
MAX_RELATIVE_ERROR = 10.0
#: A resistance above this multiple of the spectrum's largest |Z| is "far beyond" the data.
MAX_RESISTANCE_OVER_Z = 10.0
_AT_BOUND = 1e-6


def fit_problems(
    names: Sequence[str],
    units: Sequence[str],
    values: Real,
    errors: Real,
    lower: Real,
    upper: Real,
    max_abs_z_ohm: float,
) -> list[str]:
    """The reasons why a fit of free parameters ``names`` (values, standard errors, bounds in
    the parameters' units) to a spectrum whose largest |Z| is ``max_abs_z_ohm`` is not a
    result; empty when it is one (see the module docstring)."""
    problems: list[str] = []
    singular = [n for n, e in zip(names, errors, strict=True) if not math.isfinite(float(e))]
    if singular:
        problems.append(
            f"singular Jacobian: no standard error for {', '.join(singular)} "
            "(the data do not determine them)"
        )
    for name, unit, v, e, lo, hi in zip(names, units, values, errors, lower, upper, strict=True):
        v, e, lo, hi = float(v), float(e), float(lo), float(hi)
        if math.isfinite(e) and v != 0 and e > MAX_RELATIVE_ERROR * abs(v):
            problems.append(
                f"{name} = {v:.4g} has a standard error of {e:.3g} ({e / abs(v):.0%}): "
                "not determined by the data"
            )
        if unit == EXPONENT_UNITS:
            if v <= lo + _AT_BOUND or v >= hi - _AT_BOUND:
                bound = lo if v <= lo + _AT_BOUND else hi
                problems.append(f"{name} = {v:.4g} is at its bound {bound:g}")
            continue
        if math.isfinite(hi) and hi > 0 and v >= hi * (1 - _AT_BOUND):
            problems.append(f"{name} = {v:.4g} is at its upper bound {hi:g}")
        if lo > 0 and v <= lo * (1 + _AT_BOUND):
            problems.append(f"{name} = {v:.4g} is at its lower bound {lo:g}")
        if unit == "ohm":
            if v <= 1e-12 * max_abs_z_ohm:
                problems.append(f"{name} = {v:.3g} ohm ran to 0 (a shorted element)")
            elif v > MAX_RESISTANCE_OVER_Z * max_abs_z_ohm:
                problems.append(
                    f"{name} = {v:.4g} ohm is {v / max_abs_z_ohm:.3g} x the largest |Z| of the "
                    f"spectrum ({max_abs_z_ohm:.4g} ohm): an arc not closed within the measured "
                    "range"
                )
    return problems
