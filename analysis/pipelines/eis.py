"""EIS pipeline: every spectrum of a file checked with lin-KK, its DRT computed and an
equivalent circuit fitted, with Rb/RSEI/RCT (definitions, units and references:
:mod:`analysis.eis`, docs/eis.md).

The series loop (this is the only one; the job, the command line and the benchmark run it):
spectra are taken in the file's order. Without a ``circuit`` each spectrum gets the automatic
model choice between one and two arcs, with and without diffusion
(:func:`analysis.eis.choose_model`), its candidates warm-started from the previous spectrum's reliable fits;
with one, that circuit is fitted to every spectrum, the first from ``initial_guess`` (or
automatic guesses), the next ones from the previous spectrum's parameters. Consecutive spectra
of one cell differ little, so a warm start converges in a few iterations; when the warm fit's
reduced chi-square is more than ``refit_factor`` times the previous spectrum's, the spectrum is
fitted again from scratch and the better fit (lower chi-square) is kept.

Never a confident wrong answer: an inductive high-frequency tail is modelled (``L0`` in the
automatic candidates) or, with ``inductive="exclude"``, left out of the fit with a warning
that counts the points; a fit that converged to a minimum that is not a result (a singular
Jacobian, an undetermined or bounded parameter, a resistance far beyond the spectrum's |Z|;
:mod:`analysis.eis.fitting.checks`) is reported with ``success`` False, its problems, and a
warning; the RSEI/RCT assignment carries its evidence and says when it is ambiguous
(:mod:`analysis.eis.assign`). The DRTs of a series share one regularisation parameter chosen on
the whole series (``drt_lambda="series"``, :func:`analysis.eis.drt.series_regularization`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.eis import (
    FIT_TYPES,
    M_SELECTIONS,
    WEIGHTINGS,
    DRTResult,
    FitResult,
    LinKKResult,
    ModelChoice,
    choose_model,
    compute_drt,
    fit_circuit,
    lin_kk,
    parse_circuit,
    physical_result,
    series_regularization,
    spectra,
)
from analysis.eis.inductive import inductive_mask
from analysis.eis.insitu_link import wall_clock_seconds
from analysis.eis.series import state_name
from analysis.params import Params, param
from analysis.pipelines.base import Progress, Result, report

KIND = "eis"
#: points of the fitted curve stored for the plots (log-spaced over the measured range)
CURVE_POINTS = 120


@dataclass(frozen=True)
class EISParams(Params):
    area_cm2: float | None = param(None, unit="cm2", doc="cell area for ohm cm2 results")
    cell_type: str | None = param(
        None,
        doc="half or full: names the DC state of in-situ spectra (half: reduction = plating)",
        choices=(None, "half", "full"),
    )
    circuit: str | None = param(
        None, doc="impedance.py circuit string; null: automatic one/two-arc model choice"
    )
    initial_guess: tuple[float, ...] | None = param(
        None, doc="starting values of the first spectrum's free parameters (with circuit)"
    )
    weighting: str = param(
        "noise",
        doc="residual weighting (noise: by the spectrum's own measured noise)",
        choices=tuple(WEIGHTINGS),
    )
    inductive: str = param(
        "model",
        doc="inductive high-frequency points: model them (L0) or exclude them from the fit",
        choices=("model", "exclude"),
    )
    refit_factor: float = param(
        4.0, doc="refit from scratch when reduced chi-square grows more than this x"
    )
    kk: bool = param(True, doc="check each spectrum with lin-KK")
    drt: bool = param(
        True, doc="compute each spectrum's DRT (always, when the model is chosen automatically)"
    )
    drt_lambda: str = param(
        "series",
        doc="DRT regularisation chosen on the whole series or on each spectrum (GCV)",
        choices=("series", "spectrum"),
    )
    kk_c: float = param(0.85, doc="lin-KK mu cut-off (Schoenleber 2014)")
    kk_tolerance: float = param(
        0.01, doc="lin-KK smallest accepted relative residual (the limit's floor)"
    )
    kk_noise_factor: float = param(
        4.0, doc="lin-KK accepts residuals up to this many standard deviations of the noise"
    )
    kk_fit_type: str = param(
        "complex",
        doc="lin-KK fits the complex impedance, its real or its imaginary part",
        choices=FIT_TYPES,
    )
    kk_capacitance: bool = param(True, doc="lin-KK circuit with a series capacitance")
    kk_inductance: bool = param(True, doc="lin-KK circuit with a series inductance")
    kk_m_selection: str = param(
        "resolved-mu",
        doc="lin-KK number of RC elements: mu criterion from the first resolved M, or from M=1",
        choices=M_SELECTIONS,
    )
    kk_max_m: int = param(50, doc="lin-KK largest number of RC elements")
    dc_table: str | None = param(
        None,
        doc="sha256 of the cycling table (another file of the test run) that tags the spectra "
        "with their half-cycle and charge; set by labdb (analysis.eis.insitu_link)",
    )
    eis_start: str | None = param(
        None,
        doc="wall-clock time of the EIS file's time 0 as the lab computer showed it, ISO 8601 "
        "without a time zone (2024-03-04T10:15:00), for files that record none (Autolab NOVA "
        "ASCII): places the spectra on the cycling file's clock",
    )

    def __post_init__(self) -> None:
        if self.circuit is not None:
            parse_circuit(self.circuit)  # CircuitError (a ValueError) names the problem
        if self.initial_guess is not None and self.circuit is None:
            raise ValueError("initial_guess needs a circuit")
        if self.area_cm2 is not None and not self.area_cm2 > 0:
            raise ValueError(f"area_cm2: expected a positive area, found {self.area_cm2}")
        if self.eis_start is not None:
            try:
                wall_clock_seconds(self.eis_start)
            except ValueError as exc:
                raise ValueError(f"eis_start: {exc}") from exc


@dataclass(frozen=True)
class Spectrum:
    """Everything computed for one spectrum."""

    index: int
    labels: dict[str, Any]
    fit: FitResult
    physical: dict[str, Any]
    reason: str
    refitted: bool
    model_choice: dict[str, Any] | None
    kk: dict[str, Any] | None
    drt: dict[str, Any] | None
    curve: dict[str, Any]
    #: lowest and highest measured frequency (Hz), all points (the protocol check reads it)
    frequency_range_hz: tuple[float, float] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "spectrum": self.index,
            "labels": self.labels,
            "frequency_range_hz": self.frequency_range_hz,
            "fit": self.fit.to_dict(),
            "physical": self.physical,
            "model_reason": self.reason,
            "refitted_from_scratch": self.refitted,
            "model_choice": self.model_choice,
            "kk": self.kk,
            "drt": self.drt,
            "curve": self.curve,
        }


def _curve(fit: FitResult, f: np.ndarray, z: np.ndarray) -> dict[str, Any]:
    """The fitted impedance on a dense grid and the relative residuals (Z - Z_fit)/|Z| at the
    measured frequencies (dimensionless)."""
    dense = np.logspace(np.log10(f.min()), np.log10(f.max()), CURVE_POINTS)[::-1]
    zf = fit.predict(dense)
    rel = fit.residuals / np.abs(z)  # the fit's Z - Z_model at the measured points
    return {
        "frequency_hz": dense.tolist(),
        "z_real_ohm": zf.real.tolist(),
        "z_imag_ohm": zf.imag.tolist(),
        "residual_real": rel.real.tolist(),
        "residual_imag": rel.imag.tolist(),
    }


def _fit(
    f: np.ndarray,
    z: np.ndarray,
    params: EISParams,
    drt: DRTResult | None,
    previous: FitResult | None,
    warm: dict[str, FitResult] | None,
) -> tuple[FitResult, ModelChoice | None]:
    """One spectrum's fit: the given circuit, started from ``previous`` (else the initial
    guess), or the automatic model choice with candidates started from ``warm``."""
    if params.circuit is not None:
        # Only a reliable fit is a start: a degenerate minimum (a parameter at a bound, a
        # singular Jacobian) is so ill-conditioned that rounding differences of a few ulp
        # (BLAS kernels depend on memory alignment) send the next fit to different minima.
        usable = previous is not None and previous.success
        start = previous.values if usable and previous is not None else params.initial_guess
        return fit_circuit(f, z, params.circuit, start, weighting=params.weighting), None
    choice = choose_model(
        f, z, weighting=params.weighting, area_cm2=params.area_cm2, drt=drt, warm=warm
    )
    return choice.fit, choice


def _physical(
    fit: FitResult,
    area: float | None,
    drt: DRTResult | None,
    warnings: list[str],
    index: int,
) -> dict[str, Any]:
    peaks = [p.frequency_hz for p in drt.peaks] if drt is not None else None
    try:
        return physical_result(fit, area_cm2=area, drt_peaks_hz=peaks).to_dict()
    except ValueError as exc:
        warnings.append(f"spectrum {index}: no Rb/RSEI/RCT ({exc})")
        return {}


def run(table: pd.DataFrame, params: EISParams, progress: Progress | None = None) -> Result:
    """Analyse every spectrum of an EIS table (see the module docstring); raises
    ``ValueError`` when the table holds no spectrum."""
    items = list(spectra(table))
    if not items:
        raise ValueError("the file holds no impedance spectrum")
    warnings: list[str] = []
    out: list[Spectrum] = []
    previous: FitResult | None = None
    warm: dict[str, FitResult] | None = None
    wants_drt = params.drt or params.circuit is None
    lam, lam_choice = _series_lambda(items, params) if wants_drt else (None, None)
    report(progress, 0.0)
    for k, (index, f, z, labels) in enumerate(items):
        if "dc_state" in labels:
            labels = {**labels, "state": state_name(str(labels["dc_state"]), params.cell_type)}
        kk = _lin_kk(f, z, params) if params.kk else None
        drt = (
            compute_drt(f, z, regularization=lam, regularization_choice=lam_choice)
            if wants_drt and f.size >= 5
            else None
        )
        f_fit, z_fit = _fit_points(f, z, params, warnings, index)
        fit, choice = _fit(f_fit, z_fit, params, drt, previous, warm)
        refitted = False
        if (
            previous is not None
            and fit.reduced_chi_square > params.refit_factor * previous.reduced_chi_square
        ):
            fresh, fresh_choice = _fit(f_fit, z_fit, params, drt, None, None)
            if fresh.chi_square < fit.chi_square:
                fit, choice, refitted = fresh, fresh_choice, True
        if choice is not None:
            warm = choice.candidates
            physical, reason = choice.physical.to_dict(), choice.reason
        else:
            physical = _physical(fit, params.area_cm2, drt, warnings, index)
            reason = "circuit given"
        if not fit.success:
            why = "; ".join(fit.problems) or fit.message
            warnings.append(f"spectrum {index}: the fit is not a result ({why})")
        previous = fit
        out.append(
            Spectrum(
                index=index,
                labels=labels,
                fit=fit,
                physical=physical,
                reason=reason,
                refitted=refitted,
                model_choice=choice.to_dict() if choice is not None else None,
                kk=kk.to_dict() if kk is not None else None,
                drt=drt.to_dict() if drt is not None else None,
                curve=_curve(fit, f_fit, z_fit),
                frequency_range_hz=(float(np.min(f)), float(np.max(f))),
            )
        )
        report(progress, (k + 1) / len(items))
    invalid = [s.index for s in out if s.kk is not None and not s.kk["valid"]]
    if invalid:
        warnings.append(f"{len(invalid)} spectrum(s) fail the lin-KK check: {invalid}")
    unreliable = [s.index for s in out if not s.fit.success]
    ambiguous = [s.index for s in out if _status(s) == "ambiguous"]
    if ambiguous:
        warnings.append(
            f"{len(ambiguous)} spectrum(s) with an ambiguous RSEI/RCT assignment: {ambiguous}"
        )
    return Result(
        kind=KIND,
        parameters=params.to_dict(),
        summary={
            "spectra": len(out),
            "circuits": sorted({s.fit.circuit for s in out}),
            "kk_invalid_spectra": invalid,
            "unreliable_fits": unreliable,
            "ambiguous_assignments": ambiguous,
            "drt_regularization": lam,
            "drt_regularization_choice": lam_choice or ("gcv" if wants_drt else None),
            "in_situ": any("state" in s.labels for s in out),
            "details": [s.to_json() for s in out],
        },
        tables={"resistances": resistance_rows(out)},
        warnings=tuple(warnings),
        detail=out,
    )


def _status(s: Spectrum) -> str | None:
    assignment = s.physical.get("assignment")
    return assignment.get("status") if isinstance(assignment, dict) else None


def _series_lambda(
    items: list[tuple[int, np.ndarray, np.ndarray, dict[str, Any]]], params: EISParams
) -> tuple[float | None, str | None]:
    """The DRT lambda shared by the series (``drt_lambda="series"`` and two spectra or more)."""
    usable = [(f, z) for _, f, z, _ in items if f.size >= 5]
    if params.drt_lambda != "series" or len(usable) < 2:
        return None, None
    return series_regularization(usable), "series"


def _lin_kk(f: np.ndarray, z: np.ndarray, params: EISParams) -> LinKKResult:
    return lin_kk(
        f,
        z,
        c=params.kk_c,
        max_m=params.kk_max_m,
        m_selection=params.kk_m_selection,
        add_capacitance=params.kk_capacitance,
        add_inductance=params.kk_inductance,
        tolerance=params.kk_tolerance,
        noise_factor=params.kk_noise_factor,
        fit_type=params.kk_fit_type,
    )


def _fit_points(
    f: np.ndarray, z: np.ndarray, params: EISParams, warnings: list[str], index: int
) -> tuple[np.ndarray, np.ndarray]:
    """The points the circuit is fitted to: all, or without the inductive high-frequency tail
    (``inductive="exclude"``); either way the tail is counted in a warning when a circuit
    without an inductance would have to bend an arc to follow it."""
    tail = inductive_mask(f, z)
    n = int(tail.sum())
    if not n:
        return f, z
    if params.inductive == "exclude":
        warnings.append(
            f"spectrum {index}: {n} inductive high-frequency point(s) (Im Z > 0) excluded "
            "from the fit"
        )
        return f[~tail], z[~tail]
    if params.circuit is not None and not any(
        e.kind.symbol in ("L", "La") for e in parse_circuit(params.circuit).elements
    ):
        warnings.append(
            f"spectrum {index}: {n} inductive high-frequency point(s) (Im Z > 0) fitted by a "
            "circuit without an inductance (add -L0, or inductive=exclude)"
        )
    return f, z


def resistance_rows(out: list[Spectrum]) -> pd.DataFrame:
    """Rb, RSEI, RCT (ohm, their standard errors, ohm cm2) per spectrum with its labels, circuit,
    chi-square and the reason for the model: resistance versus cycle or in-situ sequence, and
    for in-situ spectra of a mixed file versus time and state (``state``: plating, stripping
    or rest for a half cell; ``half_cycle_charge_ah``; ``voltage_volt``), Fig. 5 of the paper."""
    rows = []
    for s in out:
        row: dict[str, Any] = {"spectrum": s.index, **s.labels}
        for key in ("Rb", "RSEI", "RCT"):
            row[f"{key}_ohm"] = s.physical.get(f"{key}_ohm")
            row[f"{key}_error_ohm"] = s.physical.get(f"{key}_error_ohm")
            row[f"{key}_ohm_cm2"] = s.physical.get(f"{key}_ohm_cm2")
        row.update(
            {
                "inductance_h": s.physical.get("inductance_h"),
                "circuit": s.fit.circuit,
                "fit_success": s.fit.success,
                "assignment": _status(s),
                "chi_square": s.fit.chi_square,
                "model_reason": s.reason,
                "kk_valid": s.kk["valid"] if s.kk is not None else None,
            }
        )
        rows.append(row)
    return pd.DataFrame(rows)
