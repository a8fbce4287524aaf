"""Overlay plots of the comparison page: cells chosen by label or by filters, grouped by seed,
binder, formulation or cell kind; one colour per group, one line per replicate cell."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from labdb.selectors import insitu as ins
from labdb.selectors import results as sel
from labdb.selectors.statistics import survival_curves, without_deviations
from labdb.web.cell_plots.common import PALETTE, PERCENT, RETENTION_AXIS
from labdb.web.cell_plots.cycling import _time_voltage
from labdb.web.cell_plots.eis import fitted, measured
from labdb.web.cell_plots.insitu import voltage_traces
from labdb.web.cell_plots.profiles import parse_cycles, profile_traces
from labdb.web.decimate import lttb
from labdb.web.figures import Builder, PlotRequest, empty, figure, trace
from labdb.web.saved import pinned_results, saved_cells, saved_comparison

DASHES = ["solid", "dash", "dot", "dashdot"]


@dataclass(frozen=True)
class Selection:
    by: str
    groups: dict[str, list[sel.CellInfo]]
    colors: dict[str, str]
    replicates: int | None

    def cells(self) -> list[tuple[str, int, sel.CellInfo]]:
        """(group, replicate index, cell) for every chosen cell, at most ``replicates`` per
        group."""
        out = []
        for group, infos in self.groups.items():
            for k, info in enumerate(infos[: self.replicates] if self.replicates else infos):
                out.append((group, k, info))
        return out


def selection(req: PlotRequest, *, replicates: int | None = None) -> Selection:
    saved = saved_comparison(req.user, req.get("saved")) if req.get("saved") else None
    if saved is not None:  # a saved comparison: its cells, frozen
        cells = saved_cells(req.user, saved)
        by = req.get("group") or saved.options.get("group") or "formulation"
        kind, seed, binder = req.get("kind"), req.get("seed"), req.get("binder")
        infos = [
            i
            for i in sel.cell_infos(cells).values()
            if (not kind or i.cell.kind == kind)
            and (not seed or i.seeds == seed)
            and (not binder or i.binder == binder)
        ]
    else:
        labels = [v for v in req.params.getlist("cells") if v]
        by = req.get("group") or ("cell" if labels else "formulation")
        infos = sel.comparison_cells(
            req.user,
            labels=labels,
            kind=req.get("kind"),
            seed=req.get("seed"),
            binder=req.get("binder"),
        )
    if req.get("conforming"):  # leave out the cells whose runs deviate from their protocol
        pinned = pinned_results(saved, [i.cell for i in infos], None) if saved else None
        infos = without_deviations(req.user, infos, pinned)[0]
    if by not in sel.GROUPINGS:
        by = "formulation"
    groups = sel.grouped(infos, by)
    colors = {g: PALETTE[k % len(PALETTE)] for k, g in enumerate(groups)}
    rep = req.get("replicates")
    return Selection(by, groups, colors, int(rep) if rep.isdigit() else replicates)


def _name(group: str, info: sel.CellInfo, by: str) -> str:
    return info.cell.label if by == "cell" else f"{group}: {info.cell.label}"


def _style(s: Selection, group: str, k: int) -> dict[str, Any]:
    return {
        "line": {"color": s.colors[group], "dash": DASHES[k % len(DASHES)]},
        "marker": {"color": s.colors[group], "size": 4},
        "legendgroup": group,
    }


def results_for(req: PlotRequest, cells: list[Any], kind: str | None) -> list[Any]:
    """The results a plot shows: those a saved comparison was saved with, else the newest."""
    saved = saved_comparison(req.user, req.get("saved")) if req.get("saved") else None
    if saved is not None:
        return pinned_results(saved, cells, kind)
    return sel.results_of_cells(req.user, cells, kind)


def _primary(req: PlotRequest, s: Selection) -> dict[Any, Any]:
    cells = [i.cell for _, _, i in s.cells()]
    results = results_for(req, cells, "cycling")
    by_cell: dict[Any, list[Any]] = {}
    for r in results:
        by_cell.setdefault(r.test_run.cell_id, []).append(r)
    return {cid: sel.primary_cycling(rs) for cid, rs in by_cell.items()}


def _per_cycle(req: PlotRequest, title: str, y_title: str, column: str) -> dict[str, Any]:
    s = selection(req)
    primary = _primary(req, s)
    data = []
    for group, k, info in s.cells():
        result = primary.get(info.cell.pk)
        if result is None:
            continue
        cols = sel.cycle_columns(result, [column])
        x = np.asarray(cols["cycle"], dtype=float)
        y = np.asarray([np.nan if v is None else v * PERCENT for v in cols[column]], dtype=float)
        name = _name(group, info, s.by)
        short = result.short_circuit_cycle
        if short is not None:  # after a short the CE means nothing: the series ends there
            x, y = x[x < short], y[x < short]
            name += f" (short at {short})"
        budget = req.budget(1500)
        if budget:
            x, y = lttb(x, y, budget)
        data.append(trace(name, x.astype(np.int64), y, "lines", **_style(s, group, k)))
    if not data:
        return empty(title, "No cycling results for the chosen cells.")
    return figure(title, "cycle", y_title, data, legend={"font": {"size": 11}})


def ce(_: Any, req: PlotRequest) -> dict[str, Any]:
    return _per_cycle(req, "Coulombic efficiency", "CE (%)", "coulombic_efficiency")


def cumulative_ce(_: Any, req: PlotRequest) -> dict[str, Any]:
    return _per_cycle(
        req,
        "Cumulative coulombic efficiency",
        "cumulative CE (%)",
        "cumulative_coulombic_efficiency",
    )


def retention(_: Any, req: PlotRequest) -> dict[str, Any]:
    return _per_cycle(req, "Capacity retention", "retention (%)", "capacity_retention")


def profiles(_: Any, req: PlotRequest) -> dict[str, Any]:
    title = "Voltage profiles"
    s = selection(req, replicates=1)
    primary = _primary(req, s)
    cycles = parse_cycles(req.get("cycles")) or [1]
    data = []
    for group, k, info in s.cells():
        result = primary.get(info.cell.pk)
        if result is None:
            continue
        for tr in profile_traces(result, cycles, req, name=_name(group, info, s.by)):
            tr.update(_style(s, group, k))
            data.append(tr)
    if not data:
        return empty(title, "No cycling results for the chosen cells.")
    unit = "mAh/cm²" if all(i.cell.area_cm2 for _, _, i in s.cells()) else "mAh"
    return figure(
        f"{title}, cycle {', '.join(map(str, cycles))}", f"capacity ({unit})", "voltage (V)", data
    )


def voltage_time(_: Any, req: PlotRequest) -> dict[str, Any]:
    title = "Voltage versus time"
    s = selection(req, replicates=1)
    primary = _primary(req, s)
    data = []
    for group, k, info in s.cells():
        result = primary.get(info.cell.pk)
        if result is None:
            continue
        t, v = _time_voltage(result, req.budget(1500))
        if len(t):
            data.append(trace(_name(group, info, s.by), t, v, "lines", **_style(s, group, k)))
    if not data:
        return empty(title, "No cycling results for the chosen cells.")
    return figure(title, "time (h)", "voltage (V)", data)


def rct(_: Any, req: PlotRequest) -> dict[str, Any]:
    """Mean RCT (error bars: standard deviation across replicate cells) after N cycles."""
    title = "RCT after N plating/stripping cycles"
    s = selection(req)
    cells = [i.cell for _, _, i in s.cells()]
    metrics = sel.cell_metrics(req.user, cells, results_for(req, cells, None))
    ns = sorted({n for cm in metrics.values() for n in cm.rct_after})
    data = []
    for k, n in enumerate(ns):
        xs, ys, errs = [], [], []
        for group, infos in s.groups.items():
            mean, sd, count = sel.mean_sd(metrics[i.cell.pk].rct_after.get(n) for i in infos)
            if count:
                xs.append(group)
                ys.append(mean)
                errs.append(sd)
        data.append(
            {
                "type": "bar",
                "name": f"after {n} cycles",
                "x": xs,
                "y": ys,
                "error_y": {"type": "data", "array": errs, "visible": True},
                "marker": {"color": PALETTE[k % len(PALETTE)]},
            }
        )
    if not data:
        return empty(title, "No EIS-after-cycling results for the chosen cells.")
    return figure(title, "", "RCT (Ω cm²)", data, barmode="group", xaxis={"automargin": True})


def _insitu(req: PlotRequest) -> tuple[Selection, list[tuple[str, Any]]]:
    """The selection and its in-situ EIS results, each with its cell's group."""
    s = selection(req)
    cells = [i.cell for _, _, i in s.cells()]
    group_of = {i.cell.pk: g for g, _, i in s.cells()}
    results = [r for r in results_for(req, cells, "eis") if sel.is_insitu(r.test_run)]
    return s, [(group_of[r.test_run.cell_id], r) for r in results]


