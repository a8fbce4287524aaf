"""Cyclic-voltammetry pipeline: peaks with potential, current, charge and direction, lithium
plating at the lower vertex reported apart, and the peaks tracked across cycles (table
``peak_tracks``). Definitions, units and references: :mod:`analysis.voltammetry`,
docs/mechanics-and-cv.md."""

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
        0.03, doc="peak prominence as a fraction of the largest |current| near the peak"
    )
    window_V: float = param(
        0.1, unit="V", doc="potential window around a peak whose largest |current| it is judged by"
    )
    noise_factor: float = param(5.0, doc="peak prominence at least this many noise sd")
    track_window_V: float = param(
        0.05, unit="V", doc="largest potential shift of a peak from one cycle to the next"
    )


def run(table: pd.DataFrame, params: CVParams, progress: Progress | None = None) -> Result:
    """Peaks of every sweep of a CV (see the module docstring)."""
    report(progress, 0.05)
    science = voltammetry.cv_peaks(
        table,
        scan_rate_mV_per_s=params.scan_rate_mV_s,
        min_prominence_fraction=params.min_prominence_fraction,
        window_V=params.window_V,
        noise_factor=params.noise_factor,
        track_window_V=params.track_window_V,
    )
    report(progress, 0.9)
    return Result(
        kind=KIND,
        parameters=params.to_dict(),
        summary=science.to_json(),
        tables={"peak_tracks": science.tracks},
        detail=science,
    )
