"""Cyclic-voltammetry pipeline: peaks with potential, current, charge and direction, lithium
plating at the lower vertex reported apart, and the peaks tracked across cycles (table
``peak_tracks``). Definitions, units and references: :mod:`analysis.voltammetry`,
docs/mechanics-and-cv.md. The ``dqdv`` pipeline (:func:`run_dqdv`) lives here too: differential
capacity is the galvanostatic sibling of a voltammogram."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from analysis import voltammetry
from analysis.cycling import CellType, analyze_cycling
from analysis.cycling.dqdv import dqdv
from analysis.cycling.dqdv_reuse import Previous
from analysis.params import Params, param
from analysis.pipelines.base import Progress, Result, report
from analysis.series import StoredSeries

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


@dataclass(frozen=True)
class DQDVParams(Params):
    cell_type: CellType = param(
        doc="half (electrode against Li; plating first) or full (charge first)"
    )
    bin_V: float = param(0.005, unit="V", doc="width of the voltage bins of dQ/dV")
    smooth_V: float = param(
        0.01, unit="V", doc="standard deviation of the Gaussian smoothing of dQ/dV (0: none)"
    )
    dvdq_points: int = param(200, doc="capacities per half-cycle at which dV/dQ is computed")
    dvdq_window_points: int = param(11, doc="Savitzky-Golay window of dV/dQ (odd number of points)")
    min_peak_fraction: float = param(
        0.05, doc="dQ/dV peak prominence as a fraction of the largest dQ/dV near the peak"
    )
    peak_window_V: float = param(
        0.05, unit="V", doc="voltage window around a dQ/dV peak whose largest value judges it"
    )
    floor_fraction: float = param(
        0.01, doc="dQ/dV peak prominence at least this fraction of the half-cycle's largest"
    )
    noise_factor: float = param(
        5.0,
        doc="dQ/dV peak prominence at least this many sd of the dQ/dV noise that the "
        "measured voltage noise causes (0: no noise rule)",
    )


@dataclass(frozen=True)
class CyclingCurves:
    """What dQ/dV needs of a cycling analysis of the same table: its voltage-profile series
    (``profiles``), its half-cycle table (``half_cycles``: ``half_cycle``, ``cycle``, ``kind``)
    and its warnings. A job passes those of the stored cycling result of the same file,
    reader, cell type, analysis options and code (:mod:`labdb.services.follow_on`), so the
    cycling analysis is not run a second time; the dQ/dV is the same as recomputing it."""

    profiles: pd.DataFrame = field(repr=False)
    half_cycles: pd.DataFrame = field(repr=False)
    warnings: tuple[str, ...] = ()


def run_dqdv(
    table: pd.DataFrame,
    params: DQDVParams,
    progress: Progress | None = None,
    cycling: CyclingCurves | None = None,
    previous: Mapping[str, pd.DataFrame | StoredSeries] | None = None,
) -> Result:
    """dQ/dV and dV/dQ of every half-cycle of a half or full cell, with the dQ/dV peaks
    (definitions, units and references: :mod:`analysis.cycling.dqdv`). ``cycling``: the
    profiles and half-cycles of the cycling analysis of ``table`` already computed (with
    ``params.cell_type`` and the default analysis options); without it, the cycling analysis
    runs here. ``previous``: the ``dqdv``, ``dvdq``, ``dqdv_peaks`` and ``dqdv_memo`` outputs
    of the same analysis of an earlier version of a growing file: the rows of the half-cycles
    that did not change are taken from them (:mod:`analysis.cycling.dqdv_reuse`); the result
    is the same as without it. The ``dqdv`` and ``dvdq`` series may be given unread
    (:class:`~analysis.pipelines.base.StoredSeries`): the result's series then refer to their
    first rows (:class:`~analysis.pipelines.base.GrownSeries`; ``Result.frame`` reads one
    whole). Every result carries its own memo for the next version."""
    report(progress, 0.05)
    if cycling is None:
        analysed = analyze_cycling(table, cell_type=params.cell_type, profiles=True)
        profiles = analysed.profiles if analysed.profiles is not None else pd.DataFrame()
        cycling = CyclingCurves(profiles, analysed.half_cycles, analysed.warnings)
    report(progress, 0.6)
    if cycling.profiles.empty:
        raise ValueError("no half-cycle with current in this record: no dQ/dV")
    science = dqdv(
        cycling.profiles,
        cycling.half_cycles,
        bin_V=params.bin_V,
        smooth_V=params.smooth_V,
        dvdq_points=params.dvdq_points,
        dvdq_window_points=params.dvdq_window_points,
        min_peak_fraction=params.min_peak_fraction,
        peak_window_V=params.peak_window_V,
        floor_fraction=params.floor_fraction,
        noise_factor=params.noise_factor,
        previous=Previous.from_frames(dict(previous)) if previous is not None else None,
    )
    report(progress, 0.9)
    return Result(
        kind="dqdv",
        parameters=params.to_dict(),
        summary={
            "cell_type": params.cell_type,
            "half_cycles": int(cycling.half_cycles.shape[0]),
            "peaks": int(science.peaks.shape[0]),
            "method": science.parameters,
        },
        tables={"dqdv_peaks": science.peaks},
        series={"dqdv": science.curves, "dvdq": science.dvdq, "dqdv_memo": science.memo},
        warnings=tuple(cycling.warnings),
        detail=science,
        reuse={"reused": science.reused, "computed": science.computed},
        shared_rows=science.shared_rows,
        digests=science.digests,
    )