def insitu(_: Any, req: PlotRequest) -> dict[str, Any]:
    """Fig. 5d-e: RSEI and RCT of each cell per plating/stripping sequence."""
    title = "In-situ EIS: RSEI and RCT per plating/stripping sequence"
    s, results = _insitu(req)
    data = []
    for group, r in results:
        fits = sel.spectra_of(r)
        x = ins.insitu_labels(fits)
        for key, label, dash in (("rsei", "RSEI", "dot"), ("rct", "RCT", "solid")):
            data.append(
                trace(
                    f"{group}: {r.test_run.cell.label} {label}",
                    x,
                    [sel.resistance(f, key) for f in fits],
                    "lines+markers",
                    line={"color": s.colors[group], "dash": dash},
                    marker={"color": s.colors[group], "size": 5},
                    legendgroup=group,
                )
            )
    if not data:
        return empty(title, "No in-situ EIS results for the chosen cells.")
    return figure(
        title,
        "sequence",
        "resistance (Ω cm²)",
        data,
        xaxis={"type": "category", "automargin": True},
    )


def insitu_voltage(_: Any, req: PlotRequest) -> dict[str, Any]:
    """Fig. 5a-b: the voltage of each cell during its in-situ run, spectra marked."""
    title = "In-situ EIS: voltage during plating/stripping, spectra marked"
    s, results = _insitu(req)
    data = []
    for group, r in results:
        data += voltage_traces(r, f"{group}: {r.test_run.cell.label}", s.colors[group], group=group)
    if not data:
        return empty(title, "No in-situ EIS results for the chosen cells.")
    return figure(title, "time (h)", "voltage (V)", data)


