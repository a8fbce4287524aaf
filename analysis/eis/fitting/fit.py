"""The public entry point :func:`fit_circuit`: checks the spectrum, the bounds and the fixed
parameters, chooses the starts (the given guess, the data-driven guesses of
:mod:`analysis.eis.guess`, perturbed multi-starts) and keeps the lowest chi-square."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from analysis.eis.circuit import Circuit, parse_circuit
from analysis.eis.elements import EXPONENT_UNITS, Complex, Real
from analysis.eis.fitting.canonical import canonical_permutation
from analysis.eis.fitting.optimize import _solve
from analysis.eis.fitting.problem import _Problem
from analysis.eis.fitting.result import FitResult, _result

WEIGHTINGS = ("none", "modulus", "proportional", "noise")
Bounds = tuple[Sequence[float], Sequence[float]] | Mapping[str, tuple[float, float]]


def fit_circuit(
    frequency_hz: Sequence[float] | Real,
    impedance: Sequence[complex] | Complex,
    circuit: str | Circuit,
    initial_guess: Sequence[float] | Real | None = None,
    weighting: str = "modulus",
    bounds: Bounds | None = None,
    fixed: Mapping[str, float] | None = None,
    *,
    multistart: int | None = None,
    seed: int = 0,
) -> FitResult:
    """Fit ``circuit`` to the spectrum ``impedance(frequency_hz)`` (complex, ohm; Hz).

    ``initial_guess`` lists the free parameters in circuit order (impedance.py's convention);
    when omitted, guesses are derived from the data (:func:`analysis.eis.guess.initial_guesses`)
    and the best of a small multi-start is kept. ``weighting``: ``none``, ``modulus`` (default),
    ``proportional`` or ``noise`` (see :mod:`analysis.eis.fitting`). ``bounds`` is ``(lower, upper)`` over the
    free parameters or ``{name: (lower, upper)}``; physical bounds (R, C, Q >= 0,
    0 <= exponent <= 1) apply otherwise. ``fixed`` maps parameter names to constant values.
    ``multistart`` is the number of extra perturbed starts (default 0 with a guess; without a
    guess, 4, run only when fewer than three of the data-driven starts agree on the minimum).
    A fit from a given guess that degenerates (a parameter runs off by more than 10 decades,
    shorting or opening a branch, or no convergence) is retried from the data-driven guesses
    and the lower chi-square kept. Interchangeable branches (two arcs in series) are reported
    in a canonical order, arcs fastest first (:mod:`analysis.eis.fitting.canonical`), whatever
    order the minimiser found them in.
    """
    from analysis.eis.guess import initial_guesses, perturbed_starts

    circ = circuit if isinstance(circuit, Circuit) else parse_circuit(circuit)
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}, not {weighting!r}")
    f = np.asarray(frequency_hz, dtype=np.float64).ravel()
    z = np.asarray(impedance, dtype=np.complex128).ravel()
    if f.size != z.size:
        raise ValueError(f"{f.size} frequencies but {z.size} impedance values")
    ok = np.isfinite(f) & np.isfinite(z) & (f > 0)
    if weighting != "none":
        ok &= np.abs(z) > 0
    f, z = f[ok], z[ok]
    fixed = dict(fixed or {})
    unknown = set(fixed) - set(circ.parameter_names)
    if unknown:
        raise ValueError(f"fixed parameters not in {circ.text!r}: {', '.join(sorted(unknown))}")
    free = [i for i, n in enumerate(circ.parameter_names) if n not in fixed]
    if 2 * f.size <= len(free):
        raise ValueError(f"{f.size} points cannot determine {len(free)} parameters")
    lower, upper = _bounds(circ, free, bounds)
    exponent = np.array([circ.units[i] == EXPONENT_UNITS for i in free])
    log_scaled = (~exponent) & (lower >= 0)
    base = np.zeros(circ.n_params)
    for name, value in fixed.items():
        base[circ.parameter_names.index(name)] = value
    problem = _Problem(circ, f, z, weighting, free, base, log_scaled, lower, upper)

    if initial_guess is not None:
        guess = np.asarray(initial_guess, dtype=np.float64)
        if guess.size == circ.n_params and fixed:
            guess = guess[free]
        if guess.size != len(free):
            raise ValueError(
                f"initial guess has {guess.size} values, the circuit has {len(free)} free "
                f"parameters ({', '.join(circ.parameter_names[i] for i in free)})"
            )
        starts = [guess]
        extra = 0 if multistart is None else multistart
    else:
        starts = [g[free] for g in initial_guesses(circ, f, z, fixed=base)]
        extra = 4 if multistart is None else multistart
    guided = len(starts)
    if extra:
        starts += perturbed_starts(starts[0], exponent, extra, seed=seed)

    best: tuple[float, Real, str, bool] | None = None
    converged: list[float] = []
    for i, start in enumerate(starts):
        if i == guided and multistart is None and _settled(converged):
            # The data-driven starts already agree on one minimum: the default random
            # starts around the first of them would only repeat it (and a random start
            # that runs a branch off can take hundreds of evaluations).
            starts = starts[:guided]
            break
        u, cost, message, success = _solve(problem, start)
        if success:
            converged.append(cost)
        if best is None or cost < best[0]:
            best = (cost, u, message, success)
    assert best is not None
    if initial_guess is not None and _degenerate(problem, best[1], starts[0], best[3]):
        # The local fit ran a branch off to a short or open circuit (a parameter moved by more
        # than 10 decades), or did not converge: retry from the data-driven guesses.
        for start in [g[free] for g in initial_guesses(circ, f, z, fixed=base)][:3]:
            u, cost, message, success = _solve(problem, start)
            if cost < best[0]:
                best = (cost, u, message, success)
        starts = starts + [start] * 3
    u = _canonical(problem, circ, best[1])
    return _result(problem, circ, u, weighting, fixed, best[2], best[3], len(starts))


def _canonical(problem: _Problem, circ: Circuit, u: Real) -> Real:
    """``u`` with interchangeable branches in canonical order
    (:mod:`analysis.eis.fitting.canonical`). Interchangeable free parameters share their bounds,
    hence their transform to ``u``: permuting ``u`` permutes the parameters exactly."""
    free_mask = np.zeros(circ.n_params, dtype=bool)
    free_mask[problem.free] = True
    lower = np.full(circ.n_params, np.nan)
    upper = np.full(circ.n_params, np.nan)
    lower[problem.free], upper[problem.free] = problem.lower, problem.upper
    perm = canonical_permutation(circ, problem.params(u), free_mask, lower, upper)
    if np.array_equal(perm, np.arange(circ.n_params)):
        return u
    slot = np.full(circ.n_params, -1)
    slot[problem.free] = np.arange(problem.free.size)
    return np.asarray(u[slot[perm[problem.free]]], dtype=np.float64)


def _settled(costs: list[float]) -> bool:
    """At least three converged starts reached the lowest chi-square (within 1e-6)."""
    if len(costs) < 3:
        return False
    low = min(costs)
    return sum(c <= low * (1 + 1e-6) for c in costs) >= 3


def _degenerate(problem: _Problem, u: Real, start: Real, success: bool) -> bool:
    if not success:
        return True
    p = problem.params(u)[problem.free]
    with np.errstate(divide="ignore", invalid="ignore"):
        moved = np.abs(np.log10(np.maximum(p, 1e-300)) - np.log10(np.maximum(start, 1e-300)))
    return bool(np.any(problem.log & (moved > 10.0)))


def _bounds(circ: Circuit, free: list[int], bounds: Bounds | None) -> tuple[Real, Real]:
    lower = np.array([circ.lower[i] for i in free], dtype=np.float64)
    upper = np.array([circ.upper[i] for i in free], dtype=np.float64)
    if bounds is None:
        return lower, upper
    if isinstance(bounds, Mapping):
        names = [circ.parameter_names[i] for i in free]
        for name, (lo, hi) in bounds.items():
            if name not in names:
                raise ValueError(f"bounds given for {name!r}, not a free parameter of the circuit")
            lower[names.index(name)], upper[names.index(name)] = lo, hi
    else:
        lo_seq, hi_seq = bounds
        if len(lo_seq) != len(free) or len(hi_seq) != len(free):
            raise ValueError(f"bounds need {len(free)} lower and upper values")
        lower, upper = np.asarray(lo_seq, dtype=float), np.asarray(hi_seq, dtype=float)
    if np.any(lower >= upper):
        raise ValueError("each lower bound must be below its upper bound")
    return lower, upper
