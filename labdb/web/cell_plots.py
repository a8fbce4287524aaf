"""The plots of a cell's page, from its stored results and the canonical tables they were
computed from: voltage profiles, CE, cumulative CE, voltage versus time, capacity and
retention, overpotentials, Nyquist with fitted curves and residuals, Bode, DRT, resistances
versus cycle and in-situ sequence, CV with marked peaks."""

from __future__ import annotations

from typing import Any

import numpy as np

from labdb import models as m
from labdb.selectors import results as sel
from labdb.web.decimate import lttb, minmax
from labdb.web.plots import Builder, PlotRequest, empty, figure, trace

PERCENT = 100.0


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


def _pct(xs: list[Any]) -> list[Any]:
    return [None if v is None else v * PERCENT for v in xs]


def _series(req: PlotRequest, x: list[Any], y: list[Any], points: int = 2000) -> tuple[Any, Any]:
    budget = req.budget(points)
    xa = np.asarray([np.nan if v is None else v for v in x], dtype=float)
    ya = np.asarray([np.nan if v is None else v for v in y], dtype=float)
    if budget is not None:
        xa, ya = lttb(xa, ya, budget)
    if all(isinstance(v, int) for v in x):
        return xa.astype(np.int64), ya
    return xa, ya


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


def ce_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    result = selected_cycling(cell, req)
    title = "Coulombic efficiency per cycle"
    if result is None:
        return empty(title, "No cycling result for this cell yet.")
    cols = sel.cycle_columns(result, ["coulombic_efficiency"])
    x, y = _series(req, cols["cycle"], _pct(cols["coulombic_efficiency"]))
    data = [trace(result.test_run.label, x, y, "lines+markers", marker={"size": 4})]
    return figure(title, "cycle", "CE (%)", data, **short_marker(result))


def cumulative_ce_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    result = selected_cycling(cell, req)
    title = "Cumulative coulombic efficiency"
    if result is None:
        return empty(title, "No cycling result for this cell yet.")
    cols = sel.cycle_columns(result, ["cumulative_coulombic_efficiency"])
    x, y = _series(req, cols["cycle"], _pct(cols["cumulative_coulombic_efficiency"]))
    data = [trace(result.test_run.label, x, y)]
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
    for name, key in zip(names, keys, strict=True):
        x, y = _series(req, cols["cycle"], cols[key])
        data.append(trace(f"{name} capacity", x, y, "lines+markers", marker={"size": 4}))
    x, y = _series(req, cols["cycle"], _pct(cols["capacity_retention"]))
    data.append(trace("retention", x, y, "lines", yaxis="y2", line={"dash": "dot"}))
    return figure(
        title,
        "cycle",
        f"capacity ({unit})",
        data,
        yaxis2={
            "title": {"text": "retention (%)"},
            "overlaying": "y",
            "side": "right",
            "tickmode": "auto",
            "showgrid": False,
        },
        legend={"orientation": "h", "y": -0.25},
    )


