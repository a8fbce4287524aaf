"""Plots of an electrode batch's page from the stored parsed tables and results:
force-displacement (peel, with the plateau used for the peel strength), depth-distance
(scratch, with the critical loads L_c1 and L_c2), load-depth with the fitted unloading power
law (indentation, Oliver-Pharr), the indents of an array with H and Er each and CV with marked peaks (runs on the batch or its cells)."""

from __future__ import annotations

from typing import Any

import numpy as np

from labdb import models as m
from labdb.selectors import results as sel
from labdb.selectors.results import mean_sd
from labdb.web.cell_plots.common import PALETTE
from labdb.web.cell_plots.cv import cv_traces
from labdb.web.decimate import minmax
from labdb.web.figures import Builder, PlotRequest, figure, trace
from labdb.web.mechanics import indents_of


def _results(batch: m.ElectrodeBatch, req: PlotRequest, kind: str) -> list[m.AnalysisResult]:
    return [r for r in sel.batch_results(req.user, [batch]) if r.kind == kind]


def _xy(result: m.AnalysisResult, x: str, y: str, req: PlotRequest) -> tuple[Any, Any]:
    table = sel.raw_table(result, [x, y])
    if table is None or x not in table or y not in table:
        return np.array([]), np.array([])
    xs, ys = table[x].to_numpy(dtype=float), table[y].to_numpy(dtype=float)
    budget = req.budget(3000)
    return minmax(xs, ys, budget) if budget else (xs, ys)


def peel(batch: m.ElectrodeBatch, req: PlotRequest) -> dict[str, Any]:
    data = []
    for k, r in enumerate(_results(batch, req, "peel")):
        color = PALETTE[k % len(PALETTE)]
        x, y = _xy(r, "displacement_mm", "force_N", req)
        data.append(trace(r.test_run.label, x, y, "lines", line={"color": color}))
        s = r.summary
        if s.get("mean_force_N") is not None:
            data.append(
                trace(
                    f"plateau: {s['peel_strength_gf_per_mm']:.3g} gf/mm",
                    [s["plateau_start_mm"], s["plateau_end_mm"]],
                    [s["mean_force_N"], s["mean_force_N"]],
                    "lines",
                    line={"color": "#d62728", "width": 3, "dash": "dash"},
                )
            )
    return figure("Peel test: force versus displacement", "displacement (mm)", "force (N)", data)


def scratch(batch: m.ElectrodeBatch, req: PlotRequest) -> dict[str, Any]:
    data = []
    for k, r in enumerate(_results(batch, req, "scratch")):
        color = PALETTE[k % len(PALETTE)]
        x, y = _xy(r, "distance_mm", "depth_um", req)
        data.append(trace(f"{r.test_run.label} depth", x, y, "lines", line={"color": color}))
        xr, yr = _xy(r, "distance_mm", "residual_depth_um", req)
        if len(xr):
            data.append(
                trace(
                    f"{r.test_run.label} residual depth",
                    xr,
                    yr,
                    "lines",
                    line={"color": color, "dash": "dot"},
                )
            )
        s = r.summary
        lc1_at = next(
            (
                e["distance_mm"]
                for e in s.get("events") or []
                if s.get("lc1_mN") is not None and e["load_mN"] == s["lc1_mN"]
            ),
            None,
        )
        if lc1_at is not None and lc1_at != s.get("critical_distance_mm"):
            data.append(
                trace(
                    f"Lc1 {s['lc1_mN']:.3g} mN",
                    [lc1_at, lc1_at],
                    [0, s.get("max_depth_um") or 1],
                    "lines",
                    line={"color": "#ff7f0e", "dash": "dot"},
                )
            )
        if s.get("critical_distance_mm") is not None:
            data.append(
                trace(
                    f"critical load {s['critical_load_mN']:.3g} mN",
                    [s["critical_distance_mm"], s["critical_distance_mm"]],
                    [0, s.get("max_depth_um") or 1],
                    "lines",
                    line={"color": "#d62728", "dash": "dash"},
                )
            )
    return figure(
        "Scratch test: depth versus distance",
        "distance (mm)",
        "depth (µm)",
        data,
        yaxis={"autorange": "reversed"},
    )


