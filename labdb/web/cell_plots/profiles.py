"""Voltage profiles of a cell: voltage against the capacity passed in each half-cycle of the
chosen cycles, as the cycling job stored them (:func:`labdb.selectors.curves.profile_curves`)."""

from __future__ import annotations

from typing import Any

from labdb import models as m
from labdb.selectors import curves
from labdb.web.cell_plots.cycling import _area, selected_cycling
from labdb.web.decimate import lttb
from labdb.web.figures import PlotRequest, empty, figure, trace


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
    """One trace per cycle: its half-cycles' stored voltage-profile curves (per cm2 with the
    result's area), each decimated to the request's budget."""
    area = _area(result)
    by_cycle: dict[int, tuple[list[Any], list[Any]]] = {}
    for cycle, _kind, q, v in curves.profile_curves(result, cycles):
        q_shown = q / area if area else q
        budget = req.budget(600)
        q2, v2 = lttb(q_shown, v, budget) if budget else (q_shown, v)
        xs, ys = by_cycle.setdefault(cycle, ([], []))
        xs += [*q2.tolist(), None]
        ys += [*v2.tolist(), None]
    return [
        trace(f"{name} cycle {cycle}".strip(), *by_cycle[cycle])
        for cycle in cycles
        if cycle in by_cycle
    ]


def profiles_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    result = selected_cycling(cell, req)
    title = "Voltage profiles"
    if result is None:
        return empty(title, "No cycling result for this cell yet.")
    all_cycles = list(
        m.CycleResult.objects.of_result(result).filter(cycle__gte=1).values_list("cycle", flat=True)
    )
    cycles = parse_cycles(req.get("cycles")) or default_cycles(all_cycles)
    data = profile_traces(result, cycles, req)
    unit = "mAh/cm²" if _area(result) else "mAh"
    return figure(title, f"capacity ({unit})", "voltage (V)", data)
