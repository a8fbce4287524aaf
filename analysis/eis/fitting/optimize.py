"""The minimisers of a circuit fit: a small dense Levenberg-Marquardt that finishes starts close
to a minimum, and MINPACK's ``lmder`` for every other start (see :func:`_solve`)."""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import leastsq

from analysis.eis.elements import Real
from analysis.eis.fitting.problem import _Problem


def _solve(problem: _Problem, start: Real) -> tuple[Real, float, str, bool]:
    """Minimise from ``start``.

    A start close to a minimum (a warm start from the previous spectrum of a series: the
    undamped Gauss-Newton step changes no parameter by more than ~10 %) is finished by the
    small dense Levenberg-Marquardt below, typically in 2-3 iterations. Any other start, and
    a warm start that does not converge, goes to MINPACK's ``lmder`` (More's trust-region
    Levenberg-Marquardt), whose path from far-off starts is the well-tested one (the same
    minimum as impedance.py from its guesses, the robustness benchmark's success rate).
    """
    u0 = problem.to_u(np.asarray(start, dtype=np.float64))
    u, cost, message, success = _levenberg_marquardt(problem, u0, cold=False)
    if success:
        return u, cost, message, success
    u2, cost2, message2, success2 = _solve_minpack(problem, u0)
    if success2 or cost2 < cost:
        return u2, cost2, message2, success2
    return u, cost, message, success


COLD_START = "not close to a minimum"


#: Convergence: the chi-square the Gauss-Newton step could still remove, relative to chi2.
#: Near the minimum chi2(p) - chi2_min = |J dp|^2, and the standard errors are
#: s_i^2 = [(J^T J)^-1]_ii chi2 / (N - k); stopping when the remaining reduction is below
#: RTOL_CHI2 x chi2 leaves every parameter within sqrt(RTOL_CHI2 (N - k)) standard errors of
#: the minimum: 1e-10 gives < 1e-4 standard errors for N - k up to 100 points, far below the
#: statistical uncertainty and below the 1e-3 relative agreement asked of the benchmark.
RTOL_CHI2 = 1e-10
#: Initial damping relative to the largest squared singular value (Nielsen's tau).
LAMBDA0 = 1e-3
#: Largest undamped first step (in ln p, or the exponents' angle) taken without damping.
GN_FIRST_STEP = 0.1


def _levenberg_marquardt(
    problem: _Problem,
    u0: Real,
    rtol: float = RTOL_CHI2,
    max_evaluations: int | None = None,
    *,
    cold: bool = True,
) -> tuple[Real, float, str, bool]:
    """Levenberg-Marquardt for a few parameters and a few hundred residuals.

    Each iteration takes one SVD of the column-scaled Jacobian ``J D^-1 = U S V^T`` (D: the
    largest column norms seen so far, as MINPACK's ``mode=1``); every damped step
    ``dx = -D^-1 V S/(S^2 + lambda) U^T r`` and its predicted reduction then cost only
    k-vector operations, so rejected trial steps need a new residual but no new
    factorisation. lambda follows Nielsen's rule (accept: x max(1/3, 1 - (2 rho - 1)^3);
    reject: x nu, nu doubling). Stops when the Gauss-Newton step could remove no more than
    ``rtol`` x chi2 (see :data:`RTOL_CHI2`) -- checked before the first step, so a warm start
    already at the minimum costs one evaluation -- or when an accepted step changes chi2 and
    the parameters by less than ``rtol`` relative.
    """
    budget = max_evaluations if max_evaluations is not None else 100 * (u0.size + 1)
    with np.errstate(over="ignore", invalid="ignore"):
        return _lm_loop(problem, u0, rtol, budget, cold)