def overpotential_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    result = selected_cycling(cell, req)
    title = "Overpotential per cycle" if cell.kind == "half" else "Mean voltage per cycle"
    if result is None:
        return empty(title, "No cycling result for this cell yet.")
    if cell.kind == "half":
        keys = [
            ("plating (mean)", "plating_overpotential_mean_V"),
            ("plating (peak)", "plating_overpotential_peak_V"),
            ("stripping (mean)", "stripping_overpotential_mean_V"),
            ("stripping (peak)", "stripping_overpotential_peak_V"),
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


# --- EIS ---------------------------------------------------------------------------------

MAX_SPECTRA = 12


def eis_selection(cell: m.Cell, req: PlotRequest) -> list[tuple[str, m.AnalysisResult, Any]]:
    """(label, result, fit) of the spectra to draw: one EIS run's spectra when ``eis`` names
    it, else the first spectrum of each after-N-cycles run, else the first run's spectra."""
    results = sel.eis_results(req.user, cell)
    chosen = req.get("eis")
    run = next((r for r in results if str(r.test_run_id) == chosen), None)
    if run is None:
        after = [r for r in results if r.test_run.after_cycles is not None]
        if after and chosen in ("", "after"):
            out = []
            for r in after:
                fit = r.spectra.order_by("spectrum").first()
                if fit is not None:
                    out.append((f"after {r.test_run.after_cycles} cycles", r, fit))
            return out
        run = results[0] if results else None
    if run is None:
        return []
    fits = sel.spectra_of(run)
    if len(fits) > MAX_SPECTRA:
        idx = np.unique(np.linspace(0, len(fits) - 1, MAX_SPECTRA).round().astype(int))
        fits = [fits[k] for k in idx]
    return [(_spectrum_label(f), run, f) for f in fits]


def _spectrum_label(fit: m.EISSpectrumFit) -> str:
    if fit.sequence is not None:
        return f"sequence {fit.sequence}"
    if fit.cycle is not None:
        return f"spectrum {fit.spectrum} (cycle {fit.cycle})"
    return f"spectrum {fit.spectrum}"


def measured(result: m.AnalysisResult, spectrum: int) -> tuple[Any, Any]:
    parsed = result.job.parsed_table
    if parsed is None:
        return np.array([]), np.array([], dtype=complex)

    def compute() -> tuple[Any, Any]:
        table = sel.raw_table(result, ["spectrum", "frequency_hz", "z_real_ohm", "z_imag_ohm"])
        if table is None:
            return np.array([]), np.array([], dtype=complex)
        rows = table[table["spectrum"] == spectrum]
        f = rows["frequency_hz"].to_numpy(dtype=float)
        z = rows["z_real_ohm"].to_numpy(dtype=float) + 1j * rows["z_imag_ohm"].to_numpy(dtype=float)
        return f, z

    return sel.cached(f"eis:{parsed.sha256}:{spectrum}", compute)  # type: ignore[no-any-return]


def fitted(fit: m.EISSpectrumFit, f: Any) -> Any:
    """The fitted circuit's impedance at frequencies ``f`` (None if it cannot be evaluated)."""
    from analysis.eis import CircuitError, parse_circuit

    try:
        circuit = parse_circuit(fit.circuit)
        params = [fit.parameters[name] for name in circuit.parameter_names]
    except (CircuitError, KeyError, TypeError):
        return None
    if any(p is None for p in params):
        return None
    return circuit.impedance(f, np.asarray(params, dtype=float))


def _dense(f: Any) -> Any:
    return np.logspace(np.log10(f.min()), np.log10(f.max()), 120)[::-1]


PALETTE = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
    "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
]  # fmt: skip


def nyquist_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    title = "Nyquist plot with fitted curves and residuals"
    selection = eis_selection(cell, req)
    if not selection:
        return empty(title, "No EIS result for this cell yet.")
    data = []
    for k, (label, result, fit) in enumerate(selection):
        color = PALETTE[k % len(PALETTE)]
        f, z = measured(result, fit.spectrum)
        if not f.size:
            continue
        data.append(
            trace(
                label,
                z.real,
                -z.imag,
                "markers",
                marker={"color": color, "size": 5},
                legendgroup=label,
            )
        )
        zf = fitted(fit, _dense(f))
        if zf is not None:
            data.append(
                trace(
                    f"{label} fit ({fit.circuit})",
                    zf.real,
                    -zf.imag,
                    "lines",
                    line={"color": color},
                    legendgroup=label,
                    showlegend=False,
                )
            )
            zm = fitted(fit, f)
            rel = (z - zm) / np.abs(z) * PERCENT
            data.append(
                trace(
                    f"{label} residual Z'",
                    f,
                    rel.real,
                    "lines+markers",
                    xaxis="x2",
                    yaxis="y2",
                    marker={"color": color, "size": 3},
                    legendgroup=label,
                    showlegend=False,
                )
            )
            data.append(
                trace(
                    f"{label} residual Z''",
                    f,
                    rel.imag,
                    "lines",
                    xaxis="x2",
                    yaxis="y2",
                    line={"color": color, "dash": "dot"},
                    legendgroup=label,
                    showlegend=False,
                )
            )
    return figure(
        title,
        "Z' (Ω)",
        "-Z'' (Ω)",
        data,
        xaxis={"domain": [0, 1], "anchor": "y"},
        yaxis={"domain": [0.34, 1], "scaleanchor": "x", "scaleratio": 1},
        xaxis2={"title": {"text": "frequency (Hz)"}, "type": "log", "anchor": "y2"},
        yaxis2={"title": {"text": "residual (%)"}, "domain": [0, 0.2], "anchor": "x2"},
        height=520,
    )