def insitu_nyquist(_: Any, req: PlotRequest) -> dict[str, Any]:
    """Fig. 5c: the spectrum that ends each plating and stripping of each cell, measured
    points and fitted curve."""
    title = "In-situ EIS: Nyquist plots at the end of plating and of stripping"
    s, results = _insitu(req)
    data = []
    for group, r in results:
        fits = sel.spectra_of(r)
        labels = ins.insitu_labels(fits)
        last: dict[Any, tuple[str, Any]] = {}
        for f, label in zip(fits, labels, strict=True):
            last[(f.half_cycle, f.state)] = (label, f)
        symbols = ("circle", "square", "diamond")
        for k, (label, fit) in enumerate(last.values()):
            symbol = symbols[k % len(symbols)]
            f, z = measured(r, fit.spectrum)
            if not f.size:
                continue
            name = f"{group}: {r.test_run.cell.label} {label}"
            data.append(
                trace(
                    name,
                    z.real,
                    -z.imag,
                    "markers",
                    marker={"color": s.colors[group], "size": 5, "symbol": symbol},
                    legendgroup=group,
                )
            )
            curve = fitted(fit)
            if curve is not None:
                data.append(
                    trace(
                        f"{name} fit",
                        curve[1].real,
                        -curve[1].imag,
                        "lines",
                        line={"color": s.colors[group], "width": 1},
                        legendgroup=group,
                        showlegend=False,
                    )
                )
    if not data:
        return empty(title, "No in-situ EIS results for the chosen cells.")
    return figure(
        title,
        "Z' (Ω)",
        "-Z'' (Ω)",
        data,
        yaxis={"scaleanchor": "x", "scaleratio": 1},
        legend={"font": {"size": 10}},
    )


