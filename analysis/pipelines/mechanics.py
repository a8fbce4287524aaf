"""Peel, scratch and nano-indentation pipelines (definitions, units and references:
:mod:`analysis.mechanics`, docs/mechanics-and-cv.md). Each result's summary is the science
result's JSON form."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis import mechanics
from analysis.mechanics.indentation import BERKOVICH_AREA
from analysis.params import Params, param
from analysis.pipelines.base import Progress, Result, report


@dataclass(frozen=True)
class PeelParams(Params):
    sample_width_mm: float = param(unit="mm", doc="width of the peeled strip (force per width)")
    lead_fraction: float = param(0.2, doc="share of the peeling span excluded at its start")
    tail_fraction: float = param(0.1, doc="share of the peeling span excluded at its end")

    def __post_init__(self) -> None:
        if not self.sample_width_mm > 0:
            raise ValueError(
                f"sample_width_mm: expected a positive width, found {self.sample_width_mm}"
            )


@dataclass(frozen=True)
class ScratchParams(Params):
    sections_mm: tuple[tuple[float, float], ...] = param(
        ((0.0, 0.5), (1.5, 2.0)),
        unit="mm",
        doc="scratch-distance ranges (start, end) whose statistics are reported",
    )


@dataclass(frozen=True)
class IndentationParams(Params):
    fit_range: tuple[float, float] = param(
        (0.5, 1.0), doc="unloading fit range as fractions of the maximum load"
    )
    epsilon: float = param(0.75, doc="Oliver-Pharr geometry factor (0.75 for a Berkovich tip)")
    beta: float = param(1.0, doc="tip-shape correction of the stiffness (1.034 for Berkovich)")
    area_coefficients: tuple[float, ...] = param(
        BERKOVICH_AREA, doc="contact-area function A = C0 h_c^2 + C1 h_c + ... (nm2, h_c in nm)"
    )


def _summary_result(
    kind: str, params: Params, science: object, progress: Progress | None
) -> Result:
    report(progress, 0.9)
    summary = science.to_json()  # type: ignore[attr-defined]
    return Result(kind=kind, parameters=params.to_dict(), summary=summary, detail=science)


def run_peel(table: pd.DataFrame, params: PeelParams, progress: Progress | None = None) -> Result:
    """Peel strength (gf/mm) from force against displacement."""
    report(progress, 0.05)
    science = mechanics.peel_strength(
        table["displacement_mm"],
        table["force_N"],
        width_mm=params.sample_width_mm,
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
        sections=params.sections_mm,
    )
    return _summary_result("scratch", params, science, progress)


def run_indentation(
    table: pd.DataFrame, params: IndentationParams, progress: Progress | None = None
) -> Result:
    """Oliver-Pharr hardness and reduced modulus of a load-depth curve."""
    report(progress, 0.05)
    science = mechanics.oliver_pharr(
        table["depth_nm"],
        table["load_mN"],
        fit_range=params.fit_range,
        epsilon=params.epsilon,
        beta=params.beta,
        area_coefficients=params.area_coefficients,
    )
    return _summary_result("indentation", params, science, progress)
