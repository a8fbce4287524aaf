"""Voltage profiles of a cell: voltage against the capacity passed in each half-cycle of the
chosen cycles, cut from the raw table."""

from __future__ import annotations

from typing import Any

import numpy as np

from labdb import models as m
from labdb.selectors import results as sel
from labdb.web.cell_plots.cycling import _area, selected_cycling
from labdb.web.decimate import lttb
from labdb.web.plots import PlotRequest, empty, figure, trace


def half_cycle_curves(t: Any, v: Any, i: Any, area: float | None) -> list[tuple[str, Any, Any]]:
    """Voltage against the capacity passed since each half-cycle started (mAh, per cm2 with an
    area); rests carry on the half-cycle before them."""
    if t.size < 2:
        return []
    thr = 0.005 * np.nanpercentile(np.abs(i), 99)
    sign = np.where(np.abs(i) > thr, np.sign(i), 0.0)
    for k in range(1, sign.size):  # rests belong to the half-cycle before them
        if sign[k] == 0:
            sign[k] = sign[k - 1]
    dt = np.diff(t, prepend=t[0])
    dq = np.abs(i) * dt / 3.6  # A*s -> mAh
    out = []
    bounds = np.flatnonzero(np.diff(sign) != 0) + 1
    for seg in np.split(np.arange(t.size), bounds):
        if seg.size < 2 or sign[seg[0]] == 0:
            continue
        q = np.cumsum(dq[seg]) - dq[seg[0]]
        if area:
            q = q / area
        out.append(("charge" if sign[seg[0]] > 0 else "discharge", q, v[seg]))
    return out


def default_cycles(cycles: list[int]) -> list[int]:
    wanted = [1, 2, 10, 50, 100, 200, 500, 1000]
    picked = [c for c in wanted if c in set(cycles)]
    if cycles and cycles[-1] not in picked:
        picked.append(cycles[-1])
    return picked[:6]


def parse_cycles(text: str) -> list[int]:
    out = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if "-" in part:
            lo, _, hi = part.partition("-")
            if lo.isdigit() and hi.isdigit():
                out.extend(range(int(lo), min(int(hi), int(lo) + 20) + 1))
        elif part.isdigit():
            out.append(int(part))
    return sorted(set(out))[:20]


def profile_traces(
    result: m.AnalysisResult, cycles: list[int], req: PlotRequest, name: str = ""
) -> list[dict[str, Any]]:
    rows = dict(
        m.CycleResult.objects.filter(result=result, cycle__in=cycles).values_list("cycle", "values")
    )
    table = sel.raw_table(result, ["test_time_second", "voltage_volt", "current_ampere"])
    if table is None or not rows:
        return []
    t = table["test_time_second"].to_numpy(dtype=float)
    v = table["voltage_volt"].to_numpy(dtype=float)
    i = table["current_ampere"].to_numpy(dtype=float)
    area = _area(result)
    data = []
    for cycle in cycles:
        values = rows.get(cycle)
        if not values or values.get("start_time_s") is None:
            continue
        mask = (t >= values["start_time_s"]) & (t <= values["end_time_s"])
        xs: list[Any] = []
        ys: list[Any] = []
        for _, q, vv in half_cycle_curves(t[mask], v[mask], i[mask], area):
            budget = req.budget(600)
            q2, v2 = lttb(q, vv, budget) if budget else (q, vv)
            xs += [*q2.tolist(), None]
            ys += [*v2.tolist(), None]
        label = f"{name} cycle {cycle}".strip()
        data.append(trace(label, xs, ys))
    return data


def profiles_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    result = selected_cycling(cell, req)
    title = "Voltage profiles"
    if result is None:
        return empty(title, "No cycling result for this cell yet.")
    all_cycles = list(
        m.CycleResult.objects.filter(result=result, cycle__gte=1).values_list("cycle", flat=True)
    )
    cycles = parse_cycles(req.get("cycles")) or default_cycles(all_cycles)
    data = profile_traces(result, cycles, req)
    unit = "mAh/cm²" if _area(result) else "mAh"
    return figure(title, f"capacity ({unit})", "voltage (V)", data)
