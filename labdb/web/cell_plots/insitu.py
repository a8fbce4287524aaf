"""In-situ EIS plots of a cell (the paper's Fig. 5) and the lin-KK residuals of its spectra, all
from stored results: the voltage during the run with the spectra marked where they were
measured (Fig. 5a/b), Rb/RSEI/RCT per plating/stripping sequence (Fig. 5d/e), and the lin-KK
relative residuals against their acceptance limits (``kk.limits`` of each stored spectrum)."""

from __future__ import annotations

from typing import Any

from labdb import models as m
from labdb.selectors import insitu as ins
from labdb.selectors import results as sel
from labdb.web.cell_plots.common import PALETTE, PERCENT
from labdb.web.cell_plots.eis import RESISTANCES, _resistance_unit, eis_selection
from labdb.web.figures import PlotRequest, empty, figure, trace

STATE_COLORS = {
    "plating": "#1f77b4",
    "stripping": "#d62728",
    "discharge": "#1f77b4",
    "charge": "#d62728",
    "reduction": "#1f77b4",
    "oxidation": "#d62728",
    "rest": "#7f7f7f",
}


def insitu_results(user: Any, cell: m.Cell) -> list[m.AnalysisResult]:
    """The cell's in-situ EIS results (EIS runs not measured after N cycles)."""
    return [r for r in sel.eis_results(user, cell) if r.test_run.after_cycles is None]


def _hover(fits: list[m.EISSpectrumFit], labels: list[str]) -> list[str]:
    out = []
    for f, label in zip(fits, labels, strict=True):
        charge = (
            f"{f.half_cycle_charge_ah * 1000:.4g} mAh since the half-cycle began"
            if f.half_cycle_charge_ah is not None
            else ""
        )
        time = f"t = {f.time_second / 60:.1f} min" if f.time_second is not None else ""
        out.append(", ".join(x for x in (label, time, charge) if x))
    return out


def voltage_traces(
    result: m.AnalysisResult, name: str, color: str, *, group: str = ""
) -> list[dict[str, Any]]:
    """The DC voltage of the run's file (its cycling result's table) and a marker at each
    spectrum's time and cell voltage."""
    data = []
    dc = ins.dc_voltage(result)
    if dc is not None and dc[0].size:
        data.append(
            trace(
                f"{name} voltage",
                dc[0],
                dc[1],
                "lines",
                line={"color": color, "width": 1.5},
                legendgroup=group or name,
            )
        )
    fits = [f for f in sel.spectra_of(result) if f.time_second is not None]
    if fits:
        labels = ins.insitu_labels(fits)
        data.append(
            trace(
                f"{name} EIS",
                [f.time_second / 3600 for f in fits],  # type: ignore[operator]
                [f.voltage_volt if f.voltage_volt is not None else f.potential_volt for f in fits],
                "markers",
                text=_hover(fits, labels),
                hovertemplate="%{text}<br>%{y:.4f} V",
                marker={
                    "color": [STATE_COLORS.get(f.state, color) for f in fits],
                    "size": 8,
                    "symbol": "diamond",
                    "line": {"color": color, "width": 1},
                },
                legendgroup=group or name,
            )
        )
    return data


def insitu_voltage_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    title = "In-situ EIS: voltage during plating/stripping, spectra marked"
    results = insitu_results(req.user, cell)
    data = []
    for k, r in enumerate(results):
        name = r.test_run.label
        data += voltage_traces(r, name, PALETTE[k % len(PALETTE)])
    if not data:
        return empty(title, "No in-situ EIS run for this cell yet.")
    return figure(title, "time (h)", "voltage (V)", data)


def resistance_traces(
    result: m.AnalysisResult, name: str, color: str | None = None, *, group: str = ""
) -> list[dict[str, Any]]:
    """Rb, RSEI and RCT of each spectrum against its plating/stripping sequence."""
    fits = sel.spectra_of(result)
    labels = ins.insitu_labels(fits)
    hover = _hover(fits, labels)
    data = []
    for (key, label), dash in zip(RESISTANCES, ("dash", "dot", "solid"), strict=True):
        style: dict[str, Any] = {"line": {"dash": dash}}
        if color is not None:
            style = {"line": {"color": color, "dash": dash}, "marker": {"color": color}}
        data.append(
            trace(
                f"{name} {label}".strip(),
                labels,
                [sel.resistance(f, key) for f in fits],
                "lines+markers",
                text=hover,
                hovertemplate="%{text}<br>%{y:.4g}",
                legendgroup=group or name,
                **style,
            )
        )
    return data


def insitu_resistance_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    title = "In-situ EIS: Rb, RSEI and RCT per plating/stripping sequence"
    results = insitu_results(req.user, cell)
    if not results:
        return empty(title, "No in-situ EIS run for this cell yet.")
    data = []
    fits_all: list[m.EISSpectrumFit] = []
    for r in results:
        fits_all += sel.spectra_of(r)
        data += resistance_traces(r, "" if len(results) == 1 else r.test_run.label)
    unit = _resistance_unit(fits_all)
    return figure(
        title,
        "sequence",
        f"resistance ({unit})",
        data,
        xaxis={"type": "category", "automargin": True},
    )


def kk_residual_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    """lin-KK relative residuals (Z - Z_KK)/|Z| of the chosen spectra (%) with the limit each
    point was held to (the shaded band: max(tolerance, noise factor x sigma/|Z|))."""
    title = "lin-KK residuals and their limits"
    selection = eis_selection(cell, req)
    data = []
    for k, (label, _result, fit) in enumerate(selection):
        kk = fit.kk or {}
        f = kk.get("frequency_hz")
        if not f:
            continue
        color = PALETTE[k % len(PALETTE)]
        verdict = "valid" if kk.get("valid") else "NOT valid"
        limits = [v * PERCENT for v in kk.get("limits") or []]
        if len(limits) == len(f):
            data.append(
                trace(
                    f"{label} limit",
                    [*f, *f[::-1]],
                    [*limits, *[-v for v in limits[::-1]]],
                    "lines",
                    fill="toself",
                    fillcolor="rgba(127,127,127,0.12)",
                    line={"color": "rgba(0,0,0,0)"},
                    legendgroup=label,
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
        for part, dash in (("real", "solid"), ("imag", "dot")):
            values = kk.get(f"residuals_{part}") or []
            data.append(
                trace(
                    f"{label} Δ{part} (M={kk.get('M')}, {verdict})"
                    if part == "real"
                    else f"{label} Δ{part}",
                    f,
                    [v * PERCENT for v in values],
                    "lines+markers",
                    line={"color": color, "dash": dash},
                    marker={"color": color, "size": 4},
                    legendgroup=label,
                    showlegend=part == "real",
                )
            )
    if not data:
        return empty(title, "No lin-KK check stored for this cell's spectra.")
    return figure(title, "frequency (Hz)", "residual (%)", data, xaxis={"type": "log"})
