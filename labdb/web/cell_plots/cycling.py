"""Cycling plots of a cell: CE, cumulative CE, capacity and retention, overpotentials or mean
voltages per cycle, and voltage versus time, from the selected cycling result."""

from __future__ import annotations

from typing import Any

import numpy as np

from labdb import models as m
from labdb.selectors import results as sel
from labdb.selectors.uncertainty import cycling_bounds
from labdb.web.cell_plots.common import RETENTION_AXIS, _pct, _series
from labdb.web.decimate import minmax
from labdb.web.figures import PlotRequest, empty, figure, trace, values


def selected_cycling(cell: m.Cell, req: PlotRequest) -> m.AnalysisResult | None:
    results = sel.cycling_results(req.user, cell)
    run = req.get("run")
    if run:
        for r in results:
            if str(r.test_run_id) == run or r.test_run.label == run:
                return r
    return sel.primary_cycling(results)


def _area(result: m.AnalysisResult) -> float | None:
    area = (result.summary.get("metrics") or {}).get("area_cm2")
    return float(area) if area else None


def short_marker(result: m.AnalysisResult) -> dict[str, Any]:
    """A dashed vertical line at the detected short circuit (layout keys for ``figure``)."""
    short = result.short_circuit_cycle
    if short is None:
        return {}
    return {
        "shapes": [
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": short,
                "x1": short,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#a1261b", "dash": "dash"},
            }
        ],
        "annotations": [
            {
                "x": short,
                "y": 1,
                "xref": "x",
                "yref": "paper",
                "showarrow": False,
                "text": f"short at cycle {short}",
                "xanchor": "right",
                "font": {"color": "#a1261b"},
            }
        ],
    }


def error_bars(result: m.AnalysisResult, x: Any, key: str, scale: float = 100.0) -> dict[str, Any]:
    """Plotly ``error_y`` of the cycles ``x`` from the instrument's stated accuracy (``key``:
    "ce" or "cumulative_ce" of CyclingBounds, times ``scale`` = 100 for %; "charge_mAh" or
    "discharge_mAh", times 1 or 1/area); nothing when it states none. The CSV download
    writes them as ``y_error``."""
    bounds = cycling_bounds(result)
    if bounds is None:
        return {}
    by_cycle = dict(zip(bounds.cycles, getattr(bounds, key), strict=True))
    errors = [by_cycle.get(int(c), float("nan")) * scale for c in x]
    return {"error_y": {"type": "data", "array": values(errors), "visible": True}}


def ce_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    result = selected_cycling(cell, req)
    title = "Coulombic efficiency per cycle"
    if result is None:
        return empty(title, "No cycling result for this cell yet.")
    cols = sel.cycle_columns(result, ["coulombic_efficiency"])
    x, y = _series(req, cols["cycle"], _pct(cols["coulombic_efficiency"]))
    data = [
        trace(
            result.test_run.label,
            x,
            y,
            "lines+markers",
            marker={"size": 4},
            **error_bars(result, x, "ce"),
        )
    ]
    return figure(title, "cycle", "CE (%)", data, **short_marker(result))


def cumulative_ce_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    result = selected_cycling(cell, req)
    title = "Cumulative coulombic efficiency"
    if result is None:
        return empty(title, "No cycling result for this cell yet.")
    cols = sel.cycle_columns(result, ["cumulative_coulombic_efficiency"])
    x, y = _series(req, cols["cycle"], _pct(cols["cumulative_coulombic_efficiency"]))
    data = [trace(result.test_run.label, x, y, **error_bars(result, x, "cumulative_ce"))]
    return figure(title, "cycle", "cumulative CE (%)", data, **short_marker(result))


def capacity_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    result = selected_cycling(cell, req)
    title = "Capacity and retention"
    if result is None:
        return empty(title, "No cycling result for this cell yet.")
    area = _area(result)
    suffix = "_mAh_cm2" if area else "_mAh"
    unit = "mAh/cm²" if area else "mAh"
    half = cell.kind == "half"
    names = ("plating", "stripping") if half else ("charge", "discharge")
    keys = [f"{n}_capacity{suffix}" for n in names]
    if half and area:  # areal plating/stripping live as charge/discharge areal keys
        keys = ["discharge_capacity_mAh_cm2", "charge_capacity_mAh_cm2"]
    elif half:
        keys = ["plating_capacity_mAh", "stripping_capacity_mAh"]
    cols = sel.cycle_columns(result, [*keys, "capacity_retention"])
    data = []
    scale = 1 / area if area else 1.0
    for name, key in zip(names, keys, strict=True):
        x, y = _series(req, cols["cycle"], cols[key])
        bound = "charge_mAh" if name in ("charge", "stripping") else "discharge_mAh"
        bars = error_bars(result, x, bound, scale)
        data.append(trace(f"{name} capacity", x, y, "lines+markers", marker={"size": 4}, **bars))
    x, y = _series(req, cols["cycle"], _pct(cols["capacity_retention"]))
    data.append(trace("retention", x, y, "lines", yaxis="y2", line={"dash": "dot"}))
    return figure(
        title,
        "cycle",
        f"capacity ({unit})",
        data,
        yaxis2=RETENTION_AXIS,
        legend={"orientation": "h", "y": -0.25},
    )


def overpotential_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    result = selected_cycling(cell, req)
    title = "Overpotential per cycle" if cell.kind == "half" else "Mean voltage per cycle"
    if result is None:
        return empty(title, "No cycling result for this cell yet.")
    if cell.kind == "half":
        keys = [
            ("plating plateau", "plating_overpotential_V"),
            ("nucleation", "nucleation_overpotential_V"),
            ("stripping plateau", "stripping_overpotential_V"),
        ]
        scale, unit = 1000.0, "overpotential (mV)"
    else:
        keys = [("charge", "mean_charge_voltage_V"), ("discharge", "mean_discharge_voltage_V")]
        scale, unit = 1.0, "mean voltage (V)"
    cols = sel.cycle_columns(result, [k for _, k in keys])
    data = []
    for name, key in keys:
        y = [None if v is None else v * scale for v in cols[key]]
        x, yy = _series(req, cols["cycle"], y)
        data.append(trace(name, x, yy, "lines"))
    return figure(title, "cycle", unit, data, legend={"orientation": "h", "y": -0.25})


def _time_voltage(result: m.AnalysisResult, budget: int | None) -> tuple[Any, Any]:
    parsed = result.job.parsed_table

    def compute() -> tuple[Any, Any]:
        table = sel.raw_table(result, ["test_time_second", "voltage_volt"])
        if table is None or "voltage_volt" not in table:
            return np.array([]), np.array([])
        t = table["test_time_second"].to_numpy(dtype=float) / 3600.0
        v = table["voltage_volt"].to_numpy(dtype=float)
        return minmax(t, v, budget) if budget else (t, v)

    if parsed is None:
        return np.array([]), np.array([])
    return sel.cached(f"vt:{parsed.sha256}:{budget}", compute)  # type: ignore[no-any-return]


def voltage_time_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    result = selected_cycling(cell, req)
    title = "Voltage versus time"
    if result is None:
        return empty(title, "No cycling result for this cell yet.")
    t, v = _time_voltage(result, req.budget(4000))
    if not len(t):
        return empty(title, "The raw table of this result is not stored.")
    return figure(title, "time (h)", "voltage (V)", [trace(result.test_run.label, t, v)])
