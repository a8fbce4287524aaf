"""What a circuit fit returns, :class:`FitResult`, and how it is computed at the minimum:
covariance, standard errors, AIC and BIC (definitions in :mod:`analysis.eis.fitting`)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.eis.circuit import Circuit, parse_circuit
from analysis.eis.elements import Complex, Real
from analysis.eis.fitting.checks import fit_problems
from analysis.eis.fitting.problem import _Problem


@dataclass(frozen=True)
class FitResult:
    """A fitted circuit: values, standard errors and goodness of fit.

    ``parameters`` and ``standard_errors`` map impedance.py's parameter names to values in the
    units of :attr:`units`; fixed parameters have a standard error of 0. ``residuals`` is
    ``Z_data - Z_model`` in ohm at each fitted frequency.

    ``converged`` is the optimiser's verdict; ``problems`` lists why the minimum is nevertheless
    not a result (:mod:`analysis.eis.fitting.checks`: a singular Jacobian, an undetermined or
    bounded parameter, a resistance far beyond the spectrum's |Z|). ``success`` is True only
    when the fit converged and has no problem.
    """

    circuit: str
    parameters: dict[str, float]
    standard_errors: dict[str, float]
    units: dict[str, str]
    fixed: tuple[str, ...]
    weighting: str
    chi_square: float
    reduced_chi_square: float
    aic: float
    bic: float
    n_points: int
    frequency_hz: Real = field(repr=False)
    residuals: Complex = field(repr=False)
    success: bool = True
    message: str = ""
    n_evaluations: int = 0
    n_starts: int = 1
    converged: bool = True
    problems: tuple[str, ...] = ()

    @property
    def reliable(self) -> bool:
        """Converged, with no problem (the same as :attr:`success`)."""
        return self.converged and not self.problems

    @property
    def values(self) -> Real:
        """Parameter values as an array, in circuit order."""
        return np.array(list(self.parameters.values()))

    def predict(self, frequency_hz: Sequence[float] | Real) -> Complex:
        """Z (ohm) of the fitted circuit at ``frequency_hz``."""
        return parse_circuit(self.circuit).impedance(frequency_hz, self.values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what ``python -m analysis eis --json`` prints per spectrum)."""
        return {
            "circuit": self.circuit,
            "parameters": dict(self.parameters),
            "standard_errors": {k: _finite(v) for k, v in self.standard_errors.items()},
            "units": dict(self.units),
            "fixed": list(self.fixed),
            "weighting": self.weighting,
            "chi_square": self.chi_square,
            "reduced_chi_square": self.reduced_chi_square,
            "aic": _finite(self.aic),
            "bic": _finite(self.bic),
            "n_points": self.n_points,
            "success": self.success,
            "converged": self.converged,
            "problems": list(self.problems),
            "message": self.message,
            "n_evaluations": self.n_evaluations,
            "n_starts": self.n_starts,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _result(
    problem: _Problem,
    circ: Circuit,
    u: Real,
    weighting: str,
    fixed: Mapping[str, float],
    message: str,
    success: bool,
    n_starts: int,
) -> FitResult:
    p, zm, dz = problem.model_at(u)
    diff = zm - problem.z
    r = diff.view(np.float64) * problem.inv
    chi2 = float(r @ r)
    n_obs = r.size
    k = problem.free.size
    dof = max(n_obs - k, 1)
    # Covariance in the physical parameters: undo the log scaling of the Jacobian columns.
    jac_p = problem.physical_jacobian(dz)
    jac_p = np.where(np.isfinite(jac_p), jac_p, 0.0)
    try:
        _, sing, vt = np.linalg.svd(jac_p, full_matrices=False)
        tol = np.finfo(float).eps * max(jac_p.shape) * (sing[0] if sing.size else 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = np.where(sing > tol, 1.0 / sing**2, np.inf)
            var = np.einsum("ij,i->j", vt**2, inv) * chi2 / dof
    except np.linalg.LinAlgError:
        var = np.full(k, np.inf)
    errors = np.zeros(circ.n_params)
    errors[problem.free] = np.sqrt(np.where(np.isfinite(var), var, np.inf))
    tiny = np.finfo(float).tiny
    aic = n_obs * math.log(max(chi2, tiny) / n_obs) + 2 * k
    bic = n_obs * math.log(max(chi2, tiny) / n_obs) + k * math.log(n_obs)
    names = circ.parameter_names
    free_names = [names[i] for i in problem.free]
    problems = fit_problems(
        free_names,
        [circ.units[i] for i in problem.free],
        p[problem.free],
        errors[problem.free],
        problem.lower,
        problem.upper,
        float(np.max(np.abs(problem.z))),
    )
    if problems:
        message = f"{message}; unreliable: {'; '.join(problems)}"
    return FitResult(
        circuit=circ.text,
        parameters={n: float(v) for n, v in zip(names, p, strict=True)},
        standard_errors={n: float(e) for n, e in zip(names, errors, strict=True)},
        units=dict(zip(names, circ.units, strict=True)),
        fixed=tuple(n for n in names if n in fixed),
        weighting=weighting,
        chi_square=chi2,
        reduced_chi_square=chi2 / dof,
        aic=aic,
        bic=bic,
        n_points=int(problem.f.size),
        frequency_hz=problem.f,
        residuals=-diff,
        success=success and not problems,
        message=message,
        n_evaluations=problem.nfev,
        n_starts=n_starts,
        converged=success,
        problems=tuple(problems),
    )