def full_cell(_: Any, req: PlotRequest) -> dict[str, Any]:
    title = "Full-cell discharge capacity and retention"
    s = selection(req)
    primary = _primary(req, s)
    data = []
    for group, k, info in s.cells():
        result = primary.get(info.cell.pk)
        if result is None:
            continue
        cols = sel.cycle_columns(result, ["discharge_capacity_mAh_cm2", "capacity_retention"])
        name = _name(group, info, s.by)
        style = _style(s, group, k)
        data.append(
            trace(
                f"{name} capacity",
                cols["cycle"],
                cols["discharge_capacity_mAh_cm2"],
                "markers",
                **style,
            )
        )
        data.append(
            trace(
                f"{name} retention",
                cols["cycle"],
                [None if v is None else v * PERCENT for v in cols["capacity_retention"]],
                "lines",
                yaxis="y2",
                **style,
            )
        )
    if not data:
        return empty(title, "No full-cell cycling results for the chosen cells.")
    return figure(
        title,
        "cycle",
        "discharge capacity (mAh/cm²)",
        data,
        yaxis2=RETENTION_AXIS,
        legend={"orientation": "h", "y": -0.25},
    )


def mechanics(_: Any, req: PlotRequest) -> dict[str, Any]:
    """One mechanical metric by binder: mean (bar, error bar = sd across batches) and each
    batch's value (points)."""
    key = req.get("metric") or "peel_strength_gf_per_mm"
    label = next((lbl for _, k, lbl in sel.MECHANICS_METRICS if k == key), None)
    if label is None:
        return empty("Mechanics", f"unknown metric {key!r}")
    by_binder = sel.mechanics_by_binder(req.user)
    xs, ys, errs, px, py, names = [], [], [], [], [], []
    for binder in sorted(by_binder):
        points = by_binder[binder].get(key, [])
        mean, sd, n = sel.mean_sd(v for _, v in points)
        if not n:
            continue
        xs.append(binder)
        ys.append(mean)
        errs.append(sd)
        for batch, v in points:
            px.append(binder)
            py.append(v)
            names.append(batch)
    if not xs:
        return empty(label[0].upper() + label[1:], "No results for this metric yet.")
    data = [
        {
            "type": "bar",
            "name": "mean",
            "x": xs,
            "y": ys,
            "error_y": {"type": "data", "array": errs, "visible": True},
            "marker": {"color": [PALETTE[k % len(PALETTE)] for k in range(len(xs))]},
        },
        trace(
            "batches",
            px,
            py,
            "markers",
            text=names,
            hovertemplate="%{text}: %{y:.4g}",
            marker={"color": "#132238", "size": 8, "symbol": "diamond"},
        ),
    ]
    return figure(label[0].upper() + label[1:], "binder", label, data, showlegend=False)


def survival(_: Any, req: PlotRequest) -> dict[str, Any]:
    """Kaplan-Meier curves of cycles to short, one step line per group, censored cells as
    ticks (the curves are labdb.selectors.statistics', docs/statistics.md)."""
    s = selection(req)
    cells = [i.cell for _, _, i in s.cells()]
    metrics = sel.cell_metrics(req.user, cells, results_for(req, cells, None))
    data = []
    for group, km in survival_curves(s.groups, metrics).items():
        x, y = [0.0, *km.times], [100.0, *(v * 100 for v in km.survival)]
        data.append(trace(group, x, y, line={"shape": "hv", "color": s.colors[group]}))
        ticks = [(t, v) for t, v, c in zip(km.times, y[1:], km.censored, strict=True) if c]
        if ticks:
            data.append(
                trace(
                    f"{group}: censored",
                    [t for t, _ in ticks],
                    [v for _, v in ticks],
                    "markers",
                    marker={"symbol": "line-ns-open", "size": 10, "color": s.colors[group]},
                    showlegend=False,
                )
            )
    return figure(
        "Cycles to short (Kaplan-Meier)", "cycle", "cells without a short (%)", data,
        yaxis={"range": [0, 105]},
    )  # fmt: skip


COMPARE_PLOTS: dict[str, Builder] = {
    "survival": survival,
    "profiles": profiles,
    "ce": ce,
    "cumulative-ce": cumulative_ce,
    "retention": retention,
    "voltage-time": voltage_time,
    "rct": rct,
    "insitu": insitu,
    "insitu-voltage": insitu_voltage,
    "insitu-nyquist": insitu_nyquist,
    "full-cell": full_cell,
    "mechanics": mechanics,
}