def _lm_loop(
    problem: _Problem, u0: Real, rtol: float, budget: int, cold: bool
) -> tuple[Real, float, str, bool]:
    k = u0.size
    u = u0.copy()
    r, jac_t = problem.evaluate(u)
    cost = float(r @ r)
    if not math.isfinite(cost) or cost >= 1e299:
        return u, math.inf, "non-finite residuals at the start", False
    scale = np.zeros(k)
    lam = -1.0
    nu = 2.0
    n_eval = 1
    while True:
        if cost == 0.0:
            return u, cost, "exact fit", True
        norms = np.sqrt(np.einsum("ij,ij->i", jac_t, jac_t))
        scale = np.maximum(scale, norms)
        d = np.where(scale > 0, scale, 1.0)
        try:
            a, sing, bt = np.linalg.svd(jac_t / d[:, None], full_matrices=False)
        except np.linalg.LinAlgError:
            return u, cost, "singular value decomposition failed", False
        keep = sing > 1e-12 * sing[0] if sing.size and sing[0] > 0 else sing > 0
        g = (bt @ r) * keep
        g2 = g * g
        if float(g2.sum()) <= rtol * cost:
            return u, cost, "the Gauss-Newton step would not reduce chi-square", True
        s2 = sing * sing
        lam_default = LAMBDA0 * float(s2[0])
        if lam < 0:
            # A start close to the minimum (a warm start): when the undamped Gauss-Newton
            # step moves no log-parameter by more than GN_FIRST_STEP (about 10 %), take it.
            with np.errstate(divide="ignore", invalid="ignore"):
                gn = a @ np.where(keep, g / sing, 0.0)
            if np.max(np.abs(gn / d)) > GN_FIRST_STEP:
                if not cold:
                    return u, cost, COLD_START, False
                lam = lam_default
            else:
                lam = 1e-12 * float(s2[0])
        while True:
            factor = np.where(keep, s2 / (s2 + lam), 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                step_s = np.where(keep, sing * g / (s2 + lam), 0.0)
            step = -(a @ step_s) / d
            predicted = float(np.sum(g2 * factor * (2.0 - factor)))
            u_new = u + step
            r_new, jac_new = problem.evaluate(u_new)
            n_eval += 1
            cost_new = float(r_new @ r_new)
            actual = cost - cost_new
            if math.isfinite(cost_new) and actual > 0 and predicted > 0:
                rho = actual / predicted
                lam *= max(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
                nu = 2.0
                small_step = float(np.linalg.norm(d * step)) <= rtol * (
                    float(np.linalg.norm(d * u_new)) + rtol
                )
                small_change = actual <= rtol * cost and predicted <= rtol * cost
                u, r, jac_t, cost = u_new, r_new, jac_new, cost_new
                if small_step or small_change:
                    return u, cost, "chi-square and parameters stopped changing", True
                break
            if lam < lam_default:
                lam = lam_default
            else:
                lam *= nu
                nu *= 2.0
            if n_eval >= budget:
                return u, cost, f"no convergence within {budget} evaluations", False
            if lam > 1e16 * float(sing[0]) ** 2 or nu > 1e30:
                ok = float(g2.sum()) <= math.sqrt(rtol) * cost
                return u, cost, "no step reduces chi-square further", ok
        if n_eval >= budget:
            return u, cost, f"no convergence within {budget} evaluations", False


def _solve_minpack(problem: _Problem, u0: Real) -> tuple[Real, float, str, bool]:
    try:
        # MINPACK's lmder (More, 1978) through the thin leastsq wrapper. Its own covariance
        # (unused: ours comes from the Jacobian at the solution) may overflow on degenerate
        # candidates; that is not the user's concern, so the warning is silenced.
        with np.errstate(over="ignore", invalid="ignore"):
            u, _, info, message, status = leastsq(
                problem.residual,
                u0,
                Dfun=problem.jacobian,
                full_output=True,
                ftol=1e-12,
                xtol=1e-12,
                gtol=1e-12,
                maxfev=200 * (u0.size + 1),
            )
    except (ValueError, np.linalg.LinAlgError, TypeError) as exc:
        return u0, math.inf, f"fit failed: {exc}", False
    r = info["fvec"]
    cost = float(r @ r) if np.all(np.isfinite(r)) and np.all(np.abs(r) < 1e149) else math.inf
    return np.asarray(u, dtype=np.float64), cost, str(message), status in (1, 2, 3, 4)