def indentation(batch: m.ElectrodeBatch, req: PlotRequest) -> dict[str, Any]:
    """Load-depth with the fitted unloading P = alpha (h - h_f)^m over the fit range."""
    data = []
    for k, r in enumerate(_results(batch, req, "indentation")):
        color = PALETTE[k % len(PALETTE)]
        x, y = _xy(r, "depth_nm", "load_mN", req)
        data.append(trace(r.test_run.label, x, y, "lines", line={"color": color}))
        s = r.summary
        alpha, m_exp, hf = s.get("fit_alpha"), s.get("fit_exponent"), s.get("fit_final_depth_nm")
        if None not in (alpha, m_exp, hf) and s.get("max_depth_nm"):
            lo, hi = s.get("fit_range", [0.5, 1.0])
            p_max = s["max_load_mN"]
            h = np.linspace(hf, s["max_depth_nm"], 80)
            p = alpha * np.clip(h - hf, 0, None) ** m_exp
            keep = (p >= lo * p_max * 0.999) & (p <= hi * p_max * 1.001)
            data.append(
                trace(
                    f"unloading fit (H = {s['hardness_GPa']:.3g} GPa, "
                    f"Er = {s['reduced_modulus_GPa']:.3g} GPa)",
                    h[keep],
                    p[keep],
                    "lines",
                    line={"color": "#d62728", "width": 3, "dash": "dash"},
                )
            )
    return figure("Nano-indentation: load versus depth", "depth (nm)", "load (mN)", data)


def _pm(mean: float | None, sd: float | None, unit: str) -> str:
    if mean is None:
        return "—"
    return f"{mean:.3g} ± {sd:.2g} {unit}" if sd is not None else f"{mean:.3g} {unit}"


def indentation_set(batch: m.ElectrodeBatch, req: PlotRequest) -> dict[str, Any]:
    """The load-depth curve of every indent of each indentation record (an array of indents
    is split at each indent's first row, as the job stored it), each named with its hardness
    H and reduced modulus Er; the legend group of a record gives the mean ± sample sd over
    its indents (:mod:`analysis.mechanics.indentation_set`)."""
    data: list[dict[str, Any]] = []
    notes = []
    dash = ("solid", "dot", "dash", "longdash", "dashdot")
    for k, r in enumerate(_results(batch, req, "indentation")):
        table = sel.raw_table(r, ["depth_nm", "load_mN"])
        indents = indents_of(r.summary)
        if table is None or "load_mN" not in table or not indents:
            continue
        h = table["depth_nm"].to_numpy(dtype=float)
        p = table["load_mN"].to_numpy(dtype=float)
        starts = [int(i.get("first_row", 0)) for i in indents] + [len(h)]
        hardness = mean_sd(i.get("hardness_GPa") for i in indents)
        modulus = mean_sd(i.get("reduced_modulus_GPa") for i in indents)
        label = (
            f"{r.test_run.label}: H = {_pm(*hardness[:2], 'GPa')}, "
            f"Er = {_pm(*modulus[:2], 'GPa')} (n = {hardness[2]})"
        )
        notes.append(label)
        color = PALETTE[k % len(PALETTE)]
        budget = req.budget(1500)
        for j, i in enumerate(indents):
            hs, ps = h[starts[j] : starts[j + 1]], p[starts[j] : starts[j + 1]]
            if budget:
                hs, ps = minmax(hs, ps, budget)
            data.append(
                trace(
                    f"{r.test_run.label} indent {j + 1}: H = {i['hardness_GPa']:.3g} GPa, "
                    f"Er = {i['reduced_modulus_GPa']:.3g} GPa",
                    hs,
                    ps,
                    "lines",
                    line={"color": color, "dash": dash[j % len(dash)]},
                    legendgroup=str(r.test_run_id),
                    legendgrouptitle={"text": label},
                )
            )
    return figure(
        "Nano-indentation: the indents of each record",
        "depth (nm)",
        "load (mN)",
        data,
        meta={"sets": notes},
        height=420,
    )


def cv(batch: m.ElectrodeBatch, req: PlotRequest) -> dict[str, Any]:
    data = []
    for k, r in enumerate(_results(batch, req, "cv")):
        data += cv_traces(r, req, PALETTE[k % len(PALETTE)])
    return figure("Cyclic voltammetry with marked peaks", "potential (V)", "current (mA)", data)


BATCH_PLOTS: dict[str, Builder] = {
    "peel": peel,
    "scratch": scratch,
    "indentation": indentation,
    "indentation-set": indentation_set,
    "cv": cv,
}
