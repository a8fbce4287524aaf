"""Cyclic voltammetry of a cell: current against potential with the marked peaks."""

from __future__ import annotations

from typing import Any

import numpy as np

from labdb import models as m
from labdb.selectors import results as sel
from labdb.web.cell_plots.common import PALETTE
from labdb.web.decimate import minmax
from labdb.web.figures import PlotRequest, figure, trace


def cv_traces(result: m.AnalysisResult, req: PlotRequest, color: str) -> list[dict[str, Any]]:
    table = sel.raw_table(result, ["potential_V", "current_A"])
    if table is None or "current_A" not in table:
        return []
    e = table["potential_V"].to_numpy(dtype=float)
    i = table["current_A"].to_numpy(dtype=float) * 1000.0
    budget = req.budget(4000)
    if budget:
        idx = np.arange(e.size, dtype=float)
        keep_idx, _ = minmax(idx, i, budget)
        sel_idx = keep_idx.astype(int)
        e, i = e[sel_idx], i[sel_idx]
    peaks = result.summary.get("peaks", [])
    return [
        trace(result.test_run.label, e, i, "lines", line={"color": color}),
        trace(
            "peaks",
            [p["potential_V"] for p in peaks],
            [p["current_mA"] for p in peaks],
            "markers+text",
            text=[f"{p['potential_V']:.3g} V" for p in peaks],
            textposition="top center",
            marker={"color": "#d62728", "size": 10, "symbol": "x"},
        ),
    ]


def cv_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    title = "Cyclic voltammetry with marked peaks"
    results = sel.results_of_cells(req.user, [cell], "cv")
    data = []
    for k, r in enumerate(results):
        data += cv_traces(r, req, PALETTE[k % len(PALETTE)])
    return figure(title, "potential (V)", "current (mA)", data)
