"""Peel, scratch and nano-indentation pipelines (definitions, units and references:
:mod:`analysis.mechanics`, docs/mechanics-and-cv.md). Each result's summary is the science
result's JSON form."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis import mechanics
from analysis.mechanics.indentation import BERKOVICH_AREA
from analysis.mechanics.scratch import DEFAULT_SECTIONS_MM
from analysis.params import Params, param
from analysis.pipelines.base import Progress, Result, report


@dataclass(frozen=True)
class PeelParams(Params):
    sample_width_mm: float = param(unit="mm", doc="width of the peeled strip (force per width)")
    lead_mm: float = param(
        5.0, unit="mm", doc="length of the peeling span left out at its start (initial peak)"
    )
    tail_mm: float = param(
        3.0, unit="mm", doc="length of the peeling span left out at its end (detachment)"
    )
    min_plateau_mm: float = param(
        5.0, unit="mm", doc="shortest plateau counted as a steady state (else early detachment)"
    )
    lead_fraction: float | None = param(
        None, doc="earlier versions: share of the span left out at its start (replaces lead_mm)"
    )
    tail_fraction: float | None = param(
        None, doc="earlier versions: share of the span left out at its end (replaces tail_mm)"
    )

    def __post_init__(self) -> None:
        if not self.sample_width_mm > 0:
            raise ValueError(
                f"sample_width_mm: expected a positive width, found {self.sample_width_mm}"
            )


@dataclass(frozen=True)
class ScratchParams(Params):
    sections_mm: tuple[tuple[float, float], ...] = param(
        DEFAULT_SECTIONS_MM,
        unit="mm",
        doc="scratch-distance ranges (start, end) whose statistics are reported",
    )


@dataclass(frozen=True)
class IndentationParams(Params):
    fit_range: tuple[float, float] = param(
        (0.5, 1.0), doc="unloading fit range as fractions of the maximum load"
    )
    fit_floor: float = param(
        0.2, doc="lowest fraction of the maximum load the fit range is widened to when noisy"
    )
    max_stiffness_se_percent: float = param(
        0.3,
        unit="percent",
        doc="the fit range is widened while the stiffness's standard error exceeds this",
    )
    epsilon: float = param(0.75, doc="Oliver-Pharr geometry factor (0.75 for a Berkovich tip)")
    beta: float = param(1.0, doc="tip-shape correction of the stiffness (1.034 for Berkovich)")
    area_coefficients: tuple[float, ...] = param(
        BERKOVICH_AREA, doc="contact-area function A = C0 h_c^2 + C1 h_c + ... (nm2, h_c in nm)"
    )
    frame_compliance_nm_mN: float = param(
        0.0, unit="nm/mN", doc="load-frame compliance taken off the displacement (h - C_f P)"
    )
    drift_rate_nm_s: float | None = param(
        None,
        unit="nm/s",
        doc="thermal drift rate used when the record has no hold at low load to measure it",
    )
    min_drift_hold_s: float = param(
        5.0, unit="s", doc="shortest hold at low load from which the drift rate is measured"
    )
    sample_poisson_ratio: float | None = param(
        None, doc="Poisson's ratio of the sample; gives the indentation modulus E_IT"
    )


def _summary_result(
    kind: str, params: Params, science: object, progress: Progress | None
) -> Result:
    report(progress, 0.9)
    summary = science.to_json()  # type: ignore[attr-defined]
    warnings = tuple(summary.get("warnings", ()))
    return Result(
        kind=kind,
        parameters=params.to_dict(),
        summary=summary,
        warnings=warnings,
        detail=science,
    )


def run_peel(table: pd.DataFrame, params: PeelParams, progress: Progress | None = None) -> Result:
    """Peel strength (gf/mm) from force against displacement."""
    report(progress, 0.05)
    science = mechanics.peel_strength(
        table["displacement_mm"],
        table["force_N"],
        width_mm=params.sample_width_mm,
        lead_mm=params.lead_mm,
        tail_mm=params.tail_mm,
        min_plateau_mm=params.min_plateau_mm,
        lead_fraction=params.lead_fraction,
        tail_fraction=params.tail_fraction,
    )
    return _summary_result("peel", params, science, progress)


def run_scratch(
    table: pd.DataFrame, params: ScratchParams, progress: Progress | None = None
) -> Result:
    """Critical load and section statistics of a scratch test."""
    report(progress, 0.05)
    science = mechanics.scratch_analysis(
        table["distance_mm"],
        table["normal_load_mN"],
        table["depth_um"],
        table.get("residual_depth_um"),
        friction_force_mN=table.get("friction_force_mN"),
        acoustic_emission=table.get("acoustic_emission_percent"),
        sections=params.sections_mm,
    )
    return _summary_result("scratch", params, science, progress)


def run_indentation(
    table: pd.DataFrame, params: IndentationParams, progress: Progress | None = None
) -> Result:
    """Oliver-Pharr hardness and reduced modulus, ISO 14577 elastic recovery eta_IT, creep and
    relaxation of each indent of a load-depth record, with mean and spread over an array."""
    report(progress, 0.05)
    science = mechanics.indentation_set(
        table["depth_nm"],
        table["load_mN"],
        table.get("time_s"),
        fit_range=params.fit_range,
        fit_floor=params.fit_floor,
        max_stiffness_se_percent=params.max_stiffness_se_percent,
        epsilon=params.epsilon,
        beta=params.beta,
        area_coefficients=params.area_coefficients,
        frame_compliance_nm_per_mN=params.frame_compliance_nm_mN,
        drift_rate_nm_per_s=params.drift_rate_nm_s,
        min_drift_hold_s=params.min_drift_hold_s,
        sample_poisson_ratio=params.sample_poisson_ratio,
    )
    report(progress, 0.9)
    tables = {}
    warnings = tuple(f"indent at row {row}: {msg}" for row, msg in science.failures)
    if len(science.indents) > 1:
        tables["indents"] = pd.DataFrame(
            [
                {"first_row": row, **{k: getattr(r, k) for k in mechanics.SET_METRICS}}
                for row, r in zip(science.first_rows, science.indents, strict=True)
            ]
        )
    return Result(
        kind="indentation",
        parameters=params.to_dict(),
        summary=science.to_json(),
        tables=tables,
        warnings=warnings,
        detail=science,
    )
