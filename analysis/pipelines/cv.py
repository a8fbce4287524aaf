"""Cyclic-voltammetry pipeline: peaks with potential, current, charge and direction
(definitions, units and references: :mod:`analysis.voltammetry`, docs/mechanics-and-cv.md)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis import voltammetry
from analysis.params import Params, param
from analysis.pipelines.base import Progress, Result, report

KIND = "cv"


@dataclass(frozen=True)
class CVParams(Params):
    scan_rate_mV_s: float | None = param(
        None, unit="mV/s", doc="the protocol's scan rate (peak charge in mAh needs it)"
    )
    min_prominence_fraction: float = param(
        0.03, doc="peak prominence as a fraction of the largest |current|"
    )


def run(table: pd.DataFrame, params: CVParams, progress: Progress | None = None) -> Result:
    """Peaks of every sweep of a CV (see the module docstring)."""
    report(progress, 0.05)
    science = voltammetry.cv_peaks(
        table,
        scan_rate_mV_per_s=params.scan_rate_mV_s,
        min_prominence_fraction=params.min_prominence_fraction,
    )
    report(progress, 0.9)
    return Result(kind=KIND, parameters=params.to_dict(), summary=science.to_json(), detail=science)