def bode_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    title = "Bode plot"
    selection = eis_selection(cell, req)
    if not selection:
        return empty(title, "No EIS result for this cell yet.")
    data = []
    for k, (label, result, fit) in enumerate(selection):
        color = PALETTE[k % len(PALETTE)]
        f, z = measured(result, fit.spectrum)
        if not f.size:
            continue
        data.append(
            trace(
                f"{label} |Z|",
                f,
                np.abs(z),
                "markers",
                marker={"color": color, "size": 5},
                legendgroup=label,
            )
        )
        data.append(
            trace(
                f"{label} phase",
                f,
                -np.degrees(np.angle(z)),
                "markers",
                yaxis="y2",
                marker={"color": color, "size": 5, "symbol": "triangle-up"},
                legendgroup=label,
                showlegend=False,
            )
        )
        fd = _dense(f)
        zf = fitted(fit, fd)
        if zf is not None:
            data.append(
                trace(
                    f"{label} |Z| fit",
                    fd,
                    np.abs(zf),
                    "lines",
                    line={"color": color},
                    legendgroup=label,
                    showlegend=False,
                )
            )
            data.append(
                trace(
                    f"{label} phase fit",
                    fd,
                    -np.degrees(np.angle(zf)),
                    "lines",
                    yaxis="y2",
                    line={"color": color, "dash": "dot"},
                    legendgroup=label,
                    showlegend=False,
                )
            )
    return figure(
        title,
        "frequency (Hz)",
        "|Z| (Ω)",
        data,
        xaxis={"type": "log"},
        yaxis={"type": "log"},
        yaxis2={
            "title": {"text": "-phase (°)"},
            "overlaying": "y",
            "side": "right",
            "tickmode": "auto",
            "showgrid": False,
        },
    )


def drt_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    from analysis.eis import compute_drt

    title = "Distribution of relaxation times"
    selection = eis_selection(cell, req)
    if not selection:
        return empty(title, "No EIS result for this cell yet.")
    data = []
    for k, (label, result, fit) in enumerate(selection):
        f, z = measured(result, fit.spectrum)
        parsed = result.job.parsed_table
        if f.size < 5 or parsed is None:
            continue

        def compute(f: Any = f, z: Any = z) -> tuple[Any, Any, list[float]]:
            drt = compute_drt(f, z)
            return drt.tau_s, drt.gamma_ohm, [p.tau_s for p in drt.peaks]

        try:
            tau, gamma, peaks = sel.cached(f"drt:{parsed.sha256}:{fit.spectrum}", compute)
        except ValueError:
            continue
        color = PALETTE[k % len(PALETTE)]
        data.append(trace(label, tau, gamma, "lines", line={"color": color}))
        if peaks:
            py = np.interp(np.log(peaks), np.log(tau), gamma)
            data.append(
                trace(
                    f"{label} peaks",
                    peaks,
                    py,
                    "markers",
                    showlegend=False,
                    marker={"color": color, "symbol": "x", "size": 9},
                )
            )
    return figure(title, "τ (s)", "gamma (Ω)", data, xaxis={"type": "log"})


RESISTANCES = (("rb", "Rb"), ("rsei", "RSEI"), ("rct", "RCT"))


def _resistance_unit(fits: list[m.EISSpectrumFit]) -> str:
    return "Ω cm²" if any(f.rct_ohm_cm2 is not None for f in fits) else "Ω"


def resistance_cycle_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    title = "Resistances after N plating/stripping cycles"
    results = [r for r in sel.eis_results(req.user, cell) if r.test_run.after_cycles is not None]
    if not results:
        return empty(title, "No EIS-after-cycling run for this cell yet.")
    firsts = [(r.test_run.after_cycles, r.spectra.order_by("spectrum").first()) for r in results]
    pts = [(n, f) for n, f in firsts if f is not None]
    data = [
        trace(label, [n for n, _ in pts], [sel.resistance(f, key) for _, f in pts], "lines+markers")
        for key, label in RESISTANCES
    ]
    unit = _resistance_unit([f for _, f in pts])
    return figure(title, "cycles before the measurement", f"resistance ({unit})", data)


def resistance_sequence_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    title = "Resistances during in-situ EIS"
    results = [r for r in sel.eis_results(req.user, cell) if r.test_run.after_cycles is None]
    if not results:
        return empty(title, "No in-situ EIS run for this cell yet.")
    data = []
    fits_all = []
    for r in results:
        fits = sel.spectra_of(r)
        fits_all += fits
        x = [f.sequence if f.sequence is not None else f.spectrum for f in fits]
        for key, label in RESISTANCES:
            name = label if len(results) == 1 else f"{r.test_run.label} {label}"
            data.append(trace(name, x, [sel.resistance(f, key) for f in fits], "lines+markers"))
    unit = _resistance_unit(fits_all)
    return figure(title, "in-situ sequence", f"resistance ({unit})", data)


# --- CV ----------------------------------------------------------------------------------


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


CELL_PLOTS: dict[str, Builder] = {
    "profiles": profiles_figure,
    "ce": ce_figure,
    "cumulative-ce": cumulative_ce_figure,
    "voltage-time": voltage_time_figure,
    "capacity": capacity_figure,
    "overpotential": overpotential_figure,
    "nyquist": nyquist_figure,
    "bode": bode_figure,
    "drt": drt_figure,
    "resistance-cycle": resistance_cycle_figure,
    "resistance-sequence": resistance_sequence_figure,
    "cv": cv_figure,
}
