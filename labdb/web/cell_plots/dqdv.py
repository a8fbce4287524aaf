"""Differential capacity of a cell: dQ/dV against voltage and dV/dQ against capacity of the
half-cycles of one chosen cycle, with the dQ/dV peaks of that cycle marked, and the peak
positions of every cycle (their shift as the cell ages).

Everything is read from the ``dqdv`` job's stored series (``dqdv``, ``dvdq``) and table
(``dqdv_peaks``) of the run whose cycling result the page shows (:mod:`analysis.cycling.dqdv`
defines them: dQ/dV is the charge per voltage bin, smoothed, positive in the half-cycle's own
direction; dV/dQ is signed). Half and full cells alike: the half-cycle kinds are the cycling
analysis' (plating/stripping, charge/discharge).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from labdb import models as m
from labdb.selectors import results as sel
from labdb.selectors.curves import stored_table
from labdb.web.cell_plots.common import PALETTE
from labdb.web.cell_plots.cycling import selected_cycling
from labdb.web.decimate import lttb
from labdb.web.figures import PlotRequest, empty, figure, trace

#: colour of each half-cycle kind (the first and second half of a cycle)
KIND_COLORS = {
    "plating": PALETTE[0],
    "discharge": PALETTE[0],
    "stripping": PALETTE[1],
    "charge": PALETTE[1],
}


def dqdv_result(cell: m.Cell, req: PlotRequest) -> m.AnalysisResult | None:
    """The newest dQ/dV result of the run whose cycling result the page shows (``run``
    parameter, else the cell's main cycling run), else of any run of the cell."""
    results = sel.results_of_cells(req.user, [cell], "dqdv")
    if not results:
        return None
    cycling = selected_cycling(cell, req)
    for r in results:
        if cycling is not None and r.test_run_id == cycling.test_run_id:
            return r
    return None if req.get("run") else results[0]


def dqdv_cycles(result: m.AnalysisResult) -> list[int]:
    """The cycles the stored dQ/dV series holds, in order."""
    table = stored_table(result, "dqdv", ["cycle"])
    if table is None or table.empty:
        return []
    return sorted(int(c) for c in table["cycle"].unique())


def chosen_cycle(req: PlotRequest, cycles: list[int]) -> int | None:
    """The ``cycle`` asked for when the series has it, else the first cycle from 1 on."""
    asked = req.get("cycle")
    if asked.lstrip("-").isdigit() and int(asked) in cycles:
        return int(asked)
    counted = [c for c in cycles if c >= 1]
    return (counted or cycles or [None])[0]


def _half_cycle_traces(
    frame: pd.DataFrame, x: str, y: str, req: PlotRequest, cycle: int
) -> list[dict[str, Any]]:
    out = []
    for half_cycle, part in frame.groupby("half_cycle", sort=True):
        kind = str(part["kind"].iloc[0])
        xs = part[x].to_numpy(dtype=float)
        ys = part[y].to_numpy(dtype=float)
        budget = req.budget(1000)
        if budget:
            xs, ys = lttb(xs, ys, budget)
        out.append(
            trace(
                f"cycle {cycle} {kind}",
                xs,
                ys,
                "lines",
                line={"color": KIND_COLORS.get(kind, PALETTE[int(half_cycle) % len(PALETTE)])},
            )
        )
    return out


def _peak_markers(result: m.AnalysisResult, cycle: int) -> list[dict[str, Any]]:
    peaks = stored_table(result, "dqdv_peaks", filters=[("cycle", "==", cycle)])
    if peaks is None or peaks.empty:
        return []
    return [
        trace(
            f"cycle {cycle} peaks",
            peaks["voltage_V"].to_numpy(dtype=float),
            peaks["dq_dv_mAh_per_V"].to_numpy(dtype=float),
            "markers+text",
            text=[f"{v:.3f} V" for v in peaks["voltage_V"]],
            textposition="top center",
            marker={"color": "#d62728", "size": 9, "symbol": "x"},
        )
    ]


def _one_cycle(
    cell: m.Cell, req: PlotRequest, title: str
) -> tuple[m.AnalysisResult | None, int | None, dict[str, Any] | None]:
    result = dqdv_result(cell, req)
    if result is None:
        return None, None, empty(title, "No dQ/dV result for this cell's cycling run yet.")
    cycle = chosen_cycle(req, dqdv_cycles(result))
    if cycle is None:
        return None, None, empty(title, "The dQ/dV result holds no half-cycle.")
    return result, cycle, None


def dqdv_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    """dQ/dV (mAh/V) against voltage of the chosen cycle's half-cycles, peaks marked."""
    title = "Differential capacity dQ/dV"
    result, cycle, blank = _one_cycle(cell, req, title)
    if blank is not None or result is None or cycle is None:
        return blank or empty(title, "No dQ/dV.")
    frame = stored_table(result, "dqdv", filters=[("cycle", "==", cycle)])
    data = (
        []
        if frame is None
        else _half_cycle_traces(frame, "voltage_V", "dq_dv_mAh_per_V", req, cycle)
    )
    data += _peak_markers(result, cycle)
    return figure(title, "voltage (V)", "dQ/dV (mAh/V)", data, meta={"cycle": cycle})


def dvdq_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    """dV/dQ (V/mAh) against the capacity passed in each half-cycle of the chosen cycle."""
    title = "Differential voltage dV/dQ"
    result, cycle, blank = _one_cycle(cell, req, title)
    if blank is not None or result is None or cycle is None:
        return blank or empty(title, "No dV/dQ.")
    frame = stored_table(result, "dvdq", filters=[("cycle", "==", cycle)])
    data = (
        []
        if frame is None
        else _half_cycle_traces(frame, "capacity_mAh", "dv_dq_V_per_mAh", req, cycle)
    )
    return figure(title, "capacity (mAh)", "dV/dQ (V/mAh)", data, meta={"cycle": cycle})


def dqdv_peaks_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    """The voltage of every dQ/dV peak against its cycle, one series per half-cycle kind: a
    peak that drifts with cycling (growing polarisation, a phase fading) shows as a slope."""
    title = "dQ/dV peak positions per cycle"
    result = dqdv_result(cell, req)
    if result is None:
        return empty(title, "No dQ/dV result for this cell's cycling run yet.")
    peaks = stored_table(result, "dqdv_peaks")
    if peaks is None or peaks.empty:
        return empty(title, "No dQ/dV peak was found.")
    data = []
    for kind, part in peaks.groupby("kind", sort=False):
        data.append(
            trace(
                f"{kind} peaks",
                part["cycle"].to_numpy(dtype=np.int64),
                part["voltage_V"].to_numpy(dtype=float),
                "markers",
                marker={"color": KIND_COLORS.get(str(kind), PALETTE[2]), "size": 7},
                customdata=part["dq_dv_mAh_per_V"].to_numpy(dtype=float).tolist(),
                hovertemplate="cycle %{x}: %{y:.3f} V, %{customdata:.3g} mAh/V",
            )
        )
    return figure(title, "cycle", "peak voltage (V)", data)
