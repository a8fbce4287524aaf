"""Complex non-linear least-squares fit of an equivalent circuit to an impedance spectrum.

The objective is the weighted chi-square

    chi2 = sum_i [ (Re(Z_i - Zm_i) / s_re,i)^2 + (Im(Z_i - Zm_i) / s_im,i)^2 ]

with ``s = 1`` (``weighting="none"``), ``s = |Z_i|`` (``"modulus"``), ``s_re = |Re Z_i|``,
``s_im = |Im Z_i|`` (``"proportional"``) or ``s = sqrt(a^2 + (b |Z_i|)^2)``, the standard
deviation of the spectrum's own noise estimated from fourth differences (``"noise"``:
maximum likelihood under the measured error structure, an absolute part a in ohm and a
proportional part b; :func:`analysis.eis.linkk.noise_model`; at least 1e-4 |Z_i|), minimised by Levenberg-Marquardt with the analytic
Jacobian of :mod:`analysis.eis.circuit`: MINPACK's ``lmder`` (through scipy) from a cold
start, a small dense Levenberg-Marquardt from a start already close to a minimum (a warm start
in a series); see docs/eis.md. Strictly positive
quantities (R, C, Q, L, A_W, tau) are fitted as their logarithm, which makes the problem
scale-free and keeps them >= 0; exponents are fitted on their own [0, 1] scale.

Standard errors come from the covariance ``(J^T J)^-1 chi2 / (N - k)`` evaluated at the minimum
(the same convention as scipy's ``curve_fit`` and impedance.py's ``conf_``), N = 2 x points,
k = free parameters. AIC = N ln(chi2/N) + 2k and BIC = N ln(chi2/N) + k ln N (least-squares
form; Burnham and Anderson, *Model Selection and Multimodel Inference*, 2002).

References: J. R. Macdonald, *Impedance Spectroscopy* (Wiley, 1987), ch. 3.2 (CNLS);
M. E. Orazem and B. Tribollet, *Electrochemical Impedance Spectroscopy* (2017), ch. 19.

The fit is split by concept: :mod:`~analysis.eis.fitting.problem` (the weighted residuals and
their Jacobian in unconstrained variables), :mod:`~analysis.eis.fitting.optimize` (the
Levenberg-Marquardt minimisers), :mod:`~analysis.eis.fitting.result` (:class:`FitResult` and the
statistics at the minimum) and :mod:`~analysis.eis.fitting.fit` (:func:`fit_circuit`: inputs,
starts, multi-start). Their public names are re-exported here.
"""

from analysis.eis.fitting.fit import WEIGHTINGS, Bounds, fit_circuit
from analysis.eis.fitting.optimize import COLD_START, GN_FIRST_STEP, LAMBDA0, RTOL_CHI2
from analysis.eis.fitting.result import FitResult

__all__ = [
    "COLD_START",
    "GN_FIRST_STEP",
    "LAMBDA0",
    "RTOL_CHI2",
    "WEIGHTINGS",
    "Bounds",
    "FitResult",
    "fit_circuit",
]
