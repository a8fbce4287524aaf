"""Electrochemical impedance spectroscopy: circuits, fitting, lin-KK, DRT, Rb/RSEI/RCT.

``from analysis.eis import fit_circuit`` fits an impedance.py circuit string
(``R0-p(R1,CPE1)-p(R2,CPE2)``) to a spectrum with an analytic Jacobian; :func:`lin_kk` checks
a spectrum for Kramers-Kronig compliance against its own measured noise; :func:`compute_drt`
gives the distribution of relaxation times (:func:`series_regularization`: one lambda for a
series); :func:`choose_model` picks one or two arcs (with an inductance for an inductive tail,
:mod:`analysis.eis.inductive`) and reports Rb/RSEI/RCT, named from the arcs' capacitances
(:mod:`analysis.eis.assign`); a fit that is not a result says why
(:mod:`analysis.eis.fitting.checks`);
:func:`spectra` yields the spectra of a reader's table; the series is analysed by
:mod:`analysis.pipelines.eis`.
"""

from analysis.eis.circuit import Circuit, CircuitError, parse_circuit
from analysis.eis.drt import DRTPeak, DRTResult, compute_drt, series_regularization
from analysis.eis.fitting import WEIGHTINGS, FitResult, fit_circuit
from analysis.eis.linkk import FIT_TYPES, M_SELECTIONS, LinKKResult, lin_kk
from analysis.eis.physical import (
    CANDIDATES,
    ModelChoice,
    PhysicalResult,
    choose_model,
    physical_result,
)
from analysis.eis.series import spectra

__all__ = [
    "CANDIDATES",
    "FIT_TYPES",
    "M_SELECTIONS",
    "WEIGHTINGS",
    "Circuit",
    "CircuitError",
    "DRTPeak",
    "DRTResult",
    "FitResult",
    "LinKKResult",
    "ModelChoice",
    "PhysicalResult",
    "choose_model",
    "compute_drt",
    "fit_circuit",
    "lin_kk",
    "parse_circuit",
    "physical_result",
    "series_regularization",
    "spectra",
]
