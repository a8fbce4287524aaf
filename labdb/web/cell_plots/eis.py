"""EIS plots of a cell: Nyquist with fitted curves and residuals, Bode, DRT, and the resistances
versus cycle and in-situ sequence."""

from __future__ import annotations

from typing import Any

import numpy as np

from labdb import models as m
from labdb.selectors import results as sel
from labdb.web.cell_plots.common import PALETTE, PERCENT, right_axis
from labdb.web.figures import PlotRequest, empty, figure, trace

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


def measured_spectra(
    selection: list[tuple[str, m.AnalysisResult, Any]],
) -> list[tuple[str, str, Any, Any, Any, m.AnalysisResult]]:
    """(label, colour, frequencies, impedances, fit, result) of each selected spectrum that
    has measured points."""
    out = []
    for k, (label, result, fit) in enumerate(selection):
        f, z = measured(result, fit.spectrum)
        if f.size:
            out.append((label, PALETTE[k % len(PALETTE)], f, z, fit, result))
    return out


def fitted(fit: m.EISSpectrumFit) -> tuple[Any, Any] | None:
    """The stored fitted curve: (frequencies, complex impedance) on the job's dense grid, or
    None for a result stored without it (an older version: re-run the job)."""
    curve = fit.curve or {}
    if not curve.get("frequency_hz"):
        return None
    return np.asarray(curve["frequency_hz"], dtype=float), _complex(
        curve, "z_real_ohm", "z_imag_ohm"
    )


def residuals(fit: m.EISSpectrumFit) -> Any:
    """The stored relative residuals (Z - Z_fit)/|Z| at the measured frequencies (complex,
    dimensionless), or None."""
    curve = fit.curve or {}
    if not curve.get("residual_real"):
        return None
    return _complex(curve, "residual_real", "residual_imag")


def _complex(curve: dict[str, Any], real: str, imag: str) -> Any:
    return np.asarray(curve[real], dtype=float) + 1j * np.asarray(curve[imag], dtype=float)


def nyquist_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    title = "Nyquist plot with fitted curves and residuals"
    selection = eis_selection(cell, req)
    if not selection:
        return empty(title, "No EIS result for this cell yet.")
    data = []
    for label, color, f, z, fit, _ in measured_spectra(selection):
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
        curve = fitted(fit)
        rel = residuals(fit)
        if curve is not None:
            zf = curve[1]
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
        if rel is not None and rel.size == f.size:
            rel = rel * PERCENT
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
    for label, color, f, z, fit, _ in measured_spectra(selection):
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
        curve = fitted(fit)
        if curve is not None:
            fd, zf = curve
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
        yaxis2=right_axis("-phase (°)"),
    )


def drt_figure(cell: m.Cell, req: PlotRequest) -> dict[str, Any]:
    title = "Distribution of relaxation times"
    selection = eis_selection(cell, req)
    if not selection:
        return empty(title, "No EIS result for this cell yet.")
    data = []
    for k, (label, _result, fit) in enumerate(selection):
        drt = fit.drt or {}
        if not drt.get("tau_s"):
            continue  # too few points, or a result stored without its DRT
        peaks = drt.get("peaks", [])
        color = PALETTE[k % len(PALETTE)]
        data.append(trace(label, drt["tau_s"], drt["gamma_ohm"], "lines", line={"color": color}))
        if peaks:
            data.append(
                trace(
                    f"{label} peaks",
                    [p["tau_s"] for p in peaks],
                    [p["gamma_ohm"] for p in peaks],
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
    results = [r for r in sel.eis_results(req.user, cell) if sel.is_insitu(r.test_run)]
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
